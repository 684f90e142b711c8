// Values, rule text, fingerprints and interval canonicalization for the nftables model
// (policy/nft_model.h).  validate() lives in nft_validate.cpp, diff/rebuild in nft_diff.cpp,
// the plan and batch printers in nft_text.cpp.
#include "policy/nft_model.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "policy/nft_internal.h"

namespace calico::policy {

using nft_detail::field_types;
using nft_detail::format_expr;
using nft_detail::ifname_wildcard;

namespace {

using Bytes = std::array<std::uint8_t, 16>;

// Ranges are compared as left-aligned big-endian numbers of `width` bytes.
bool increment(Bytes& b, std::size_t width) {  // false on overflow (was all ones)
  for (std::size_t i = width; i-- > 0;) {
    if (b[i] != 0xff) {
      ++b[i];
      return true;
    }
    b[i] = 0;
  }
  return false;
}

// The prefix length if lo..hi is exactly one CIDR block of a `width`-byte type.
std::optional<int> prefix_len(const Bytes& lo, const Bytes& hi, std::size_t width) {
  const std::size_t bits = width * 8;
  std::size_t first_diff = bits;
  for (std::size_t bit = 0; bit < bits; ++bit) {
    const auto mask = static_cast<std::uint8_t>(0x80U >> (bit % 8));
    if ((lo[bit / 8] & mask) != (hi[bit / 8] & mask)) {
      first_diff = bit;
      break;
    }
  }
  for (std::size_t bit = first_diff; bit < bits; ++bit) {
    const auto mask = static_cast<std::uint8_t>(0x80U >> (bit % 8));
    if ((lo[bit / 8] & mask) != 0 || (hi[bit / 8] & mask) == 0) {
      return std::nullopt;
    }
  }
  return static_cast<int>(first_diff);
}

net::IpAddr to_ip(NftType type, const Bytes& b) {
  if (type == NftType::Ipv4Addr) {
    return net::IpAddr::v4((std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) |
                           (std::uint32_t{b[2]} << 8) | std::uint32_t{b[3]});
  }
  return net::IpAddr::v6(b);
}

std::uint16_t to_u16(const Bytes& b) {
  return static_cast<std::uint16_t>((b[0] << 8) | b[1]);
}

std::string ifname_text(const Bytes& b) {
  std::string s;
  for (const std::uint8_t c : b) {
    if (c == 0) {
      break;
    }
    s.push_back(static_cast<char>(c));
  }
  return s;
}

// The prefix of an "name*" wildcard range, if lo..hi is one.
}  // namespace

std::optional<std::string> nft_detail::ifname_wildcard(const NftValue& v) {
  std::size_t n = 0;
  while (n < 16 && v.lo[n] != 0 && v.lo[n] == v.hi[n]) {
    ++n;
  }
  for (std::size_t i = n; i < 16; ++i) {
    if (v.lo[i] != 0 || v.hi[i] != 0xff) {
      return std::nullopt;
    }
  }
  return ifname_text(v.lo).substr(0, n);
}

namespace {

std::string proto_text(std::uint8_t p) {
  switch (p) {
    case 1:
      return "icmp";
    case 6:
      return "tcp";
    case 17:
      return "udp";
    case 132:
      return "sctp";
    default:
      return std::to_string(p);
  }
}

std::string hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08x", v);
  return buf;
}

std::string quoted(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

// Merges overlapping and adjacent single-field ranges; input sorted by lo.
std::vector<NftKey> merge_ranges(std::vector<NftKey> keys, std::size_t width) {
  std::vector<NftKey> out;
  for (auto& key : keys) {
    if (!out.empty()) {
      NftValue& last = out.back()[0];
      Bytes after = last.hi;
      const bool last_is_max = !increment(after, width);
      if (last_is_max || key[0].lo <= after) {
        last.hi = std::max(last.hi, key[0].hi);
        continue;
      }
    }
    out.push_back(std::move(key));
  }
  return out;
}

}  // namespace

std::uint64_t nft_detail::fnv1a(std::string_view data) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : data) {
    h ^= static_cast<std::uint8_t>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string nft_detail::hex16(std::uint64_t value) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(value));
  return buf;
}

