// The calico CNI plugin's commands (see calico_plugin.h); the process around them is in
// calico_run.cpp.
#include "cni/calico_plugin.h"

#include <algorithm>
#include <set>
#include <utility>

#include "api/document.h"

namespace calico::cni {
namespace {

Error datastore_error(const datastore::StoreError& e, const std::string& what) {
  int code = kErrInternal;
  switch (e.code) {
    case datastore::ErrorCode::Unavailable:
    case datastore::ErrorCode::Conflict:
      code = kErrTryAgainLater;
      break;
    case datastore::ErrorCode::Invalid:
      code = kErrInvalidNetworkConfig;
      break;
    default:
      break;
  }
  return Error{code, what + ": " + e.to_string(), {}};
}

net::Cidr host_prefix(const net::IpAddr& ip) {
  return net::Cidr(ip, ip.bits());
}

bool is_not_found(const datastore::StoreError& e) {
  return e.code == datastore::ErrorCode::NotFound;
}

datastore::Key wep_key(const WorkloadId& id) {
  return datastore::Key{api::Kind::WorkloadEndpoint, id.ns, id.wep_name};
}

WorkloadInterface interface_for(const CalicoRequest& req, const WorkloadId& id,
                                std::vector<net::Cidr> addresses) {
  WorkloadInterface wi;
  wi.host_ifname = id.host_ifname;
  wi.container_ifname = req.env.ifname;
  wi.netns = req.env.netns;
  wi.mtu = req.calico.mtu;
  wi.routes = container_routes(req.calico, addresses);
  wi.addresses = std::move(addresses);
  wi.allow_ip_forwarding = req.calico.allow_ip_forwarding;
  return wi;
}

// The addresses of a result that belong to the container interface: those whose
// "interface" index names an interface with a sandbox, or all of them when the result
// has no interfaces (an IPAM result).  Narrowed to /32 and /128.
std::vector<net::Cidr> container_addresses(const CniResult& r) {
  std::vector<net::Cidr> out;
  for (const auto& ip : r.ips) {
    if (ip.interface && !r.interfaces.empty()) {
      const auto i = static_cast<std::size_t>(*ip.interface);
      if (i >= r.interfaces.size() || r.interfaces[i].sandbox.empty()) {
        continue;
      }
    }
    if (auto c = net::Cidr::parse(ip.address)) {
      out.push_back(host_prefix(c->addr()));
    }
  }
  return out;
}

}  // namespace

std::vector<ContainerRoute> container_routes(const CalicoConf& conf,
                                             const std::vector<net::Cidr>& addresses) {
  const auto gw4 = *net::IpAddr::parse(kIpv4Gateway);
  const auto gw6 = *net::IpAddr::parse(kIpv6Gateway);
  const auto has = [&addresses](net::Family f) {
    return std::any_of(addresses.begin(), addresses.end(),
                       [f](const net::Cidr& c) { return c.family() == f; });
  };
  std::vector<ContainerRoute> out;
  for (const auto& dst : conf.ipam_routes) {
    if (has(dst.family())) {
      out.push_back({dst, dst.family() == net::Family::V4 ? gw4 : gw6});
    }
  }
  if (conf.ipam_routes.empty() || conf.include_default_routes) {
    if (has(net::Family::V4)) {
      out.push_back({*net::Cidr::parse("0.0.0.0/0"), gw4});
    }
    if (has(net::Family::V6)) {
      out.push_back({*net::Cidr::parse("::/0"), gw6});
    }
  }
  return out;
}

CalicoPlugin::CalicoPlugin(datastore::Datastore& ds, WorkloadDataplane& dataplane,
                           DelegateFn delegate)
    : ds_(ds), dataplane_(dataplane), delegate_(std::move(delegate)) {}

Result<void, Error> CalicoPlugin::ready() const {
  auto ci = ds_.get(datastore::Key{api::Kind::ClusterInformation, "", "default"});
  if (!ci) {
    if (is_not_found(ci.error())) {
      return {};
    }
    return fail(datastore_error(ci.error(), "reading ClusterInformation \"default\""));
  }
  const auto* info = std::get_if<api::ClusterInformation>(&ci->value);
  if (info != nullptr && info->spec.datastore_ready == false) {
    return fail(Error{kErrTryAgainLater,
                      "Calico is currently not ready to process requests: ClusterInformation "
                      "\"default\" has datastoreReady: false",
                      {}});
  }
  return {};
}

Result<std::string, Error> CalicoPlugin::ipam(const CalicoRequest& req,
                                              const std::string& command) const {
  const std::string& type = req.calico.common.ipam_type;
  const std::string step = "IPAM plugin " + type + " " + command;
  // CNI_ARGS for the delegate: ours, plus IgnoreUnknown=1 (the reference plugins reject
  // unknown keys such as K8S_POD_NAME without it) and, for calico-ipam, the addresses of
  // args.cni.ips as IP= (what Calico does for the ipAddrs annotation).
  std::string args;
  bool ignore_unknown = false;
  for (const auto& [k, v] : req.env.args) {
    if (k == "IP" && !req.calico.requested_ips.empty()) {
      continue;
    }
    ignore_unknown = ignore_unknown || k == "IgnoreUnknown";
    if (!args.empty()) {
      args += ';';
    }
    args += k;
    args += '=';
    args += v;
  }
  if (!ignore_unknown) {
    args += std::string(args.empty() ? "" : ";") + "IgnoreUnknown=1";
  }
  if (!req.calico.requested_ips.empty() && type == "calico-ipam") {
    std::string ips;
    for (const auto& ip : req.calico.requested_ips) {
      ips += (ips.empty() ? "" : ",") + ip.to_string();
    }
    args += ";IP=" + ips;
  }
  auto out = delegate_(type, command, req.stdin_bytes, {{"CNI_ARGS", args}});
  if (!out) {
    return fail(Error{kErrIoFailure, step + ": " + out.error(), {}});
  }
  if (out->exit_code == 0) {
    return std::move(out->stdout_text);
  }
  // A CNI error result on stdout carries the code to pass on.
  const auto j = nlohmann::json::parse(out->stdout_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("code") && j["code"].is_number_integer()) {
    const auto msg = j.value("msg", std::string());
    return fail(Error{j["code"].get<int>(), step + ": " + msg, j.value("details", std::string())});
  }
  std::string text = out->stderr_text.empty() ? out->stdout_text : out->stderr_text;
  return fail(Error{kErrInternal,
                    step + " failed (exit code " + std::to_string(out->exit_code) + ")" +
                        (text.empty() ? "" : ": " + text),
                    {}});
}

Result<void, Error> CalicoPlugin::put_endpoint(api::WorkloadEndpoint wep) const {
  const datastore::Key key{api::Kind::WorkloadEndpoint, wep.metadata.ns, wep.metadata.name};
  const std::string what = "writing WorkloadEndpoint " + wep.metadata.ns + "/" + wep.metadata.name;
  constexpr int kAttempts = 3;  // create/update races with another writer of the same name
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    auto cur = ds_.get(key);
    if (!cur && !is_not_found(cur.error())) {
      return fail(datastore_error(cur.error(), what));
    }
    if (cur) {
      // An earlier sandbox of the same workload: overwrite it (Calico reuses the object).
      const auto& meta = api::meta_of(cur->value);
      wep.metadata.uid = meta.uid;
      wep.metadata.creation_timestamp = meta.creation_timestamp;
      wep.metadata.resource_version.clear();
      auto r = ds_.update(wep);
      if (r) {
        return {};
      }
      if (!is_not_found(r.error())) {
        return fail(datastore_error(r.error(), what));
      }
      continue;
    }
    auto r = ds_.create(wep);
    if (r) {
      return {};
    }
    if (r.error().code != datastore::ErrorCode::AlreadyExists) {
      return fail(datastore_error(r.error(), what));
    }
  }
  return fail(Error{kErrTryAgainLater, what + ": still conflicting after retries", {}});
}

