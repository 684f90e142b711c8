// Tier (projectcalico.org/v3, cluster scoped): an ordered group of policies with a default
// action for traffic that a policy in the tier selected but no rule matched.
//
// Built-in tiers: "default" (order 1,000,000, Deny), and since 3.32 "kube-admin" (1,000,
// Pass) and "kube-baseline" (10,000,000, Pass).  Tier names are DNS-1123 labels because
// they must fit in a label value (projectcalico.org/tier).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/codec.h"
#include "api/kind.h"
#include "api/meta.h"
#include "api/resources/condition.h"

namespace calico::api {

inline constexpr std::string_view kDefaultTierName = "default";
inline constexpr std::string_view kKubeAdminTierName = "kube-admin";
inline constexpr std::string_view kKubeBaselineTierName = "kube-baseline";
inline constexpr double kDefaultTierOrder = 1000000.0;
inline constexpr double kKubeAdminTierOrder = 1000.0;
inline constexpr double kKubeBaselineTierOrder = 10000000.0;

struct TierSpec {
  std::optional<double> order;  // unset = applied last; ties broken by name
  std::string default_action;   // Deny | Pass (defaulted to Deny)

  template <class V>
  void visit(V& v) {
    v("order", order);
    v("defaultAction", default_action);
  }
  bool operator==(const TierSpec&) const = default;
};

struct TierStatus {
  std::vector<Condition> conditions;  // type "Ready"

  template <class V>
  void visit(V& v) {
    v("conditions", conditions);
  }
  bool operator==(const TierStatus&) const = default;
};

struct Tier {
  static constexpr Kind kKind = Kind::Tier;
  ObjectMeta metadata;
  TierSpec spec;
  TierStatus status;

  template <class V>
  void visit(V& v) {
    v("metadata", metadata, Emit::Always);
    v("spec", spec, Emit::Always);
    v("status", status, Emit::OmitZero);
  }
  bool operator==(const Tier&) const = default;
};

}  // namespace calico::api
