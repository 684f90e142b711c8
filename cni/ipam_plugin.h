// The calico-ipam CNI plugin: CNI commands on top of ipam::Allocator.
//
//   IpamPlugin plugin(datastore);                     // any datastore::Datastore backend
//   auto result = plugin.add(request);                // Result<CniResult, Error>
//   plugin.del(request);                              // idempotent
//
// `run_ipam_plugin` is the whole plugin process (what main() does) with every piece of
// I/O passed in: environment, files, the datastore, the host-wide lock and the clock; the
// binary (calico_ipam_main.cpp) only wires those to the real system, so the dispatch,
// error codes and output are unit-tested in-process.
//
// Behaviour follows Calico's cni-plugin/pkg/ipamplugin (research notes §4.4):
//   ADD    CNI_ARGS IP=<v4>[,<v6>] assigns those addresses (/32 and /128 results);
//          otherwise AutoAssign of one IPv4 (unless assign_ipv4 is "false") and one IPv6
//          (if assign_ipv6 is "true") from ipv4_pools/ipv6_pools or the pools selecting
//          the node.  Handle "<network name>.<CNI_CONTAINERID>", attributes node and
//          timestamp (+ pod and namespace from K8S_POD_*).  The result holds each address
//          with its block's prefix length and one route per address with that same dst.
//          Dual stack is all or nothing.  Deviation: an ADD repeated for a container whose
//          handle already holds exactly the requested addresses returns them instead of
//          allocating more (a runtime retrying a timed-out ADD does not double-allocate).
//   DEL    ReleaseByHandle of "<network>.<id>" then of the v2.x handle ("<ns>.<pod>" under
//          Kubernetes, else "<id>"); absent handles are success.
//   CHECK  (cniVersion >= 0.4.0) every address of prevResult must be held by the handle.
//          Calico does not implement CHECK; this is the spec's IPAM CHECK.
//   GC     (>= 1.1.0) releases this node's handles of this network whose container is not
//          in cni.dev/valid-attachments.
//   STATUS (>= 1.1.0) datastore reachable, ClusterInformation ready, and an enabled pool
//          for each family the config assigns; else code 50.
// ADD, DEL and GC are refused (code 11, "Calico is currently not ready to process
// requests") while ClusterInformation "default" says datastoreReady: false, the flag a
// datastore migration sets; Calico's calico-ipam does not look, its calico plugin does.
// They run under the host-wide lock file (ipam_lock_file, default
// /var/run/calico/ipam.lock), best effort as in Calico: if it cannot be taken the command
// proceeds (every write is a CAS anyway) and the log says so.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cni/ipam_config.h"
#include "cni/spec.h"
#include "datastore/config.h"
#include "datastore/datastore.h"
#include "ipam/allocator.h"

namespace calico::cni {

// Plugin-specific error codes (spec: 100 and above).
inline constexpr int kErrNoAddresses = 100;             // pools exhausted, block limit reached
inline constexpr int kErrNoPool = 101;                  // no usable pool / address outside pools
inline constexpr int kErrAddressInUse = 102;            // IP= address taken or not assignable
inline constexpr int kErrCheckFailed = 103;             // CHECK: an address is not allocated
inline constexpr int kErrNotReady = kErrTryAgainLater;  // ClusterInformation not ready

// Maps an allocator error onto a CNI error (code by kind, message kept).
Error to_cni_error(const ipam::IpamError& e);

// Calico's handle id for a CNI attachment.
std::string handle_id(const std::string& network_name, const std::string& container_id);

// One parsed invocation.
struct IpamRequest {
  Env env;
  NetConf conf;
  IpamConf ipam;
  K8sArgs k8s;
  std::string nodename;
  std::chrono::system_clock::time_point now;
};

struct GcSummary {
  std::vector<std::string> released_handles;
};

class IpamPlugin {
 public:
  explicit IpamPlugin(datastore::Datastore& ds, ipam::AllocatorOptions opts = {});

  Result<CniResult, Error> add(const IpamRequest& req) const;
  Result<void, Error> del(const IpamRequest& req) const;
  Result<void, Error> check(const IpamRequest& req) const;
  Result<GcSummary, Error> gc(const IpamRequest& req) const;
  Result<void, Error> status(const IpamRequest& req) const;

  // Error unless ClusterInformation "default" is absent or not datastoreReady: false.
  Result<void, Error> ready() const;

 private:
  Result<std::optional<CniResult>, Error> existing(const IpamRequest& req,
                                                   const std::string& handle) const;
  datastore::Datastore& ds_;
  ipam::Allocator alloc_;
};

// ---- The plugin process ----

// Releases the host-wide lock when destroyed.
using LockGuard = std::shared_ptr<void>;

struct PluginIo {
  GetEnv getenv;  // CNI_* and the datastore variables
  // Whole file contents; error text names the path and errno.  nullopt: no such file.
  std::function<Result<std::optional<std::string>, std::string>(const std::string&)> read_file;
  std::function<std::string()> hostname;
  std::function<Result<std::unique_ptr<datastore::Datastore>, std::string>(
      const datastore::DatastoreConfig&)>
      open_datastore;
  // Takes the host-wide lock (blocking up to `timeout`); an empty function means no lock.
  // A failure is logged and the command proceeds unlocked.
  std::function<Result<LockGuard, std::string>(const std::string& path,
                                               std::chrono::milliseconds timeout)>
      lock;
  std::function<std::chrono::system_clock::time_point()> now;
  // Appends one line to the configured log file (log_file_path); may be empty.
  std::function<void(const std::string& path, const std::string& line)> log;
  ipam::AllocatorOptions allocator;
  std::chrono::milliseconds lock_timeout{90'000};
};

PluginOutput run_ipam_plugin(std::string_view stdin_bytes, const PluginIo& io);

// Node name as Calico's DetermineNodename: "nodename" key, else the nodename file
// (trimmed), else the host name (lower-cased).  A missing file is an error unless
// nodename_file_optional (ADD/DEL precondition: calico-node writes it at start-up).
Result<std::string, Error> determine_nodename(const IpamConf& conf, const PluginIo& io);

// The datastore configuration: the process environment (DATASTORE_TYPE, ETCD_ENDPOINTS,
// ...) overridden by the network config's datastore_type, etcd_* and kubernetes.kubeconfig.
Result<datastore::DatastoreConfig, Error> datastore_config(const NetConf& conf,
                                                           const IpamConf& ipam,
                                                           const PluginIo& io);

// Go's time.Time.String() in UTC, as Calico writes the "timestamp" attribute:
// "2026-11-23 16:43:17.123456789 +0000 UTC".
std::string go_time_string(std::chrono::system_clock::time_point t);

}  // namespace calico::cni
