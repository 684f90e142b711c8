// CNI protocol basics: environment, versions, network config, errors and results.
// Section references are to containernetworking/cni SPEC.md (1.1.0 unless noted).
#include "cni/spec.h"

#include <algorithm>
#include <ostream>
#include <utility>

#include "cni/json_reader.h"
#include "common/net/ip.h"

namespace calico::cni {
namespace {

using detail::FieldReader;
using detail::in_quotes;
using nlohmann::json;
using nlohmann::ordered_json;

constexpr std::array<std::string_view, 6> kCommands = {"ADD",     "DEL", "CHECK",
                                                       "VERSION", "GC",  "STATUS"};
constexpr std::size_t kMaxIfnameLen = 15;  // IFNAMSIZ - 1

// Output like libcni's (4-space indent); invalid UTF-8 is replaced instead of throwing.
std::string dump(const ordered_json& j) {
  return j.dump(4, ' ', false, ordered_json::error_handler_t::replace);
}

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool is_name_char(char c) {
  return is_alnum(c) || c == '_' || c == '.' || c == '-';
}
bool is_space(char c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}

std::string join(const auto& items, std::string_view sep) {
  std::string out;
  bool first = true;
  for (const auto& item : items) {
    out += first ? std::string_view() : sep;
    out += item;
    first = false;
  }
  return out;
}

// ---- Environment ----

// §2 "CNI operations": the required variables per command.  (libcni's skel also insists
// on CNI_PATH for DEL, GC and STATUS; the spec lists it as optional there, so do we.)
bool required_for(std::string_view var, std::string_view cmd) {
  const bool add_or_check = cmd == "ADD" || cmd == "CHECK";
  if (var == "CNI_CONTAINERID" || var == "CNI_IFNAME") {
    return add_or_check || cmd == "DEL";
  }
  return add_or_check;  // CNI_NETNS, CNI_PATH
}

Error env_error(std::string msg, std::string details = {}) {
  return Error{kErrInvalidEnvironment, std::move(msg), std::move(details)};
}

// §2 "Parameters": alphanumeric first, then alphanumerics, '_', '.', '-'.
std::optional<Error> validate_container_id(const std::string& id) {
  if (is_alnum(id.front()) && std::all_of(id.begin(), id.end(), is_name_char)) {
    return std::nullopt;
  }
  return env_error("invalid characters in CNI_CONTAINERID " + in_quotes(id));
}

// §2 (0.4.0 wording): non-empty, under 16 characters, not "." or "..", and no '/', ':'
// or whitespace (the kernel's dev_valid_name).
std::optional<Error> validate_ifname(const std::string& name) {
  std::string why;
  if (name.size() > kMaxIfnameLen) {
    why = "longer than 15 characters";
  } else if (name == "." || name == "..") {
    why = "must not be . or ..";
  } else if (std::any_of(name.begin(), name.end(),
                         [](char c) { return c == '/' || c == ':' || is_space(c); })) {
    why = "contains / or : or whitespace";
  } else {
    return std::nullopt;
  }
  return env_error("invalid CNI_IFNAME " + in_quotes(name) + ": " + why);
}

// "K=V;K2=V2": every non-empty pair must hold exactly one '=' and a non-empty key.
Result<std::vector<std::pair<std::string, std::string>>, Error> parse_cni_args(
    std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!text.empty()) {
    const std::size_t semi = text.find(';');
    const std::string_view pair = text.substr(0, semi);
    text = semi == std::string_view::npos ? std::string_view() : text.substr(semi + 1);
    if (pair.empty()) {
      continue;
    }
    const std::size_t eq = pair.find('=');
    if (eq == 0 || eq == std::string_view::npos ||
        pair.find('=', eq + 1) != std::string_view::npos) {
      return fail(env_error("invalid CNI_ARGS pair " + in_quotes(pair) + ": want KEY=VALUE"));
    }
    out.emplace_back(std::string(pair.substr(0, eq)), std::string(pair.substr(eq + 1)));
  }
  return out;
}

// ---- Results: writing ----

enum class Format { Legacy, V03, V1 };

Format format_for(std::string_view version) {
  const auto v = parse_version(version);
  if (!v || *v >= SemVer{1, 0, 0}) {
    return Format::V1;
  }
  return *v >= SemVer{0, 3, 0} ? Format::V03 : Format::Legacy;
}

bool is_v6(std::string_view address) {
  if (auto c = net::Cidr::parse_addr_or_cidr(address)) {
    return c->family() == net::Family::V6;
  }
  return address.find(':') != std::string_view::npos;
}

void put_opt(ordered_json& out, const char* key, const std::optional<int>& v) {
  if (v) {
    out[key] = *v;
  }
}
void put_nonempty(ordered_json& out, const char* key, const std::string& v) {
  if (!v.empty()) {
    out[key] = v;
  }
}

ordered_json route_json(const Route& r) {
  ordered_json out = {{"dst", r.dst}};
  if (r.gw) {
    out["gw"] = *r.gw;
  }
  put_opt(out, "mtu", r.mtu);
  put_opt(out, "advmss", r.advmss);
  put_opt(out, "priority", r.priority);
  put_opt(out, "table", r.table);
  put_opt(out, "scope", r.scope);
  return out;
}

ordered_json dns_json(const Dns& d) {
  ordered_json out = ordered_json::object();
  if (!d.nameservers.empty()) {
    out["nameservers"] = d.nameservers;
  }
  put_nonempty(out, "domain", d.domain);
  if (!d.search.empty()) {
    out["search"] = d.search;
  }
  if (!d.options.empty()) {
    out["options"] = d.options;
  }
  return out;
}

// 0.1.0 / 0.2.0: one address per family (libcni's convertTo02x).
void put_legacy(ordered_json& out, const CniResult& r) {
  ordered_json ip4;
  ordered_json ip6;
  for (const auto& ip : r.ips) {
    ordered_json& slot = is_v6(ip.address) ? ip6 : ip4;
    if (slot.is_null()) {
      slot = {{"ip", ip.address}};
      if (ip.gateway) {
        slot["gateway"] = *ip.gateway;
      }
    }
  }
  for (const auto& route : r.routes) {
    ordered_json& slot = is_v6(route.dst) ? ip6 : ip4;
    if (!slot.is_null()) {
      slot["routes"].push_back(route_json(route));
    }
  }
  if (!ip4.is_null()) {
    out["ip4"] = std::move(ip4);
  }
  if (!ip6.is_null()) {
    out["ip6"] = std::move(ip6);
  }
}

void put_current(ordered_json& out, const CniResult& r, Format format) {
  const bool v1 = format == Format::V1;
  for (const auto& i : r.interfaces) {
    ordered_json j = {{"name", i.name}};
    put_nonempty(j, "mac", i.mac);
    if (v1) {
      put_opt(j, "mtu", i.mtu);
    }
    put_nonempty(j, "sandbox", i.sandbox);
    if (v1) {
      put_nonempty(j, "socketPath", i.socket_path);
      put_nonempty(j, "pciID", i.pci_id);
    }
    out["interfaces"].push_back(std::move(j));
  }
  for (const auto& ip : r.ips) {
    ordered_json j = ordered_json::object();
    if (!v1) {
      j["version"] = is_v6(ip.address) ? "6" : "4";
    }
    j["address"] = ip.address;
    if (ip.gateway) {
      j["gateway"] = *ip.gateway;
    }
    put_opt(j, "interface", ip.interface);
    out["ips"].push_back(std::move(j));
  }
  for (const auto& route : r.routes) {
    out["routes"].push_back(route_json(route));
  }
}

// ---- Results: reading ----

std::string indexed(std::string_view where, std::size_t i) {
  return std::string(where) + "[" + std::to_string(i) + "]";
}

void check_cidr(FieldReader& r, const std::string& path, const std::string& text,
                std::optional<net::Family> family = std::nullopt) {
  const auto cidr = net::Cidr::parse(text);
  if (!cidr) {
    r.fail(path, "not an address in CIDR notation: " + in_quotes(text));
  } else if (family && cidr->family() != *family) {
    r.fail(path, "wrong address family: " + in_quotes(text));
  }
}

void check_ip(FieldReader& r, const std::string& path, const std::optional<std::string>& text) {
  if (text && !net::IpAddr::parse(*text)) {
    r.fail(path, "not an IP address: " + in_quotes(*text));
  }
}

Route read_route(FieldReader& r, const json& j, const std::string& where) {
  Route route;
  if (!j.is_object()) {
    r.fail(where, "must be an object");
    return route;
  }
  route.dst = r.required_string(j, "dst", where);
  if (r.ok()) {
    check_cidr(r, where + ".dst", route.dst);
  }
  route.gw = r.opt_string(j, "gw", where);
  check_ip(r, where + ".gw", route.gw);
  route.mtu = r.opt_uint(j, "mtu", where);
  route.advmss = r.opt_uint(j, "advmss", where);
  route.priority = r.opt_uint(j, "priority", where);
  route.table = r.opt_uint(j, "table", where);
  route.scope = r.opt_uint(j, "scope", where);
  return route;
}

void read_routes(FieldReader& r, const json& obj, const std::string& where,
                 std::vector<Route>& out) {
  if (const json* routes = r.array(obj, "routes", where)) {
    for (std::size_t i = 0; i < routes->size(); ++i) {
      out.push_back(read_route(r, (*routes)[i], indexed(detail::join_path(where, "routes"), i)));
    }
  }
}

void read_legacy(FieldReader& r, const json& j, CniResult& out) {
  for (const auto* key : {"ip4", "ip6"}) {
    const json* o = r.object(j, key, "");
    if (o == nullptr) {
      continue;
    }
    const auto family = key == std::string_view("ip6") ? net::Family::V6 : net::Family::V4;
    IpConfig ip;
    ip.address = r.required_string(*o, "ip", key);
    if (r.ok()) {
      check_cidr(r, std::string(key) + ".ip", ip.address, family);
    }
    ip.gateway = r.opt_string(*o, "gateway", key);
    check_ip(r, std::string(key) + ".gateway", ip.gateway);
    out.ips.push_back(std::move(ip));
    read_routes(r, *o, key, out.routes);
  }
}

void read_current(FieldReader& r, const json& j, CniResult& out) {
  if (const json* ifs = r.array(j, "interfaces", "")) {
    for (std::size_t i = 0; i < ifs->size(); ++i) {
      const json& e = (*ifs)[i];
      const std::string where = indexed("interfaces", i);
      if (!e.is_object()) {
        r.fail(where, "must be an object");
        continue;
      }
      out.interfaces.push_back(
          Interface{r.required_string(e, "name", where), r.string(e, "mac", where),
                    r.opt_uint(e, "mtu", where), r.string(e, "sandbox", where),
                    r.string(e, "socketPath", where), r.string(e, "pciID", where)});
    }
  }
  if (const json* ips = r.array(j, "ips", "")) {
    for (std::size_t i = 0; i < ips->size(); ++i) {
      const json& e = (*ips)[i];
      const std::string where = indexed("ips", i);
      if (!e.is_object()) {
        r.fail(where, "must be an object");
        continue;
      }
      IpConfig ip{r.required_string(e, "address", where), r.opt_string(e, "gateway", where),
                  r.opt_uint(e, "interface", where)};
      // 0.3.x/0.4.0 carry "version"; it must agree with the address.
      const auto version = r.opt_string(e, "version", where);
      if (version && *version != "4" && *version != "6") {
        r.fail(where + ".version", "must be \"4\" or \"6\", got " + in_quotes(*version));
      }
      if (r.ok()) {
        std::optional<net::Family> family;
        if (version) {
          family = *version == "6" ? net::Family::V6 : net::Family::V4;
        }
        check_cidr(r, where + ".address", ip.address, family);
      }
      check_ip(r, where + ".gateway", ip.gateway);
      out.ips.push_back(std::move(ip));
    }
  }
  read_routes(r, j, "", out.routes);
}

}  // namespace