Result<void, Error> CalicoPlugin::ensure_network_profile(const CalicoRequest& req) const {
  const auto profile = network_profile(req.calico.common.network_name);
  auto r = ds_.create(profile);
  if (!r && r.error().code != datastore::ErrorCode::AlreadyExists) {
    return fail(datastore_error(r.error(), "creating Profile " + profile.metadata.name));
  }
  return {};
}

Result<CniResult, Error> CalicoPlugin::add(const CalicoRequest& req) const {
  if (auto r = ready(); !r) {
    return fail(r.error());
  }
  const WorkloadId id = workload_id(req.env, req.k8s, req.nodename);
  // Validate the endpoint before anything is allocated: bad labels, ports or names fail
  // here with nothing to undo.  The placeholder address is replaced below.
  if (auto v = api::validate(build_wep(id, req.calico, {*net::Cidr::parse("192.0.2.1/32")}, ""));
      !v) {
    return fail(Error{
        kErrInvalidNetworkConfig,
        "invalid WorkloadEndpoint " + id.ns + "/" + id.wep_name + ": " + v.error().to_string_all(),
        {}});
  }
  if (uses_network_profile(id, req.calico)) {
    if (auto r = ensure_network_profile(req); !r) {
      return fail(r.error());
    }
  }

  auto ipam_text = ipam(req, "ADD");
  if (!ipam_text) {
    return fail(ipam_text.error());  // nothing allocated: nothing to undo
  }
  // Everything after this point undoes IPAM (and the interface) on failure.
  WorkloadInterface wi = interface_for(req, id, {});
  auto undo = [&](Error e, bool interface_created) -> Error {
    std::string notes;
    if (interface_created) {
      if (auto r = dataplane_.remove(wi); !r) {
        notes += "undo: removing the interface failed: " + r.error() + "; ";
      }
    }
    if (auto r = ipam(req, "DEL"); !r) {
      notes += "undo: releasing the addresses failed: " + r.error().msg;
    }
    e.details = notes.empty() ? "undone: interface removed, addresses released" : notes;
    return e;
  };
  auto ipam_result = parse_result_text(*ipam_text);
  if (!ipam_result) {
    Error e = ipam_result.error();
    e.msg = "IPAM plugin " + req.calico.common.ipam_type + " ADD returned " + e.msg;
    return fail(undo(std::move(e), false));
  }
  std::vector<net::Cidr> addresses = container_addresses(*ipam_result);
  if (addresses.empty()) {
    return fail(
        undo(Error{kErrNoIpamResult,
                   "IPAM plugin " + req.calico.common.ipam_type + " ADD returned no IP addresses",
                   {}},
             false));
  }
  wi = interface_for(req, id, addresses);

  auto links = dataplane_.create(wi);
  if (!links) {
    return fail(
        undo(Error{kErrInterface,
                   "creating the workload interface " + wi.host_ifname + ": " + links.error(),
                   {}},
             true));
  }
  if (auto r = put_endpoint(build_wep(id, req.calico, addresses, links->container_mac)); !r) {
    return fail(undo(r.error(), true));
  }

  CniResult out;
  out.interfaces.push_back(Interface{id.host_ifname, links->host_mac, std::nullopt, "", "", ""});
  out.interfaces.push_back(
      Interface{req.env.ifname, links->container_mac, req.calico.mtu, req.env.netns, "", ""});
  for (const auto& a : addresses) {
    out.ips.push_back(IpConfig{a.to_string(), std::nullopt, 1});
  }
  for (const auto& r : wi.routes) {
    Route route;
    route.dst = r.dst.to_string();
    route.gw = r.gateway.to_string();
    out.routes.push_back(std::move(route));
  }
  out.dns = ipam_result->dns;
  return out;
}

