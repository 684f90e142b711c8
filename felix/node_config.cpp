// calico-node start-up configuration and Node registration (see node_config.h).
#include "felix/node_config.h"

#include <algorithm>
#include <regex>

#include "bgp/speaker/config.h"
#include "common/random_id.h"
#include "common/result.h"

namespace calico::felix {
namespace {

// The only way variables are read here: `key` must be listed in kNodeEnvVars.
std::string env_or(const datastore::Environment& env, const std::string& key,
                   const std::string& fallback) {
  CALICO_CHECK(std::find(kNodeEnvVars.begin(), kNodeEnvVars.end(), key) != kNodeEnvVars.end());
  auto it = env.find(key);
  return it == env.end() || it->second.empty() ? fallback : it->second;
}

bool parse_bool(std::string v, bool& out) {
  std::transform(v.begin(), v.end(), v.begin(), ::tolower);
  if (v == "true" || v == "1" || v == "yes") {
    out = true;
    return true;
  }
  if (v == "false" || v == "0" || v == "no") {
    out = false;
    return true;
  }
  return false;
}

Result<std::uint16_t, std::string> parse_port(const std::string& var, const std::string& v) {
  if (v.empty() || v.size() > 5 || !std::all_of(v.begin(), v.end(), ::isdigit)) {
    return fail(var + "=\"" + v + "\": not a port number");
  }
  const unsigned long n = std::stoul(v);
  if (n > 65535) {
    return fail(var + "=\"" + v + "\": not a port number");
  }
  return static_cast<std::uint16_t>(n);
}

// "autodetect", "none", or an address of `family` with an optional prefix length.
Result<std::string, std::string> check_ip(const std::string& var, const std::string& v,
                                          net::Family family) {
  if (v == "autodetect" || v == "none") {
    return v;
  }
  auto c = net::Cidr::parse_addr_or_cidr(v);
  if (!c || c->family() != family) {
    return fail(var + "=\"" + v + "\": expected \"autodetect\", \"none\" or an " +
                (family == net::Family::V4 ? "IPv4" : "IPv6") + " address");
  }
  return v;
}

bool virtual_iface(const std::string& name) {
  static const char* const kPrefixes[] = {"lo",        "cali",  "docker",    "veth",
                                          "kube-ipvs", "cni",   "flannel",   "vxlan",
                                          "tunl",      "virbr", "wireguard", "nodelocaldns"};
  for (const char* p : kPrefixes) {
    if (name.rfind(p, 0) == 0) {
      return true;
    }
  }
  return false;
}

std::string bgp_address(const std::string& text) {
  auto c = net::Cidr::parse_addr_or_cidr(text);
  return c ? c->addr().to_string() : text;
}

}  // namespace

Result<NodeOptions, std::string> node_options_from_env(const datastore::Environment& env,
                                                       const std::string& hostname) {
  NodeOptions o;
  o.node_name = env_or(env, "NODENAME", env_or(env, "HOSTNAME", hostname));
  if (o.node_name.empty()) {
    return fail("no node name: set NODENAME");
  }
  o.nodename_file = env_or(env, "CALICO_NODENAME_FILE", o.nodename_file);
  auto ip = check_ip("IP", env_or(env, "IP", "autodetect"), net::Family::V4);
  if (!ip) {
    return fail(ip.error());
  }
  o.ip = *ip;
  auto ip6 = check_ip("IP6", env_or(env, "IP6", "none"), net::Family::V6);
  if (!ip6) {
    return fail(ip6.error());
  }
  o.ip6 = *ip6;
  o.autodetect_method = env_or(env, "IP_AUTODETECTION_METHOD", o.autodetect_method);
  if (o.autodetect_method != "first-found" && o.autodetect_method.rfind("interface=", 0) != 0 &&
      o.autodetect_method.rfind("cidr=", 0) != 0) {
    return fail("IP_AUTODETECTION_METHOD=\"" + o.autodetect_method +
                "\": expected first-found, interface=<regex> or cidr=<cidr>[,<cidr>...]");
  }
  if (auto as = env_or(env, "AS", ""); !as.empty()) {
    auto v = bgp::parse_asn(as);
    if (!v) {
      return fail("AS=\"" + as + "\": not an AS number");
    }
    o.asn = *v;
  }
  o.router_id = env_or(env, "CALICO_ROUTER_ID", "");
  if (!o.router_id.empty() && o.router_id != "hash" && !bgp::parse_router_id(o.router_id)) {
    return fail("CALICO_ROUTER_ID=\"" + o.router_id + "\": expected an IPv4 address or \"hash\"");
  }
  const std::string backend = env_or(env, "CALICO_NETWORKING_BACKEND", "bird");
  if (backend == "none" || backend == "vxlan") {
    o.bgp_enabled = false;
  } else if (backend != "bird") {
    return fail("CALICO_NETWORKING_BACKEND=\"" + backend + "\": expected bird or none");
  }
  o.control_socket = env_or(env, "CALICO_BGP_CONTROL_SOCKET", o.control_socket);
  o.nft_table = env_or(env, "CALICO_NFT_TABLE", o.nft_table);
  o.nat_table = env_or(env, "CALICO_NAT_TABLE", o.nat_table);
  if (o.nft_table == o.nat_table) {
    return fail("CALICO_NFT_TABLE and CALICO_NAT_TABLE must differ");
  }
  if (auto v = env_or(env, "FELIX_HEALTHENABLED", "");
      !v.empty() && !parse_bool(v, o.health_enabled)) {
    return fail("FELIX_HEALTHENABLED=\"" + v + "\": expected true or false");
  }
  o.health_host = env_or(env, "FELIX_HEALTHHOST", o.health_host);
  if (auto v = env_or(env, "FELIX_HEALTHPORT", ""); !v.empty()) {
    auto p = parse_port("FELIX_HEALTHPORT", v);
    if (!p) {
      return fail(p.error());
    }
    o.health_port = *p;
  }
  if (auto v = env_or(env, "FELIX_PROMETHEUSMETRICSENABLED", "");
      !v.empty() && !parse_bool(v, o.metrics_enabled)) {
    return fail("FELIX_PROMETHEUSMETRICSENABLED=\"" + v + "\": expected true or false");
  }
  if (auto v = env_or(env, "FELIX_PROMETHEUSMETRICSPORT", ""); !v.empty()) {
    auto p = parse_port("FELIX_PROMETHEUSMETRICSPORT", v);
    if (!p) {
      return fail(p.error());
    }
    o.metrics_port = *p;
  }
  o.log_level = env_or(env, "FELIX_LOGSEVERITYSCREEN", "");
  if (auto v = env_or(env, "FELIX_ROUTEREFRESHINTERVAL", ""); !v.empty()) {
    if (v.size() > 6 || !std::all_of(v.begin(), v.end(), ::isdigit) || std::stoul(v) == 0) {
      return fail("FELIX_ROUTEREFRESHINTERVAL=\"" + v + "\": expected seconds (> 0)");
    }
    o.refresh_interval = std::chrono::seconds(std::stoul(v));
  }
  o.cluster_type = env_or(env, "CLUSTER_TYPE", o.cluster_type);
  return o;
}

Result<std::string, std::string> autodetect_address(
    const std::vector<std::pair<std::string, std::string>>& interfaces, const std::string& method,
    net::Family family) {
  std::optional<std::regex> iface_re;
  std::vector<net::Cidr> cidrs;
  if (method.rfind("interface=", 0) == 0) {
    try {
      iface_re.emplace(method.substr(10));
    } catch (const std::regex_error& e) {
      return fail("IP_AUTODETECTION_METHOD=\"" + method +
                  "\": bad regular expression: " + e.what());
    }
  } else if (method.rfind("cidr=", 0) == 0) {
    std::string rest = method.substr(5);
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      const std::string one = rest.substr(0, comma);
      auto c = net::Cidr::parse(one);
      if (!c) {
        return fail("IP_AUTODETECTION_METHOD=\"" + method + "\": \"" + one + "\" is not a CIDR");
      }
      cidrs.push_back(*c);
      rest = comma == std::string::npos ? "" : rest.substr(comma + 1);
    }
  }
  for (const auto& [name, addr] : interfaces) {
    auto c = net::Cidr::parse_addr_or_cidr(addr);
    if (!c || c->family() != family) {
      continue;
    }
    const auto& ip = c->addr();
    const bool link_local = family == net::Family::V4
                                ? (ip.bytes()[0] == 169 && ip.bytes()[1] == 254)
                                : (ip.bytes()[0] == 0xfe && (ip.bytes()[1] & 0xc0) == 0x80);
    const bool loopback =
        family == net::Family::V4 ? ip.bytes()[0] == 127 : ip == *net::IpAddr::parse("::1");
    if (link_local || loopback) {
      continue;
    }
    if (iface_re) {
      if (std::regex_match(name, *iface_re)) {
        return addr;
      }
    } else if (!cidrs.empty()) {
      if (std::any_of(cidrs.begin(), cidrs.end(),
                      [&](const net::Cidr& k) { return k.contains(ip); })) {
        return addr;
      }
    } else if (!virtual_iface(name)) {
      return addr;
    }
  }
  return fail("no " + std::string(family == net::Family::V4 ? "IPv4" : "IPv6") +
              " address found with IP_AUTODETECTION_METHOD=" + method);
}

