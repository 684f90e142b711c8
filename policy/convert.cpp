// Converters from the projectcalico.org/v3 resources into the normalised model
// (libcalico-go's update processors; research doc section 1.5).  The Kubernetes
// NetworkPolicy converter is in convert_k8s.cpp.
#include "policy/convert.h"

#include "policy/convert_internal.h"

namespace calico::policy {
namespace detail {

Failure<ConvertError> error_at(const Ctx& ctx, std::string field, std::string message) {
  return fail(ConvertError{ctx.resource, std::move(field), std::move(message)});
}

std::string quoted_name(std::string_view kind, std::string_view ns, std::string_view name) {
  std::string out(kind);
  out += " \"";
  if (!ns.empty()) {
    out += std::string(ns) + "/";
  }
  return out + std::string(name) + "\"";
}

std::string at(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

Result<api::Selector, ConvertError> parse_selector(const Ctx& ctx, const std::string& field,
                                                   std::string_view text) {
  auto sel = api::Selector::parse(text);
  if (!sel) {
    return error_at(ctx, field, sel.error().to_string());
  }
  return std::move(*sel);
}

}  // namespace detail

namespace {

using api::SelectorNode;
using api::SelectorOp;
using detail::at;
using detail::Ctx;
using detail::error_at;
using detail::parse_selector;
using detail::quoted_name;

bool has_label(SelectorOp op) {
  switch (op) {
    case SelectorOp::Has:
    case SelectorOp::Equal:
    case SelectorOp::NotEqual:
    case SelectorOp::In:
    case SelectorOp::NotIn:
    case SelectorOp::Contains:
    case SelectorOp::StartsWith:
    case SelectorOp::EndsWith:
      return true;
    default:
      return false;
  }
}

// Calico parseSelectorAttachPrefix: every label name in the tree gets `prefix`.
void attach_prefix(SelectorNode& n, std::string_view prefix) {
  if (has_label(n.op)) {
    n.label = std::string(prefix) + n.label;
  }
  for (auto& child : n.operands) {
    attach_prefix(child, prefix);
  }
}

// Replaces every node with operator `op` (all() or global()) by `with`.
void replace_op(SelectorNode& n, SelectorOp op, const SelectorNode& with) {
  if (n.op == op) {
    n = with;
    return;
  }
  for (auto& child : n.operands) {
    replace_op(child, op, with);
  }
}

SelectorNode has_node(std::string_view label) {
  SelectorNode n;
  n.op = SelectorOp::Has;
  n.label = std::string(label);
  return n;
}

SelectorNode not_node(SelectorNode inner) {
  SelectorNode n;
  n.op = SelectorOp::Not;
  n.operands.push_back(std::move(inner));
  return n;
}

// Parses `text` (reporting errors at `field`), prefixes its labels, returns canonical text.
Result<std::string, ConvertError> prefixed_text(const Ctx& ctx, const std::string& field,
                                                std::string_view text, std::string_view prefix) {
  auto sel = parse_selector(ctx, field, text);
  if (!sel) {
    return fail(sel.error());
  }
  SelectorNode root = sel->root();
  attach_prefix(root, prefix);
  return api::to_string(root);
}

std::string and_text(const std::string& a, const std::string& b) {
  return "(" + a + ") && (" + b + ")";
}

std::string ns_equals(std::string_view ns) {
  return std::string(kLabelNamespace) + " == '" + std::string(ns) + "'";
}

// Section 1.5, rule level (libcalico-go getEndpointSelector).  Returns "" for "no
// selector constraint".
Result<std::string, ConvertError> entity_selector_text(const Ctx& ctx, const std::string& path,
                                                       const api::EntityRule& er,
                                                       const std::string& policy_ns) {
  std::string ns_sel;
  if (!er.namespace_selector.empty()) {
    auto sel = parse_selector(ctx, path + ".namespaceSelector", er.namespace_selector);
    if (!sel) {
      return fail(sel.error());
    }
    SelectorNode root = sel->root();
    attach_prefix(root, kNamespaceLabelPrefix);
    // all() = "any namespaced endpoint"; global() = "only non-namespaced things" (host
    // endpoints, GlobalNetworkSets).
    replace_op(root, SelectorOp::All, has_node(kLabelNamespace));
    replace_op(root, SelectorOp::Global, not_node(has_node(kLabelNamespace)));
    ns_sel = api::to_string(root);
  } else if (!policy_ns.empty()) {
    ns_sel = ns_equals(policy_ns);
  }

  std::string sa_sel;
  if (er.service_accounts) {
    const auto& sa = *er.service_accounts;
    if (!sa.selector.empty()) {
      auto p = prefixed_text(ctx, path + ".serviceAccounts.selector", sa.selector,
                             kServiceAccountLabelPrefix);
      if (!p) {
        return fail(p.error());
      }
      sa_sel = *p;
    }
    if (!sa.names.empty()) {
      std::string names = std::string(kLabelServiceAccount) + " in {";
      for (std::size_t i = 0; i < sa.names.size(); ++i) {
        names += (i == 0 ? " '" : ", '") + sa.names[i] + "'";
      }
      names += " }";
      auto parsed = parse_selector(ctx, path + ".serviceAccounts.names", names);
      if (!parsed) {
        return fail(parsed.error());
      }
      sa_sel = sa_sel.empty() ? parsed->to_string() : and_text(sa_sel, parsed->to_string());
    }
  }

  std::string sel;
  if (!er.selector.empty()) {
    auto parsed = parse_selector(ctx, path + ".selector", er.selector);
    if (!parsed) {
      return fail(parsed.error());
    }
    sel = sa_sel.empty() ? er.selector : and_text(sa_sel, er.selector);
  } else {
    sel = sa_sel;
  }

  // The namespace part applies only when a selector-like field is used: a namespaced rule
  // with only nets/ports matches traffic from anywhere.
  if (!ns_sel.empty() &&
      (!sel.empty() || !er.not_selector.empty() || !er.namespace_selector.empty())) {
    sel = sel.empty() ? ns_sel : and_text(ns_sel, sel);
  }
  return sel;
}

Result<std::vector<net::Cidr>, ConvertError> convert_nets(const Ctx& ctx, const std::string& path,
                                                          const std::vector<std::string>& in) {
  std::vector<net::Cidr> out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const auto c = net::Cidr::parse_addr_or_cidr(in[i]);
    if (!c) {
      return error_at(ctx, at(path, i), "\"" + in[i] + "\" is not a valid IP or CIDR");
    }
    out.push_back(c->masked());  // libcalico-go NormalizeIPNets
  }
  return out;
}

Result<PortMatch, ConvertError> convert_ports(const Ctx& ctx, const std::string& path,
                                              const std::vector<api::Port>& in) {
  PortMatch out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const auto& p = in[i];
    std::string why;
    if (!p.valid(why)) {
      return error_at(ctx, at(path, i), why);
    }
    if (p.is_named()) {
      out.names.push_back(p.name());
    } else {
      out.ranges.push_back(PortRange{p.min(), p.max()});
    }
  }
  return out;
}

Result<EntityMatch, ConvertError> convert_entity(const Ctx& ctx, const std::string& path,
                                                 const api::EntityRule& er,
                                                 const std::string& policy_ns) {
  if (er.services) {
    return error_at(ctx, path + ".services", "Service matches are not supported by this dataplane");
  }
  EntityMatch out;
  auto nets = convert_nets(ctx, path + ".nets", er.nets);
  if (!nets) {
    return fail(nets.error());
  }
  out.nets = std::move(*nets);
  auto not_nets = convert_nets(ctx, path + ".notNets", er.not_nets);
  if (!not_nets) {
    return fail(not_nets.error());
  }
  out.not_nets = std::move(*not_nets);

  auto sel_text = entity_selector_text(ctx, path, er, policy_ns);
  if (!sel_text) {
    return fail(sel_text.error());
  }
  if (!sel_text->empty()) {
    auto sel = parse_selector(ctx, path + ".selector", *sel_text);
    if (!sel) {
      return fail(sel.error());
    }
    out.selector = std::move(*sel);
  }
  if (!er.not_selector.empty()) {
    auto sel = parse_selector(ctx, path + ".notSelector", er.not_selector);
    if (!sel) {
      return fail(sel.error());
    }
    out.not_selector = std::move(*sel);
  }
  auto ports = convert_ports(ctx, path + ".ports", er.ports);
  if (!ports) {
    return fail(ports.error());
  }
  out.ports = std::move(*ports);
  auto not_ports = convert_ports(ctx, path + ".notPorts", er.not_ports);
  if (!not_ports) {
    return fail(not_ports.error());
  }
  out.not_ports = std::move(*not_ports);
  return out;
}

Result<std::uint8_t, ConvertError> convert_protocol(const Ctx& ctx, const std::string& path,
                                                    const api::Protocol& p) {
  std::string why;
  const auto n = p.number();
  if (!p.valid(why) || !n) {
    return error_at(ctx, path, why.empty() ? "invalid protocol" : why);
  }
  return *n;
}

Result<IcmpMatch, ConvertError> convert_icmp(const Ctx& ctx, const std::string& path,
                                             const api::ICMPFields& f) {
  if (!f.type) {
    return error_at(ctx, path + ".type", "is required when an ICMP match is given");
  }
  if (*f.type < 0 || *f.type > 254) {
    return error_at(ctx, path + ".type", "must be 0-254");
  }
  IcmpMatch out;
  out.type = static_cast<std::uint8_t>(*f.type);
  if (f.code) {
    if (*f.code < 0 || *f.code > 255) {
      return error_at(ctx, path + ".code", "must be 0-255");
    }
    out.code = static_cast<std::uint8_t>(*f.code);
  }
  return out;
}

Result<Rule, ConvertError> convert_rule(const Ctx& ctx, const std::string& path, const api::Rule& r,
                                        const std::string& policy_ns) {
  Rule out;
  if (r.action == "Allow") {
    out.action = Action::Allow;
  } else if (r.action == "Deny") {
    out.action = Action::Deny;
  } else if (r.action == "Pass") {
    out.action = Action::Pass;
  } else if (r.action == "Log") {
    out.action = Action::Log;
  } else {
    return error_at(ctx, path + ".action",
                    "\"" + r.action + "\" is not one of Allow, Deny, Pass, Log");
  }
  if (r.ip_version) {
    if (*r.ip_version != 4 && *r.ip_version != 6) {
      return error_at(ctx, path + ".ipVersion", "must be 4 or 6");
    }
    out.ip_version = *r.ip_version == 4 ? net::Family::V4 : net::Family::V6;
  }
  if (r.protocol) {
    auto p = convert_protocol(ctx, path + ".protocol", *r.protocol);
    if (!p) {
      return fail(p.error());
    }
    out.protocol = *p;
  }
  if (r.not_protocol) {
    auto p = convert_protocol(ctx, path + ".notProtocol", *r.not_protocol);
    if (!p) {
      return fail(p.error());
    }
    out.not_protocol = *p;
  }
  if (r.icmp) {
    auto m = convert_icmp(ctx, path + ".icmp", *r.icmp);
    if (!m) {
      return fail(m.error());
    }
    out.icmp = *m;
  }
  if (r.not_icmp) {
    auto m = convert_icmp(ctx, path + ".notICMP", *r.not_icmp);
    if (!m) {
      return fail(m.error());
    }
    out.not_icmp = *m;
  }
  if (r.http) {
    return error_at(ctx, path + ".http", "HTTP matches are not supported by this dataplane");
  }
  auto src = convert_entity(ctx, path + ".source", r.source, policy_ns);
  if (!src) {
    return fail(src.error());
  }
  out.source = std::move(*src);
  auto dst = convert_entity(ctx, path + ".destination", r.destination, policy_ns);
  if (!dst) {
    return fail(dst.error());
  }
  out.destination = std::move(*dst);
  return out;
}

Result<std::vector<Rule>, ConvertError> convert_rules(const Ctx& ctx, const std::string& path,
                                                      const std::vector<api::Rule>& in,
                                                      const std::string& policy_ns) {
  std::vector<Rule> out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    auto r = convert_rule(ctx, at(path, i), in[i], policy_ns);
    if (!r) {
      return fail(r.error());
    }
    out.push_back(std::move(*r));
  }
  return out;
}

