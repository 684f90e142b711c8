#include <algorithm>
#include <cctype>
#include <charconv>
#include <regex>

#include "api/selector.h"
#include "api/validation.h"
#include "common/net/ip.h"

namespace calico::api {
namespace {

std::string quoted(const std::string& v) {
  return "\"" + v + "\"";
}

}  // namespace

bool Checker::cidr(const std::string& path, const std::string& value) {
  if (!net::Cidr::parse(value)) {
    add(path, quoted(value) + " is not a valid CIDR");
    return false;
  }
  return true;
}

bool Checker::masked_cidr(const std::string& path, const std::string& value) {
  const auto c = net::Cidr::parse(value);
  if (!c) {
    add(path, quoted(value) + " is not a valid CIDR");
    return false;
  }
  if (!c->is_masked()) {
    add(path, quoted(value) + " has host bits set (did you mean " +
                  quoted(c->masked().to_string()) + "?)");
    return false;
  }
  return true;
}

bool Checker::ip(const std::string& path, const std::string& value) {
  if (!net::IpAddr::parse(value)) {
    add(path, quoted(value) + " is not a valid IP address");
    return false;
  }
  return true;
}

bool Checker::ip_or_cidr(const std::string& path, const std::string& value) {
  if (!net::Cidr::parse_addr_or_cidr(value)) {
    add(path, quoted(value) + " is not a valid IP address or CIDR");
    return false;
  }
  return true;
}

bool Checker::dns1123_subdomain(const std::string& path, const std::string& value) {
  static const std::regex kRe("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  if (value.empty() || value.size() > 253 || !std::regex_match(value, kRe)) {
    add(path, quoted(value) +
                  " is not a valid name (lower-case letters, digits, '-' and '.', at most 253 "
                  "characters, starting and ending with a letter or digit)");
    return false;
  }
  return true;
}

bool Checker::dns1123_label(const std::string& path, const std::string& value) {
  static const std::regex kRe("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  if (value.empty() || value.size() > 63 || !std::regex_match(value, kRe)) {
    add(path, quoted(value) +
                  " is not a valid label name (lower-case letters, digits and '-', at most 63 "
                  "characters)");
    return false;
  }
  return true;
}

bool Checker::label_key(const std::string& path, const std::string& key) {
  // [prefix/]name: prefix a DNS-1123 subdomain, name <= 63 of [A-Za-z0-9_.-], alnum ends.
  static const std::regex kName("([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]");
  static const std::regex kPrefix(
      "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  std::string name = key;
  const auto slash = key.find('/');
  if (slash != std::string::npos) {
    const std::string prefix = key.substr(0, slash);
    name = key.substr(slash + 1);
    if (prefix.empty() || prefix.size() > 253 || !std::regex_match(prefix, kPrefix)) {
      add(path, "label key " + quoted(key) + " has an invalid prefix");
      return false;
    }
  }
  if (name.empty() || name.size() > 63 || !std::regex_match(name, kName)) {
    add(path, "label key " + quoted(key) + " is not valid");
    return false;
  }
  return true;
}

bool Checker::label_value(const std::string& path, const std::string& value) {
  static const std::regex kRe("(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?");
  if (value.size() > 63 || !std::regex_match(value, kRe)) {
    add(path, "label value " + quoted(value) + " is not valid");
    return false;
  }
  return true;
}

bool Checker::labels(const std::string& path, const std::map<std::string, std::string>& labels) {
  bool ok = true;
  for (const auto& [k, v] : labels) {
    const std::string p = path + "." + k;
    ok = label_key(p, k) && ok;
    ok = label_value(p, v) && ok;
  }
  return ok;
}

namespace {

// Parses a selector field; records syntax and length errors.
std::optional<Selector> parse_selector_field(Checker& c, const std::string& path,
                                             const std::string& value) {
  if (value.size() > kMaxSelectorLength) {
    c.add(path, "selector is longer than " + std::to_string(kMaxSelectorLength) + " characters");
    return std::nullopt;
  }
  auto sel = Selector::parse(value);
  if (!sel) {
    c.add(path, quoted(value) + " is not a valid selector: " + sel.error().to_string());
    return std::nullopt;
  }
  return std::move(*sel);
}

}  // namespace

bool Checker::selector(const std::string& path, const std::string& value) {
  const auto sel = parse_selector_field(*this, path, value);
  if (!sel) {
    return false;
  }
  if (sel->uses_global()) {
    add(path, "global() can only be used in a rule's namespaceSelector");
    return false;
  }
  return true;
}

bool Checker::namespace_selector(const std::string& path, const std::string& value) {
  const auto sel = parse_selector_field(*this, path, value);
  if (!sel) {
    return false;
  }
  if (sel->uses_global() && sel->root().op != SelectorOp::Global) {
    add(path, "global() must be the whole namespaceSelector, not part of an expression");
    return false;
  }
  return true;
}

bool Checker::one_of(const std::string& path, const std::string& value,
                     std::initializer_list<std::string_view> allowed, bool allow_empty) {
  if (value.empty() && allow_empty) {
    return true;
  }
  std::string list;
  for (auto a : allowed) {
    if (a == value) {
      return true;
    }
    list += list.empty() ? "" : ", ";
    list += a;
  }
  add(path, quoted(value) + " is not one of " + list);
  return false;
}

bool Checker::duration(const std::string& path, const std::string& value) {
  static const std::regex kRe("([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+|0");
  if (!std::regex_match(value, kRe)) {
    add(path, quoted(value) + " is not a valid duration (e.g. 90s, 1m30s, 500ms)");
    return false;
  }
  return true;
}

bool Checker::required(const std::string& path, const std::string& value) {
  if (value.empty()) {
    add(path, "is required");
    return false;
  }
  return true;
}

bool Checker::ipv4(const std::string& path, const std::string& value) {
  const auto a = net::IpAddr::parse(value);
  if (!value.empty() && (!a || !a->is_v4())) {
    add(path, quoted(value) + " is not a valid IPv4 address");
    return false;
  }
  return true;
}

bool Checker::ipv6(const std::string& path, const std::string& value) {
  const auto a = net::IpAddr::parse(value);
  if (!value.empty() && (!a || !a->is_v6())) {
    add(path, quoted(value) + " is not a valid IPv6 address");
    return false;
  }
  return true;
}

namespace {

// Accepts "IP", "IPv4:port" and "[IPv6]:port" (port 1-65535); returns the address.
std::optional<net::IpAddr> parse_ip_port(const std::string& value) {
  std::string host = value;
  std::string port;
  if (!value.empty() && value.front() == '[') {
    // [IPv6]:port
    const auto close = value.find("]:");
    if (close == std::string::npos) {
      return std::nullopt;
    }
    host = value.substr(1, close - 1);
    port = value.substr(close + 2);
    const auto a = net::IpAddr::parse(host);
    if (!a || !a->is_v6()) {
      return std::nullopt;
    }
  } else if (std::count(value.begin(), value.end(), ':') == 1) {
    // IPv4:port
    const auto colon = value.find(':');
    host = value.substr(0, colon);
    port = value.substr(colon + 1);
    const auto a = net::IpAddr::parse(host);
    if (!a || !a->is_v4()) {
      return std::nullopt;
    }
  }
  if (!port.empty() || host != value) {
    unsigned n = 0;
    const auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
    if (port.empty() || ec != std::errc() || p != port.data() + port.size() || n < 1 || n > 65535) {
      return std::nullopt;
    }
  }
  return net::IpAddr::parse(host);
}

}  // namespace

bool Checker::ip_port(const std::string& path, const std::string& value) {
  if (!value.empty() && !parse_ip_port(value)) {
    add(path, quoted(value) + " is not a valid IP address");
    return false;
  }
  return true;
}

bool Checker::cidr_of_version(const std::string& path, const std::string& value, int version) {
  const auto c = net::Cidr::parse(value);
  if (!value.empty() && (!c || static_cast<int>(c->family()) != version)) {
    add(path, quoted(value) + " is not a valid IPv" + std::to_string(version) + " CIDR");
    return false;
  }
  return true;
}

bool Checker::address_prefix(const std::string& path, const std::string& value, int version) {
  const auto c = net::Cidr::parse_addr_or_cidr(value);
  if (!value.empty() && (!c || static_cast<int>(c->family()) != version)) {
    add(path, quoted(value) + " is not a valid IPv" + std::to_string(version) +
                  " address/prefix (e.g. " + (version == 4 ? "10.0.0.1/24" : "fd00::1/64") + ")");
    return false;
  }
  return true;
}

bool Checker::mac(const std::string& path, const std::string& value) {
  static const std::regex kRe("[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(\\1[0-9A-Fa-f]{2}){4}");
  if (!value.empty() && !std::regex_match(value, kRe)) {
    add(path, quoted(value) + " is not a valid MAC address");
    return false;
  }
  return true;
}

bool Checker::interface_name(const std::string& path, const std::string& value, bool wildcards) {
  static const std::regex kPlain("[a-zA-Z0-9_.-]{1,15}");
  static const std::regex kGlob("[a-zA-Z0-9_.*-]{1,15}");
  if (!value.empty() && !std::regex_match(value, wildcards ? kGlob : kPlain)) {
    add(path, quoted(value) + " is not a valid interface name" + (wildcards ? " pattern" : "") +
                  " (at most 15 of a-z, A-Z, 0-9, '_', '.', '-'" + (wildcards ? ", '*'" : "") +
                  ")");
    return false;
  }
  return true;
}

bool Checker::port(const std::string& path, const Port& value) {
  std::string why;
  if (!value.valid(why)) {
    add(path, why);
    return false;
  }
  if (!value.is_named() && value.min() < 1) {
    add(path, "port " + quoted(value.to_string()) + " is out of range 1-65535");
    return false;
  }
  return true;
}

bool Checker::community(const std::string& path, const std::string& value) {
  static const std::regex kStandard("([0-9]+):([0-9]+)");
  static const std::regex kLarge("([0-9]+):([0-9]+):([0-9]+)");
  std::smatch m;
  std::uint64_t limit = 0;
  if (std::regex_match(value, m, kStandard)) {
    limit = 0xffff;
  } else if (std::regex_match(value, m, kLarge)) {
    limit = 0xffffffff;
  } else {
    add(path, quoted(value) + " is not a valid BGP community (aa:nn or aa:nn:mm)");
    return false;
  }
  for (std::size_t i = 1; i < m.size(); ++i) {
    const std::string part = m[i].str();
    std::uint64_t n = 0;
    const auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), n);
    if (ec != std::errc() || n > limit) {
      add(path, quoted(value) + " is not a valid BGP community (each part must be at most " +
                    std::to_string(limit) + ")");
      return false;
    }
  }
  return true;
}