// ---- Errors ----

std::ostream& operator<<(std::ostream& os, const Error& e) {
  os << "CNI error " << e.code << ": " << e.msg;
  if (!e.details.empty()) {
    os << " (" << e.details << ")";
  }
  return os;
}

std::string error_json(const Error& e, const std::string& cni_version) {
  ordered_json out = {{"cniVersion", cni_version}, {"code", e.code}, {"msg", e.msg}};
  put_nonempty(out, "details", e.details);
  return dump(out);
}

// ---- Versions ----

std::optional<SemVer> parse_version(std::string_view text) {
  std::array<int, 3> parts{};
  std::size_t n = 0;
  while (true) {
    const std::size_t dot = text.find('.');
    const std::string_view part = text.substr(0, dot);
    if (n == parts.size() || part.empty() || part.size() > 9 ||
        !std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return std::nullopt;
    }
    for (char c : part) {
      parts[n] = parts[n] * 10 + (c - '0');
    }
    ++n;
    if (dot == std::string_view::npos) {
      break;
    }
    text = text.substr(dot + 1);
  }
  return SemVer{parts[0], parts[1], parts[2]};
}

bool version_at_least(std::string_view version, std::string_view minimum) {
  const auto v = parse_version(version);
  const auto m = parse_version(minimum);
  return v && m && *v >= *m;
}

