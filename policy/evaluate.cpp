// The reference evaluator (see policy/evaluate.h for the semantics it implements).
#include "policy/evaluate.h"

#include <algorithm>

namespace calico::policy {
namespace {

bool any_contains(const std::vector<net::Cidr>& nets, const net::IpAddr& addr) {
  return std::any_of(nets.begin(), nets.end(),
                     [&](const net::Cidr& c) { return c.contains(addr); });
}

bool has_addr(const Endpoint& ep, const net::IpAddr& addr) {
  return std::find(ep.addrs.begin(), ep.addrs.end(), addr) != ep.addrs.end();
}

bool is_icmp(const Packet& p) {
  return p.dst.is_v4() ? p.protocol == kProtoIcmp : p.protocol == kProtoIcmpV6;
}

bool icmp_matches(const IcmpMatch& m, const Packet& p) {
  return p.icmp_type == m.type && (!m.code || *m.code == p.icmp_code);
}

// A named port of some endpoint selected by `selector` (all endpoints if unset) whose
// (address, protocol, port) is the packet's.
bool named_port_matches(const PolicySet& set, const std::string& name,
                        const std::optional<api::Selector>& selector, const net::IpAddr& addr,
                        std::uint8_t protocol, std::uint16_t port) {
  for (const auto& ep : set.endpoints) {
    if (!has_addr(ep, addr)) {
      continue;
    }
    const bool has_port = std::any_of(ep.ports.begin(), ep.ports.end(), [&](const NamedPort& np) {
      return np.name == name && np.protocol == protocol && np.port == port;
    });
    if (has_port && (!selector || selector->evaluate(set.effective_labels(ep)))) {
      return true;
    }
  }
  return false;
}

bool port_in(const PolicySet& set, const PortMatch& m, const std::optional<api::Selector>& sel,
             const net::IpAddr& addr, std::uint8_t protocol, std::uint16_t port) {
  if (std::any_of(m.ranges.begin(), m.ranges.end(),
                  [&](const PortRange& r) { return r.contains(port); })) {
    return true;
  }
  return std::any_of(m.names.begin(), m.names.end(), [&](const std::string& name) {
    return named_port_matches(set, name, sel, addr, protocol, port);
  });
}

bool entity_matches(const PolicySet& set, const EntityMatch& e, const net::IpAddr& addr,
                    std::uint16_t port, std::uint8_t protocol) {
  if (!e.nets.empty() && !any_contains(e.nets, addr)) {
    return false;
  }
  if (any_contains(e.not_nets, addr)) {
    return false;
  }
  if (e.selector && !selector_matches_addr(set, *e.selector, addr)) {
    return false;
  }
  if (e.not_selector && selector_matches_addr(set, *e.not_selector, addr)) {
    return false;
  }
  if (!e.ports.empty() &&
      (!protocol_has_ports(protocol) || !port_in(set, e.ports, e.selector, addr, protocol, port))) {
    return false;
  }
  if (!e.not_ports.empty() && (!protocol_has_ports(protocol) ||
                               port_in(set, e.not_ports, e.selector, addr, protocol, port))) {
    return false;
  }
  return true;
}

enum class Outcome { Allow, Deny, Pass, NoMatch };

struct RulesResult {
  Outcome outcome = Outcome::NoMatch;
  std::size_t rule = 0;
};

// First matching non-Log rule; Log rules are recorded and skipped.
RulesResult run_rules(const PolicySet& set, const std::vector<Rule>& rules, const Packet& pkt,
                      Direction d, const std::string& tier, const std::string& owner,
                      std::vector<LogEntry>* logged) {
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const Rule& r = rules[i];
    if (!rule_matches(set, r, pkt)) {
      continue;
    }
    switch (r.action) {
      case Action::Log:
        if (logged != nullptr) {
          logged->push_back(LogEntry{d, tier, owner, i});
        }
        continue;
      case Action::Allow:
        return {Outcome::Allow, i};
      case Action::Deny:
        return {Outcome::Deny, i};
      case Action::Pass:
        return {Outcome::Pass, i};
    }
  }
  return {};
}

DirectionVerdict decided(bool allowed, Reason reason, std::string tier, std::string policy,
                         std::int64_t rule) {
  return DirectionVerdict{allowed, reason, std::move(tier), std::move(policy), rule};
}

}  // namespace

std::string_view to_string(Reason r) {
  switch (r) {
    case Reason::Rule:
      return "rule";
    case Reason::EndOfTier:
      return "end of tier";
    case Reason::Profile:
      return "profile";
    case Reason::NoProfileMatched:
      return "no profile matched";
    case Reason::Loopback:
      return "loopback";
    case Reason::FromHost:
      return "from host";
    case Reason::UnknownEndpoint:
      return "unknown endpoint";
  }
  return "?";
}

std::string DirectionVerdict::to_string() const {
  std::string out =
      std::string(allowed ? "allowed" : "denied") + " (" + std::string(policy::to_string(reason));
  if (!tier.empty()) {
    out += " tier=" + tier;
  }
  if (!policy.empty()) {
    out += " policy=" + policy;
  }
  if (rule >= 0) {
    out += " rule=" + std::to_string(rule);
  }
  return out + ")";
}