Result<api::Node, RegisterError> register_node(datastore::Datastore& ds,
                                               const NodeRegistration& reg, bool create_missing) {
  auto store_error = [](const std::string& what, const datastore::StoreError& e) {
    const bool retry =
        e.code == datastore::ErrorCode::Unavailable || e.code == datastore::ErrorCode::Conflict;
    return RegisterError{retry, what + ": " + e.to_string()};
  };
  // Another node with our address would make the mesh and the blocks' next hops ambiguous.
  auto nodes = ds.list({api::Kind::Node, "", ""});
  if (!nodes) {
    return fail(store_error("listing Nodes", nodes.error()));
  }
  for (const auto& o : nodes->items) {
    const auto* n = std::get_if<api::Node>(&o.value);
    if (n == nullptr || n->metadata.name == reg.name || !n->spec.bgp) {
      continue;
    }
    for (const auto& [mine, theirs] :
         {std::pair{reg.ipv4, n->spec.bgp->ipv4_address}, {reg.ipv6, n->spec.bgp->ipv6_address}}) {
      if (!mine.empty() && !theirs.empty() && bgp_address(mine) == bgp_address(theirs)) {
        return fail(RegisterError{false, "address " + bgp_address(mine) +
                                             " is already used by Node \"" + n->metadata.name +
                                             "\""});
      }
    }
  }
  constexpr int kAttempts = 8;
  std::string last;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    auto got = ds.get({api::Kind::Node, "", reg.name});
    api::Node node;
    bool exists = true;
    if (!got) {
      if (got.error().code != datastore::ErrorCode::NotFound) {
        return fail(store_error("reading Node \"" + reg.name + "\"", got.error()));
      }
      if (!create_missing) {
        return fail(RegisterError{
            true, "Node \"" + reg.name +
                      "\" does not exist (on the Kubernetes datastore the kubelet registers it)"});
      }
      exists = false;
      node.metadata.name = reg.name;
    } else {
      node = std::get<api::Node>(got->value);
    }
    api::Node want = node;
    if (!want.spec.bgp) {
      want.spec.bgp.emplace();
    }
    want.spec.bgp->ipv4_address = reg.ipv4;
    want.spec.bgp->ipv6_address = reg.ipv6;
    if (reg.asn) {
      want.spec.bgp->as_number = api::ASNumber(*reg.asn);
    }
    if (reg.ipv4.empty() && reg.ipv6.empty() && !want.spec.bgp->as_number &&
        want.spec.bgp->route_reflector_cluster_id.empty() &&
        want.spec.bgp->ipv4_ipip_tunnel_addr.empty()) {
      want.spec.bgp.reset();
    }
    std::vector<api::NodeAddress> addrs;
    for (const auto& a : want.spec.addresses) {
      if (a.type != "CalicoNodeIP") {
        addrs.push_back(a);
      }
    }
    for (const auto& ip : {reg.ipv4, reg.ipv6}) {
      if (!ip.empty()) {
        addrs.push_back(api::NodeAddress{ip, "CalicoNodeIP"});
      }
    }
    want.spec.addresses = std::move(addrs);
    if (exists && want == node) {
      return node;
    }
    auto written = exists ? ds.update(want) : ds.create(want);
    if (written) {
      return std::get<api::Node>(written->value);
    }
    last = written.error().to_string();
    if (written.error().code != datastore::ErrorCode::Conflict &&
        written.error().code != datastore::ErrorCode::AlreadyExists) {
      return fail(store_error("writing Node \"" + reg.name + "\"", written.error()));
    }
  }
  return fail(RegisterError{true, "writing Node \"" + reg.name + "\": still conflicting after " +
                                      std::to_string(kAttempts) + " attempts: " + last});
}

