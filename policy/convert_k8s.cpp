// Kubernetes NetworkPolicy -> Calico NetworkPolicy, following libcalico-go's
// K8sNetworkPolicyToCalico (research doc section 2.10), then the namespaced-policy
// conversion of convert.cpp.
#include <algorithm>
#include <map>
#include <optional>
#include <vector>

#include "api/validation.h"
#include "policy/convert.h"
#include "policy/convert_internal.h"

namespace calico::policy {
namespace {

using detail::at;
using detail::Ctx;
using detail::error_at;
using detail::parse_selector;
using detail::quoted_name;

std::string k8s_peer_path(bool ingress, const std::string& rule_path, std::size_t i) {
  return at(rule_path + (ingress ? ".from" : ".to"), i);
}

// One k8s rule -> Calico rules (one per protocol and peer).  Errors carry the field path.
Result<std::vector<api::Rule>, ConvertError> k8s_rule_to_calico(
    const Ctx& ctx, const std::string& path, const std::vector<api::K8sNetworkPolicyPeer>& peers,
    const std::vector<api::K8sNetworkPolicyPort>& ports, bool ingress) {
  // Ports grouped by protocol; nullopt = every port of that protocol.  The key "" (no
  // protocol, no ports) appears only when the rule has no ports at all.
  std::map<std::string, std::optional<std::vector<api::Port>>> by_protocol;
  if (ports.empty()) {
    by_protocol[""] = std::nullopt;
  }
  for (std::size_t j = 0; j < ports.size(); ++j) {
    const auto& p = ports[j];
    const std::string pp = at(path + ".ports", j);
    // 2.9 #1: a port without a protocol is TCP.
    const std::string proto = p.protocol.empty() ? "TCP" : p.protocol;
    if (proto != "TCP" && proto != "UDP" && proto != "SCTP") {
      return error_at(ctx, pp + ".protocol", "\"" + proto + "\" is not one of TCP, UDP, SCTP");
    }
    std::optional<api::Port> port;
    if (p.port) {
      if (p.port->is_int()) {
        const std::int32_t lo = p.port->int_value();
        if (lo < 1 || lo > 65535) {
          return error_at(ctx, pp + ".port", "must be 1-65535");
        }
        std::int32_t hi = lo;
        if (p.end_port) {
          hi = *p.end_port;
          if (hi < lo || hi > 65535) {
            return error_at(ctx, pp + ".endPort", "must be between port and 65535");
          }
        }
        port = api::Port::range(static_cast<std::uint16_t>(lo), static_cast<std::uint16_t>(hi));
        if (lo == hi) {
          port = api::Port::number(static_cast<std::uint16_t>(lo));
        }
      } else {
        if (p.end_port) {
          return error_at(ctx, pp + ".endPort", "may only be used with a numeric port");
        }
        port = api::Port::named(p.port->str_value());
        std::string why;
        if (!port->valid(why)) {
          return error_at(ctx, pp + ".port", why);
        }
      }
    } else if (p.end_port) {
      return error_at(ctx, pp + ".endPort", "may only be used with a numeric port");
    }
    auto it = by_protocol.find(proto);
    if (!port) {
      by_protocol[proto] = std::nullopt;  // 2.9 #2: "all ports" is never narrowed
    } else if (it == by_protocol.end()) {
      by_protocol[proto] = std::vector<api::Port>{*port};
    } else if (it->second) {
      it->second->push_back(*port);
    }
  }

  // Peers: an absent / empty list is one "any peer" (2.4).
  struct Peer {
    std::string selector;
    std::string namespace_selector;
    std::vector<std::string> nets;
    std::vector<std::string> not_nets;
  };
  std::vector<Peer> converted;
  if (peers.empty()) {
    converted.emplace_back();
  }
  for (std::size_t i = 0; i < peers.size(); ++i) {
    const auto& p = peers[i];
    const std::string pp = k8s_peer_path(ingress, path, i);
    Peer out;
    if (p.ip_block) {
      const auto cidr = net::Cidr::parse(p.ip_block->cidr);
      if (!cidr) {
        return error_at(ctx, pp + ".ipBlock.cidr",
                        "\"" + p.ip_block->cidr + "\" is not a valid CIDR");
      }
      out.nets.push_back(cidr->masked().to_string());
      for (std::size_t k = 0; k < p.ip_block->except.size(); ++k) {
        const auto ex = net::Cidr::parse(p.ip_block->except[k]);
        if (!ex) {
          return error_at(ctx, at(pp + ".ipBlock.except", k),
                          "\"" + p.ip_block->except[k] + "\" is not a valid CIDR");
        }
        out.not_nets.push_back(ex->masked().to_string());
      }
    } else {
      out.selector = api::k8s_selector_to_calico(p.pod_selector ? &*p.pod_selector : nullptr,
                                                 api::K8sSelectorRole::Pod);
      out.namespace_selector = api::k8s_selector_to_calico(
          p.namespace_selector ? &*p.namespace_selector : nullptr, api::K8sSelectorRole::Namespace);
      if (auto s = parse_selector(ctx, pp + ".podSelector", out.selector); !s) {
        return fail(s.error());
      }
      if (auto s = parse_selector(ctx, pp + ".namespaceSelector", out.namespace_selector); !s) {
        return fail(s.error());
      }
    }
    converted.push_back(std::move(out));
  }

  std::vector<api::Rule> rules;
  for (const auto& [proto, proto_ports] : by_protocol) {  // sorted, as Calico sorts
    std::vector<api::Port> simplified;
    if (proto_ports) {
      simplified = simplify_ports(*proto_ports);
    }
    for (const auto& peer : converted) {
      api::Rule r;
      r.action = "Allow";
      if (!proto.empty()) {
        r.protocol = api::Protocol::named(proto);
      }
      api::EntityRule& e = ingress ? r.source : r.destination;
      e.selector = peer.selector;
      e.namespace_selector = peer.namespace_selector;
      e.nets = peer.nets;
      e.not_nets = peer.not_nets;
      r.destination.ports = simplified;
      rules.push_back(std::move(r));
    }
  }
  return rules;
}

// Applies the Kubernetes API server's defaults to a copy of the policy.
api::KubernetesNetworkPolicy k8s_defaulted(const api::KubernetesNetworkPolicy& knp) {
  api::KubernetesNetworkPolicy out = knp;
  api::apply_defaults_to(out);
  return out;
}
}  // namespace

std::vector<api::Port> simplify_ports(const std::vector<api::Port>& ports) {
  if (ports.size() <= 1) {
    return ports;
  }
  std::vector<api::Port> out;
  std::vector<PortRange> numeric;
  for (const auto& p : ports) {
    if (p.is_named()) {
      out.push_back(p);
    } else {
      numeric.push_back(PortRange{p.min(), p.max()});
    }
  }
  if (numeric.size() <= 1) {
    return ports;
  }
  std::sort(numeric.begin(), numeric.end(),
            [](const PortRange& a, const PortRange& b) { return a.min < b.min; });
  PortRange cur = numeric.front();
  const auto emit = [&out](const PortRange& r) {
    out.push_back(r.min == r.max ? api::Port::number(r.min) : api::Port::range(r.min, r.max));
  };
  for (std::size_t i = 1; i < numeric.size(); ++i) {
    const PortRange& next = numeric[i];
    // Overlapping or adjacent ranges merge (computed in int: max may be 65535).
    if (static_cast<int>(next.min) <= static_cast<int>(cur.max) + 1) {
      cur.max = std::max(cur.max, next.max);
    } else {
      emit(cur);
      cur = next;
    }
  }
  emit(cur);
  return out;
}
Result<api::NetworkPolicy, ConvertError> k8s_network_policy_to_calico(
    const api::KubernetesNetworkPolicy& knp, std::vector<ConvertError>* dropped) {
  const Ctx ctx{quoted_name("KubernetesNetworkPolicy", knp.metadata.ns, knp.metadata.name)};
  if (knp.metadata.name.empty()) {
    return error_at(ctx, "metadata.name", "is required");
  }
  if (knp.metadata.ns.empty()) {
    return error_at(ctx, "metadata.namespace", "is required");
  }
  const api::KubernetesNetworkPolicy k = k8s_defaulted(knp);

  api::NetworkPolicy np;
  np.metadata.name = std::string(kK8sPolicyNamePrefix) + k.metadata.name;
  np.metadata.ns = k.metadata.ns;
  np.metadata.uid = k.metadata.uid;
  np.metadata.resource_version = k.metadata.resource_version;
  np.metadata.creation_timestamp = k.metadata.creation_timestamp;
  np.spec.tier = std::string(api::kDefaultTierName);
  np.spec.order = kK8sPolicyOrder;
  np.spec.selector = api::k8s_selector_to_calico(&k.spec.pod_selector, api::K8sSelectorRole::Pod);
  if (auto s = parse_selector(ctx, "spec.podSelector", np.spec.selector); !s) {
    return fail(s.error());
  }

  for (std::size_t i = 0; i < k.spec.ingress.size(); ++i) {
    const auto& r = k.spec.ingress[i];
    auto rules = k8s_rule_to_calico(ctx, at("spec.ingress", i), r.from, r.ports, true);
    if (!rules) {
      if (dropped != nullptr) {
        dropped->push_back(rules.error());
      }
      continue;
    }
    np.spec.ingress.insert(np.spec.ingress.end(), rules->begin(), rules->end());
  }
  for (std::size_t i = 0; i < k.spec.egress.size(); ++i) {
    const auto& r = k.spec.egress[i];
    auto rules = k8s_rule_to_calico(ctx, at("spec.egress", i), r.to, r.ports, false);
    if (!rules) {
      if (dropped != nullptr) {
        dropped->push_back(rules.error());
      }
      continue;
    }
    np.spec.egress.insert(np.spec.egress.end(), rules->begin(), rules->end());
  }

  // Types from policyTypes; Calico falls back to [Ingress] (only reachable for a policy
  // with no policyTypes at all, which the defaulting above already filled in).
  bool ingress = false;
  bool egress = false;
  for (const auto& t : k.spec.policy_types) {
    ingress = ingress || t == api::kPolicyTypeIngress;
    egress = egress || t == api::kPolicyTypeEgress;
  }
  if (ingress || !egress) {
    np.spec.types.emplace_back(api::kPolicyTypeIngress);
  }
  if (egress) {
    np.spec.types.emplace_back(api::kPolicyTypeEgress);
  }
  return np;
}

Result<Policy, ConvertError> from_k8s_network_policy(const api::KubernetesNetworkPolicy& knp) {
  std::vector<ConvertError> dropped;
  auto np = k8s_network_policy_to_calico(knp, &dropped);
  if (!np) {
    return fail(np.error());
  }
  const Ctx ctx{quoted_name("KubernetesNetworkPolicy", knp.metadata.ns, knp.metadata.name)};
  auto pol = detail::network_policy(ctx, *np, PolicyKind::KubernetesNetworkPolicy);
  if (!pol) {
    return fail(pol.error());
  }
  pol->dropped_rules = std::move(dropped);
  return pol;
}
}  // namespace calico::policy