// Calico's client defaulting of absent `types` (section 3.2); given types are checked.
Result<PolicyTypes, ConvertError> convert_types(const Ctx& ctx,
                                                const std::vector<std::string>& types,
                                                bool has_ingress, bool has_egress) {
  PolicyTypes out;
  if (types.empty()) {
    out.ingress = has_ingress || !has_egress;
    out.egress = has_egress;
    return out;
  }
  for (std::size_t i = 0; i < types.size(); ++i) {
    if (types[i] == api::kPolicyTypeIngress) {
      out.ingress = true;
    } else if (types[i] == api::kPolicyTypeEgress) {
      out.egress = true;
    } else {
      return error_at(ctx, at("spec.types", i),
                      "\"" + types[i] + "\" is not one of Ingress, Egress");
    }
  }
  return out;
}

// Shared by NetworkPolicy and GlobalNetworkPolicy once the policy-level selector is known.
template <class Spec>
Result<Policy, ConvertError> finish_policy(const Ctx& ctx, Policy pol, const Spec& spec,
                                           const std::string& selector_text) {
  auto sel = parse_selector(ctx, "spec.selector", selector_text);
  if (!sel) {
    return fail(sel.error());
  }
  pol.selector = std::move(*sel);
  pol.tier = spec.tier.empty() ? std::string(api::kDefaultTierName) : spec.tier;
  pol.order = spec.order;
  auto types = convert_types(ctx, spec.types, !spec.ingress.empty(), !spec.egress.empty());
  if (!types) {
    return fail(types.error());
  }
  pol.types = *types;
  auto ingress = convert_rules(ctx, "spec.ingress", spec.ingress, pol.ns);
  if (!ingress) {
    return fail(ingress.error());
  }
  pol.ingress = std::move(*ingress);
  auto egress = convert_rules(ctx, "spec.egress", spec.egress, pol.ns);
  if (!egress) {
    return fail(egress.error());
  }
  pol.egress = std::move(*egress);
  return pol;
}

