// Adj-RIB-In (RFC 4271 §3.2): per peer, the routes received and accepted, as
// prefix -> interned attributes, after the import checks below.
//
// apply() takes one decoded UPDATE from an Established session and returns the path
// changes to hand to LocRib::apply(): one per prefix whose stored route actually changed
// (new, replaced by different attributes, or removed), sorted by prefix.  Re-announcing
// identical attributes produces nothing.  Withdrawals (classic and MP_UNREACH) are
// applied before announcements, so a prefix listed in both ends up announced.
//
// Import checks, applied to the whole UPDATE (a failed check makes the announcement a
// withdrawal of that peer's previous route for the prefix, RFC 4271 §9.1.2):
//   - AS_PATH loop: an eBGP route whose AS_PATH contains our AS (RFC 4271 §9.1.2,
//     loop detection).  Routes from iBGP peers are not checked: our own AS is never
//     prepended inside the AS.
//   - ORIGINATOR_ID equal to our router id (RFC 4456 §8).
//   - CLUSTER_LIST containing our cluster id (RFC 4456 §8).
//   - a usable next hop for the family: IPv4 routes need an IPv4 NEXT_HOP, IPv6 routes
//     an IPv6 global next hop (RFC 4760 §3, RFC 2545 §3), neither unspecified,
//     link-local (in the global field), multicast, nor our own session address
//     (RFC 4271 §6.3 "semantically incorrect").  The model has one next hop per UPDATE,
//     so an UPDATE carrying both IPv4 NLRI and an IPv6 MP_REACH keeps only the family
//     whose next hop matches.
// Normalisation for eBGP peers: LOCAL_PREF is removed (RFC 4271 §5.1.5: not sent to
// external peers, so it is not meaningful; the decision process uses 100), and
// ORIGINATOR_ID / CLUSTER_LIST are removed (RFC 4456 attributes are internal to the AS;
// BIRD discards them the same way).
//
// treat_as_withdraw (RFC 7606 §2, from the codec) withdraws every prefix in the UPDATE,
// announced or withdrawn.  End-of-RIB markers are the caller's business (they carry no
// routes and produce no changes here).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bgp/rib/attr_store.h"
#include "bgp/rib/loc_rib.h"
#include "bgp/rib/peer_info.h"
#include "bgp/rib/prefix_map.h"
#include "bgp/wire/messages.h"

namespace calico::bgp {

enum class RejectReason : std::uint8_t {
  AsLoop,             // our AS in an eBGP route's AS_PATH
  OriginatorId,       // ORIGINATOR_ID is our router id
  ClusterList,        // our cluster id in CLUSTER_LIST
  MissingAttributes,  // NLRI without path attributes
  MissingNextHop,     // no next hop of the prefix's family
  InvalidNextHop,     // unspecified, link-local, multicast or our own address
};
std::string_view to_string(RejectReason r);  // "rejected: AS loop", ...

// The import checks alone (exposed for tests and status output).  `af`: the family of
// the NLRI the next hop is checked for.
std::optional<RejectReason> check_loops(const PeerInfo& peer, const PathAttributes& attrs);
std::optional<RejectReason> check_next_hop(const PeerInfo& peer, const PathAttributes& attrs,
                                           net::Family af);

struct Rejection {
  RejectReason reason = RejectReason::AsLoop;
  AfiSafi af;
  std::size_t prefixes = 0;
  bool operator==(const Rejection&) const = default;
};

struct ImportResult {
  std::vector<PathChange> changes;    // sorted by prefix, one per prefix
  std::vector<Rejection> rejections;  // at most one per family
};

struct AdjRibInStats {
  std::uint64_t received = 0;   // announced prefixes (NLRI + MP_REACH), incl. rejected
  std::uint64_t accepted = 0;   // announced prefixes that passed the import checks
  std::uint64_t rejected = 0;   // announced prefixes that failed them
  std::uint64_t withdrawn = 0;  // withdrawn prefixes (incl. treat-as-withdraw)
  bool operator==(const AdjRibInStats&) const = default;
};

class AdjRibIn {
 public:
  // `store` must outlive the AdjRibIn.
  explicit AdjRibIn(AttrStore& store) : store_(store) {}

  ImportResult apply(const PeerInfo& peer, const Update& update, bool treat_as_withdraw = false);

  // Session down: removes every route of `peer` and returns their withdrawals (sorted).
  // Counters are kept; forget_peer() drops them too.
  std::vector<PathChange> withdraw_all(PeerId peer);
  void forget_peer(PeerId peer);

  // The stored route (null attrs when none).
  AttrRef lookup(PeerId peer, const Prefix& prefix) const;
  std::size_t route_count(PeerId peer) const;
  AdjRibInStats stats(PeerId peer) const;
  // Table bytes of every peer (not the interned attributes).
  std::size_t memory_bytes() const;

  // f(const Prefix&, const AttrRef&) for every route of `peer`, in table order.
  template <class F>
  void for_each(PeerId peer, F&& f) const {
    if (auto it = peers_.find(peer); it != peers_.end()) {
      it->second.routes.for_each(f);
    }
  }

 private:
  struct PeerRoutes {
    PrefixMap<AttrRef> routes;
    AdjRibInStats stats;
  };

  AttrStore& store_;
  std::unordered_map<PeerId, PeerRoutes> peers_;
};

}  // namespace calico::bgp