std::string Verdict::to_string() const {
  std::string out = allowed ? "allowed" : "denied";
  if (egress) {
    out += "; egress " + egress->to_string();
  }
  if (ingress) {
    out += "; ingress " + ingress->to_string();
  }
  return out;
}

bool selector_matches_addr(const PolicySet& set, const api::Selector& selector,
                           const net::IpAddr& addr) {
  for (const auto& ep : set.endpoints) {
    if (has_addr(ep, addr) && selector.evaluate(set.effective_labels(ep))) {
      return true;
    }
  }
  for (const auto& ns : set.network_sets) {
    if (any_contains(ns.nets, addr) && selector.evaluate(set.effective_labels(ns))) {
      return true;
    }
  }
  return false;
}

bool policy_selects(const PolicySet& set, const Policy& policy, const Endpoint& ep) {
  return policy.selector.evaluate(set.effective_labels(ep));
}

bool rule_matches(const PolicySet& set, const Rule& r, const Packet& p) {
  if (r.ip_version && *r.ip_version != p.dst.family()) {
    return false;
  }
  if (r.protocol && *r.protocol != p.protocol) {
    return false;
  }
  if (r.not_protocol && *r.not_protocol == p.protocol) {
    return false;
  }
  // The ICMP header fields exist only in ICMP packets; a non-ICMP packet never matches an
  // icmp or notICMP condition (Calico requires the matching protocol for both).
  if (r.icmp && (!is_icmp(p) || !icmp_matches(*r.icmp, p))) {
    return false;
  }
  if (r.not_icmp && (!is_icmp(p) || icmp_matches(*r.not_icmp, p))) {
    return false;
  }
  return entity_matches(set, r.source, p.src, p.src_port, p.protocol) &&
         entity_matches(set, r.destination, p.dst, p.dst_port, p.protocol);
}

DirectionVerdict evaluate_endpoint(const PolicySet& set, const Endpoint& ep, Direction d,
                                   const Packet& pkt, std::vector<LogEntry>* logged) {
  for (const Tier& tier : ordered_tiers(set)) {
    std::vector<const Policy*> applicable;
    for (const Policy* p : ordered_policies(set, tier.name)) {
      if (p->governs(d) && policy_selects(set, *p, ep)) {
        applicable.push_back(p);
      }
    }
    if (applicable.empty()) {
      continue;  // a tier with no policy for this endpoint is not consulted at all
    }
    bool passed = false;
    for (const Policy* p : applicable) {
      const RulesResult r = run_rules(set, p->rules(d), pkt, d, tier.name, p->id(), logged);
      const auto index = static_cast<std::int64_t>(r.rule);
      if (r.outcome == Outcome::Allow) {
        return decided(true, Reason::Rule, tier.name, p->id(), index);
      }
      if (r.outcome == Outcome::Deny) {
        return decided(false, Reason::Rule, tier.name, p->id(), index);
      }
      if (r.outcome == Outcome::Pass) {
        passed = true;
        break;
      }
    }
    if (!passed && tier.default_action != Action::Pass) {
      return decided(false, Reason::EndOfTier, tier.name, "", -1);  // section 3.4
    }
  }
  for (const auto& name : ep.profiles) {
    const Profile* prof = set.find_profile(name);
    if (prof == nullptr) {
      continue;
    }
    const RulesResult r = run_rules(set, prof->rules(d), pkt, d, "", prof->name, logged);
    const auto index = static_cast<std::int64_t>(r.rule);
    if (r.outcome == Outcome::Allow) {
      return decided(true, Reason::Profile, "", prof->name, index);
    }
    if (r.outcome == Outcome::Deny) {
      return decided(false, Reason::Profile, "", prof->name, index);
    }
    // Pass or no match: the next profile.
  }
  return decided(false, Reason::NoProfileMatched, "", "", -1);
}

Verdict evaluate(const PolicySet& set, const Packet& pkt) {
  Verdict v;
  if (pkt.src_endpoint && pkt.dst_endpoint && *pkt.src_endpoint == *pkt.dst_endpoint) {
    v.allowed = true;
    v.egress = decided(true, Reason::Loopback, "", "", -1);
    v.ingress = v.egress;
    return v;
  }
  if (pkt.src_endpoint) {
    const Endpoint* ep = set.find_endpoint(*pkt.src_endpoint);
    v.egress = ep == nullptr ? decided(false, Reason::UnknownEndpoint, "", "", -1)
                             : evaluate_endpoint(set, *ep, Direction::Egress, pkt, &v.logged);
    if (!v.egress->allowed) {
      v.allowed = false;
      return v;  // dropped on the way out: ingress is never evaluated
    }
  }
  if (pkt.dst_endpoint) {
    const Endpoint* ep = set.find_endpoint(*pkt.dst_endpoint);
    if (ep == nullptr) {
      v.ingress = decided(false, Reason::UnknownEndpoint, "", "", -1);
    } else if (pkt.from_host) {
      v.ingress = decided(true, Reason::FromHost, "", "", -1);
    } else {
      v.ingress = evaluate_endpoint(set, *ep, Direction::Ingress, pkt, &v.logged);
    }
    v.allowed = v.ingress->allowed;
    return v;
  }
  v.allowed = true;
  return v;
}

}  // namespace calico::policy