// Rewrites every all() in `text` to `with` (libcalico-go's strings.Replace on the GNP's
// combined selector).
Result<std::string, ConvertError> replace_all_text(const Ctx& ctx, const std::string& field,
                                                   const std::string& text,
                                                   std::string_view with_label) {
  auto sel = parse_selector(ctx, field, text);
  if (!sel) {
    return fail(sel.error());
  }
  SelectorNode root = sel->root();
  replace_op(root, SelectorOp::All, has_node(with_label));
  return api::to_string(root);
}

}  // namespace

Result<Policy, ConvertError> detail::network_policy(const Ctx& ctx, const api::NetworkPolicy& np,
                                                    PolicyKind kind) {
  const auto& s = np.spec;
  if (np.metadata.name.empty()) {
    return error_at(ctx, "metadata.name", "is required");
  }
  if (np.metadata.ns.empty()) {
    return error_at(ctx, "metadata.namespace", "is required for a namespaced policy");
  }
  // Section 1.5, policy level: (<selector>) && projectcalico.org/namespace == '<ns>'.
  std::string sel = ns_equals(np.metadata.ns);
  if (!s.selector.empty()) {
    auto parsed = parse_selector(ctx, "spec.selector", s.selector);
    if (!parsed) {
      return fail(parsed.error());
    }
    sel = "(" + s.selector + ") && " + sel;
  }
  if (!s.service_account_selector.empty()) {
    auto sa = prefixed_text(ctx, "spec.serviceAccountSelector", s.service_account_selector,
                            kServiceAccountLabelPrefix);
    if (!sa) {
      return fail(sa.error());
    }
    sel = and_text(sel, *sa);
  }
  Policy pol;
  pol.kind = kind;
  pol.ns = np.metadata.ns;
  pol.name = np.metadata.name;
  return finish_policy(ctx, std::move(pol), s, sel);
}