Result<void, Error> check_version(const std::string& version) {
  if (std::find(kSupportedVersions.begin(), kSupportedVersions.end(), version) !=
      kSupportedVersions.end()) {
    return {};
  }
  const auto v = parse_version(version);
  const char* why = !v                                    ? "not a valid version"
                    : *v > *parse_version(kLatestVersion) ? "newer than supported"
                                                          : "not supported";
  return fail(Error{kErrIncompatibleVersion,
                    "incompatible CNI version " + in_quotes(version) + " (" + why +
                        "); supported versions: " + join(kSupportedVersions, ", "),
                    {}});
}

std::string version_json(const std::string& requested_version) {
  ordered_json out = {
      {"cniVersion", requested_version.empty() ? std::string(kLatestVersion) : requested_version},
      {"supportedVersions", ordered_json::array()}};
  for (auto v : kSupportedVersions) {
    out["supportedVersions"].push_back(std::string(v));
  }
  return dump(out);
}

// ---- Environment ----

Result<Env, Error> parse_env(const GetEnv& getenv) {
  auto get = [&getenv](const char* name) { return getenv(name).value_or(std::string()); };
  Env env;
  env.command = get("CNI_COMMAND");
  if (env.command.empty()) {
    return fail(env_error("required env variables [CNI_COMMAND] missing"));
  }
  if (std::find(kCommands.begin(), kCommands.end(), env.command) == kCommands.end()) {
    return fail(env_error("unknown CNI_COMMAND: " + in_quotes(env.command),
                          "expected one of " + join(kCommands, ", ")));
  }
  env.container_id = get("CNI_CONTAINERID");
  env.netns = get("CNI_NETNS");
  env.ifname = get("CNI_IFNAME");
  env.path = get("CNI_PATH");

  const std::array<std::pair<const char*, const std::string*>, 4> vars = {{
      {"CNI_CONTAINERID", &env.container_id},
      {"CNI_NETNS", &env.netns},
      {"CNI_IFNAME", &env.ifname},
      {"CNI_PATH", &env.path},
  }};
  std::vector<std::string> missing;
  for (const auto& [name, value] : vars) {
    if (value->empty() && required_for(name, env.command)) {
      missing.emplace_back(name);
    }
  }
  if (!missing.empty()) {
    return fail(env_error("required env variables [" + join(missing, ",") + "] missing"));
  }
  if (required_for("CNI_CONTAINERID", env.command)) {
    if (auto err = validate_container_id(env.container_id)) {
      return fail(*err);
    }
    if (auto err = validate_ifname(env.ifname)) {
      return fail(*err);
    }
  }
  auto args = parse_cni_args(get("CNI_ARGS"));
  if (!args) {
    return fail(args.error());
  }
  env.args = std::move(*args);
  return env;
}

