// The Loc-RIB (RFC 4271 §3.2, §9.1): for every prefix, the candidate routes from all
// peers plus the ones this speaker originates, the best route and the ECMP set.
//
// Input is a batch of per-peer path changes (from AdjRibIn::apply()/withdraw_all(), or
// originate()/withdraw_local()); only the prefixes in the batch are re-decided.  Output
// is a change list, one LocRibChange per prefix whose best route or ECMP next-hop set
// changed, sorted by prefix; the speaker feeds it to every Adj-RIB-Out (export) and to
// the kernel route sink.
//
// Kernel contract: a change whose new best is locally originated (peer kLocalPeerId)
// carries no next hops: the node's own blocks are programmed by Felix/IPAM, not BGP, so
// the sink should remove any BGP route for that prefix.  No new best = delete.
//
// Memory: the table is a PrefixMap of 24-byte RibEntry values (32-byte slots for IPv4);
// a prefix with a single candidate stores it inline, more candidates go to one heap
// array.  A candidate is an 8-byte AttrRef plus the PeerId.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bgp/rib/attr_store.h"
#include "bgp/rib/decision.h"
#include "bgp/rib/peer_info.h"
#include "bgp/rib/prefix_map.h"
#include "bgp/wire/types.h"
#include "common/result.h"

namespace calico::bgp {

// One path change from a peer (or from local origination): new attributes, or null
// when the route is withdrawn.
struct PathChange {
  Prefix prefix;
  AttrRef attrs;
  bool operator==(const PathChange&) const = default;
};

// One candidate route.  16 bytes.
struct RibPath {
  AttrRef attrs;
  PeerId peer = kLocalPeerId;
};

// The best route of a prefix as seen by export; null attrs = no route.
struct BestRoute {
  AttrRef attrs;
  PeerId peer = kLocalPeerId;
  explicit operator bool() const { return static_cast<bool>(attrs); }
  bool operator==(const BestRoute&) const = default;
};

struct LocRibChange {
  Prefix prefix;
  BestRoute old_best;
  BestRoute new_best;
  // ECMP next hops of new_best (sorted, unique; the best's own next hop is among them).
  // Empty when there is no route or the best is locally originated.
  std::vector<net::IpAddr> next_hops;
  // False when only the ECMP set changed (export has nothing to do).
  bool best_changed() const { return !(old_best == new_best); }
};

// The candidates of one prefix: a small vector with one inline slot, kept ordered as
// [best, other ECMP members..., the rest] after every decision.  24 bytes.
class RibEntry {
 public:
  RibEntry() noexcept : one_() {}
  RibEntry(RibEntry&& other) noexcept;
  RibEntry& operator=(RibEntry&& other) noexcept;
  RibEntry(const RibEntry&) = delete;
  RibEntry& operator=(const RibEntry&) = delete;
  ~RibEntry();

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const RibPath& operator[](std::size_t i) const { return data()[i]; }
  RibPath& operator[](std::size_t i) { return data()[i]; }
  const RibPath* begin() const { return data(); }
  const RibPath* end() const { return data() + size_; }

  // Adds or replaces the path from `peer`.
  void set(PeerId peer, AttrRef attrs);
  // Removes the path from `peer`; false when there was none.
  bool erase(PeerId peer);

  // Decision results (valid after LocRib re-decided the entry).
  std::size_t multipath_count() const { return mp_count_; }
  DecisionStep decided_by() const { return step_; }
  void set_decision(std::size_t multipath_count, DecisionStep step) {
    mp_count_ = static_cast<std::uint16_t>(multipath_count);
    step_ = step;
  }

  // Heap bytes owned by this entry (0 for 0 or 1 candidates).
  std::size_t heap_bytes() const { return cap_ * sizeof(RibPath); }

 private:
  const RibPath* data() const { return cap_ == 0 ? &one_ : many_; }
  RibPath* data() { return cap_ == 0 ? &one_ : many_; }
  void destroy() noexcept;

  union {
    RibPath one_;    // cap_ == 0: inline storage, always constructed
    RibPath* many_;  // cap_ > 0: new[]-allocated array of cap_ paths
  };
  std::uint16_t size_ = 0;
  std::uint16_t cap_ = 0;
  std::uint16_t mp_count_ = 0;
  DecisionStep step_ = DecisionStep::OnlyPath;
};

// A candidate route as shown by status output.
struct RouteView {
  PeerId peer = kLocalPeerId;
  AttrRef attrs;
  bool best = false;
  bool multipath = false;  // member of the ECMP set (the best is one too)
};

class LocRib {
 public:
  struct Options {
    std::size_t max_paths = kDefaultMaxPaths;  // ECMP limit; 1 disables multipath
  };

  // `peers` and `store` must outlive the LocRib.
  LocRib(const PeerTable& peers, AttrStore& store);
  LocRib(const PeerTable& peers, AttrStore& store, Options options);

  // Applies one peer's path changes (several changes for one prefix are applied in
  // order) and re-decides the touched prefixes.  The peer must be in the PeerTable.
  std::vector<LocRibChange> apply(PeerId peer, std::span<const PathChange> changes);

  // Locally originated routes (PeerId kLocalPeerId).  The prefix must be masked.
  Result<std::vector<LocRibChange>, std::string> originate(const Prefix& prefix,
                                                           const PathAttributes& attrs);
  std::vector<LocRibChange> withdraw_local(const Prefix& prefix);

  // Queries.
  BestRoute best(const Prefix& prefix) const;
  std::optional<DecisionStep> decided_by(const Prefix& prefix) const;
  std::vector<net::IpAddr> next_hops(const Prefix& prefix) const;
  std::vector<RouteView> routes(const Prefix& prefix) const;  // best first
  std::size_t prefix_count() const { return table_.size(); }
  std::size_t path_count() const { return paths_; }
  // Table slots plus candidate arrays (not the interned attributes).
  std::size_t memory_bytes() const;

  // f(const Prefix&, const RibPath& best) for every prefix, in table order.
  template <class F>
  void for_each_best(F&& f) const {
    table_.for_each([&](const Prefix& p, const RibEntry& e) { f(p, e[0]); });
  }

 private:
  struct State {
    BestRoute best;
    std::vector<net::IpAddr> next_hops;
  };
  State state_of(const RibEntry& e) const;
  void decide(RibEntry& e);

  const PeerTable& peers_;
  AttrStore& store_;
  Options options_;
  PrefixMap<RibEntry> table_;
  std::size_t paths_ = 0;
  std::vector<Candidate> scratch_;
};

}  // namespace calico::bgp
