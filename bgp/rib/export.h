// Export policy: whether the best route of a prefix goes to a given peer, and with which
// attributes (RFC 4271 §9.1.3 and §5.1, RFC 4456 §6 and §8, RFC 1997).
//
// Filters, in order (the first that applies wins, see ExportFilter):
//   - split horizon: never back to the peer the route came from.  RFC 4271 does not
//     forbid it (the peer would drop it as a loop or keep its own better copy); not
//     sending it saves the traffic and is what BIRD and FRR do;
//   - NO_ADVERTISE: to no one; NO_EXPORT and NO_EXPORT_SUBCONFED: not to eBGP peers
//     (RFC 1997; without confederations the two mean the same here);
//   - iBGP-learned routes to iBGP peers only by reflection (RFC 4271 §9.1.3, RFC 4456
//     §6): from a client to every iBGP peer, from a non-client to clients only;
//   - no local address of the prefix's family when the next hop must be ours (eBGP,
//     next_hop_self, locally originated routes): a peer reached over IPv4 without a
//     configured local IPv6 address gets no IPv6 routes, since a next hop we cannot name
//     would black-hole traffic (RFC 8950 IPv4 next hops for IPv6 are not supported).
//     Which families a session carries at all (MP capability) is AdjRibOut's business.
// eBGP-learned and locally originated routes go to every peer the filters allow.
//
// Rewrites toward an eBGP peer (RFC 4271 §5.1):
//   - our AS prepended to AS_PATH (§5.1.2), NEXT_HOP = our session address (§5.1.3);
//   - LOCAL_PREF removed (§5.1.5); ORIGINATOR_ID / CLUSTER_LIST removed (internal);
//   - MED removed unless the route is locally originated: §5.1.4 forbids passing on a MED
//     received from a neighbouring AS, and MEDs set by other speakers in our AS are
//     internal policy; only the originator of the route may set one for its neighbours.
// Rewrites toward an iBGP peer:
//   - NEXT_HOP kept for learned routes unless the peer is configured next_hop_self (which
//     applies to reflected routes too), set to our address for locally originated ones;
//   - LOCAL_PREF kept, or 100 when absent (§5.1.5: it MUST be sent to internal peers);
//   - reflected routes (iBGP source) get ORIGINATOR_ID = the source peer's router id when
//     absent, and our cluster id prepended to CLUSTER_LIST (RFC 4456 §8).
// Always: the IPv6 link-local next hop is dropped; it names an interface on the link the
// route was learned over, which the receiving peer does not share in general (RFC 2545
// §3 permits it only on a shared subnet).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "bgp/rib/attr_store.h"
#include "bgp/rib/decision.h"
#include "bgp/rib/peer_info.h"
#include "bgp/wire/types.h"

namespace calico::bgp {

enum class ExportFilter : std::uint8_t {
  None = 0,          // exported
  SourcePeer,        // split horizon
  NoAdvertise,       // RFC 1997 NO_ADVERTISE
  NoExport,          // RFC 1997 NO_EXPORT / NO_EXPORT_SUBCONFED toward eBGP
  IbgpNotReflected,  // iBGP -> iBGP without a client on either side
  NoLocalAddress,    // we have no next hop of the prefix's family for this peer
};
std::string_view to_string(ExportFilter f);  // "split horizon", "NO_EXPORT", ...

// Decides whether to send; `source` is nullptr for locally originated routes.
ExportFilter export_filter(net::Family family, const PathAttributes& attrs, const PeerInfo* source,
                           const PeerInfo& target);

// The attributes to send (call only when export_filter() returned None).
PathAttributes export_attributes(net::Family family, const PathAttributes& attrs,
                                 const PeerInfo* source, const PeerInfo& target);

struct ExportResult {
  AttrRef attrs;  // interned attributes to send; null when filtered
  ExportFilter filtered = ExportFilter::None;
  explicit operator bool() const { return static_cast<bool>(attrs); }
};

// export_filter() then export_attributes(), interned in `store`.
ExportResult export_route(net::Family family, const PathAttributes& attrs, const PeerInfo* source,
                          const PeerInfo& target, AttrStore& store);

}  // namespace calico::bgp
