// The calico-ipam CNI plugin (see ipam_plugin.h).
#include "cni/ipam_plugin.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <set>
#include <utility>

#include "ipam/handle.h"
#include "ipam/operation.h"
#include "ipam/pools.h"

namespace calico::cni {
namespace {

using ipam::IpamErrc;

Error datastore_error(const datastore::StoreError& e, const std::string& what) {
  const int code = e.code == datastore::ErrorCode::Unavailable ? kErrTryAgainLater : kErrInternal;
  return Error{code, what + ": " + e.to_string(), {}};
}

ipam::Attrs attributes(const IpamRequest& req) {
  ipam::Attrs attrs{{"node", req.nodename}, {"timestamp", go_time_string(req.now)}};
  if (!req.k8s.pod_name.empty() && !req.k8s.pod_namespace.empty()) {
    attrs["pod"] = req.k8s.pod_name;
    attrs["namespace"] = req.k8s.pod_namespace;
  }
  return attrs;
}

// One address plus its route, as calico-ipam returns them.
void append(CniResult& out, const std::string& address) {
  out.ips.push_back(IpConfig{address, std::nullopt, std::nullopt});
  Route route;
  route.dst = address;
  out.routes.push_back(std::move(route));
}

std::string host_prefix(const net::IpAddr& ip) {
  return ip.to_string() + (ip.is_v4() ? "/32" : "/128");
}

bool is_k8s(const K8sArgs& k) {
  return !k.pod_name.empty() && !k.pod_namespace.empty();
}

// The handle of allocations made by Calico v2.x, still released on DEL.
std::string legacy_handle(const IpamRequest& req) {
  return is_k8s(req.k8s) ? req.k8s.pod_namespace + "." + req.k8s.pod_name : req.env.container_id;
}

Result<void, Error> release_handle(const ipam::Allocator& alloc, const std::string& handle) {
  auto r = alloc.release_by_handle(handle);
  if (!r && r.error().code != IpamErrc::HandleNotFound) {
    return fail(to_cni_error(r.error()));
  }
  return {};
}

std::string trim(std::string s) {
  const auto space = [](unsigned char c) { return std::isspace(c) != 0; };
  s.erase(s.begin(), std::find_if_not(s.begin(), s.end(), space));
  s.erase(std::find_if_not(s.rbegin(), s.rend(), space).base(), s.end());
  return s;
}

}  // namespace

Error to_cni_error(const ipam::IpamError& e) {
  int code = kErrInternal;
  switch (e.code) {
    case IpamErrc::InvalidArgument:
      code = kErrInvalidNetworkConfig;
      break;
    case IpamErrc::NoAddresses:
    case IpamErrc::BlockLimit:
      code = kErrNoAddresses;
      break;
    case IpamErrc::NoQualifiedPool:
    case IpamErrc::NotInPool:
      code = kErrNoPool;
      break;
    case IpamErrc::AlreadyAllocated:
    case IpamErrc::StrictAffinity:
      code = kErrAddressInUse;
      break;
    case IpamErrc::Datastore:
    case IpamErrc::Contention:
    case IpamErrc::Timeout:
      code = kErrTryAgainLater;
      break;
    case IpamErrc::HandleNotFound:
    case IpamErrc::Mismatch:
    case IpamErrc::BlockNotEmpty:
    case IpamErrc::Corrupt:
      code = kErrInternal;
      break;
  }
  return Error{code, e.message, {}};
}

std::string handle_id(const std::string& network_name, const std::string& container_id) {
  return ipam::pod_handle_id(network_name, container_id);
}

std::string go_time_string(std::chrono::system_clock::time_point t) {
  const auto since = t.time_since_epoch();
  const auto secs = std::chrono::floor<std::chrono::seconds>(since);
  const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(since - secs).count();
  const std::time_t tt = static_cast<std::time_t>(secs.count());
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", &tm);
  std::string out = date;
  if (nanos != 0) {  // Go prints the fraction without trailing zeros
    char frac[16];
    std::snprintf(frac, sizeof frac, ".%09lld", static_cast<long long>(nanos));
    std::string f = frac;
    while (f.back() == '0') {
      f.pop_back();
    }
    out += f;
  }
  return out + " +0000 UTC";
}

// ---- IpamPlugin ----

IpamPlugin::IpamPlugin(datastore::Datastore& ds, ipam::AllocatorOptions opts)
    : ds_(ds), alloc_(ds, std::move(opts)) {}

Result<void, Error> IpamPlugin::ready() const {
  auto ci = ds_.get(datastore::Key{api::Kind::ClusterInformation, "", "default"});
  if (!ci) {
    if (ci.error().code == datastore::ErrorCode::NotFound) {
      return {};  // calico-ipam needs no calico-node (the calico plugin checks for it)
    }
    return fail(datastore_error(ci.error(), "error getting ClusterInformation"));
  }
  const auto* info = std::get_if<api::ClusterInformation>(&ci->value);
  if (info != nullptr && info->spec.datastore_ready == false) {
    return fail(Error{kErrNotReady,
                      "Calico is currently not ready to process requests: ClusterInformation "
                      "\"default\" has datastoreReady: false (a datastore migration is running)",
                      {}});
  }
  return {};
}

Result<std::optional<CniResult>, Error> IpamPlugin::existing(const IpamRequest& req,
                                                             const std::string& handle) const {
  auto stored = ds_.get(ipam::handle_key(handle));
  if (!stored) {
    if (stored.error().code == datastore::ErrorCode::NotFound) {
      return std::optional<CniResult>();
    }
    return fail(datastore_error(stored.error(), "error reading IPAM handle " + handle));
  }
  const auto* h = std::get_if<api::IPAMHandle>(&stored->value);
  if (h == nullptr || h->spec.deleted) {
    return std::optional<CniResult>();
  }
  auto ips = alloc_.ips_by_handle(handle);
  if (!ips) {
    return fail(to_cni_error(ips.error()));
  }
  std::vector<net::Cidr> blocks;
  for (const auto& [cidr, count] : h->spec.block) {
    if (auto c = net::Cidr::parse(cidr); c && count > 0) {
      blocks.push_back(*c);
    }
  }
  CniResult out;
  int v4 = 0;
  int v6 = 0;
  for (const auto& ip : *ips) {
    (ip.is_v4() ? v4 : v6)++;
    if (!req.k8s.ips.empty()) {
      append(out, host_prefix(ip));
      continue;
    }
    auto block = std::find_if(blocks.begin(), blocks.end(),
                              [&ip](const net::Cidr& c) { return c.contains(ip); });
    if (block == blocks.end()) {
      return std::optional<CniResult>();  // handle and blocks disagree: allocate afresh
    }
    append(out, ip.to_string() + "/" + std::to_string(block->prefix_len()));
  }
  // Reuse only an exact match of what this request would allocate.
  if (!req.k8s.ips.empty()) {
    std::set<net::IpAddr> want(req.k8s.ips.begin(), req.k8s.ips.end());
    std::set<net::IpAddr> have(ips->begin(), ips->end());
    return want == have ? std::optional<CniResult>(std::move(out)) : std::nullopt;
  }
  const bool match = v4 == (req.ipam.assign_ipv4 ? 1 : 0) && v6 == (req.ipam.assign_ipv6 ? 1 : 0);
  return match ? std::optional<CniResult>(std::move(out)) : std::nullopt;
}

Result<CniResult, Error> IpamPlugin::add(const IpamRequest& req) const {
  if (auto r = ready(); !r) {
    return fail(r.error());
  }
  const std::string handle = handle_id(req.ipam.network_name, req.env.container_id);
  auto prior = existing(req, handle);
  if (!prior) {
    return fail(prior.error());
  }
  if (*prior) {
    return std::move(**prior);
  }
  // A handle holding something else (an earlier ADD with another config) is released so
  // the container ends up with exactly what this ADD returns.
  if (auto r = release_handle(alloc_, handle); !r) {
    return fail(r.error());
  }

  const ipam::Attrs attrs = attributes(req);
  CniResult out;
  if (!req.k8s.ips.empty()) {
    // Specific addresses (CNI_ARGS IP=, from the pod's ipAddrs annotation).
    std::vector<net::IpAddr> done;
    for (const auto& ip : req.k8s.ips) {
      ipam::AssignIpRequest a;
      a.ip = ip;
      a.handle_id = handle;
      a.attrs = attrs;
      a.host = req.nodename;
      auto r = alloc_.assign_ip(a);
      if (!r) {
        if (!done.empty()) {  // all or nothing, as AutoAssign
          (void)release_handle(alloc_, handle);
        }
        return fail(to_cni_error(r.error()));
      }
      done.push_back(ip);
      append(out, host_prefix(ip));
    }
    return out;
  }

  if (!req.ipam.assign_ipv4 && !req.ipam.assign_ipv6) {
    return fail(Error{kErrInvalidNetworkConfig,
                      "invalid network config: ipam.assign_ipv4 and ipam.assign_ipv6 are both "
                      "\"false\": no address family to assign",
                      {}});
  }
  ipam::AutoAssignRequest a;
  a.num4 = req.ipam.assign_ipv4 ? 1 : 0;
  a.num6 = req.ipam.assign_ipv6 ? 1 : 0;
  a.handle_id = handle;
  a.attrs = attrs;
  a.host = req.nodename;
  a.ipv4_pools = req.ipam.ipv4_pools;
  a.ipv6_pools = req.ipam.ipv6_pools;
  if (is_k8s(req.k8s)) {
    // Pools' namespaceSelector matches the pod's namespace labels: the kns.<namespace>
    // profile carries them as pcns.<label> (on the Kubernetes datastore it is the
    // Namespace itself; on etcd, what kube-controllers wrote).  No profile: no labels.
    auto prof = ds_.get(datastore::Key{api::Kind::Profile, "", "kns." + req.k8s.pod_namespace});
    if (prof) {
      for (const auto& [k, v] : std::get<api::Profile>(prof->value).spec.labels_to_apply) {
        if (k.rfind("pcns.", 0) == 0 && k != "pcns.projectcalico.org/name") {
          a.namespace_labels[k.substr(5)] = v;
        }
      }
    } else if (prof.error().code != datastore::ErrorCode::NotFound) {
      return fail(datastore_error(prof.error(), "reading namespace " + req.k8s.pod_namespace));
    }
  }
  auto r = alloc_.auto_assign(a);
  if (!r) {
    return fail(to_cni_error(r.error()));
  }
  for (const auto& ip : r->ipv4) {
    append(out, ip.to_string());
  }
  for (const auto& ip : r->ipv6) {
    append(out, ip.to_string());
  }
  return out;
}

Result<void, Error> IpamPlugin::del(const IpamRequest& req) const {
  if (auto r = ready(); !r) {
    return fail(r.error());
  }
  if (auto r = release_handle(alloc_, handle_id(req.ipam.network_name, req.env.container_id)); !r) {
    return r;
  }
  return release_handle(alloc_, legacy_handle(req));
}

Result<void, Error> IpamPlugin::check(const IpamRequest& req) const {
  auto prev = check_prev_result(req.conf);
  if (!prev) {
    return fail(prev.error());
  }
  const std::string handle = handle_id(req.ipam.network_name, req.env.container_id);
  auto held = alloc_.ips_by_handle(handle);
  if (!held) {
    if (held.error().code == IpamErrc::HandleNotFound) {
      return fail(Error{kErrCheckFailed, "no addresses are allocated to handle " + handle, {}});
    }
    return fail(to_cni_error(held.error()));
  }
  for (const auto& ip : prev->ips) {
    auto cidr = net::Cidr::parse(ip.address);
    if (!cidr) {
      continue;  // parse_result validated it
    }
    if (std::find(held->begin(), held->end(), cidr->addr()) == held->end()) {
      return fail(Error{kErrCheckFailed,
                        "address " + cidr->addr().to_string() +
                            " of prevResult is not allocated to handle " + handle,
                        {}});
    }
  }
  return {};
}

Result<GcSummary, Error> IpamPlugin::gc(const IpamRequest& req) const {
  if (auto v = require_version(req.conf, "GC", "1.1.0"); !v) {
    return fail(v.error());
  }
  if (auto r = ready(); !r) {
    return fail(r.error());
  }
  std::set<std::string> valid;
  for (const auto& a : req.conf.valid_attachments) {
    valid.insert(ipam::clean_handle_id(handle_id(req.ipam.network_name, a.container_id)));
  }
  const std::string prefix = ipam::clean_handle_id(req.ipam.network_name + ".");
  // The handles of this network with an address on this node (attributes "node").
  auto blocks = ds_.list(datastore::ListOptions{api::Kind::IPAMBlock, "", ""});
  if (!blocks) {
    return fail(datastore_error(blocks.error(), "error listing IPAM blocks"));
  }
  std::set<std::string> stale;
  for (const auto& o : blocks->items) {
    const auto* b = std::get_if<api::IPAMBlock>(&o.value);
    if (b == nullptr || b->spec.deleted) {
      continue;
    }
    for (const auto& idx : b->spec.allocations) {
      if (!idx || *idx < 0 || static_cast<std::size_t>(*idx) >= b->spec.attributes.size()) {
        continue;
      }
      const auto& attr = b->spec.attributes[static_cast<std::size_t>(*idx)];
      if (!attr.handle_id) {
        continue;
      }
      const std::string h = ipam::clean_handle_id(*attr.handle_id);
      auto node = attr.secondary.find("node");
      if (h.rfind(prefix, 0) != 0 || node == attr.secondary.end() || node->second != req.nodename ||
          valid.contains(h)) {
        continue;
      }
      stale.insert(*attr.handle_id);
    }
  }
  GcSummary out;
  for (const auto& h : stale) {
    if (auto r = release_handle(alloc_, h); !r) {
      return fail(r.error());
    }
    out.released_handles.push_back(h);
  }
  return out;
}

Result<void, Error> IpamPlugin::status(const IpamRequest& req) const {
  if (auto v = require_version(req.conf, "STATUS", "1.1.0"); !v) {
    return v;
  }
  auto not_available = [](std::string msg) {
    return Error{kErrPluginNotAvailable, std::move(msg), {}};
  };
  if (auto r = ready(); !r) {
    return fail(not_available(r.error().msg));
  }
  auto pools = ds_.list(datastore::ListOptions{api::Kind::IPPool, "", ""});
  if (!pools) {
    return fail(not_available("error listing IP pools: " + pools.error().to_string()));
  }
  bool v4 = false;
  bool v6 = false;
  for (const auto& o : pools->items) {
    const auto* p = std::get_if<api::IPPool>(&o.value);
    auto cidr = p != nullptr ? net::Cidr::parse(p->spec.cidr) : std::nullopt;
    if (cidr && ipam::pool_enabled(*p)) {
      (cidr->family() == net::Family::V4 ? v4 : v6) = true;
    }
  }
  if (req.ipam.assign_ipv4 && !v4) {
    return fail(not_available("no enabled IPv4 pool: cannot assign IPv4 addresses"));
  }
  if (req.ipam.assign_ipv6 && !v6) {
    return fail(not_available("no enabled IPv6 pool: cannot assign IPv6 addresses"));
  }
  return {};
}

// ---- The process ----

Result<std::string, Error> determine_nodename(const IpamConf& conf, const PluginIo& io) {
  if (!conf.nodename.empty()) {
    return conf.nodename;
  }
  auto file = io.read_file(conf.nodename_file);
  if (!file) {
    return fail(Error{kErrIoFailure, file.error(), {}});
  }
  if (*file && !trim(**file).empty()) {
    return trim(**file);
  }
  if (!*file && !conf.nodename_file_optional) {
    return fail(Error{kErrNotReady,
                      conf.nodename_file +
                          " does not exist: check that the calico/node container is running "
                          "and has mounted /var/lib/calico/",
                      {}});
  }
  std::string host = io.hostname();
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (host.empty()) {
    return fail(Error{kErrInvalidEnvironment, "cannot determine the node name", {}});
  }
  return host;
}

Result<datastore::DatastoreConfig, Error> datastore_config(const NetConf& conf,
                                                           const IpamConf& ipam,
                                                           const PluginIo& io) {
  datastore::Environment env;
  for (const char* name : datastore::kDatastoreEnvVars) {
    if (auto v = io.getenv(name); v && !v->empty()) {
      env[name] = *v;
    }
  }
  // The network config wins over the environment (Calico sets the variables from it).
  auto put = [&env](const char* name, const std::string& v) {
    if (!v.empty()) {
      env[name] = v;
    }
  };
  if (conf.raw.contains("datastore_type")) {
    put("DATASTORE_TYPE", ipam.datastore_type);
  }
  put("ETCD_ENDPOINTS", ipam.etcd_endpoints);
  put("ETCD_CA_CERT_FILE", ipam.etcd_ca_cert_file);
  put("ETCD_CERT_FILE", ipam.etcd_cert_file);
  put("ETCD_KEY_FILE", ipam.etcd_key_file);
  put("KUBECONFIG", ipam.kubeconfig);
  auto cfg = datastore::load_config("", env);
  if (!cfg) {
    return fail(
        Error{kErrInvalidNetworkConfig, "invalid datastore configuration: " + cfg.error(), {}});
  }
  return *cfg;
}

namespace {

struct Invocation {
  std::string cni_version = std::string(kLatestVersion);  // for error replies
  IpamConf ipam;
};

void log_line(const PluginIo& io, const IpamConf& conf, const std::string& line) {
  if (io.log && !conf.log_file_path.empty()) {
    io.log(conf.log_file_path, line);
  }
}

Result<std::string, Error> execute(const Env& env, const NetConf& conf, const IpamConf& ipam,
                                   const PluginIo& io) {
  auto k8s = parse_k8s_args(env);
  if (!k8s) {
    return fail(k8s.error());
  }
  // Gate the newer commands before touching the datastore.
  if (env.command == "CHECK") {
    if (auto v = require_version(conf, "CHECK", "0.4.0"); !v) {
      return fail(v.error());
    }
  } else if (env.command == "GC" || env.command == "STATUS") {
    if (auto v = require_version(conf, env.command, "1.1.0"); !v) {
      return fail(v.error());
    }
  }
  IpamRequest req{env, conf, ipam, std::move(*k8s), {}, io.now()};
  auto cfg = datastore_config(conf, ipam, io);
  if (!cfg) {
    return fail(cfg.error());
  }
  auto ds = io.open_datastore(*cfg);
  if (!ds) {
    return fail(Error{kErrInvalidNetworkConfig, "cannot open the datastore: " + ds.error(), {}});
  }
  IpamPlugin plugin(**ds, io.allocator);
  if (env.command == "STATUS") {
    if (auto r = plugin.status(req); !r) {
      return fail(r.error());
    }
    return std::string();
  }
  if (env.command != "CHECK") {
    auto node = determine_nodename(ipam, io);
    if (!node) {
      return fail(node.error());
    }
    req.nodename = std::move(*node);
  }
  // ADD, DEL and GC are serialised per host (Calico's ipam.lock), as Calico does.
  // Best effort, as Calico: correctness never depends on the lock (every write is a CAS),
  // it only keeps one host's plugins from contending for the same block.
  LockGuard guard;
  if (env.command != "CHECK" && io.lock) {
    auto g = io.lock(ipam.ipam_lock_file, io.lock_timeout);
    if (g) {
      guard = std::move(*g);
    } else {
      log_line(
          io, ipam,
          go_time_string(io.now()) + " warning: proceeding without the IPAM lock: " + g.error());
    }
  }
  if (env.command == "ADD") {
    auto r = plugin.add(req);
    if (!r) {
      return fail(r.error());
    }
    return result_json(*r, conf.cni_version) + "\n";
  }
  if (env.command == "DEL") {
    if (auto r = plugin.del(req); !r) {
      return fail(r.error());
    }
    return std::string();
  }
  if (env.command == "CHECK") {
    if (auto r = plugin.check(req); !r) {
      return fail(r.error());
    }
    return std::string();
  }
  auto r = plugin.gc(req);
  if (!r) {
    return fail(r.error());
  }
  return std::string();
}

}  // namespace

PluginOutput run_ipam_plugin(std::string_view stdin_bytes, const PluginIo& io) {
  auto begun = begin_plugin_run(stdin_bytes, io.getenv);
  if (auto* done = std::get_if<PluginOutput>(&begun)) {
    return std::move(*done);
  }
  auto& [env_value, conf_value] = std::get<PluginInvocation>(begun);
  const Env* env = &env_value;
  const NetConf* conf = &conf_value;
  auto ipam = parse_ipam_conf(*conf);
  if (!ipam) {
    return error_output(ipam.error(), conf->cni_version);
  }
  auto out = execute(*env, *conf, *ipam, io);
  const std::string who = env->command + " " + handle_id(conf->name, env->container_id);
  if (!out) {
    log_line(io, *ipam, go_time_string(io.now()) + " error " + who + ": " + out.error().msg);
    return error_output(out.error(), conf->cni_version);
  }
  log_line(io, *ipam, go_time_string(io.now()) + " ok " + who);
  return PluginOutput{std::move(*out), 0};
}

}  // namespace calico::cni
