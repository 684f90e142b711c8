// A packet walker over an NftPlan: what the kernel would do with one packet in one of our
// base chains, computed from the plan's value model.  Used to check the compiler against
// the reference evaluator (policy/evaluate.h) without root and on millions of packets.
//
//   SimPacket p{.iif = "cali1", .oif = "cali2", .src = a, .dst = b, .protocol = 6, .dport = 80};
//   SimResult r = simulate(plan, "filter-FORWARD", p);   // r.accepted, r.trace
//
// Semantics follow nftables: matches on ip/ip6 fields imply the family, icmp/icmpv6 fields
// imply the protocol (negation keeps the implied dependency), th ports are read only from
// TCP/UDP/SCTP/UDPLite packets; jump pushes a return address, goto does not; falling off
// or `return` in a base chain applies the chain policy.  Interval matching compares the
// big-endian field bytes against each element's lo..hi range.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "common/net/ip.h"
#include "policy/nft_model.h"

namespace calico::testlib {

struct SimPacket {
  std::string iif;
  std::string oif;
  net::IpAddr src;
  net::IpAddr dst;
  std::uint8_t protocol = 6;
  std::uint16_t sport = 40000;
  std::uint16_t dport = 80;
  std::uint8_t icmp_type = 0;
  std::uint8_t icmp_code = 0;
  std::uint32_t ct_state = policy::kNftCtNew;
  std::uint32_t mark = 0;
};

struct SimResult {
  bool accepted = false;
  std::vector<std::string> trace;  // "chain#rule" of every matched rule
  int logs = 0;                    // log statements executed
};

namespace sim_detail {

using Bytes = std::array<std::uint8_t, 16>;

inline bool port_protocol(std::uint8_t p) {
  return p == 6 || p == 17 || p == 132 || p == 136;
}

// The field's bytes, or false if the packet has no such field (wrong family/protocol).
inline bool load(policy::NftField f, const SimPacket& p, Bytes& out) {
  using policy::NftField;
  out.fill(0);
  const auto put_ifname = [&](const std::string& n) {
    for (std::size_t i = 0; i < n.size() && i < 16; ++i) {
      out[i] = static_cast<std::uint8_t>(n[i]);
    }
  };
  const auto put_port = [&](std::uint16_t port) {
    out[0] = static_cast<std::uint8_t>(port >> 8U);
    out[1] = static_cast<std::uint8_t>(port & 0xffU);
  };
  switch (f) {
    case NftField::Iifname:
      put_ifname(p.iif);
      return true;
    case NftField::Oifname:
      put_ifname(p.oif);
      return true;
    case NftField::L4proto:
      out[0] = p.protocol;
      return true;
    case NftField::IpSaddr:
    case NftField::IpDaddr:
    case NftField::Ip6Saddr:
    case NftField::Ip6Daddr: {
      const bool v4 = f == NftField::IpSaddr || f == NftField::IpDaddr;
      const bool source = f == NftField::IpSaddr || f == NftField::Ip6Saddr;
      const net::IpAddr& a = source ? p.src : p.dst;
      if (a.is_v4() != v4) {
        return false;
      }
      out = a.bytes();
      return true;
    }
    case NftField::ThSport:
    case NftField::ThDport:
      if (!port_protocol(p.protocol)) {
        return false;
      }
      put_port(f == NftField::ThSport ? p.sport : p.dport);
      return true;
    case NftField::IcmpType:
    case NftField::IcmpCode:
      if (!p.src.is_v4() || p.protocol != 1) {
        return false;
      }
      out[0] = f == NftField::IcmpType ? p.icmp_type : p.icmp_code;
      return true;
    case NftField::Icmpv6Type:
    case NftField::Icmpv6Code:
      if (p.src.is_v4() || p.protocol != 58) {
        return false;
      }
      out[0] = f == NftField::Icmpv6Type ? p.icmp_type : p.icmp_code;
      return true;
  }
  return false;
}

inline bool in_range(const Bytes& v, const policy::NftValue& r, std::size_t width) {
  for (std::size_t i = 0; i < width; ++i) {
    if (v[i] != r.lo[i]) {
      if (v[i] < r.lo[i]) {
        return false;
      }
      break;
    }
  }
  for (std::size_t i = 0; i < width; ++i) {
    if (v[i] != r.hi[i]) {
      return v[i] < r.hi[i];
    }
  }
  return true;
}

inline bool key_matches(const std::vector<Bytes>& vals, const std::vector<policy::NftType>& types,
                        const policy::NftKey& key) {
  if (key.size() != vals.size()) {
    return false;
  }
  for (std::size_t i = 0; i < vals.size(); ++i) {
    if (!in_range(vals[i], key[i], policy::nft_type_width(types[i]))) {
      return false;
    }
  }
  return true;
}

inline bool match(const policy::NftPlan& plan, const policy::NftExpr& e, const SimPacket& p) {
  if (const auto* ct = std::get_if<policy::NftCtStateMatch>(&e)) {
    return (ct->states & p.ct_state) != 0;
  }
  if (const auto* mk = std::get_if<policy::NftMarkMatch>(&e)) {
    return ((p.mark & mk->mask) == mk->value) != mk->negate;
  }
  const auto& m = std::get<policy::NftMatch>(e);
  std::vector<Bytes> vals(m.fields.size());
  std::vector<policy::NftType> types;
  for (std::size_t i = 0; i < m.fields.size(); ++i) {
    if (!load(m.fields[i], p, vals[i])) {
      return false;  // the implied dependency fails, negated or not
    }
    types.push_back(policy::nft_field_type(m.fields[i]));
  }
  bool hit = false;
  if (!m.set.empty()) {
    if (auto it = plan.sets.find(m.set); it != plan.sets.end()) {
      for (const auto& k : it->second.elements) {
        if (key_matches(vals, types, k)) {
          hit = true;
          break;
        }
      }
    }
  } else {
    for (const auto& k : m.values) {
      if (key_matches(vals, types, k)) {
        hit = true;
        break;
      }
    }
  }
  return hit != m.negate;
}

}  // namespace sim_detail

// Runs `base_chain` of the plan on the packet.  Bounded: at most 100,000 rule evaluations
// (a loop in the plan counts as a drop with a "loop" trace entry).
inline SimResult simulate(const policy::NftPlan& plan, const std::string& base_chain, SimPacket p) {
  using policy::NftVerdict;
  SimResult result;
  const auto base = plan.chains.find(base_chain);
  if (base == plan.chains.end()) {
    result.trace.push_back("no chain " + base_chain);
    return result;
  }
  const bool policy_accept = !(base->second.base && base->second.base->policy_drop);
  struct Frame {
    const policy::NftChain* chain;
    std::size_t next;
  };
  std::vector<Frame> stack{{&base->second, 0}};
  int budget = 100000;
  while (!stack.empty()) {
    if (--budget < 0) {
      result.trace.emplace_back("loop");
      result.accepted = false;
      return result;
    }
    Frame& f = stack.back();
    if (f.next >= f.chain->rules.size()) {
      stack.pop_back();  // implicit return
      continue;
    }
    const policy::NftRule& rule = f.chain->rules[f.next++];
    bool all = true;
    for (const auto& e : rule.matches) {
      if (!sim_detail::match(plan, e, p)) {
        all = false;
        break;
      }
    }
    if (!all) {
      continue;
    }
    result.trace.push_back(f.chain->name + "#" + std::to_string(f.next - 1));
    if (rule.log_prefix) {
      ++result.logs;
    }
    if (rule.mark_set) {
      p.mark = (p.mark & ~rule.mark_set->mask) | rule.mark_set->value;
    }
    NftVerdict v = rule.verdict;
    if (rule.dispatch) {
      std::vector<sim_detail::Bytes> key(1);
      if (!sim_detail::load(rule.dispatch->field, p, key[0])) {
        continue;
      }
      const auto map = plan.maps.find(rule.dispatch->map);
      if (map == plan.maps.end()) {
        continue;
      }
      bool found = false;
      for (const auto& [k, verdict] : map->second.elements) {
        if (sim_detail::key_matches(key, map->second.key, k)) {
          v = verdict;
          found = true;
          break;
        }
      }
      if (!found) {
        continue;
      }
    }
    switch (v.kind) {
      case NftVerdict::Kind::Continue:
        break;
      case NftVerdict::Kind::Accept:
        result.accepted = true;
        return result;
      case NftVerdict::Kind::Drop:
        result.accepted = false;
        return result;
      case NftVerdict::Kind::Return:
        stack.pop_back();
        break;
      case NftVerdict::Kind::Jump:
      case NftVerdict::Kind::Goto: {
        const auto target = plan.chains.find(v.chain);
        if (target == plan.chains.end()) {
          result.trace.push_back("missing chain " + v.chain);
          return result;
        }
        if (v.kind == NftVerdict::Kind::Goto) {
          stack.pop_back();
        }
        stack.push_back({&target->second, 0});
        break;
      }
    }
  }
  result.accepted = policy_accept;
  return result;
}

}  // namespace calico::testlib
