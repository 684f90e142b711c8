// What the RIB knows about a BGP peer: identity, session addresses and the per-session
// roles that change import checks, the decision process and export rewriting.
//
// The speaker assigns each configured peer a small PeerId (an index, so per-peer RIB
// state can live in vectors) and fills a PeerInfo once the session is Established (the
// peer's router id comes from its OPEN, the local addresses from the socket).  PeerId 0
// is reserved for routes this speaker originates itself.
//
// A PeerInfo must not change while the Loc-RIB holds routes from that peer: the decision
// process reads it for every comparison.  The speaker updates it between
// AdjRibIn::withdraw_all() on session down and the first UPDATE of the next session.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "common/net/ip.h"
#include "common/result.h"

namespace calico::bgp {

using PeerId = std::uint32_t;
inline constexpr PeerId kLocalPeerId = 0;  // routes originated by this speaker

struct PeerInfo {
  PeerId id = kLocalPeerId;
  net::IpAddr address;          // the peer's end of the session
  std::uint32_t peer_as = 0;    // the peer's (4-octet) AS
  std::uint32_t local_as = 0;   // our AS on this session
  std::uint32_t router_id = 0;  // the peer's BGP Identifier (its OPEN)
  std::uint32_t local_router_id = 0;
  // RFC 4456 §7: the cluster this speaker belongs to as a route reflector; a reflector
  // without a configured CLUSTER_ID uses its router id.
  std::optional<std::uint32_t> cluster_id;
  bool rr_client = false;      // RFC 4456: we reflect routes to and from this iBGP peer
  bool next_hop_self = false;  // rewrite NEXT_HOP to our address even toward iBGP peers
  // Our addresses on this session, used as NEXT_HOP when we set it ourselves.  An IPv4
  // session usually only has local_v4; without local_v6 such a peer gets no IPv6 routes
  // that need our next hop (see export.h).
  std::optional<net::IpAddr> local_v4;
  std::optional<net::IpAddr> local_v6;

  // RFC 4271 §1.1: internal peer = same AS.
  bool is_ibgp() const { return peer_as == local_as; }
  bool is_ebgp() const { return !is_ibgp(); }
  std::uint32_t effective_cluster_id() const { return cluster_id.value_or(local_router_id); }
  const std::optional<net::IpAddr>& local_address(net::Family f) const {
    return f == net::Family::V4 ? local_v4 : local_v6;
  }
};

// PeerId -> PeerInfo, indexed by id.  Owned by the speaker and read (by reference) by the
// Loc-RIB's decision process and the Adj-RIBs-Out' export policy.
class PeerTable {
 public:
  // Adds or replaces the peer `info.id` (never kLocalPeerId).
  void upsert(const PeerInfo& info) {
    CALICO_CHECK(info.id != kLocalPeerId);
    if (info.id >= peers_.size()) {
      peers_.resize(info.id + std::size_t{1});
    }
    peers_[info.id] = info;
  }
  void erase(PeerId id) {
    if (id < peers_.size()) {
      peers_[id].reset();
    }
  }
  // nullptr for kLocalPeerId and unknown ids.
  const PeerInfo* find(PeerId id) const {
    return id < peers_.size() && peers_[id] ? &*peers_[id] : nullptr;
  }
  std::vector<PeerId> ids() const {
    std::vector<PeerId> out;
    for (std::size_t i = 0; i < peers_.size(); ++i) {
      if (peers_[i]) {
        out.push_back(static_cast<PeerId>(i));
      }
    }
    return out;
  }

 private:
  std::vector<std::optional<PeerInfo>> peers_;
};

}  // namespace calico::bgp
