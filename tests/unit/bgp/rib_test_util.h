// Shared helpers for the RIB tests (rib_adj_rib_in_test.cpp, rib_adj_rib_out_test.cpp,
// rib_decision_test.cpp, rib_export_test.cpp, rib_loc_rib_test.cpp): addresses, prefixes,
// router ids, peers and learned path attributes.
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "bgp/rib/loc_rib.h"
#include "bgp/rib/peer_info.h"
#include "bgp/wire/types.h"

namespace calico::bgp::testing {

// Our AS on every test session.
inline constexpr std::uint32_t kLocalAs = 64512;

inline net::IpAddr ip(const char* s) {
  return *net::IpAddr::parse(s);
}
inline Prefix pfx(const char* s) {
  return *net::Cidr::parse(s, true);
}
inline std::uint32_t rid(const char* s) {
  return *parse_router_id(s);
}

// How make_peer() differs between tests; the defaults suit most of them.
struct PeerOptions {
  const char* router_id = nullptr;  // the peer's BGP Identifier; nullptr: its address
  bool rr_client = false;
  bool local_v4 = true;   // the session has our 10.0.0.1
  bool local_v6 = false;  // the session has our fd00::1
};

// A peer at `addr` in AS `as`, seen from our router id 10.0.0.1 in kLocalAs.
inline PeerInfo make_peer(PeerId id, std::uint32_t as, const char* addr, PeerOptions o = {}) {
  PeerInfo p;
  p.id = id;
  p.address = ip(addr);
  p.peer_as = as;
  p.local_as = kLocalAs;
  p.router_id = rid(o.router_id != nullptr ? o.router_id : addr);
  p.local_router_id = rid("10.0.0.1");
  p.rr_client = o.rr_client;
  if (o.local_v4) {
    p.local_v4 = ip("10.0.0.1");
  }
  if (o.local_v6) {
    p.local_v6 = ip("fd00::1");
  }
  return p;
}

// Attributes as learned from a peer: AS_SEQUENCE `asns` (none if empty) and NEXT_HOP `nh`.
inline PathAttributes path(std::vector<std::uint32_t> asns, const char* nh = "192.0.2.1") {
  PathAttributes a;
  if (!asns.empty()) {
    a.as_path.segments.push_back(AsSegment{AsSegmentType::Sequence, std::move(asns)});
  }
  a.next_hop = ip(nh);
  return a;
}

// A fixture base with a Loc-RIB over `peers` and `store`, fed one prefix at a time.
class LocRibTest : public ::testing::Test {
 protected:
  // Announces `prefix` from `p` with attributes `a` through the Loc-RIB.
  std::vector<LocRibChange> add(const PeerInfo& p, const char* prefix, const PathAttributes& a) {
    const PathChange c{pfx(prefix), store.intern(a)};
    return rib.apply(p.id, std::span<const PathChange>(&c, 1));
  }
  // Withdraws `prefix` from `p` through the Loc-RIB.
  std::vector<LocRibChange> del(const PeerInfo& p, const char* prefix) {
    const PathChange c{pfx(prefix), AttrRef{}};
    return rib.apply(p.id, std::span<const PathChange>(&c, 1));
  }

  PeerTable peers;
  AttrStore store;
  LocRib rib{peers, store};
};

}  // namespace calico::bgp::testing