// ---------------------------------------------------------------------------------------
// Types and values

std::size_t nft_type_width(NftType type) {
  switch (type) {
    case NftType::Ipv4Addr:
      return 4;
    case NftType::Ipv6Addr:
    case NftType::Ifname:
      return 16;
    case NftType::InetService:
      return 2;
    case NftType::InetProto:
    case NftType::IcmpType:
    case NftType::IcmpCode:
    case NftType::Icmpv6Type:
    case NftType::Icmpv6Code:
      return 1;
  }
  return 0;
}

std::string_view nft_type_name(NftType type) {
  switch (type) {
    case NftType::Ipv4Addr:
      return "ipv4_addr";
    case NftType::Ipv6Addr:
      return "ipv6_addr";
    case NftType::InetProto:
      return "inet_proto";
    case NftType::InetService:
      return "inet_service";
    case NftType::Ifname:
      return "ifname";
    case NftType::IcmpType:
      return "icmp_type";
    case NftType::IcmpCode:
      return "icmp_code";
    case NftType::Icmpv6Type:
      return "icmpv6_type";
    case NftType::Icmpv6Code:
      return "icmpv6_code";
  }
  return "?";
}

NftValue NftValue::addr(const net::IpAddr& ip) {
  NftValue v;
  const std::size_t n = ip.is_v4() ? 4 : 16;
  std::copy_n(ip.bytes().begin(), n, v.lo.begin());
  v.hi = v.lo;
  return v;
}

NftValue NftValue::cidr(const net::Cidr& cidr) {
  NftValue v = addr(cidr.addr().masked(cidr.prefix_len()));
  const std::size_t bits = cidr.addr().is_v4() ? 32 : 128;
  for (auto bit = static_cast<std::size_t>(cidr.prefix_len()); bit < bits; ++bit) {
    v.hi[bit / 8] = static_cast<std::uint8_t>(v.hi[bit / 8] | (0x80U >> (bit % 8)));
  }
  return v;
}

NftValue NftValue::addr_range(const net::IpAddr& first, const net::IpAddr& last) {
  NftValue v = addr(first);
  v.hi = addr(last).lo;
  return v;
}

NftValue NftValue::port(std::uint16_t port) {
  return port_range(port, port);
}

NftValue NftValue::port_range(std::uint16_t first, std::uint16_t last) {
  NftValue v;
  v.lo[0] = static_cast<std::uint8_t>(first >> 8);
  v.lo[1] = static_cast<std::uint8_t>(first & 0xff);
  v.hi[0] = static_cast<std::uint8_t>(last >> 8);
  v.hi[1] = static_cast<std::uint8_t>(last & 0xff);
  return v;
}

NftValue NftValue::proto(std::uint8_t proto) {
  NftValue v;
  v.lo[0] = proto;
  v.hi[0] = proto;
  return v;
}

NftValue NftValue::ifname(std::string_view name) {
  NftValue v;
  const bool wildcard = !name.empty() && name.back() == '*';
  if (wildcard) {
    name.remove_suffix(1);
  }
  const std::size_t n = std::min<std::size_t>(name.size(), 16);
  std::copy_n(name.begin(), n, v.lo.begin());
  v.hi = v.lo;
  if (wildcard) {
    std::fill(v.hi.begin() + static_cast<std::ptrdiff_t>(n), v.hi.end(), std::uint8_t{0xff});
  }
  return v;
}

