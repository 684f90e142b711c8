// Rendering of policy and profile rules into nft rules (policy/compile_internal.h).
//
// One model rule becomes, per IP family it can match, a conjunction of matches plus the
// action's statements.  Where the model needs an OR inside a rule (numeric ports or a
// named port; a notICMP type+code) the alternatives go to a sub-chain, each ending with the
// action, and the parent jumps there; exclusions (notICMP with a code) come first in the
// sub-chain as `return` rules.  Match order follows the evaluator (policy/evaluate.cpp):
// protocol, ICMP, then source and destination (nets, notNets, selector, notSelector,
// ports, notPorts).
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "policy/compile_internal.h"
#include "policy/nft_internal.h"

namespace calico::policy::compile_detail {

namespace {

using Conj = std::vector<NftExpr>;

constexpr std::size_t kMaxChainName = 200;  // leaves room for "-r<n>-4" sub-chain suffixes

std::uint8_t icmp_protocol(net::Family f) {
  return f == net::Family::V4 ? kProtoIcmp : kProtoIcmpV6;
}

// Chain names stay readable unless too long, then "<prefix>_<hash>".
std::string limited_name(std::string_view prefix, std::string_view id) {
  std::string name = std::string(prefix) + std::string(id);
  if (name.size() <= kMaxChainName) {
    return name;
  }
  return std::string(prefix) + "_" + nft_detail::hex16(nft_detail::fnv1a(id));
}

NftMatch literal(NftField field, std::vector<NftValue> values) {
  return values.size() == 1 ? NftMatch::eq(field, values.front()) : NftMatch::in(field, values);
}

std::vector<NftValue> cidrs_of(const std::vector<net::Cidr>& nets, net::Family f) {
  std::vector<NftValue> out;
  for (const auto& c : nets) {
    if (c.family() == f) {
      out.push_back(NftValue::cidr(c));
    }
  }
  return out;
}

std::vector<NftValue> port_values(const std::vector<PortRange>& ranges) {
  std::vector<NftValue> out;
  out.reserve(ranges.size());
  for (const auto& r : ranges) {
    out.push_back(r.min == r.max ? NftValue::port(r.min) : NftValue::port_range(r.min, r.max));
  }
  return out;
}

bool uses_named_ports(const EntityMatch& e) {
  return !e.ports.names.empty() || !e.not_ports.names.empty();
}

bool has_ports(const EntityMatch& e) {
  return !e.ports.empty() || !e.not_ports.empty();
}

// True if the rule has a constraint that only makes sense in one IP family.
bool family_specific(const Rule& r) {
  const auto side = [](const EntityMatch& e) {
    return !e.nets.empty() || !e.not_nets.empty() || e.selector || e.not_selector ||
           uses_named_ports(e);
  };
  return r.ip_version || r.icmp || r.not_icmp || side(r.source) || side(r.destination);
}

class RuleRenderer {
 public:
  RuleRenderer(const std::string& chain, const CompileOptions& options, RenderedChains& out)
      : chain_(chain), options_(options), out_(out) {}

  void render(const Rule& r, std::size_t index) {
    if (!family_specific(r)) {
      emit(r, index, std::nullopt);
      return;
    }
    for (const net::Family f : {net::Family::V4, net::Family::V6}) {
      if (!r.ip_version || *r.ip_version == f) {
        emit(r, index, f);
      }
    }
  }

 private:
  struct Shape {
    Conj common;
    std::vector<Conj> alternatives;  // OR of these (each ANDed with common); empty = none
    std::vector<Conj> exclusions;    // if any matches, the rule does not match
  };

  std::string use_set(const api::Selector& selector, const std::string& named_port, net::Family f) {
    SetRef ref{set_name(selector, named_port, f), selector, named_port, f};
    if (std::find(out_.sets.begin(), out_.sets.end(), ref) == out_.sets.end()) {
      out_.sets.push_back(ref);
    }
    return ref.name;
  }