Result<Policy, ConvertError> from_network_policy(const api::NetworkPolicy& np) {
  const Ctx ctx{quoted_name("NetworkPolicy", np.metadata.ns, np.metadata.name)};
  return detail::network_policy(ctx, np, PolicyKind::NetworkPolicy);
}

Result<Policy, ConvertError> from_global_network_policy(const api::GlobalNetworkPolicy& gnp) {
  const Ctx ctx{quoted_name("GlobalNetworkPolicy", "", gnp.metadata.name)};
  const auto& s = gnp.spec;
  if (gnp.metadata.name.empty()) {
    return error_at(ctx, "metadata.name", "is required");
  }
  std::string sel = s.selector;
  if (!sel.empty()) {
    if (auto parsed = parse_selector(ctx, "spec.selector", sel); !parsed) {
      return fail(parsed.error());
    }
  }
  // Section 1.5, GNP: append the prefixed namespace / service-account selectors, then
  // every all() means "any namespaced endpoint" / "any endpoint with a service account".
  if (!s.namespace_selector.empty()) {
    auto ns =
        prefixed_text(ctx, "spec.namespaceSelector", s.namespace_selector, kNamespaceLabelPrefix);
    if (!ns) {
      return fail(ns.error());
    }
    sel = sel.empty() ? *ns : and_text(sel, *ns);
    auto replaced = replace_all_text(ctx, "spec.namespaceSelector", sel, kLabelNamespace);
    if (!replaced) {
      return fail(replaced.error());
    }
    sel = *replaced;
  }
  if (!s.service_account_selector.empty()) {
    auto sa = prefixed_text(ctx, "spec.serviceAccountSelector", s.service_account_selector,
                            kServiceAccountLabelPrefix);
    if (!sa) {
      return fail(sa.error());
    }
    sel = sel.empty() ? *sa : and_text(sel, *sa);
    auto replaced = replace_all_text(ctx, "spec.serviceAccountSelector", sel, kLabelServiceAccount);
    if (!replaced) {
      return fail(replaced.error());
    }
    sel = *replaced;
  }
  Policy pol;
  pol.kind = PolicyKind::GlobalNetworkPolicy;
  pol.name = gnp.metadata.name;
  return finish_policy(ctx, std::move(pol), s, sel);
}

