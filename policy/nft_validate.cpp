// validate(): everything the kernel would reject in a plan, named by object
// (policy/nft_model.h).
#include <algorithm>
#include <string>
#include <utility>

#include "policy/nft_internal.h"
#include "policy/nft_model.h"

namespace calico::policy {

using nft_detail::field_types;
using nft_detail::format_expr;
using nft_detail::ifname_wildcard;

// ---------------------------------------------------------------------------------------
// Validation

namespace {

constexpr std::size_t kMaxNameLen = 255;     // NFT_*_MAXNAMELEN includes the NUL
constexpr std::size_t kMaxCommentLen = 100;  // rule userdata: "cal:<16>" + ' ' + comment
constexpr std::size_t kMaxLogPrefixLen = 127;

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLen) {
    return false;
  }
  auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (!letter(name[0]) && name[0] != '_' && name[0] != '.') {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [&](char c) {
    return letter(c) || digit(c) || c == '_' || c == '.' || c == '/' || c == '-';
  });
}

bool is_set_key_type(NftType t) {
  return t == NftType::Ipv4Addr || t == NftType::Ipv6Addr || t == NftType::InetProto ||
         t == NftType::InetService || t == NftType::Ifname;
}

bool is_port_proto(const NftValue& v) {
  if (!v.is_single()) {
    return false;
  }
  switch (v.lo[0]) {
    case 6:    // tcp
    case 17:   // udp
    case 33:   // dccp
    case 132:  // sctp
    case 136:  // udplite
      return true;
    default:
      return false;
  }
}

// Checks one value against its type; "" if fine.
std::string check_value(NftType type, const NftValue& v) {
  const std::size_t width = nft_type_width(type);
  for (std::size_t i = width; i < 16; ++i) {
    if (v.lo[i] != 0 || v.hi[i] != 0) {
      return "value wider than " + std::string(nft_type_name(type));
    }
  }
  if (v.hi < v.lo) {
    return "range " + format_value(type, v) + " is empty";
  }
  if (type == NftType::Ifname) {
    if (v.is_single() && (v.lo[0] == 0 || v.lo[15] != 0)) {
      return "interface name must have 1 to 15 characters";
    }
    if (!v.is_single() && !ifname_wildcard(v)) {
      return "interface name ranges must be prefix wildcards (\"cali*\")";
    }
  }
  return "";
}

std::string check_key(const std::vector<NftType>& types, const NftKey& key, bool interval) {
  if (key.size() != types.size()) {
    return "key has " + std::to_string(key.size()) + " fields, type has " +
           std::to_string(types.size());
  }
  for (std::size_t i = 0; i < key.size(); ++i) {
    if (std::string e = check_value(types[i], key[i]); !e.empty()) {
      return e;
    }
    if (!interval && !key[i].is_single()) {
      return "range " + format_key(types, key) + " needs the interval flag";
    }
  }
  return "";
}

bool is_family(NftField f, bool v6) {
  switch (f) {
    case NftField::IpSaddr:
    case NftField::IpDaddr:
    case NftField::IcmpType:
    case NftField::IcmpCode:
      return !v6;
    case NftField::Ip6Saddr:
    case NftField::Ip6Daddr:
    case NftField::Icmpv6Type:
    case NftField::Icmpv6Code:
      return v6;
    default:
      return false;
  }
}

class Validator {
 public:
  explicit Validator(const NftPlan& plan) : plan_(plan) {}

  std::string run() {
    if (!valid_name(plan_.table)) {
      return "table name '" + plan_.table + "' is not a valid identifier";
    }
    for (const auto& [name, set] : plan_.sets) {
      if (std::string e = check_set(name, set); !e.empty()) {
        return "set " + name + ": " + std::move(e);
      }
    }
    for (const auto& [name, map] : plan_.maps) {
      if (std::string e = check_map(name, map); !e.empty()) {
        return "map " + name + ": " + std::move(e);
      }
    }
    for (const auto& [name, chain] : plan_.chains) {
      if (std::string e = check_chain(name, chain); !e.empty()) {
        return "chain " + name + std::move(e);
      }
    }
    return "";
  }

 private:
  std::string check_object_name(const std::string& key, const std::string& name) {
    if (key != name) {
      return "stored under the name '" + key + "'";
    }
    if (!valid_name(name)) {
      return "not a valid identifier";
    }
    return "";
  }

  std::string check_key_types(const std::vector<NftType>& key) {
    if (key.empty()) {
      return "no key type";
    }
    for (const NftType t : key) {
      if (!is_set_key_type(t)) {
        return std::string(nft_type_name(t)) + " cannot be a set key";
      }
    }
    return "";
  }

  std::string check_set(const std::string& key, const NftSet& set) {
    if (std::string e = check_object_name(key, set.name); !e.empty()) {
      return e;
    }
    if (plan_.maps.count(key) != 0) {
      return "a map has the same name";
    }
    if (std::string e = check_key_types(set.key); !e.empty()) {
      return e;
    }
    for (const auto& el : set.elements) {
      if (std::string e = check_key(set.key, el, set.interval); !e.empty()) {
        return "element " + format_key(set.key, el) + ": " + e;
      }
    }
    return "";
  }

  std::string check_target(const NftVerdict& v) {
    if (v.kind != NftVerdict::Kind::Jump && v.kind != NftVerdict::Kind::Goto) {
      return "";
    }
    auto it = plan_.chains.find(v.chain);
    if (it == plan_.chains.end()) {
      return format_verdict(v) + ": unknown chain " + v.chain;
    }
    if (it->second.base) {
      return format_verdict(v) + ": " + v.chain + " is a base chain";
    }
    return "";
  }