Result<void, Error> CalicoPlugin::del(const CalicoRequest& req) const {
  if (auto r = ready(); !r) {
    return fail(r.error());
  }
  const WorkloadId id = workload_id(req.env, req.k8s, req.nodename);
  const std::string what = "WorkloadEndpoint " + id.ns + "/" + id.wep_name;
  auto cur = ds_.get(wep_key(id));
  if (!cur && !is_not_found(cur.error())) {
    return fail(datastore_error(cur.error(), "reading " + what));
  }
  bool ours = true;
  if (cur) {
    const auto* wep = std::get_if<api::WorkloadEndpoint>(&cur->value);
    // An endpoint of a newer sandbox of the same pod is left alone (research notes §4.8).
    ours = wep == nullptr || wep->spec.container_id.empty() ||
           wep->spec.container_id == req.env.container_id;
    if (ours) {
      auto r = ds_.remove(wep_key(id));
      if (!r && !is_not_found(r.error())) {
        return fail(datastore_error(r.error(), "deleting " + what));
      }
    }
  }
  WorkloadInterface wi = interface_for(req, id, {});
  if (!ours) {
    wi.host_ifname.clear();  // the newer sandbox's veth has the same host-side name
  }
  if (auto r = dataplane_.remove(wi); !r) {
    return fail(Error{kErrInterface, "deleting the workload interface: " + r.error(), {}});
  }
  if (auto r = ipam(req, "DEL"); !r) {
    return fail(r.error());
  }
  return {};
}