Result<Profile, ConvertError> from_profile(const api::Profile& profile) {
  const Ctx ctx{quoted_name("Profile", "", profile.metadata.name)};
  if (profile.metadata.name.empty()) {
    return error_at(ctx, "metadata.name", "is required");
  }
  Profile out;
  out.name = profile.metadata.name;
  out.labels_to_apply = profile.spec.labels_to_apply;
  // Profiles are cluster scoped: their rule selectors are not namespaced.
  auto ingress = convert_rules(ctx, "spec.ingress", profile.spec.ingress, "");
  if (!ingress) {
    return fail(ingress.error());
  }
  out.ingress = std::move(*ingress);
  auto egress = convert_rules(ctx, "spec.egress", profile.spec.egress, "");
  if (!egress) {
    return fail(egress.error());
  }
  out.egress = std::move(*egress);
  return out;
}

Result<Tier, ConvertError> from_tier(const api::Tier& tier) {
  const Ctx ctx{quoted_name("Tier", "", tier.metadata.name)};
  if (tier.metadata.name.empty()) {
    return error_at(ctx, "metadata.name", "is required");
  }
  Tier out;
  out.name = tier.metadata.name;
  out.order = tier.spec.order;
  if (tier.spec.default_action.empty() || tier.spec.default_action == "Deny") {
    out.default_action = Action::Deny;
  } else if (tier.spec.default_action == "Pass") {
    out.default_action = Action::Pass;
  } else {
    return error_at(ctx, "spec.defaultAction",
                    "\"" + tier.spec.default_action + "\" is not one of Deny, Pass");
  }
  return out;
}

Result<Endpoint, ConvertError> from_workload_endpoint(const api::WorkloadEndpoint& wep) {
  const Ctx ctx{quoted_name("WorkloadEndpoint", wep.metadata.ns, wep.metadata.name)};
  const auto& s = wep.spec;
  Endpoint out;
  out.ns = wep.metadata.ns;
  out.name = wep.metadata.name;
  out.labels = wep.metadata.labels;
  out.service_account = s.service_account_name;
  out.orchestrator = s.orchestrator;
  out.profiles = s.profiles;
  for (std::size_t i = 0; i < s.ip_networks.size(); ++i) {
    const auto c = net::Cidr::parse_addr_or_cidr(s.ip_networks[i]);
    if (!c) {
      return error_at(ctx, at("spec.ipNetworks", i),
                      "\"" + s.ip_networks[i] + "\" is not a valid IP or CIDR");
    }
    out.addrs.push_back(c->addr());
  }
  for (std::size_t i = 0; i < s.ports.size(); ++i) {
    const auto& p = s.ports[i];
    if (p.name.empty()) {
      continue;
    }
    std::uint8_t proto = kProtoTcp;
    if (!p.protocol.is_empty()) {
      auto n = convert_protocol(ctx, at("spec.ports", i) + ".protocol", p.protocol);
      if (!n) {
        return fail(n.error());
      }
      proto = *n;
    }
    out.ports.push_back(NamedPort{p.name, proto, p.port});
  }
  return out;
}

namespace {

template <class Set>
Result<NetworkSetEntry, ConvertError> network_set_impl(const Ctx& ctx, const Set& set) {
  if (set.metadata.name.empty()) {
    return error_at(ctx, "metadata.name", "is required");
  }
  NetworkSetEntry out;
  out.ns = set.metadata.ns;
  out.name = set.metadata.name;
  out.labels = set.metadata.labels;
  auto nets = convert_nets(ctx, "spec.nets", set.spec.nets);
  if (!nets) {
    return fail(nets.error());
  }
  out.nets = std::move(*nets);
  if (!out.ns.empty()) {
    out.profiles.push_back(namespace_profile_name(out.ns));
  }
  return out;
}

}  // namespace

