// BGPFilter (projectcalico.org/v3, cluster scoped): ordered import/export route filters
// referenced by BGPPeer.filters.  Within each list the first matching rule wins.
//
// The v4 and v6 rule types of Calico's API have identical fields (only the CIDR family
// and prefix-length limits differ), so one BGPFilterRule serves both; validation checks
// the family per list.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/codec.h"
#include "api/kind.h"
#include "api/meta.h"
#include "api/types.h"

namespace calico::api {

// Prefix-length window for In / NotIn matches; default min = the CIDR's length, max =
// 32 / 128.
struct BGPFilterPrefixLength {
  std::optional<std::int32_t> min;
  std::optional<std::int32_t> max;

  template <class V>
  void visit(V& v) {
    v("min", min);
    v("max", max);
  }
  bool operator==(const BGPFilterPrefixLength&) const = default;
};

// Matches routes carrying one community ("aa:nn" or "aa:nn:mm").
struct BGPFilterCommunityMatch {
  std::vector<std::string> values;  // exactly one

  template <class V>
  void visit(V& v) {
    v("values", values, Emit::Always);
  }
  bool operator==(const BGPFilterCommunityMatch&) const = default;
};

struct BGPFilterAddCommunity {
  std::optional<std::string> value;

  template <class V>
  void visit(V& v) {
    v("value", value, Emit::Always);
  }
  bool operator==(const BGPFilterAddCommunity&) const = default;
};

struct BGPFilterPrependASPath {
  std::vector<ASNumber> prefix;  // 1-10 AS numbers

  template <class V>
  void visit(V& v) {
    v("prefix", prefix, Emit::Always);
  }
  bool operator==(const BGPFilterPrependASPath&) const = default;
};

struct BGPFilterSetPriority {
  std::optional<int> value;  // 1-2147483646

  template <class V>
  void visit(V& v) {
    v("value", value, Emit::Always);
  }
  bool operator==(const BGPFilterSetPriority&) const = default;
};

// Exactly one member set.
struct BGPFilterOperation {
  std::optional<BGPFilterAddCommunity> add_community;
  std::optional<BGPFilterPrependASPath> prepend_as_path;
  std::optional<BGPFilterSetPriority> set_priority;

  template <class V>
  void visit(V& v) {
    v("addCommunity", add_community);
    v("prependASPath", prepend_as_path);
    v("setPriority", set_priority);
  }
  bool operator==(const BGPFilterOperation&) const = default;
};

struct BGPFilterRule {
  std::string cidr;
  std::optional<BGPFilterPrefixLength> prefix_length;
  std::string source;          // RemotePeers
  std::string interface;       // outgoing-interface glob
  std::string match_operator;  // Equal | NotEqual | In | NotIn (set together with cidr)
  std::string peer_type;       // eBGP | iBGP
  std::optional<BGPFilterCommunityMatch> communities;
  std::vector<ASNumber> as_path_prefix;
  std::optional<int> priority;
  std::string action;                          // Accept | Reject (required)
  std::vector<BGPFilterOperation> operations;  // only with Accept

  template <class V>
  void visit(V& v) {
    v("cidr", cidr);
    v("prefixLength", prefix_length);
    v("source", source);
    v("interface", interface);
    v("matchOperator", match_operator);
    v("peerType", peer_type);
    v("communities", communities);
    v("asPathPrefix", as_path_prefix);
    v("priority", priority);
    v("action", action, Emit::Always);
    v("operations", operations);
  }
  bool operator==(const BGPFilterRule&) const = default;
};

struct BGPFilterSpec {
  std::vector<BGPFilterRule> export_v4;
  std::vector<BGPFilterRule> import_v4;
  std::vector<BGPFilterRule> export_v6;
  std::vector<BGPFilterRule> import_v6;

  template <class V>
  void visit(V& v) {
    v("exportV4", export_v4);
    v("importV4", import_v4);
    v("exportV6", export_v6);
    v("importV6", import_v6);
  }
  bool operator==(const BGPFilterSpec&) const = default;
};

struct BGPFilter {
  static constexpr Kind kKind = Kind::BGPFilter;
  ObjectMeta metadata;
  BGPFilterSpec spec;

  template <class V>
  void visit(V& v) {
    v("metadata", metadata, Emit::Always);
    v("spec", spec, Emit::Always);
  }
  bool operator==(const BGPFilter&) const = default;
};

}  // namespace calico::api