std::string format_value(NftType type, const NftValue& value) {
  const std::size_t width = nft_type_width(type);
  switch (type) {
    case NftType::Ipv4Addr:
    case NftType::Ipv6Addr: {
      if (value.is_single()) {
        return to_ip(type, value.lo).to_string();
      }
      if (auto len = prefix_len(value.lo, value.hi, width)) {
        return to_ip(type, value.lo).to_string() + "/" + std::to_string(*len);
      }
      return to_ip(type, value.lo).to_string() + "-" + to_ip(type, value.hi).to_string();
    }
    case NftType::InetService: {
      std::string s = std::to_string(to_u16(value.lo));
      if (!value.is_single()) {
        s += "-" + std::to_string(to_u16(value.hi));
      }
      return s;
    }
    case NftType::InetProto: {
      std::string s = proto_text(value.lo[0]);
      if (!value.is_single()) {
        s += "-" + proto_text(value.hi[0]);
      }
      return s;
    }
    case NftType::Ifname: {
      if (value.is_single()) {
        return quoted(ifname_text(value.lo));
      }
      if (auto prefix = ifname_wildcard(value)) {
        return quoted(*prefix + "*");
      }
      return quoted(ifname_text(value.lo)) + "-" + quoted(ifname_text(value.hi));
    }
    case NftType::IcmpType:
    case NftType::IcmpCode:
    case NftType::Icmpv6Type:
    case NftType::Icmpv6Code: {
      std::string s = std::to_string(value.lo[0]);
      if (!value.is_single()) {
        s += "-" + std::to_string(value.hi[0]);
      }
      return s;
    }
  }
  return "?";
}

std::string format_key(const std::vector<NftType>& types, const NftKey& key) {
  std::string s;
  for (std::size_t i = 0; i < key.size(); ++i) {
    if (i > 0) {
      s += " . ";
    }
    s += i < types.size() ? format_value(types[i], key[i]) : "?";
  }
  return s;
}

std::string format_verdict(const NftVerdict& verdict) {
  switch (verdict.kind) {
    case NftVerdict::Kind::Continue:
      return "";
    case NftVerdict::Kind::Accept:
      return "accept";
    case NftVerdict::Kind::Drop:
      return "drop";
    case NftVerdict::Kind::Return:
      return "return";
    case NftVerdict::Kind::Jump:
      return "jump " + verdict.chain;
    case NftVerdict::Kind::Goto:
      return "goto " + verdict.chain;
  }
  return "?";
}

// ---------------------------------------------------------------------------------------
// Fields and matches

NftType nft_field_type(NftField field) {
  switch (field) {
    case NftField::Iifname:
    case NftField::Oifname:
      return NftType::Ifname;
    case NftField::L4proto:
      return NftType::InetProto;
    case NftField::IpSaddr:
    case NftField::IpDaddr:
      return NftType::Ipv4Addr;
    case NftField::Ip6Saddr:
    case NftField::Ip6Daddr:
      return NftType::Ipv6Addr;
    case NftField::ThSport:
    case NftField::ThDport:
      return NftType::InetService;
    case NftField::IcmpType:
      return NftType::IcmpType;
    case NftField::IcmpCode:
      return NftType::IcmpCode;
    case NftField::Icmpv6Type:
      return NftType::Icmpv6Type;
    case NftField::Icmpv6Code:
      return NftType::Icmpv6Code;
  }
  return NftType::Ipv4Addr;
}

std::string_view nft_field_text(NftField field) {
  switch (field) {
    case NftField::Iifname:
      return "iifname";
    case NftField::Oifname:
      return "oifname";
    case NftField::L4proto:
      return "meta l4proto";
    case NftField::IpSaddr:
      return "ip saddr";
    case NftField::IpDaddr:
      return "ip daddr";
    case NftField::Ip6Saddr:
      return "ip6 saddr";
    case NftField::Ip6Daddr:
      return "ip6 daddr";
    case NftField::ThSport:
      return "th sport";
    case NftField::ThDport:
      return "th dport";
    case NftField::IcmpType:
      return "icmp type";
    case NftField::IcmpCode:
      return "icmp code";
    case NftField::Icmpv6Type:
      return "icmpv6 type";
    case NftField::Icmpv6Code:
      return "icmpv6 code";
  }
  return "?";
}

NftMatch NftMatch::eq(NftField field, NftValue value) {
  NftMatch m;
  m.fields = {field};
  m.values = {NftKey{value}};
  return m;
}

