// Rule validation, following Calico's validator (validator/v3) and the CEL rules on the
// Rule / EntityRule CRD types.
#include "api/validation/rules.h"

#include <set>

#include "common/net/ip.h"

namespace calico::api::detail {
namespace {

constexpr std::size_t kMaxRules = 1024;
constexpr std::size_t kMaxNets = 256;
constexpr std::size_t kMaxPorts = 50;

std::string at(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

bool is_icmp(const Protocol& p) {
  const auto n = p.number();
  return n && (*n == 1 || *n == 58);
}

void check_protocol(Checker& c, const std::string& path, const std::optional<Protocol>& p,
                    const std::optional<int>& ip_version) {
  if (!p) {
    return;
  }
  std::string why;
  if (!p->valid(why)) {
    c.add(path, why);
    return;
  }
  const auto n = p->number();
  if (ip_version && n == 1 && *ip_version != 4) {
    c.add(path, "protocol ICMP requires ipVersion 4");
  }
  if (ip_version && n == 58 && *ip_version != 6) {
    c.add(path, "protocol ICMPv6 requires ipVersion 6");
  }
}

void check_icmp(Checker& c, const std::string& path, const std::optional<ICMPFields>& icmp,
                const std::optional<Protocol>& protocol) {
  if (!icmp) {
    return;
  }
  if (icmp->type) {
    c.in_range(path + ".type", *icmp->type, 0, 254);
  }
  if (icmp->code) {
    c.in_range(path + ".code", *icmp->code, 0, 255);
    if (!icmp->type) {
      c.add(path + ".code", "ICMP code specified without an ICMP type");
    }
  }
  if (!protocol || !is_icmp(*protocol)) {
    c.add(path, "ICMP fields require protocol ICMP or ICMPv6");
  }
}

// Ports of one list: each well-formed; numeric ports need a port-capable protocol, and a
// protocol without ports allows no ports at all.
void check_ports(Checker& c, const std::string& path, const std::vector<Port>& ports,
                 const std::optional<Protocol>& protocol) {
  if (ports.size() > kMaxPorts) {
    c.add(path, "at most " + std::to_string(kMaxPorts) + " ports are allowed");
  }
  bool numeric = false;
  for (std::size_t i = 0; i < ports.size(); ++i) {
    c.port(at(path, i), ports[i]);
    numeric = numeric || !ports[i].is_named();
  }
  if (ports.empty()) {
    return;
  }
  if (!protocol) {
    if (numeric) {
      c.add(path, "numeric ports require protocol TCP, UDP or SCTP");
    }
  } else if (!protocol->supports_ports()) {
    c.add(path, "protocol " + protocol->to_string() + " does not support ports");
  }
}

struct FamilyScan {
  bool v4 = false;
  bool v6 = false;
};

// CIDR lists of a rule: valid, one IP family across the whole rule, agreeing with
// ipVersion; a catch-all CIDR in notNets matches nothing and is rejected.
void check_nets(Checker& c, const std::string& path, const std::vector<std::string>& nets,
                bool negated, const std::optional<int>& ip_version, FamilyScan& seen) {
  if (nets.size() > kMaxNets) {
    c.add(path, "at most " + std::to_string(kMaxNets) + " CIDRs are allowed");
  }
  FamilyScan here;
  for (std::size_t i = 0; i < nets.size(); ++i) {
    const auto cidr = net::Cidr::parse(nets[i]);
    if (!cidr) {
      c.add(at(path, i), "\"" + nets[i] + "\" is not a valid CIDR");
      continue;
    }
    (cidr->family() == net::Family::V4 ? here.v4 : here.v6) = true;
    if (negated && cidr->prefix_len() == 0) {
      c.add(at(path, i),
            "\"" + nets[i] + "\" in notNets matches every address, so the rule matches nothing");
    }
  }
  if (ip_version && ((here.v4 && *ip_version != 4) || (here.v6 && *ip_version != 6))) {
    c.add(path,
          "CIDR IP version does not match the rule's ipVersion " + std::to_string(*ip_version));
  } else if ((here.v4 && here.v6) || (here.v4 && seen.v6) || (here.v6 && seen.v4)) {
    c.add(path, "rule contains both IPv4 and IPv6 CIDRs");
  }
  seen.v4 = seen.v4 || here.v4;
  seen.v6 = seen.v6 || here.v6;
}

void check_entity(Checker& c, const std::string& path, const EntityRule& e,
                  const std::optional<Protocol>& protocol) {
  if (!e.selector.empty()) {
    c.selector(path + ".selector", e.selector);
  }
  if (!e.not_selector.empty()) {
    c.selector(path + ".notSelector", e.not_selector);
  }
  if (!e.namespace_selector.empty()) {
    c.namespace_selector(path + ".namespaceSelector", e.namespace_selector);
  }
  check_ports(c, path + ".ports", e.ports, protocol);
  check_ports(c, path + ".notPorts", e.not_ports, protocol);
  if (e.service_accounts) {
    const auto& sa = *e.service_accounts;
    if (!sa.selector.empty()) {
      c.selector(path + ".serviceAccounts.selector", sa.selector);
    }
    for (std::size_t i = 0; i < sa.names.size(); ++i) {
      c.required(at(path + ".serviceAccounts.names", i), sa.names[i]);
    }
  }
  if (e.services) {
    const std::string sp = path + ".services";
    if (c.required(sp + ".name", e.services->name)) {
      c.dns1123_subdomain(sp + ".name", e.services->name);
    }
    if (!e.services->ns.empty()) {
      c.dns1123_label(sp + ".namespace", e.services->ns);
    }
    if (!e.selector.empty() || !e.not_selector.empty()) {
      c.add(sp, "cannot specify selector/notSelector and services on the same rule");
    }
    if (!e.namespace_selector.empty()) {
      c.add(sp, "cannot specify namespaceSelector and services on the same rule");
    }
    if (!e.nets.empty() || !e.not_nets.empty()) {
      c.add(sp, "cannot specify nets/notNets and services on the same rule");
    }
    if (e.service_accounts) {
      c.add(sp, "cannot specify serviceAccounts and services on the same rule");
    }
  }
}

void check_http(Checker& c, const std::string& path, const Rule& r, RuleDirection direction) {
  if (!r.http) {
    return;
  }
  if (direction == RuleDirection::Egress) {
    c.add(path, "HTTP match is not allowed in egress rules");
  }
  if (r.action != "Allow") {
    c.add(path, "HTTP match is only valid on Allow rules");
  }
  if (r.protocol && r.protocol->number() != 6) {
    c.add(path, "rules with HTTP match must have protocol TCP or unset");
  }
  std::set<std::string> methods;
  for (std::size_t i = 0; i < r.http->methods.size(); ++i) {
    if (!methods.insert(r.http->methods[i]).second) {
      c.add(at(path + ".methods", i), "duplicate method \"" + r.http->methods[i] + "\"");
    }
  }
  for (std::size_t i = 0; i < r.http->paths.size(); ++i) {
    const auto& p = r.http->paths[i];
    const std::string pp = at(path + ".paths", i);
    if (!p.exact.empty() && !p.prefix.empty()) {
      c.add(pp, "only one of exact and prefix may be set");
      continue;
    }
    const std::string& v = p.exact.empty() ? p.prefix : p.exact;
    if (v.empty()) {
      c.add(pp, "one of exact and prefix must be set");
    } else if (v.front() != '/' || v.find_first_of("? #") != std::string::npos) {
      c.add(pp, "\"" + v +
                    "\" is not a valid path (must start with '/' and not contain '?', "
                    "'#' or spaces)");
    }
  }
}

void validate_rule(Checker& c, const std::string& path, const Rule& r, RuleDirection direction,
                   RuleOwner owner) {
  if (c.required(path + ".action", r.action)) {
    c.one_of(path + ".action", r.action, {"Allow", "Deny", "Log", "Pass"});
  }
  if (r.ip_version && *r.ip_version != 4 && *r.ip_version != 6) {
    c.add(path + ".ipVersion", std::to_string(*r.ip_version) + " is not one of 4, 6");
  }
  check_protocol(c, path + ".protocol", r.protocol, r.ip_version);
  check_protocol(c, path + ".notProtocol", r.not_protocol, r.ip_version);
  check_icmp(c, path + ".icmp", r.icmp, r.protocol);
  check_icmp(c, path + ".notICMP", r.not_icmp, r.protocol);

  FamilyScan seen;
  check_nets(c, path + ".source.nets", r.source.nets, false, r.ip_version, seen);
  check_nets(c, path + ".source.notNets", r.source.not_nets, true, r.ip_version, seen);
  check_nets(c, path + ".destination.nets", r.destination.nets, false, r.ip_version, seen);
  check_nets(c, path + ".destination.notNets", r.destination.not_nets, true, r.ip_version, seen);
  check_entity(c, path + ".source", r.source, r.protocol);
  check_entity(c, path + ".destination", r.destination, r.protocol);

  // Services: an ingress rule's source or an egress rule's destination only.
  if (direction == RuleDirection::Egress && r.source.services) {
    c.add(path + ".source.services", "not allowed in an egress rule's source");
  }
  if (direction == RuleDirection::Ingress && r.destination.services) {
    c.add(path + ".destination.services", "not allowed in an ingress rule's destination");
  }
  if (r.destination.services &&
      (!r.destination.ports.empty() || !r.destination.not_ports.empty())) {
    c.add(path + ".destination.ports", "ports and notPorts cannot be specified with services");
  }
  // A global policy's service reference must say which namespace it means.
  if (owner == RuleOwner::GlobalNetworkPolicy) {
    const auto& svc =
        direction == RuleDirection::Ingress ? r.source.services : r.destination.services;
    const char* side = direction == RuleDirection::Ingress ? ".source" : ".destination";
    if (svc && svc->ns.empty()) {
      c.add(path + side + ".services.namespace", "is required in a GlobalNetworkPolicy");
    }
  }
  check_http(c, path + ".http", r, direction);
  if (r.metadata) {
    c.annotations(path + ".metadata.annotations", r.metadata->annotations);
  }
}

}  // namespace

void validate_rules(Checker& c, const std::string& path, const std::vector<Rule>& rules,
                    RuleDirection direction, RuleOwner owner) {
  if (rules.size() > kMaxRules) {
    c.add(path, "at most " + std::to_string(kMaxRules) + " rules are allowed");
  }
  for (std::size_t i = 0; i < rules.size(); ++i) {
    validate_rule(c, at(path, i), rules[i], direction, owner);
  }
}

void validate_policy_types(Checker& c, const std::string& path,
                           const std::vector<std::string>& types) {
  if (types.size() > 2) {
    c.add(path, "at most 2 types are allowed");
  }
  std::set<std::string> seen;
  for (std::size_t i = 0; i < types.size(); ++i) {
    if (c.one_of(at(path, i), types[i], {"Ingress", "Egress"}, false) &&
        !seen.insert(types[i]).second) {
      c.add(at(path, i), "'" + types[i] + "' type specified more than once");
    }
  }
}

std::vector<std::string> default_policy_types(const std::vector<Rule>& ingress,
                                              const std::vector<Rule>& egress) {
  // libcalico-go: no egress rules (including an empty policy) -> [Ingress]; only egress
  // rules -> [Egress]; both -> [Ingress, Egress].
  if (egress.empty()) {
    return {std::string(kPolicyTypeIngress)};
  }
  if (ingress.empty()) {
    return {std::string(kPolicyTypeEgress)};
  }
  return {std::string(kPolicyTypeIngress), std::string(kPolicyTypeEgress)};
}

}  // namespace calico::api::detail
