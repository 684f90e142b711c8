// Kubernetes networking.k8s.io/v1 NetworkPolicy: the API server's defaults (port protocol
// TCP, policyTypes from the rules) and validation rules.
#include <set>

#include "api/validation.h"
#include "common/net/ip.h"

namespace calico::api {
namespace {

std::string at(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

void check_label_selector(Checker& c, const std::string& path, const LabelSelector& s) {
  c.labels(path + ".matchLabels", s.match_labels);
  for (std::size_t i = 0; i < s.match_expressions.size(); ++i) {
    const auto& e = s.match_expressions[i];
    const std::string p = at(path + ".matchExpressions", i);
    if (c.required(p + ".key", e.key)) {
      c.label_key(p + ".key", e.key);
    }
    if (!c.one_of(p + ".operator", e.op, {"In", "NotIn", "Exists", "DoesNotExist"}, false)) {
      continue;
    }
    const bool set_op = e.op == "In" || e.op == "NotIn";
    if (set_op && e.values.empty()) {
      c.add(p + ".values", "must be specified when operator is " + e.op);
    }
    if (!set_op && !e.values.empty()) {
      c.add(p + ".values", "may not be specified when operator is " + e.op);
    }
    for (std::size_t j = 0; j < e.values.size(); ++j) {
      c.label_value(at(p + ".values", j), e.values[j]);
    }
  }
}

void check_port(Checker& c, const std::string& path, const K8sNetworkPolicyPort& p) {
  c.one_of(path + ".protocol", p.protocol, {"TCP", "UDP", "SCTP"});
  if (p.port) {
    if (p.port->is_int()) {
      c.in_range(path + ".port", p.port->int_value(), 1, 65535);
    } else {
      c.port(path + ".port", Port::named(p.port->str_value()));
    }
  }
  if (p.end_port) {
    if (!p.port || !p.port->is_int()) {
      c.add(path + ".endPort", "may only be specified with a numeric port");
    } else if (*p.end_port < p.port->int_value()) {
      c.add(path + ".endPort", "must be greater than or equal to port");
    } else {
      c.in_range(path + ".endPort", *p.end_port, 1, 65535);
    }
  }
}

void check_peer(Checker& c, const std::string& path, const K8sNetworkPolicyPeer& p) {
  if (!p.pod_selector && !p.namespace_selector && !p.ip_block) {
    c.add(path, "must specify a peer (podSelector, namespaceSelector or ipBlock)");
  }
  if (p.ip_block && (p.pod_selector || p.namespace_selector)) {
    c.add(path, "ipBlock may not be combined with podSelector or namespaceSelector");
  }
  if (p.pod_selector) {
    check_label_selector(c, path + ".podSelector", *p.pod_selector);
  }
  if (p.namespace_selector) {
    check_label_selector(c, path + ".namespaceSelector", *p.namespace_selector);
  }
  if (!p.ip_block) {
    return;
  }
  const auto& b = *p.ip_block;
  if (!c.required(path + ".ipBlock.cidr", b.cidr) || !c.cidr(path + ".ipBlock.cidr", b.cidr)) {
    return;
  }
  const auto outer = net::Cidr::parse(b.cidr);
  for (std::size_t i = 0; i < b.except.size(); ++i) {
    const std::string ep = at(path + ".ipBlock.except", i);
    if (!c.cidr(ep, b.except[i])) {
      continue;
    }
    const auto inner = net::Cidr::parse(b.except[i]);
    if (inner->family() != outer->family() || !outer->masked().contains(inner->masked()) ||
        inner->prefix_len() <= outer->prefix_len()) {
      c.add(ep, "\"" + b.except[i] + "\" must be strictly within " + b.cidr);
    }
  }
}

template <class RuleT>
void check_rules(Checker& c, const std::string& path, const std::vector<RuleT>& rules) {
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const std::string rp = at(path, i);
    for (std::size_t j = 0; j < rules[i].ports.size(); ++j) {
      check_port(c, at(rp + ".ports", j), rules[i].ports[j]);
    }
    if constexpr (std::is_same_v<RuleT, K8sNetworkPolicyIngressRule>) {
      for (std::size_t j = 0; j < rules[i].from.size(); ++j) {
        check_peer(c, at(rp + ".from", j), rules[i].from[j]);
      }
    } else {
      for (std::size_t j = 0; j < rules[i].to.size(); ++j) {
        check_peer(c, at(rp + ".to", j), rules[i].to[j]);
      }
    }
  }
}

}  // namespace

void apply_defaults_to(KubernetesNetworkPolicy& r) {
  auto& s = r.spec;
  for (auto& rule : s.ingress) {
    for (auto& p : rule.ports) {
      if (p.protocol.empty()) {
        p.protocol = "TCP";
      }
    }
  }
  for (auto& rule : s.egress) {
    for (auto& p : rule.ports) {
      if (p.protocol.empty()) {
        p.protocol = "TCP";
      }
    }
  }
  // k8s SetDefaults_NetworkPolicy: Ingress always, Egress when there are egress rules.
  if (s.policy_types.empty()) {
    s.policy_types.emplace_back(kPolicyTypeIngress);
    if (!s.egress.empty()) {
      s.policy_types.emplace_back(kPolicyTypeEgress);
    }
  }
}

void validate_into(const KubernetesNetworkPolicy& r, std::vector<FieldError>& errs) {
  validate_metadata(KubernetesNetworkPolicy::kKind, r.metadata, errs);
  Checker c(errs);
  const auto& s = r.spec;
  check_label_selector(c, "spec.podSelector", s.pod_selector);
  check_rules(c, "spec.ingress", s.ingress);
  check_rules(c, "spec.egress", s.egress);
  std::set<std::string> seen;
  for (std::size_t i = 0; i < s.policy_types.size(); ++i) {
    const std::string path = at("spec.policyTypes", i);
    if (c.one_of(path, s.policy_types[i], {"Ingress", "Egress"}, false) &&
        !seen.insert(s.policy_types[i]).second) {
      c.add(path, "duplicate policy type \"" + s.policy_types[i] + "\"");
    }
  }
}

}  // namespace calico::api