std::optional<std::string> arg(const Env& env, std::string_view key) {
  for (auto it = env.args.rbegin(); it != env.args.rend(); ++it) {
    if (it->first == key) {
      return it->second;
    }
  }
  return std::nullopt;
}

// ---- Network configuration ----

Result<NetConf, Error> parse_netconf(std::string_view bytes) {
  NetConf conf;
  try {
    conf.raw = json::parse(bytes.data(), bytes.data() + bytes.size());
  } catch (const json::exception& e) {
    return fail(
        Error{kErrDecodingFailure, std::string("error decoding network config: ") + e.what(), {}});
  }
  if (!conf.raw.is_object()) {
    return fail(Error{kErrDecodingFailure,
                      "error decoding network config: not a JSON object, got " +
                          std::string(conf.raw.type_name()),
                      {}});
  }
  FieldReader r(kErrInvalidNetworkConfig, "invalid network config");
  const json& j = conf.raw;
  conf.cni_version = r.string(j, "cniVersion", "");
  if (conf.cni_version.empty()) {
    conf.cni_version = kDefaultConfigVersion;
  }
  conf.name = r.required_string(j, "name", "");
  if (r.ok() &&
      (conf.name.empty() || !std::all_of(conf.name.begin(), conf.name.end(), is_name_char))) {
    r.fail("name",
           "invalid network name " + in_quotes(conf.name) + ": must match ^[a-zA-Z0-9_.\\-]+$");
  }
  conf.type = r.required_string(j, "type", "");
  // §1 "Plugin configuration objects": type names a binary, so no path separators.
  if (r.ok() && (conf.type.empty() || conf.type.find_first_of("/\\") != std::string::npos)) {
    r.fail("type", "invalid plugin type " + in_quotes(conf.type));
  }
  if (const json* prev = r.object(j, "prevResult", "")) {
    conf.prev_result = *prev;
  }
  const json* ipam = r.object(j, "ipam", "");
  conf.ipam = ipam != nullptr ? *ipam : json::object();
  // §2 "GC": the attachments that are still valid.
  const std::string attachments_key = "cni.dev/valid-attachments";
  if (const json* list = r.array(j, attachments_key, "")) {
    for (std::size_t i = 0; i < list->size(); ++i) {
      const std::string where = indexed(attachments_key, i);
      const json& e = (*list)[i];
      if (!e.is_object()) {
        r.fail(where, "must be an object");
        continue;
      }
      conf.valid_attachments.push_back(Attachment{r.required_string(e, "containerID", where),
                                                  r.required_string(e, "ifname", where)});
    }
  }
  if (!r.ok()) {
    return fail(*r.error());
  }
  return conf;
}

