// The normalised policy model: names, label inheritance and ordering.
#include "policy/model.h"

#include <algorithm>

namespace calico::policy {
namespace {

bool has_prefix(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Order comparison shared by tiers and policies: set orders ascending, unset last.
// Returns <0, 0, >0.
int compare_order(const std::optional<double>& a, const std::optional<double>& b) {
  if (a.has_value() != b.has_value()) {
    return a.has_value() ? -1 : 1;
  }
  if (!a.has_value() || *a == *b) {
    return 0;
  }
  return *a < *b ? -1 : 1;
}

void inherit(Labels& out, const PolicySet& set, const std::vector<std::string>& profiles) {
  for (const auto& name : profiles) {
    const Profile* p = set.find_profile(name);
    if (p == nullptr) {
      continue;
    }
    inherit_labels(out, p->labels_to_apply);
  }
}

}  // namespace

bool protocol_has_ports(std::uint8_t protocol) {
  return protocol == kProtoTcp || protocol == kProtoUdp || protocol == kProtoSctp ||
         protocol == kProtoUdpLite;
}

std::string_view to_string(Action a) {
  switch (a) {
    case Action::Allow:
      return "Allow";
    case Action::Deny:
      return "Deny";
    case Action::Pass:
      return "Pass";
    case Action::Log:
      return "Log";
  }
  return "?";
}

std::string_view to_string(Direction d) {
  return d == Direction::Ingress ? "Ingress" : "Egress";
}

std::string_view to_string(PolicyKind k) {
  switch (k) {
    case PolicyKind::NetworkPolicy:
      return "NetworkPolicy";
    case PolicyKind::GlobalNetworkPolicy:
      return "GlobalNetworkPolicy";
    case PolicyKind::KubernetesNetworkPolicy:
      return "KubernetesNetworkPolicy";
  }
  return "?";
}

std::string ConvertError::to_string() const {
  std::string out = resource;
  if (!field.empty()) {
    out += (out.empty() ? "" : ": ") + field;
  }
  return out + (out.empty() ? "" : ": ") + message;
}

std::string Policy::id() const {
  return ns.empty() ? name : ns + "/" + name;
}

const Endpoint* PolicySet::find_endpoint(const EndpointKey& key) const {
  for (const auto& ep : endpoints) {
    if (ep.ns == key.ns && ep.name == key.name) {
      return &ep;
    }
  }
  return nullptr;
}

const Profile* PolicySet::find_profile(std::string_view name) const {
  for (const auto& p : profiles) {
    if (p.name == name) {
      return &p;
    }
  }
  return nullptr;
}

std::optional<Tier> PolicySet::find_tier(std::string_view name) const {
  for (const auto& t : tiers) {
    if (t.name == name) {
      return t;
    }
  }
  for (const auto& t : builtin_tiers()) {
    if (t.name == name) {
      return t;
    }
  }
  return std::nullopt;
}

Labels labels_before_profiles(const Endpoint& ep) {
  Labels out;
  // libcalico-go's WorkloadEndpoint processor drops pcns.* and pcsa.* labels so that an
  // endpoint cannot pretend to be in another namespace or service account.
  for (const auto& [k, v] : ep.labels) {
    if (!has_prefix(k, kNamespaceLabelPrefix) && !has_prefix(k, kServiceAccountLabelPrefix)) {
      out[k] = v;
    }
  }
  // Section 1.7: the labels Calico puts on every workload endpoint.
  if (!ep.ns.empty()) {
    out[std::string(kLabelNamespace)] = ep.ns;
  }
  if (!ep.orchestrator.empty()) {
    out[std::string(kLabelOrchestrator)] = ep.orchestrator;
  }
  if (!ep.service_account.empty()) {
    out[std::string(kLabelServiceAccount)] = ep.service_account;
  }
  return out;
}

Labels labels_before_profiles(const NetworkSetEntry& s) {
  Labels out = s.labels;
  if (!s.ns.empty()) {
    out[std::string(kLabelNamespace)] = s.ns;
  }
  return out;
}

void inherit_labels(Labels& labels, const Labels& labels_to_apply,
                    std::vector<std::string>* added) {
  for (const auto& [k, v] : labels_to_apply) {
    const bool inserted = labels.emplace(k, v).second;  // never overrides a present label
    if (inserted && added != nullptr) {
      added->push_back(k);
    }
  }
}

Labels PolicySet::effective_labels(const Endpoint& ep) const {
  Labels out = labels_before_profiles(ep);
  inherit(out, *this, ep.profiles);
  return out;
}

Labels PolicySet::effective_labels(const NetworkSetEntry& s) const {
  Labels out = labels_before_profiles(s);
  inherit(out, *this, s.profiles);
  return out;
}

std::vector<Tier> builtin_tiers() {
  return {
      Tier{"kube-admin", 1000.0, Action::Pass},
      Tier{"default", 1000000.0, Action::Deny},
      Tier{"kube-baseline", 10000000.0, Action::Pass},
  };
}

bool tier_less(const Tier& a, const Tier& b) {
  // felix TierLess: ordered tiers first, by order; ties (and unset orders) by name.
  const int c = compare_order(a.order, b.order);
  return c != 0 ? c < 0 : a.name < b.name;
}

bool policy_less(const Policy& a, const Policy& b) {
  // felix PolKVLess: order (unset = +inf), then "name/namespace/kind".
  const int c = compare_order(a.order, b.order);
  if (c != 0) {
    return c < 0;
  }
  const auto key = [](const Policy& p) {
    return p.name + "/" + p.ns + "/" + std::string(to_string(p.kind));
  };
  return key(a) < key(b);
}

std::vector<Tier> ordered_tiers(const PolicySet& set) {
  std::vector<Tier> out = set.tiers;
  for (const auto& t : builtin_tiers()) {
    const bool given = std::any_of(set.tiers.begin(), set.tiers.end(),
                                   [&](const Tier& x) { return x.name == t.name; });
    if (!given) {
      out.push_back(t);
    }
  }
  std::sort(out.begin(), out.end(), tier_less);
  return out;
}

std::vector<const Policy*> ordered_policies(const PolicySet& set, std::string_view tier) {
  std::vector<const Policy*> out;
  for (const auto& p : set.policies) {
    if (p.tier == tier) {
      out.push_back(&p);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const Policy* a, const Policy* b) { return policy_less(*a, *b); });
  return out;
}

}  // namespace calico::policy