Result<api::ClusterInformation, RegisterError> ensure_cluster_information(
    datastore::Datastore& ds, const std::string& cluster_type, const std::string& version) {
  const datastore::Key key{api::Kind::ClusterInformation, "", "default"};
  auto store_error = [](const std::string& what, const datastore::StoreError& e) {
    const bool retry =
        e.code == datastore::ErrorCode::Unavailable || e.code == datastore::ErrorCode::Conflict;
    return RegisterError{retry, what + " ClusterInformation \"default\": " + e.to_string()};
  };
  constexpr int kTries = 5;
  for (int attempt = 0; attempt < kTries; ++attempt) {
    auto cur = ds.get(key);
    if (!cur && cur.error().code == datastore::ErrorCode::NotFound) {
      api::ClusterInformation ci;
      ci.metadata.name = "default";
      ci.spec.cluster_guid = random_hex(32);
      ci.spec.cluster_type = cluster_type;
      ci.spec.calico_version = version;
      ci.spec.datastore_ready = true;
      auto created = ds.create(ci);
      if (created) {
        return std::get<api::ClusterInformation>(created->value);
      }
      if (created.error().code == datastore::ErrorCode::AlreadyExists) {
        continue;  // another node created it first
      }
      return fail(store_error("creating", created.error()));
    }
    if (!cur) {
      return fail(store_error("reading", cur.error()));
    }
    auto* ci = std::get_if<api::ClusterInformation>(&cur->value);
    if (ci == nullptr) {
      return fail(RegisterError{false, "ClusterInformation \"default\" has the wrong kind"});
    }
    const api::ClusterInformationSpec before = ci->spec;
    if (ci->spec.cluster_guid.empty()) {
      ci->spec.cluster_guid = random_hex(32);
    }
    ci->spec.cluster_type = cluster_type;
    ci->spec.calico_version = version;
    if (!ci->spec.datastore_ready) {
      ci->spec.datastore_ready = true;
    }
    if (ci->spec == before) {
      return *ci;
    }
    ci->metadata.resource_version = cur->revision;
    auto updated = ds.update(*ci);
    if (updated) {
      return std::get<api::ClusterInformation>(updated->value);
    }
    if (updated.error().code != datastore::ErrorCode::Conflict) {
      return fail(store_error("updating", updated.error()));
    }
  }
  return fail(RegisterError{true, "ClusterInformation \"default\" kept changing"});
}

}  // namespace calico::felix
