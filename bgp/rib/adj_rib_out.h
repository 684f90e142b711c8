// Adj-RIB-Out (RFC 4271 §3.2, §9.2): per peer, what has been advertised, and the UPDATE
// messages that bring the peer from what it has to what it should have.
//
// Flow: the speaker stage()s every Loc-RIB change list into each Established peer's
// AdjRibOut (export policy is applied there, see export.h), then calls take_updates()
// when the session can send.  Staging only records the desired state per prefix, so a
// burst of changes to one prefix costs one announcement, and a prefix that flaps back to
// what the peer already has costs nothing: take_updates() diffs desired against
// advertised by interned-attribute identity and sends only the difference.
//
// Packing (RFC 4271 §4.3, RFC 4760 §3-4): prefixes that share attributes go in one
// UPDATE, as many as fit the message size; IPv4 in the classic NLRI / Withdrawn Routes
// fields, IPv6 in MP_REACH_NLRI / MP_UNREACH_NLRI; announcements of the two families
// never share a message (the model has one next hop per UPDATE).  The UPDATE size for a
// set of attributes comes from an injected callable (the codec's
// encoded_update_size() in production) plus prefix_wire_size() per prefix.  Output is
// deterministic: withdrawals first (sorted), then one run of messages per attribute set,
// runs ordered by their lowest prefix, prefixes sorted within a run.
//
// A new session or a ROUTE-REFRESH (RFC 2918 §4: re-advertise the Adj-RIB-Out) uses
// full_table(), which recomputes the export of every Loc-RIB best route, sends all of
// it, and optionally an End-of-RIB marker per family (RFC 4724 §2).
//
// Attributes too large to fit one UPDATE with a single prefix are not advertised (the
// prefix is withdrawn if it was); oversized() counts such prefixes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "bgp/rib/attr_store.h"
#include "bgp/rib/export.h"
#include "bgp/rib/loc_rib.h"
#include "bgp/rib/peer_info.h"
#include "bgp/rib/prefix_map.h"
#include "bgp/wire/messages.h"

namespace calico::bgp {

// Size in bytes of an UPDATE carrying `attrs` and no NLRI (header included); with a
// family, the attributes include an empty MP_REACH_NLRI for it.
using UpdateSizeFn =
    std::function<std::size_t(const PathAttributes& attrs, std::optional<AfiSafi> mp_family)>;

struct PackOptions {
  std::size_t max_message_size = kMaxMessageSize;  // 4096, or 65535 with RFC 8654
  UpdateSizeFn update_size;                        // required
};

// Fixed overheads of withdrawal-only UPDATEs, computed here because they carry no
// attributes to ask the codec about: header + Withdrawn Routes Length + Total Path
// Attribute Length (RFC 4271 §4.3) ...
inline constexpr std::size_t kWithdrawUpdateOverhead = kHeaderSize + 2 + 2;
// ... plus, for MP_UNREACH_NLRI, an attribute header with a 2-octet length and AFI/SAFI
// (RFC 4760 §4).
inline constexpr std::size_t kMpUnreachOverhead = 4 + 3;
// An empty MP_REACH_NLRI may be sized with a 1-octet attribute length that grows to 2
// once NLRI are added (RFC 4271 §4.3 Extended Length); one byte is kept in reserve.
inline constexpr std::size_t kMpReachReserve = 1;

struct Announcement {
  Prefix prefix;
  AttrRef attrs;
};

// Packs withdrawals and announcements (prefixes unique) into UPDATEs, see the file
// comment.  An announcement whose attributes cannot fit with even one prefix is dropped.
std::vector<Update> pack_updates(std::vector<Prefix> withdrawals,
                                 std::vector<Announcement> announcements,
                                 const PackOptions& options);

// RFC 4724 §2 End-of-RIB: an empty UPDATE for IPv4 unicast, an UPDATE with only an empty
// MP_UNREACH_NLRI for other families.
Update end_of_rib_update(AfiSafi af);

class AdjRibOut {
 public:
  struct Config {
    PeerInfo target;                                               // the receiving peer
    std::vector<AfiSafi> families = {kIpv4Unicast, kIpv6Unicast};  // negotiated (RFC 4760)
    PackOptions pack;
  };

  // `peers` (route sources) and `store` must outlive the AdjRibOut.
  AdjRibOut(const PeerTable& peers, AttrStore& store, Config config);

  const PeerInfo& target() const { return config_.target; }

  // Records the desired state of every changed prefix (export policy applied).
  void stage(std::span<const LocRibChange> changes);
  bool has_pending() const { return !pending_.empty(); }
  // The minimal UPDATEs for everything staged since the last call; the peer is then
  // assumed to have received them.
  std::vector<Update> take_updates();

  // New session or ROUTE-REFRESH: the whole table for `family` (all configured families
  // when absent), replacing pending and advertised state for those families, followed
  // by End-of-RIB per family when asked.  Prefixes advertised earlier but no longer
  // exported are withdrawn.
  std::vector<Update> full_table(const LocRib& rib, std::optional<AfiSafi> family = std::nullopt,
                                 bool end_of_rib = true);

  // Session down: the peer has nothing any more.
  void reset();

  // What the peer has for `prefix` (null when nothing).
  AttrRef advertised(const Prefix& prefix) const;
  std::size_t advertised_count() const { return advertised_.size(); }
  std::uint64_t oversized() const { return oversized_; }
  std::size_t memory_bytes() const { return advertised_.memory_bytes() + pending_.memory_bytes(); }

 private:
  class ExportCache;
  struct Exported {
    AttrRef attrs;           // null: not advertised
    bool oversized = false;  // exported, but too large for any UPDATE
  };
  bool carries(net::Family f) const;
  Exported compute_export(net::Family f, const AttrRef& attrs, PeerId source) const;
  // The attributes to advertise for a best route (null: nothing).
  AttrRef desired(const Prefix& prefix, const AttrRef& attrs, PeerId source, ExportCache& cache);

  const PeerTable& peers_;
  AttrStore& store_;
  Config config_;
  PrefixMap<AttrRef> advertised_;
  PrefixMap<AttrRef> pending_;  // desired state of staged prefixes; null = withdrawn
  std::uint64_t oversized_ = 0;
};

}  // namespace calico::bgp