  std::string check_map(const std::string& key, const NftMap& map) {
    if (std::string e = check_object_name(key, map.name); !e.empty()) {
      return e;
    }
    if (std::string e = check_key_types(map.key); !e.empty()) {
      return e;
    }
    for (const auto& [el, verdict] : map.elements) {
      std::string e = check_key(map.key, el, false);
      if (e.empty() && verdict.kind == NftVerdict::Kind::Continue) {
        e = "a map element needs a verdict";
      }
      if (e.empty()) {
        e = check_target(verdict);
      }
      if (!e.empty()) {
        return "element " + format_key(map.key, el) + ": " + e;
      }
    }
    return "";
  }

  std::string check_match(const NftMatch& m, bool& port_context) {
    if (m.fields.empty()) {
      return "match without fields";
    }
    bool v4 = false;
    bool v6 = false;
    bool has_port = false;
    bool has_proto = false;
    for (const NftField f : m.fields) {
      v4 = v4 || is_family(f, false);
      v6 = v6 || is_family(f, true);
      has_port = has_port || f == NftField::ThSport || f == NftField::ThDport;
      has_proto = has_proto || f == NftField::L4proto;
    }
    if (v4 && v6) {
      return "mixes IPv4 and IPv6 fields";
    }
    if (has_port && !has_proto && !port_context) {
      return "th ports need a preceding meta l4proto match of port protocols";
    }
    if (m.values.empty() == m.set.empty()) {
      return "needs either literal values or a set";
    }
    const std::vector<NftType> types = field_types(m.fields);
    if (!m.set.empty()) {
      auto it = plan_.sets.find(m.set);
      if (it == plan_.sets.end()) {
        return "unknown set @" + m.set;
      }
      if (it->second.key != types) {
        return "set @" + m.set + " has a different key type";
      }
    }
    for (const auto& key : m.values) {
      if (std::string e = check_key(types, key, true); !e.empty()) {
        return "value " + format_key(types, key) + ": " + e;
      }
    }
    if (m.fields.size() == 1 && m.fields[0] == NftField::L4proto && !m.negate &&
        !m.values.empty()) {
      port_context = std::all_of(m.values.begin(), m.values.end(),
                                 [](const NftKey& k) { return is_port_proto(k[0]); });
    }
    return "";
  }

  std::string check_rule(const NftRule& rule) {
    bool port_context = false;
    for (const auto& e : rule.matches) {
      std::string err;
      if (const auto* m = std::get_if<NftMatch>(&e)) {
        err = check_match(*m, port_context);
      } else if (const auto* ct = std::get_if<NftCtStateMatch>(&e)) {
        const std::uint32_t known =
            kNftCtInvalid | kNftCtEstablished | kNftCtRelated | kNftCtNew | kNftCtUntracked;
        if (ct->states == 0 || (ct->states & ~known) != 0) {
          err = "ct state needs known state bits";
        }
      }
      if (!err.empty()) {
        return format_expr(e) + ": " + err;
      }
    }
    if (rule.log_prefix && (rule.log_prefix->size() > kMaxLogPrefixLen ||
                            rule.log_prefix->find('"') != std::string::npos)) {
      return "log prefix longer than 127 characters or containing '\"'";
    }
    if (rule.comment.size() > kMaxCommentLen || rule.comment.find('"') != std::string::npos) {
      return "comment longer than 100 characters or containing '\"'";
    }
    if (rule.masquerade && (rule.dispatch || rule.verdict.kind != NftVerdict::Kind::Continue)) {
      return "masquerade cannot be combined with a verdict or a vmap dispatch";
    }
    if (rule.dispatch) {
      const NftDispatch& d = *rule.dispatch;
      if (d.field != NftField::Iifname && d.field != NftField::Oifname) {
        return "vmap dispatch must be on iifname or oifname";
      }
      auto it = plan_.maps.find(d.map);
      if (it == plan_.maps.end()) {
        return "unknown map @" + d.map;
      }
      if (it->second.key != std::vector<NftType>{NftType::Ifname}) {
        return "map @" + d.map + " is not keyed by ifname";
      }
      if (rule.verdict.kind != NftVerdict::Kind::Continue) {
        return "a vmap dispatch cannot have a verdict as well";
      }
    }
    return check_target(rule.verdict);
  }

  std::string check_chain(const std::string& key, const NftChain& chain) {
    if (std::string e = check_object_name(key, chain.name); !e.empty()) {
      return ": " + e;
    }
    if (chain.base) {
      const NftBaseChain& b = *chain.base;
      if (b.type == NftChainType::Route && b.hook != NftHook::Output) {
        return ": type route only exists on the output hook";
      }
      if (b.type == NftChainType::Nat && b.hook == NftHook::Forward) {
        return ": type nat does not exist on the forward hook";
      }
    }
    for (std::size_t i = 0; i < chain.rules.size(); ++i) {
      const NftRule& rule = chain.rules[i];
      if (!rule.kernel_fingerprint.empty()) {
        continue;  // read back from the kernel: opaque
      }
      if (std::string e = check_rule(rule); !e.empty()) {
        return " rule " + std::to_string(i + 1) + ": " + e;
      }
      const NftVerdict& v = rule.verdict;
      if ((v.kind == NftVerdict::Kind::Jump || v.kind == NftVerdict::Kind::Goto) &&
          v.chain == chain.name) {
        return " rule " + std::to_string(i + 1) + ": jumps to its own chain";
      }
    }
    return "";
  }

  const NftPlan& plan_;
};

}  // namespace

Result<void, std::string> validate(const NftPlan& plan) {
  if (std::string e = Validator(plan).run(); !e.empty()) {
    return fail(std::move(e));
  }
  return {};
}

}  // namespace calico::policy