NftMatch NftMatch::in(NftField field, const std::vector<NftValue>& values) {
  NftMatch m;
  m.fields = {field};
  m.values.reserve(values.size());
  for (const auto& v : values) {
    m.values.push_back(NftKey{v});
  }
  return m;
}

NftMatch NftMatch::in_set(std::vector<NftField> fields, std::string set) {
  NftMatch m;
  m.fields = std::move(fields);
  m.set = std::move(set);
  return m;
}

NftMatch NftMatch::negated() const {
  NftMatch m = *this;
  m.negate = !m.negate;
  return m;
}

std::vector<NftKey> canonical_values(const NftMatch& match) {
  std::vector<NftKey> keys = match.values;
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  if (match.fields.size() == 1 && !keys.empty() && keys.front().size() == 1) {
    return merge_ranges(std::move(keys), nft_type_width(nft_field_type(match.fields[0])));
  }
  return keys;
}

std::vector<NftType> nft_detail::field_types(const std::vector<NftField>& fields) {
  std::vector<NftType> types;
  types.reserve(fields.size());
  for (const NftField f : fields) {
    types.push_back(nft_field_type(f));
  }
  return types;
}

namespace {

std::string format_match(const NftMatch& m) {
  std::string s;
  for (std::size_t i = 0; i < m.fields.size(); ++i) {
    s += i > 0 ? " . " : "";
    s += nft_field_text(m.fields[i]);
  }
  s += m.negate ? " != " : " ";
  if (!m.set.empty()) {
    return s + "@" + m.set;
  }
  const std::vector<NftType> types = field_types(m.fields);
  const std::vector<NftKey> values = canonical_values(m);
  if (values.size() == 1) {
    return s + format_key(types, values[0]);
  }
  s += "{ ";
  for (std::size_t i = 0; i < values.size(); ++i) {
    s += i > 0 ? ", " : "";
    s += format_key(types, values[i]);
  }
  return s + " }";
}

std::string format_ct_state(const NftCtStateMatch& m) {
  static constexpr std::pair<std::uint32_t, std::string_view> kNames[] = {
      {kNftCtInvalid, "invalid"}, {kNftCtEstablished, "established"}, {kNftCtRelated, "related"},
      {kNftCtNew, "new"},         {kNftCtUntracked, "untracked"},
  };
  std::string s = "ct state ";
  bool first = true;
  std::uint32_t rest = m.states;
  for (const auto& [bit, name] : kNames) {
    if ((m.states & bit) != 0) {
      s += first ? "" : ",";
      s += name;
      first = false;
      rest &= ~bit;
    }
  }
  if (rest != 0) {
    s += first ? "" : ",";
    s += hex32(rest);
  }
  return s;
}

}  // namespace

std::string nft_detail::format_expr(const NftExpr& e) {
  if (const auto* m = std::get_if<NftMatch>(&e)) {
    return format_match(*m);
  }
  if (const auto* ct = std::get_if<NftCtStateMatch>(&e)) {
    return format_ct_state(*ct);
  }
  const auto& mark = std::get<NftMarkMatch>(e);
  return "meta mark & " + hex32(mark.mask) + (mark.negate ? " != " : " == ") + hex32(mark.value);
}

std::string format_rule_body(const NftRule& rule) {
  std::vector<std::string> parts;
  for (const auto& e : rule.matches) {
    parts.push_back(format_expr(e));
  }
  if (rule.counter) {
    parts.emplace_back("counter");
  }
  if (rule.log_prefix) {
    parts.push_back("log prefix " + quoted(*rule.log_prefix));
  }
  if (rule.mark_set) {
    parts.push_back("meta mark set meta mark & " + hex32(~rule.mark_set->mask) + " | " +
                    hex32(rule.mark_set->value));
  }
  if (rule.dispatch) {
    parts.push_back(std::string(nft_field_text(rule.dispatch->field)) + " vmap @" +
                    rule.dispatch->map);
  }
  if (rule.masquerade) {
    parts.emplace_back("masquerade");
  }
  if (std::string v = format_verdict(rule.verdict); !v.empty()) {
    parts.push_back(std::move(v));
  }
  std::string s;
  for (const auto& p : parts) {
    s += s.empty() ? "" : " ";
    s += p;
  }
  return s;
}