// ---- Results ----

std::string result_json(const CniResult& r, const std::string& cni_version) {
  ordered_json out = {{"cniVersion", cni_version}};
  const Format format = format_for(cni_version);
  if (format == Format::Legacy) {
    put_legacy(out, r);
  } else {
    put_current(out, r, format);
  }
  out["dns"] = dns_json(r.dns);
  return dump(out);
}

Result<CniResult, Error> parse_result(const json& j) {
  if (!j.is_object()) {
    return fail(Error{kErrDecodingFailure,
                      "invalid CNI result: not a JSON object, got " + std::string(j.type_name()),
                      {}});
  }
  FieldReader r(kErrDecodingFailure, "invalid CNI result");
  const auto version = r.opt_string(j, "cniVersion", "");
  const auto semver = version ? parse_version(*version) : std::nullopt;
  const bool legacy = semver ? *semver < SemVer{0, 3, 0}
                             : !j.contains("ips") && (j.contains("ip4") || j.contains("ip6"));
  CniResult out;
  if (legacy) {
    read_legacy(r, j, out);
  } else {
    read_current(r, j, out);
  }
  if (const json* dns = r.object(j, "dns", "")) {
    out.dns.nameservers = r.string_list(*dns, "nameservers", "dns");
    out.dns.domain = r.string(*dns, "domain", "dns");
    out.dns.search = r.string_list(*dns, "search", "dns");
    out.dns.options = r.string_list(*dns, "options", "dns");
  }
  if (!r.ok()) {
    return fail(*r.error());
  }
  return out;
}

Result<CniResult, Error> parse_result_text(std::string_view bytes) {
  json j;
  try {
    j = json::parse(bytes.data(), bytes.data() + bytes.size());
  } catch (const json::exception& e) {
    return fail(
        Error{kErrDecodingFailure, std::string("error decoding CNI result: ") + e.what(), {}});
  }
  return parse_result(j);
}

// ---- The shared front and back of a plugin run -----------------------------------------

PluginOutput error_output(const Error& e, const std::string& version) {
  return PluginOutput{error_json(e, version) + "\n", 1};
}

Result<void, Error> require_version(const NetConf& conf, const std::string& command,
                                    std::string_view minimum) {
  if (version_at_least(conf.cni_version, minimum)) {
    return {};
  }
  return fail(Error{kErrIncompatibleVersion,
                    "config version " + conf.cni_version + " does not allow " + command +
                        " (needs cniVersion " + std::string(minimum) + " or later)",
                    {}});
}

std::variant<PluginInvocation, PluginOutput> begin_plugin_run(std::string_view stdin_bytes,
                                                              const GetEnv& getenv) {
  auto env = parse_env(getenv);
  if (!env) {
    return error_output(env.error(), std::string(kLatestVersion));
  }
  if (env->command == "VERSION") {
    // The request may carry {"cniVersion": ...}; anything unreadable asks for the latest.
    std::string requested;
    const auto j = nlohmann::json::parse(stdin_bytes, nullptr, /*allow_exceptions=*/false);
    if (j.is_object() && j.contains("cniVersion") && j["cniVersion"].is_string()) {
      requested = j["cniVersion"].get<std::string>();
    }
    return PluginOutput{version_json(requested) + "\n", 0};
  }
  auto conf = parse_netconf(stdin_bytes);
  if (!conf) {
    return error_output(conf.error(), std::string(kLatestVersion));
  }
  if (auto v = check_version(conf->cni_version); !v) {
    return error_output(v.error(), conf->cni_version);
  }
  return PluginInvocation{std::move(*env), std::move(*conf)};
}

Result<CniResult, Error> check_prev_result(const NetConf& conf) {
  if (auto v = require_version(conf, "CHECK", "0.4.0"); !v) {
    return fail(v.error());
  }
  if (!conf.prev_result) {
    return fail(Error{kErrInvalidNetworkConfig,
                      "invalid network config: CHECK needs prevResult (the result of ADD)",
                      {}});
  }
  return parse_result(*conf.prev_result);
}

}  // namespace calico::cni