bool Checker::log_severity(const std::string& path, const std::string& value) {
  static const std::regex kRe("(trace|debug|info|warning|error|fatal)", std::regex::icase);
  if (!value.empty() && !std::regex_match(value, kRe)) {
    add(path, quoted(value) + " is not one of Trace, Debug, Info, Warning, Error, Fatal");
    return false;
  }
  return true;
}

bool Checker::in_range(const std::string& path, std::int64_t value, std::int64_t min,
                       std::int64_t max) {
  if (value < min || value > max) {
    add(path, std::to_string(value) + " is out of range " + std::to_string(min) + "-" +
                  std::to_string(max));
    return false;
  }
  return true;
}

bool Checker::annotations(const std::string& path,
                          const std::map<std::string, std::string>& annotations) {
  bool ok = true;
  for (const auto& [k, v] : annotations) {
    // Kubernetes checks annotation keys case-insensitively (IsQualifiedName(lower(key))).
    std::string lower = k;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    std::vector<FieldError> key_errs;
    Checker kc(key_errs);
    if (!kc.label_key(path, lower)) {
      add(path + "." + k, "annotation key " + quoted(k) + " is not valid");
      ok = false;
    }
  }
  return ok;
}

namespace {

// Calico's policy-name forms (validator/v3): NetworkPolicy "<label>[.<label>]" or the
// converted-policy forms "knp.default.<subdomain>" / "ossg.default.<subdomain>";
// GlobalNetworkPolicy "[<label>.]<label>".
bool valid_policy_name(Kind kind, const std::string& name) {
  static const std::string kLabel = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
  static const std::string kSubdomain = kLabel + "(\\." + kLabel + ")*";
  static const std::regex kNp("(" + kLabel + ")(\\." + kLabel + ")?|(knp|ossg)\\.default\\." +
                              kSubdomain);
  static const std::regex kGnp("(" + kLabel + "\\.)?" + kLabel);
  return name.size() <= 253 && std::regex_match(name, kind == Kind::NetworkPolicy ? kNp : kGnp);
}

}  // namespace