Result<void, Error> CalicoPlugin::check_endpoint(const CalicoRequest& req, const WorkloadId& id,
                                                 const std::vector<net::Cidr>& addresses) const {
  const std::string what = "WorkloadEndpoint " + id.ns + "/" + id.wep_name;
  auto cur = ds_.get(wep_key(id));
  if (!cur) {
    if (is_not_found(cur.error())) {
      return fail(Error{kErrCheckFailed, what + " does not exist", {}});
    }
    return fail(datastore_error(cur.error(), "reading " + what));
  }
  const auto& spec = std::get<api::WorkloadEndpoint>(cur->value).spec;
  if (spec.container_id != req.env.container_id) {
    return fail(
        Error{kErrCheckFailed,
              what + " belongs to container " + spec.container_id + ", not " + req.env.container_id,
              {}});
  }
  for (const auto& a : addresses) {
    const auto have =
        std::find_if(spec.ip_networks.begin(), spec.ip_networks.end(), [&a](const std::string& n) {
          auto c = net::Cidr::parse_addr_or_cidr(n);
          return c && c->addr() == a.addr();
        });
    if (have == spec.ip_networks.end()) {
      return fail(
          Error{kErrCheckFailed, what + " does not list address " + a.addr().to_string(), {}});
    }
  }
  return {};
}

Result<void, Error> CalicoPlugin::check(const CalicoRequest& req) const {
  auto prev = check_prev_result(req.conf);
  if (!prev) {
    return fail(prev.error());
  }
  const WorkloadId id = workload_id(req.env, req.k8s, req.nodename);
  const std::vector<net::Cidr> addresses = container_addresses(*prev);
  if (addresses.empty()) {
    return fail(Error{kErrCheckFailed, "prevResult holds no address of " + req.env.ifname, {}});
  }
  const WorkloadInterface wi = interface_for(req, id, addresses);
  if (auto r = dataplane_.check(wi); !r) {
    return fail(Error{kErrCheckFailed, r.error(), {}});
  }
  if (auto r = check_endpoint(req, id, addresses); !r) {
    return r;
  }
  if (auto r = ipam(req, "CHECK"); !r) {
    return fail(r.error());
  }
  return {};
}

Result<CalicoGcSummary, Error> CalicoPlugin::gc(const CalicoRequest& req) const {
  if (auto v = require_version(req.conf, "GC", "1.1.0"); !v) {
    return fail(v.error());
  }
  if (auto r = ready(); !r) {
    return fail(r.error());
  }
  if (auto r = ipam(req, "GC"); !r) {
    return fail(r.error());
  }
  std::set<std::string> valid;
  for (const auto& a : req.conf.valid_attachments) {
    valid.insert(a.container_id);
  }
  auto weps = ds_.list(datastore::ListOptions{api::Kind::WorkloadEndpoint, "", ""});
  if (!weps) {
    return fail(datastore_error(weps.error(), "listing WorkloadEndpoints"));
  }
  CalicoGcSummary out;
  for (const auto& o : weps->items) {
    const auto* w = std::get_if<api::WorkloadEndpoint>(&o.value);
    if (w == nullptr || w->spec.node != req.nodename || w->spec.container_id.empty() ||
        valid.contains(w->spec.container_id)) {
      continue;
    }
    auto r = ds_.remove(o.key);
    if (!r && !is_not_found(r.error())) {
      return fail(datastore_error(r.error(), "deleting WorkloadEndpoint " + o.key.name));
    }
    out.deleted_endpoints.push_back(o.key.ns + "/" + o.key.name);
  }
  return out;
}

Result<void, Error> CalicoPlugin::status(const CalicoRequest& req) const {
  if (auto v = require_version(req.conf, "STATUS", "1.1.0"); !v) {
    return v;
  }
  if (auto r = ready(); !r) {
    return fail(Error{kErrPluginNotAvailable, r.error().msg, {}});
  }
  if (auto r = ipam(req, "STATUS"); !r) {
    return fail(r.error());
  }
  return {};
}

}  // namespace calico::cni