  // Adds the matches of one side; returns false if the side can never match in family f.
  // `alts` receives the side's alternatives (numeric ports | named port sets).
  bool side(const EntityMatch& e, bool source, std::optional<net::Family> f, Conj& common,
            std::vector<Conj>& alts) {
    const NftField port_field = source ? NftField::ThSport : NftField::ThDport;
    if (f) {
      const bool v4 = *f == net::Family::V4;
      const NftField addr = source ? (v4 ? NftField::IpSaddr : NftField::Ip6Saddr)
                                   : (v4 ? NftField::IpDaddr : NftField::Ip6Daddr);
      if (!e.nets.empty()) {
        auto values = cidrs_of(e.nets, *f);
        if (values.empty()) {
          return false;
        }
        common.emplace_back(literal(addr, std::move(values)));
      }
      if (auto values = cidrs_of(e.not_nets, *f); !values.empty()) {
        common.emplace_back(literal(addr, std::move(values)).negated());
      }
      if (e.selector) {
        common.emplace_back(NftMatch::in_set({addr}, use_set(*e.selector, "", *f)));
      }
      if (e.not_selector) {
        common.emplace_back(NftMatch::in_set({addr}, use_set(*e.not_selector, "", *f)).negated());
      }
      const api::Selector named_sel = e.selector.value_or(api::Selector{});
      const std::vector<NftField> tuple{addr, NftField::L4proto, port_field};
      if (!e.ports.names.empty()) {
        if (!e.ports.ranges.empty()) {
          alts.push_back({literal(port_field, port_values(e.ports.ranges))});
        }
        for (const auto& name : e.ports.names) {
          alts.push_back({NftMatch::in_set(tuple, use_set(named_sel, name, *f))});
        }
      }
      for (const auto& name : e.not_ports.names) {
        common.emplace_back(NftMatch::in_set(tuple, use_set(named_sel, name, *f)).negated());
      }
    }
    if (e.ports.names.empty() && !e.ports.ranges.empty()) {
      common.emplace_back(literal(port_field, port_values(e.ports.ranges)));
    }
    if (!e.not_ports.ranges.empty()) {
      common.emplace_back(literal(port_field, port_values(e.not_ports.ranges)).negated());
    }
    return true;
  }

