// Internal to api/validation: checks for policy rules (api/resources/rule.h), shared by
// NetworkPolicy, GlobalNetworkPolicy and Profile.
#pragma once

#include <string>
#include <vector>

#include "api/resources/rule.h"
#include "api/validation.h"

namespace calico::api::detail {

enum class RuleDirection { Ingress, Egress };
enum class RuleOwner { NetworkPolicy, GlobalNetworkPolicy, Profile };

// Checks every rule of `rules` (path e.g. "spec.ingress"): action, IP version, protocols,
// ICMP, ports vs protocol, CIDRs and their family, selectors, services, HTTP match.
void validate_rules(Checker& c, const std::string& path, const std::vector<Rule>& rules,
                    RuleDirection direction, RuleOwner owner);

// Policy `types`: each Ingress or Egress, at most two, no duplicates.
void validate_policy_types(Checker& c, const std::string& path,
                           const std::vector<std::string>& types);

// Calico's defaulting of an absent `types` from the rules present.
std::vector<std::string> default_policy_types(const std::vector<Rule>& ingress,
                                              const std::vector<Rule>& egress);

}  // namespace calico::api::detail