std::string rule_fingerprint(const NftRule& rule) {
  if (!rule.kernel_fingerprint.empty()) {
    return rule.kernel_fingerprint;
  }
  std::string data = format_rule_body(rule);
  data.push_back('\0');
  data += rule.comment;
  return nft_detail::hex16(nft_detail::fnv1a(data));
}

std::string rule_kernel_comment(const NftRule& rule) {
  std::string s = "cal:" + rule_fingerprint(rule);
  if (!rule.comment.empty()) {
    s += " " + rule.comment;
  }
  return s;
}

std::string fingerprint_from_comment(std::string_view comment) {
  constexpr std::string_view kPrefix = "cal:";
  constexpr std::size_t kHexDigits = 16;
  if (comment.substr(0, kPrefix.size()) != kPrefix ||
      comment.size() < kPrefix.size() + kHexDigits) {
    return "";
  }
  std::string_view fp = comment.substr(kPrefix.size(), kHexDigits);
  const bool hex = std::all_of(fp.begin(), fp.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
  const bool ends =
      comment.size() == kPrefix.size() + kHexDigits || comment[kPrefix.size() + kHexDigits] == ' ';
  return hex && ends ? std::string(fp) : "";
}

std::string format_rule(const NftRule& rule) {
  if (!rule.kernel_fingerprint.empty() && rule.matches.empty() && !rule.dispatch &&
      rule.verdict.kind == NftVerdict::Kind::Continue && !rule.counter && !rule.masquerade) {
    return "# kernel rule handle " + std::to_string(rule.handle) + " fingerprint " +
           rule.kernel_fingerprint;
  }
  std::string body = format_rule_body(rule);
  return body + (body.empty() ? "" : " ") + "comment " + quoted(rule_kernel_comment(rule));
}

// ---------------------------------------------------------------------------------------
// Chains, sets, plans

std::string_view nft_hook_name(NftHook hook) {
  switch (hook) {
    case NftHook::Prerouting:
      return "prerouting";
    case NftHook::Input:
      return "input";
    case NftHook::Forward:
      return "forward";
    case NftHook::Output:
      return "output";
    case NftHook::Postrouting:
      return "postrouting";
  }
  return "?";
}

std::string_view nft_chain_type_name(NftChainType type) {
  switch (type) {
    case NftChainType::Filter:
      return "filter";
    case NftChainType::Nat:
      return "nat";
    case NftChainType::Route:
      return "route";
  }
  return "?";
}

NftChain& NftPlan::add_chain(std::string name, std::optional<NftBaseChain> base) {
  NftChain& c = chains[name];
  c = NftChain{std::move(name), base, {}};
  return c;
}

NftSet& NftPlan::add_set(std::string name, std::vector<NftType> key, bool interval) {
  NftSet& s = sets[name];
  s = NftSet{std::move(name), std::move(key), interval, {}};
  return s;
}

NftMap& NftPlan::add_map(std::string name, std::vector<NftType> key) {
  NftMap& m = maps[name];
  m = NftMap{std::move(name), std::move(key), {}};
  return m;
}

std::set<NftKey> canonical_elements(const NftSet& set) {
  if (!set.interval || set.key.size() != 1) {
    return set.elements;
  }
  std::vector<NftKey> keys;
  keys.reserve(set.elements.size());
  for (const auto& k : set.elements) {
    if (k.size() != 1) {
      return set.elements;  // malformed; validate() reports it
    }
    keys.push_back(k);
  }
  std::vector<NftKey> merged = merge_ranges(std::move(keys), nft_type_width(set.key[0]));
  return std::set<NftKey>(std::make_move_iterator(merged.begin()),
                          std::make_move_iterator(merged.end()));
}

}  // namespace calico::policy