  std::optional<Shape> shape(const Rule& r, std::optional<net::Family> f) {
    Shape s;
    if (r.protocol) {
      if (f && (r.icmp || r.not_icmp) && *r.protocol != icmp_protocol(*f)) {
        return std::nullopt;  // an ICMP match under another family's protocol never matches
      }
      s.common.emplace_back(NftMatch::eq(NftField::L4proto, NftValue::proto(*r.protocol)));
    } else if (has_ports(r.source) || has_ports(r.destination)) {
      // Port matches need a protocol with ports (th sport/dport); the model's ports match
      // only such packets.
      s.common.emplace_back(NftMatch::in(
          NftField::L4proto, {NftValue::proto(kProtoTcp), NftValue::proto(kProtoUdp),
                              NftValue::proto(kProtoSctp), NftValue::proto(kProtoUdpLite)}));
    }
    if (r.not_protocol) {
      s.common.emplace_back(
          NftMatch::eq(NftField::L4proto, NftValue::proto(*r.not_protocol)).negated());
    }
    if (f) {
      const bool v4 = *f == net::Family::V4;
      const NftField type = v4 ? NftField::IcmpType : NftField::Icmpv6Type;
      const NftField code = v4 ? NftField::IcmpCode : NftField::Icmpv6Code;
      if (r.icmp) {
        s.common.emplace_back(NftMatch::eq(type, NftValue::proto(r.icmp->type)));
        if (r.icmp->code) {
          s.common.emplace_back(NftMatch::eq(code, NftValue::proto(*r.icmp->code)));
        }
      }
      if (r.not_icmp) {
        if (!r.not_icmp->code) {
          s.common.emplace_back(NftMatch::eq(type, NftValue::proto(r.not_icmp->type)).negated());
        } else {
          // ICMP, and not (type T and code C): the exclusion goes first in a sub-chain.
          if (!r.protocol) {
            s.common.emplace_back(
                NftMatch::eq(NftField::L4proto, NftValue::proto(icmp_protocol(*f))));
          }
          s.exclusions.push_back({NftMatch::eq(type, NftValue::proto(r.not_icmp->type)),
                                  NftMatch::eq(code, NftValue::proto(*r.not_icmp->code))});
        }
      }
    }
    std::vector<Conj> src_alts;
    std::vector<Conj> dst_alts;
    if (!side(r.source, true, f, s.common, src_alts) ||
        !side(r.destination, false, f, s.common, dst_alts)) {
      return std::nullopt;
    }
    if (f && !implies_family(s)) {
      // Nothing in the rule pins the family (only notNets of the other family, say):
      // an all-addresses match does.
      const bool v4 = *f == net::Family::V4;
      s.common.emplace_back(
          NftMatch::eq(v4 ? NftField::IpSaddr : NftField::Ip6Saddr,
                       NftValue::cidr(*net::Cidr::parse(v4 ? "0.0.0.0/0" : "::/0"))));
    }
    if (src_alts.empty()) {
      src_alts.emplace_back();
    }
    if (dst_alts.empty()) {
      dst_alts.emplace_back();
    }
    if (src_alts.size() * dst_alts.size() > 1) {
      for (const auto& a : src_alts) {
        for (const auto& b : dst_alts) {
          Conj both = a;
          both.insert(both.end(), b.begin(), b.end());
          s.alternatives.push_back(std::move(both));
        }
      }
    } else {
      s.common.insert(s.common.end(), src_alts[0].begin(), src_alts[0].end());
      s.common.insert(s.common.end(), dst_alts[0].begin(), dst_alts[0].end());
    }
    return s;
  }

  static bool implies_family(const Shape& s) {
    const auto family_field = [](NftField field) {
      return field != NftField::Iifname && field != NftField::Oifname &&
             field != NftField::L4proto && field != NftField::ThSport && field != NftField::ThDport;
    };
    return std::any_of(s.common.begin(), s.common.end(), [&](const NftExpr& e) {
      const auto* m = std::get_if<NftMatch>(&e);
      return m != nullptr && std::any_of(m->fields.begin(), m->fields.end(), family_field);
    });
  }

  // The action's statements and verdict on `rule`; in a sub-chain a Log returns so that it
  // logs once.
  void finish(NftRule& rule, Action a, bool in_subchain) const {
    switch (a) {
      case Action::Allow:
        rule.mark_set = NftMarkSet{options_.mark_accept, options_.mark_accept};
        rule.verdict = NftVerdict::ret();
        break;
      case Action::Pass:
        rule.mark_set = NftMarkSet{options_.mark_pass, options_.mark_pass};
        rule.verdict = NftVerdict::ret();
        break;
      case Action::Deny:
        rule.verdict = NftVerdict::drop();
        break;
      case Action::Log:
        rule.log_prefix = "calico-packet: ";
        rule.verdict = in_subchain ? NftVerdict::ret() : NftVerdict{};
        break;
    }
  }

