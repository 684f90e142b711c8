// NetworkPolicy (namespaced) and GlobalNetworkPolicy (cluster scoped): ordered rule lists
// applied to the endpoints a selector picks, within a tier.
//
// `types` says which directions the policy governs; when absent on write it is defaulted
// from the rules (api/validation/network_policy.cpp), so reads always carry it.  `order`
// unset means "last"; ties are broken by name.  doNotTrack / preDNAT / applyOnForward only
// affect host endpoints.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/codec.h"
#include "api/kind.h"
#include "api/meta.h"
#include "api/resources/rule.h"

namespace calico::api {

inline constexpr std::string_view kPolicyTypeIngress = "Ingress";
inline constexpr std::string_view kPolicyTypeEgress = "Egress";

struct NetworkPolicySpec {
  std::string tier;  // defaulted to "default"
  std::optional<double> order;
  std::vector<Rule> ingress;
  std::vector<Rule> egress;
  std::string selector;            // empty: every endpoint in the namespace
  std::vector<std::string> types;  // Ingress | Egress
  std::string service_account_selector;
  std::vector<std::string> performance_hints;  // AssumeNeededOnEveryNode

  template <class V>
  void visit(V& v) {
    v("tier", tier);
    v("order", order);
    v("ingress", ingress);
    v("egress", egress);
    v("selector", selector);
    v("types", types);
    v("serviceAccountSelector", service_account_selector);
    v("performanceHints", performance_hints);
  }
  bool operator==(const NetworkPolicySpec&) const = default;
};

struct NetworkPolicy {
  static constexpr Kind kKind = Kind::NetworkPolicy;
  ObjectMeta metadata;
  NetworkPolicySpec spec;

  template <class V>
  void visit(V& v) {
    v("metadata", metadata, Emit::Always);
    v("spec", spec, Emit::Always);
  }
  bool operator==(const NetworkPolicy&) const = default;
};

struct GlobalNetworkPolicySpec {
  std::string tier;  // defaulted to "default"
  std::optional<double> order;
  std::vector<Rule> ingress;
  std::vector<Rule> egress;
  std::string selector;            // empty: every endpoint
  std::vector<std::string> types;  // Ingress | Egress
  bool do_not_track = false;       // raw table, before conntrack; needs applyOnForward
  bool pre_dnat = false;           // before DNAT, ingress only; needs applyOnForward
  bool apply_on_forward = false;   // also for traffic forwarded through host endpoints
  std::string service_account_selector;
  std::string namespace_selector;  // namespaces whose workloads the policy applies to
  std::vector<std::string> performance_hints;

  template <class V>
  void visit(V& v) {
    v("tier", tier);
    v("order", order);
    v("ingress", ingress);
    v("egress", egress);
    v("selector", selector);
    v("types", types);
    v("doNotTrack", do_not_track);
    v("preDNAT", pre_dnat);
    v("applyOnForward", apply_on_forward);
    v("serviceAccountSelector", service_account_selector);
    v("namespaceSelector", namespace_selector);
    v("performanceHints", performance_hints);
  }
  bool operator==(const GlobalNetworkPolicySpec&) const = default;
};

struct GlobalNetworkPolicy {
  static constexpr Kind kKind = Kind::GlobalNetworkPolicy;
  ObjectMeta metadata;
  GlobalNetworkPolicySpec spec;

  template <class V>
  void visit(V& v) {
    v("metadata", metadata, Emit::Always);
    v("spec", spec, Emit::Always);
  }
  bool operator==(const GlobalNetworkPolicy&) const = default;
};

}  // namespace calico::api