void validate_metadata(Kind kind, const ObjectMeta& meta, std::vector<FieldError>& errs) {
  Checker c(errs);
  if (meta.name.empty()) {
    c.add("metadata.name", "is required");
  } else if (kind == Kind::Tier) {
    // Tier names must fit in a label value and appear inside policy names: no dots.
    c.dns1123_label("metadata.name", meta.name);
  } else if (kind == Kind::NetworkPolicy || kind == Kind::GlobalNetworkPolicy) {
    if (!valid_policy_name(kind, meta.name)) {
      c.add("metadata.name", quoted(meta.name) +
                                 " is not a valid policy name (lower-case letters, digits and "
                                 "'-', optionally prefixed with \"<tier>.\")");
    }
  } else {
    c.dns1123_subdomain("metadata.name", meta.name);
  }
  if (info(kind).namespaced) {
    if (!meta.ns.empty()) {
      c.dns1123_label("metadata.namespace", meta.ns);
    }
  } else if (!meta.ns.empty()) {
    c.add("metadata.namespace", std::string(info(kind).name) + " is cluster scoped; namespace " +
                                    quoted(meta.ns) + " must not be set");
  }
  c.labels("metadata.labels", meta.labels);
  c.annotations("metadata.annotations", meta.annotations);
}

}  // namespace calico::api
