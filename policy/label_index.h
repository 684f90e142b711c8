// Incremental selector membership: which endpoints and network sets each selector matches,
// kept up to date as endpoints, network sets and profiles change (felix's labelindex).
// The nftables compiler uses it for two things:
//   - IP sets: a selector set holds the addresses of the endpoints the selector matches
//     (/32, /128) and the CIDRs of the matching network sets; a named-port set holds
//     (address, protocol, port) of every matching endpoint's named ports of that name;
//   - endpoint selectors (policy `selector`s): which local endpoints a policy applies to.
// The semantics are exactly those of the reference evaluator (policy/evaluate.h,
// selector_matches_addr and named ports) over PolicySet::effective_labels.
//
//   LabelIndex index;
//   index.upsert_profile("kns.prod", {{"pcns.name", "prod"}});
//   index.upsert_endpoint(ep, /*local=*/true);
//   index.add_ip_set("s:web", {*api::Selector::parse("app == 'web'"), ""});
//   index.add_endpoint_selector("p:allow-web", *api::Selector::parse("pcns.name == 'prod'"));
//   for (const MemberDelta& d : index.take_member_deltas()) { ... }   // program the set
//   for (const MatchDelta& d : index.take_match_deltas()) { ... }     // attach the policy
//
// How it stays incremental (felix's LabelRestrictionIndex): every selector gets one
// restriction taken from a conjunct of its top-level AND (`label == "v"`, `label in {...}`,
// or a has()-like test; also a label every branch of a top-level OR tests), chosen to be
// the most selective (fewest items admitted, then == over in over has); a selector matches
// an item only if the item satisfies it.  Selectors are indexed by (label, value) and by
// label, items likewise (sorted id lists); a selector without any restriction is
// "unrestricted" and evaluated against every item.  A label change on an item evaluates
// only the selectors its labels can reach (plus the unrestricted ones).  A new selector is
// tried only on the items its restriction admits, filtered through its other conjuncts
// (including !=, not in, !has()); when those conjuncts are the whole selector, the lists
// decide and the selector is not evaluated at all.  A profile change relabels the items
// that list the profile.  Selectors are shared: IP sets and endpoint selectors with the
// same canonical selector text use one membership.
//
// Members are reference counted: an address several endpoints (or a CIDR several network
// sets) give stays in the set until the last of them goes.  Set contents are not stored
// but derived from the selector's matches (a member changes only when no other matching
// item gives it), so loading thousands of sets costs nothing per member until they are
// reported.  Members are exact (an endpoint's /32 inside a network set's /24 are two
// members); merging overlapping intervals is the nftables layer's job.
//
// Deltas accumulate between take_*() calls and are coalesced: a member added and removed
// in between (or removed and added back) is not reported.
//
// Not thread-safe: one owner (the felix calculation thread) calls everything.
#pragma once

#include <compare>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "api/selector.h"
#include "common/net/ip.h"
#include "policy/model.h"

namespace calico::policy {

// A member of an IP set.  Selector sets: cidr only (/32 or /128 for an endpoint address,
// the CIDR of a network set).  Named-port sets: cidr is the endpoint address (/32 or /128),
// protocol and port set.
struct SetMember {
  net::Cidr cidr;
  std::uint8_t protocol = 0;
  std::uint16_t port = 0;
  auto operator<=>(const SetMember&) const = default;
};

// What an IP set holds.  An all() selector with a named port is the named-port set over
// every endpoint (a rule's named port without a selector).
struct IpSetSpec {
  api::Selector selector;
  std::string named_port;  // empty: selector set; else the named-port set for this name
  bool operator==(const IpSetSpec&) const = default;
};

// The change of one IP set since the last take_member_deltas(); added and removed are
// sorted and disjoint.
struct MemberDelta {
  std::string set_id;
  std::vector<SetMember> added;
  std::vector<SetMember> removed;
  bool operator==(const MemberDelta&) const = default;
};

// A local endpoint started (matched) or stopped matching an endpoint selector.
struct MatchDelta {
  std::string selector_id;
  EndpointKey endpoint;
  bool matched = false;
  bool operator==(const MatchDelta&) const = default;
};

class LabelIndex {
 public:
  LabelIndex();
  ~LabelIndex();
  LabelIndex(LabelIndex&&) noexcept;
  LabelIndex& operator=(LabelIndex&&) noexcept;
  LabelIndex(const LabelIndex&) = delete;
  LabelIndex& operator=(const LabelIndex&) = delete;

  // IP sets, identified by caller-chosen ids.  The initial members are reported as an
  // `added` delta.  add_ip_set on an existing id with a different spec replaces it and
  // reports the difference between the old and the new membership; the same spec is a
  // no-op.
  void add_ip_set(const std::string& id, IpSetSpec spec);
  // No delta (the caller deletes the whole set); pending deltas of the set are dropped.
  void remove_ip_set(const std::string& id);
  // Current members; null if the id is unknown.  The first call for a set builds this
  // ordered view (O(n log n)); from then on it is kept up to date.  The pointer stays
  // valid until the set is removed or replaced.
  const std::set<SetMember>* members(const std::string& id) const;

  // Endpoint selectors (policy `selector`s): which LOCAL endpoints they match.  The
  // initial matches are reported as MatchDeltas; replacing an id's selector reports the
  // difference.
  void add_endpoint_selector(const std::string& id, api::Selector selector);
  // No delta; pending deltas of the selector are dropped.
  void remove_endpoint_selector(const std::string& id);
  // Sorted; empty if the id is unknown.
  std::vector<EndpointKey> matching_endpoints(const std::string& id) const;

  // Data.  `local` marks endpoints hosted on this node: only they are matched by endpoint
  // selectors; every endpoint feeds IP sets.  Upserting replaces everything about the
  // item (labels, addresses, ports, profiles, locality).
  void upsert_endpoint(const Endpoint& ep, bool local);
  void remove_endpoint(const EndpointKey& key);
  void upsert_network_set(const NetworkSetEntry& set);
  void remove_network_set(const std::string& ns, const std::string& name);
  // Endpoints and network sets listing the profile inherit its labels (a profile that
  // does not exist contributes nothing, as in PolicySet::effective_labels).
  void upsert_profile(const std::string& name, const Labels& labels_to_apply);
  void remove_profile(const std::string& name);

  // Everything that changed since the last call, coalesced; sorted by set id.  Sets whose
  // membership is back where it was are omitted, and so are sets removed in between.
  std::vector<MemberDelta> take_member_deltas();
  // Likewise for endpoint selectors; sorted by (selector id, endpoint).
  std::vector<MatchDelta> take_match_deltas();

  // The effective labels of an endpoint; empty if unknown.  For debugging and tests.
  Labels effective_labels(const EndpointKey& key) const;

  // How many selector evaluations have been done so far: lets tests check that an update
  // touches only the selectors it can affect.
  std::uint64_t evaluations_for_test() const;
  // How many distinct selectors are indexed, and how many of them are unrestricted.
  std::size_t selector_count_for_test() const;
  std::size_t unrestricted_count_for_test() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace calico::policy