Result<NetworkSetEntry, ConvertError> from_network_set(const api::NetworkSet& set) {
  const Ctx ctx{quoted_name("NetworkSet", set.metadata.ns, set.metadata.name)};
  if (set.metadata.ns.empty()) {
    return error_at(ctx, "metadata.namespace", "is required");
  }
  return network_set_impl(ctx, set);
}

Result<NetworkSetEntry, ConvertError> from_global_network_set(const api::GlobalNetworkSet& set) {
  const Ctx ctx{quoted_name("GlobalNetworkSet", "", set.metadata.name)};
  api::GlobalNetworkSet copy = set;
  copy.metadata.ns.clear();
  return network_set_impl(ctx, copy);
}

std::string namespace_profile_name(std::string_view ns) {
  return std::string(kNamespaceProfilePrefix) + std::string(ns);
}

std::string service_account_profile_name(std::string_view ns, std::string_view sa) {
  return std::string(kServiceAccountProfilePrefix) + std::string(ns) + "." + std::string(sa);
}

Profile namespace_profile(std::string_view ns, const Labels& namespace_labels) {
  Profile p;
  p.name = namespace_profile_name(ns);
  for (const auto& [k, v] : namespace_labels) {
    p.labels_to_apply[std::string(kNamespaceLabelPrefix) + k] = v;
  }
  p.labels_to_apply[std::string(kNamespaceLabelPrefix) + std::string(kLabelName)] = std::string(ns);
  p.ingress.push_back(Rule{});  // Action::Allow, no match criteria
  p.egress.push_back(Rule{});
  return p;
}

Profile service_account_profile(std::string_view ns, std::string_view sa,
                                const Labels& service_account_labels) {
  Profile p;
  p.name = service_account_profile_name(ns, sa);
  for (const auto& [k, v] : service_account_labels) {
    p.labels_to_apply[std::string(kServiceAccountLabelPrefix) + k] = v;
  }
  p.labels_to_apply[std::string(kServiceAccountLabelPrefix) + std::string(kLabelName)] =
      std::string(sa);
  return p;
}

Result<void, ConvertError> add_resource(PolicySet& set, const api::AnyResource& r) {
  if (const auto* np = std::get_if<api::NetworkPolicy>(&r)) {
    auto p = from_network_policy(*np);
    if (!p) {
      return fail(p.error());
    }
    set.policies.push_back(std::move(*p));
  } else if (const auto* gnp = std::get_if<api::GlobalNetworkPolicy>(&r)) {
    auto p = from_global_network_policy(*gnp);
    if (!p) {
      return fail(p.error());
    }
    set.policies.push_back(std::move(*p));
  } else if (const auto* knp = std::get_if<api::KubernetesNetworkPolicy>(&r)) {
    auto p = from_k8s_network_policy(*knp);
    if (!p) {
      return fail(p.error());
    }
    set.policies.push_back(std::move(*p));
  } else if (const auto* prof = std::get_if<api::Profile>(&r)) {
    auto p = from_profile(*prof);
    if (!p) {
      return fail(p.error());
    }
    set.profiles.push_back(std::move(*p));
  } else if (const auto* tier = std::get_if<api::Tier>(&r)) {
    auto t = from_tier(*tier);
    if (!t) {
      return fail(t.error());
    }
    set.tiers.push_back(std::move(*t));
  } else if (const auto* wep = std::get_if<api::WorkloadEndpoint>(&r)) {
    auto e = from_workload_endpoint(*wep);
    if (!e) {
      return fail(e.error());
    }
    set.endpoints.push_back(std::move(*e));
  } else if (const auto* ns_set = std::get_if<api::NetworkSet>(&r)) {
    auto s = from_network_set(*ns_set);
    if (!s) {
      return fail(s.error());
    }
    set.network_sets.push_back(std::move(*s));
  } else if (const auto* gns = std::get_if<api::GlobalNetworkSet>(&r)) {
    auto s = from_global_network_set(*gns);
    if (!s) {
      return fail(s.error());
    }
    set.network_sets.push_back(std::move(*s));
  } else {
    const auto& meta = api::meta_of(r);
    return fail(ConvertError{quoted_name(api::info(api::kind_of(r)).name, meta.ns, meta.name), "",
                             "is not part of the policy model"});
  }
  return {};
}

}  // namespace calico::policy
