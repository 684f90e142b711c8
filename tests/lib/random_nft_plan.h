// Random valid nftables plans for differential tests of policy::diff and NftCommitter
// implementations (tests/unit/policy/fake_nft_committer_test.cpp,
// tests/integration/netlink/fake_vs_real_nft_test.cpp), and a digest of a plan that keeps
// only what a read-back preserves.
//
//   std::mt19937 rng(seed);
//   policy::NftPlan want = random_nft_plan(rng, "calico");   // passes policy::validate()
//   EXPECT_EQ(read_back_digest(*committer.read_table("calico")), read_back_digest(want));
//
// Plans draw from small pools of names and values so that successive plans share,
// change and drop objects: sets whose elements overlap, touch (adjacent ranges merge in
// canonical form) or nest; verdict maps dispatching to regular chains; jumps between
// regular chains (acyclic: only to chains later in name order); base chains whose
// policy, and rarely hook priority or a set's type, changes (diff() then rebuilds).
//
// Header-only; deterministic for a given generator state.  No shared state.
#pragma once

#include <cstdint>
#include <iterator>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/net/ip.h"
#include "policy/nft_model.h"

namespace calico::testlib {

namespace random_nft_detail {

inline bool coin(std::mt19937& rng, double p) {
  return std::bernoulli_distribution(p)(rng);
}

// Uniform in [0, n).
inline std::size_t pick(std::mt19937& rng, std::size_t n) {
  return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
}

inline policy::NftValue cidr(const std::string& text) {
  auto c = net::Cidr::parse_addr_or_cidr(text);
  CALICO_CHECK(c.has_value());
  return policy::NftValue::cidr(*c);
}

// IPv4 values in 10.0.0.0/22: host addresses, small nested and adjacent prefixes.
inline policy::NftValue random_v4(std::mt19937& rng) {
  static const char* const kPrefixes[] = {"10.0.1.0/28", "10.0.1.16/28",  "10.0.1.0/27",
                                          "10.0.2.0/24", "10.0.2.128/25", "10.0.0.0/23"};
  if (coin(rng, 0.7)) {
    return cidr("10.0.0." + std::to_string(pick(rng, 12)));
  }
  return cidr(kPrefixes[pick(rng, std::size(kPrefixes))]);
}

inline policy::NftValue random_v6(std::mt19937& rng) {
  if (coin(rng, 0.7)) {
    return cidr("fd00::" + std::to_string(pick(rng, 8) + 1));
  }
  return cidr(coin(rng, 0.5) ? "fd00:1::/64" : "fd00::/120");
}

inline policy::NftValue random_port(std::mt19937& rng, bool ranges) {
  const auto port = static_cast<std::uint16_t>(8000 + pick(rng, 10));
  if (ranges && coin(rng, 0.3)) {
    return policy::NftValue::port_range(port, static_cast<std::uint16_t>(port + pick(rng, 4)));
  }
  return policy::NftValue::port(port);
}

inline std::string iface(std::size_t i) {
  return "cali" + std::to_string(i);
}

}  // namespace random_nft_detail

// One random plan for `table`; valid by policy::validate().
inline policy::NftPlan random_nft_plan(std::mt19937& rng, const std::string& table) {
  using policy::NftField;
  using policy::NftMatch;
  using policy::NftRule;
  using policy::NftType;
  using policy::NftValue;
  using policy::NftVerdict;
  using random_nft_detail::cidr;
  using random_nft_detail::coin;
  using random_nft_detail::iface;
  using random_nft_detail::pick;
  using random_nft_detail::random_port;
  using random_nft_detail::random_v4;
  using random_nft_detail::random_v6;
  policy::NftPlan p;
  p.table = table;

  // Sets: present with probability 0.7; a set's declaration rarely changes (rebuild).
  const bool v4_interval = !coin(rng, 0.05);
  if (coin(rng, 0.7)) {
    auto& s = p.add_set("s4-a", {NftType::Ipv4Addr}, v4_interval);
    for (std::size_t n = pick(rng, 6); n > 0; --n) {
      const NftValue v = random_v4(rng);
      if (v4_interval || v.is_single()) {
        s.elements.insert({v});
      }
    }
  }
  if (coin(rng, 0.7)) {
    auto& s = p.add_set("s4-b", {NftType::Ipv4Addr}, true);
    for (std::size_t n = pick(rng, 5); n > 0; --n) {
      s.elements.insert({random_v4(rng)});
    }
  }
  if (coin(rng, 0.6)) {
    auto& s = p.add_set("s6-a", {NftType::Ipv6Addr}, true);
    for (std::size_t n = pick(rng, 4); n > 0; --n) {
      s.elements.insert({random_v6(rng)});
    }
  }
  if (coin(rng, 0.6)) {
    auto& s = p.add_set("ports", {NftType::InetService}, true);
    for (std::size_t n = pick(rng, 4); n > 0; --n) {
      s.elements.insert({random_port(rng, true)});
    }
  }
  if (coin(rng, 0.6)) {
    auto& s = p.add_set("n4-a", {NftType::Ipv4Addr, NftType::InetProto, NftType::InetService});
    for (std::size_t n = pick(rng, 4); n > 0; --n) {
      s.elements.insert({cidr("10.0.0." + std::to_string(pick(rng, 6))),
                         NftValue::proto(coin(rng, 0.5) ? 6 : 17), random_port(rng, false)});
    }
  }
  if (coin(rng, 0.5)) {
    auto& s = p.add_set("ifs", {NftType::Ifname});
    for (std::size_t n = pick(rng, 4); n > 0; --n) {
      s.elements.insert({NftValue::ifname(iface(pick(rng, 6)))});
    }
  }

  // Regular chains c-0..c-5; a chain only jumps to chains after it (no loops).
  std::vector<std::string> regular;
  for (std::size_t i = 0; i < 6; ++i) {
    if (coin(rng, 0.6)) {
      regular.push_back("c-" + std::to_string(i));
      p.add_chain(regular.back());
    }
  }
  auto random_target = [&](std::size_t after) -> std::optional<std::string> {
    if (after + 1 >= regular.size()) {
      return std::nullopt;
    }
    return regular[after + 1 + pick(rng, regular.size() - after - 1)];
  };

  // Verdict maps dispatching interfaces to regular chains.
  for (const char* name : {"from-wl", "to-wl"}) {
    if (regular.empty() || !coin(rng, 0.6)) {
      continue;
    }
    auto& m = p.add_map(name, {NftType::Ifname});
    for (std::size_t n = pick(rng, 4); n > 0; --n) {
      const std::string& chain = regular[pick(rng, regular.size())];
      m.elements[{NftValue::ifname(iface(pick(rng, 6)))}] =
          coin(rng, 0.5) ? NftVerdict::go_to(chain) : NftVerdict::jump(chain);
    }
  }

  // Random rules over what exists.
  auto random_rule = [&](std::optional<std::string> target) {
    NftRule r;
    const std::size_t kind = pick(rng, 8);
    if (kind == 0 && p.sets.count("s4-a") != 0) {
      r.matches.emplace_back(NftMatch::in_set({NftField::IpSaddr}, "s4-a"));
    } else if (kind == 1 && p.sets.count("s4-b") != 0) {
      NftMatch m = NftMatch::in_set({NftField::IpDaddr}, "s4-b");
      r.matches.emplace_back(coin(rng, 0.3) ? m.negated() : m);
    } else if (kind == 2 && p.sets.count("s6-a") != 0) {
      r.matches.emplace_back(NftMatch::in_set({NftField::Ip6Saddr}, "s6-a"));
    } else if (kind == 3) {
      r.matches.emplace_back(NftMatch::eq(NftField::L4proto, NftValue::proto(6)));
      if (p.sets.count("ports") != 0 && coin(rng, 0.5)) {
        r.matches.emplace_back(NftMatch::in_set({NftField::ThDport}, "ports"));
      } else {
        r.matches.emplace_back(
            NftMatch::in(NftField::ThDport, {random_port(rng, true), random_port(rng, true)}));
      }
    } else if (kind == 4 && p.sets.count("n4-a") != 0) {
      r.matches.emplace_back(
          NftMatch::in_set({NftField::IpDaddr, NftField::L4proto, NftField::ThDport}, "n4-a"));
    } else if (kind == 5 && p.sets.count("ifs") != 0) {
      r.matches.emplace_back(NftMatch::in_set({NftField::Iifname}, "ifs"));
    } else if (kind == 6) {
      r.matches.emplace_back(NftMatch::eq(NftField::IpSaddr, random_v4(rng)));
    } else {
      r.matches.emplace_back(policy::NftCtStateMatch{policy::kNftCtEstablished});
    }
    const std::size_t verdict = pick(rng, 5);
    if (verdict == 0 && target) {
      r.verdict = coin(rng, 0.5) ? NftVerdict::jump(*target) : NftVerdict::go_to(*target);
    } else if (verdict == 1) {
      r.verdict = NftVerdict::accept();
    } else if (verdict == 2) {
      r.verdict = NftVerdict::drop();
    } else if (verdict == 3) {
      r.verdict = NftVerdict::ret();
    } else {
      r.counter = true;
      r.comment = "rule " + std::to_string(pick(rng, 3));
    }
    return r;
  };
  for (std::size_t i = 0; i < regular.size(); ++i) {
    auto& rules = p.chains.at(regular[i]).rules;
    for (std::size_t n = pick(rng, 4); n > 0; --n) {
      rules.push_back(random_rule(random_target(i)));
    }
  }

  // Base chains: policy flips often, the priority rarely (rebuild).
  if (coin(rng, 0.8)) {
    auto& fwd =
        p.add_chain("filter-FORWARD",
                    policy::NftBaseChain{policy::NftHook::Forward, policy::NftChainType::Filter,
                                         coin(rng, 0.05) ? 10 : 0, coin(rng, 0.3)});
    for (const char* map : {"from-wl", "to-wl"}) {
      if (p.maps.count(map) != 0 && coin(rng, 0.8)) {
        NftRule r;
        r.dispatch = policy::NftDispatch{
            std::string(map) == "from-wl" ? NftField::Iifname : NftField::Oifname, map};
        fwd.rules.push_back(r);
      }
    }
    for (std::size_t n = pick(rng, 3); n > 0; --n) {
      fwd.rules.push_back(random_rule(
          regular.empty() ? std::nullopt
                          : std::optional<std::string>(regular[pick(rng, regular.size())])));
    }
  }
  if (coin(rng, 0.4)) {
    p.add_chain("filter-INPUT", policy::NftBaseChain{policy::NftHook::Input})
        .rules.push_back(random_rule(std::nullopt));
  }
  return p;
}

// The plan as a read-back preserves it, one line per object: declarations, chains as
// their rule fingerprints (bodies and handles dropped), sets as canonical elements and
// maps as elements.  Equal digests: diff() between the two plans is empty.
inline std::string read_back_digest(const policy::NftPlan& plan) {
  auto types = [](const std::vector<policy::NftType>& key) {
    std::string s;
    for (const policy::NftType t : key) {
      s += (s.empty() ? "" : " . ") + std::string(policy::nft_type_name(t));
    }
    return s;
  };
  std::string out = "table inet " + plan.table + (plan.table_exists ? "\n" : " absent\n");
  if (!plan.table_exists) {
    return out;
  }
  for (const auto& [name, set] : plan.sets) {
    out += "set " + name + " : " + types(set.key) + (set.interval ? " interval" : "") + " {";
    for (const policy::NftKey& k : policy::canonical_elements(set)) {
      out += " " + policy::format_key(set.key, k);
    }
    out += " }\n";
  }
  for (const auto& [name, map] : plan.maps) {
    out += "map " + name + " : " + types(map.key) + " {";
    for (const auto& [k, v] : map.elements) {
      out += " " + policy::format_key(map.key, k) + " : " + policy::format_verdict(v);
    }
    out += " }\n";
  }
  for (const auto& [name, chain] : plan.chains) {
    out += "chain " + name;
    if (chain.base) {
      out += " { hook " + std::string(policy::nft_hook_name(chain.base->hook)) + " type " +
             std::string(policy::nft_chain_type_name(chain.base->type)) + " priority " +
             std::to_string(chain.base->priority) +
             (chain.base->policy_drop ? " policy drop }" : " policy accept }");
    }
    out += " [";
    for (const policy::NftRule& r : chain.rules) {
      out += " " + policy::rule_fingerprint(r);
    }
    out += " ]\n";
  }
  return out;
}

}  // namespace calico::testlib
