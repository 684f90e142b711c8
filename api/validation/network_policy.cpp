// NetworkPolicy and GlobalNetworkPolicy: defaults (tier, types) and validation.
#include <cmath>
#include <set>

#include "api/validation.h"
#include "api/validation/rules.h"

namespace calico::api {
namespace {

using detail::RuleDirection;
using detail::RuleOwner;

template <class Spec>
void default_common(Spec& s) {
  if (s.tier.empty()) {
    s.tier = std::string(kDefaultTierName);
  }
  if (s.types.empty()) {
    s.types = detail::default_policy_types(s.ingress, s.egress);
  }
}

template <class Spec>
void validate_common(Checker& c, const Spec& s, RuleOwner owner) {
  if (!s.tier.empty()) {
    c.dns1123_label("spec.tier", s.tier);
  }
  if (s.order && !std::isfinite(*s.order)) {
    c.add("spec.order", "must be a finite number");
  }
  if (!s.selector.empty()) {
    c.selector("spec.selector", s.selector);
  }
  if (!s.service_account_selector.empty()) {
    c.selector("spec.serviceAccountSelector", s.service_account_selector);
  }
  detail::validate_policy_types(c, "spec.types", s.types);
  detail::validate_rules(c, "spec.ingress", s.ingress, RuleDirection::Ingress, owner);
  detail::validate_rules(c, "spec.egress", s.egress, RuleDirection::Egress, owner);
  std::set<std::string> hints;
  for (std::size_t i = 0; i < s.performance_hints.size(); ++i) {
    const std::string path = "spec.performanceHints[" + std::to_string(i) + "]";
    if (c.one_of(path, s.performance_hints[i], {"AssumeNeededOnEveryNode"}, false) &&
        !hints.insert(s.performance_hints[i]).second) {
      c.add(path, "duplicate hint \"" + s.performance_hints[i] + "\"");
    }
  }
}

}  // namespace

void apply_defaults_to(NetworkPolicy& r) {
  default_common(r.spec);
}

void validate_into(const NetworkPolicy& r, std::vector<FieldError>& errs) {
  validate_metadata(NetworkPolicy::kKind, r.metadata, errs);
  Checker c(errs);
  validate_common(c, r.spec, RuleOwner::NetworkPolicy);
}

void apply_defaults_to(GlobalNetworkPolicy& r) {
  default_common(r.spec);
}

void validate_into(const GlobalNetworkPolicy& r, std::vector<FieldError>& errs) {
  validate_metadata(GlobalNetworkPolicy::kKind, r.metadata, errs);
  Checker c(errs);
  const auto& s = r.spec;
  validate_common(c, s, RuleOwner::GlobalNetworkPolicy);
  if (!s.namespace_selector.empty()) {
    c.selector("spec.namespaceSelector", s.namespace_selector);
  }
  if (s.do_not_track && s.pre_dnat) {
    c.add("spec.preDNAT", "preDNAT and doNotTrack cannot both be true");
  }
  if (s.pre_dnat && !s.egress.empty()) {
    c.add("spec.egress", "preDNAT policy cannot have any egress rules");
  }
  if (s.pre_dnat) {
    for (const auto& t : s.types) {
      if (t == kPolicyTypeEgress) {
        c.add("spec.types", "preDNAT policy cannot have 'Egress' type");
      }
    }
  }
  if ((s.do_not_track || s.pre_dnat) && !s.apply_on_forward) {
    c.add("spec.applyOnForward",
          "applyOnForward must be true if either preDNAT or doNotTrack is "
          "true");
  }
}

}  // namespace calico::api
