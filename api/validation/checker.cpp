#include <regex>

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

bool Checker::selector(const std::string& /*path*/, const std::string& /*value*/) {
  return true;  // STUB: replaced by the selector parser
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

void validate_metadata(Kind kind, const ObjectMeta& meta, std::vector<FieldError>& errs) {
  Checker c(errs);
  if (meta.name.empty()) {
    c.add("metadata.name", "is required");
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
}

}  // namespace calico::api