  void emit(const Rule& r, std::size_t index, std::optional<net::Family> f) {
    std::optional<Shape> s = shape(r, f);
    if (!s) {
      return;
    }
    NftChain& main = out_.chains.front();
    if (s->alternatives.empty() && s->exclusions.empty()) {
      NftRule rule;
      rule.matches = std::move(s->common);
      finish(rule, r.action, false);
      main.rules.push_back(std::move(rule));
      return;
    }
    std::string sub = chain_ + "-r" + std::to_string(index);
    if (f) {
      sub += *f == net::Family::V4 ? "-4" : "-6";
    }
    NftChain chain{sub, std::nullopt, {}};
    for (auto& ex : s->exclusions) {
      NftRule rule;
      rule.matches = std::move(ex);
      rule.verdict = NftVerdict::ret();
      chain.rules.push_back(std::move(rule));
    }
    if (s->alternatives.empty()) {
      s->alternatives.emplace_back();
    }
    // The parent's protocol matches are repeated: th ports need one in the same rule.
    Conj protocols;
    for (const auto& e : s->common) {
      const auto* m = std::get_if<NftMatch>(&e);
      if (m != nullptr && m->fields == std::vector<NftField>{NftField::L4proto}) {
        protocols.push_back(e);
      }
    }
    for (auto& alt : s->alternatives) {
      NftRule rule;
      rule.matches = protocols;
      rule.matches.insert(rule.matches.end(), alt.begin(), alt.end());
      finish(rule, r.action, true);
      chain.rules.push_back(std::move(rule));
    }
    NftRule jump;
    jump.matches = std::move(s->common);
    jump.verdict = NftVerdict::jump(sub);
    main.rules.push_back(std::move(jump));
    if (r.action == Action::Allow || r.action == Action::Pass) {
      NftRule decided;
      decided.matches.emplace_back(
          NftMarkMatch{options_.mark_accept | options_.mark_pass, 0, true});
      decided.verdict = NftVerdict::ret();
      main.rules.push_back(std::move(decided));
    }
    out_.chains.push_back(std::move(chain));
  }

  const std::string& chain_;
  const CompileOptions& options_;
  RenderedChains& out_;
};

}  // namespace

std::string set_name(const api::Selector& selector, const std::string& named_port,
                     net::Family family) {
  std::string key = selector.to_string();
  std::string prefix = "s";
  if (!named_port.empty()) {
    key += '\0';
    key += named_port;
    prefix = "n";
  }
  prefix += family == net::Family::V4 ? "4-" : "6-";
  return prefix + nft_detail::hex16(nft_detail::fnv1a(key));
}

NftSet declare_set(const SetRef& ref) {
  const NftType addr = ref.family == net::Family::V4 ? NftType::Ipv4Addr : NftType::Ipv6Addr;
  if (ref.named_port.empty()) {
    return NftSet{ref.name, {addr}, true, {}};
  }
  return NftSet{ref.name, {addr, NftType::InetProto, NftType::InetService}, false, {}};
}

std::string set_origin(const SetRef& ref) {
  std::string sel = "selector " + ref.selector.to_string();
  return ref.named_port.empty() ? sel : "named port " + ref.named_port + " of " + sel;
}

std::string policy_id(const Policy& policy) {
  switch (policy.kind) {
    case PolicyKind::NetworkPolicy:
      return "np/" + policy.ns + "/" + policy.name;
    case PolicyKind::GlobalNetworkPolicy:
      return "gnp/" + policy.name;
    case PolicyKind::KubernetesNetworkPolicy: {
      std::string_view name = policy.name;
      if (name.substr(0, kK8sPolicyNamePrefix.size()) == kK8sPolicyNamePrefix) {
        name.remove_prefix(kK8sPolicyNamePrefix.size());
      }
      return "knp/" + policy.ns + "/" + std::string(name);
    }
  }
  return policy.name;
}

std::string policy_chain_name(const Policy& policy, Direction d) {
  return limited_name(d == Direction::Ingress ? "pi-" : "po-", policy_id(policy));
}

std::string profile_chain_name(std::string_view profile, Direction d) {
  return limited_name(d == Direction::Ingress ? "pri-" : "pro-", profile);
}

std::string endpoint_chain_name(std::string_view iface, Direction d) {
  return std::string(d == Direction::Ingress ? "tw-" : "fw-") + std::string(iface);
}

RenderedChains render_rules(const std::string& chain, const std::vector<Rule>& rules,
                            const CompileOptions& options) {
  RenderedChains out;
  out.chains.push_back(NftChain{chain, std::nullopt, {}});
  RuleRenderer renderer(chain, options, out);
  for (std::size_t i = 0; i < rules.size(); ++i) {
    renderer.render(rules[i], i);
  }
  return out;
}

}  // namespace calico::policy::compile_detail
