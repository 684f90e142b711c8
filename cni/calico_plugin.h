// The `calico` CNI plugin: a workload's veth, its addresses (from a delegated IPAM
// plugin) and its WorkloadEndpoint in the datastore.
//
//   CalicoPlugin plugin(datastore, dataplane, delegate);
//   auto result = plugin.add(request);    // Result<CniResult, Error>
//   plugin.del(request);                  // idempotent
//
// `run_calico_plugin` is the whole process (what main() does) with every piece of I/O
// passed in (CalicoPluginIo): environment, files, the datastore, the delegate-IPAM exec and
// the dataplane.  calico_main.cpp wires those to the real system (calico_host.h).
//
// Commands (Calico's cni-plugin/pkg/plugin and k8s, research notes §4.5-4.8):
//   ADD    IPAM ADD through the delegate named by ipam.type (exec'd from CNI_PATH with the
//          same stdin and environment; args.cni.ips become CNI_ARGS IP= for calico-ipam),
//          then the interface (WorkloadDataplane::create), then the WorkloadEndpoint
//          (create, or overwrite the one of an earlier sandbox of the same pod).  A failure
//          after IPAM undoes what was done (interface removed, IPAM DEL) and the error
//          names the step.  The result: the host veth and the container interface (MAC,
//          sandbox), each address as /32 or /128 on interface 1, the routes installed in
//          the container, IPAM's DNS.
//   DEL    WorkloadEndpoint deleted when its containerID is ours (or unset), interface
//          removed (the host veth only when the endpoint was ours), IPAM DEL.  A missing
//          netns, interface, endpoint or allocation is success; a datastore error other
//          than NotFound fails (a transient failure must not strip a live pod).
//   CHECK  (>= 0.4.0) prevResult's addresses and the default routes on the container
//          interface, the host veth, the endpoint (containerID, addresses), then IPAM
//          CHECK.  Calico's CHECK is a stub; this verifies.  Code 103 names what is missing.
//   GC     (>= 1.1.0) IPAM GC, then deletes this node's endpoints whose container is not
//          in cni.dev/valid-attachments.
//   STATUS (>= 1.1.0) the datastore answers and is ready (code 50 otherwise), then IPAM
//          STATUS.
//   VERSION 0.1.0 ... 1.1.0.
// ADD, DEL and GC fail with code 11 while ClusterInformation "default" says
// datastoreReady: false.  (Calico also fails when it is absent; we accept that, so a
// datastore without calico-node works.)
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cni/calico_config.h"
#include "cni/calico_wep.h"
#include "cni/ipam_plugin.h"
#include "cni/spec.h"
#include "cni/workload_dataplane.h"
#include "datastore/datastore.h"

namespace calico::cni {

// Plugin-specific codes (calico-ipam uses 100-103; kErrCheckFailed is shared).
inline constexpr int kErrInterface = 110;     // creating/deleting the workload interface failed
inline constexpr int kErrNoIpamResult = 111;  // the IPAM plugin returned no usable address

// One run of the IPAM plugin.
struct DelegateOutput {
  int exit_code = 0;
  std::string stdout_text;
  std::string stderr_text;
};

// Runs the plugin binary `type` from CNI_PATH with CNI_COMMAND=`command`, `stdin_bytes` on
// stdin, and the plugin's own environment with `env` overridden.  Errors (the plugin could
// not be run): a message naming the binary and the search path.
using DelegateFn = std::function<Result<DelegateOutput, std::string>(
    const std::string& type, const std::string& command, std::string_view stdin_bytes,
    const std::map<std::string, std::string>& env)>;

// One parsed invocation.
struct CalicoRequest {
  Env env;
  NetConf conf;
  CalicoConf calico;
  K8sArgs k8s;
  std::string nodename;
  std::string stdin_bytes;  // the network config as received: passed on to IPAM
};

struct CalicoGcSummary {
  std::vector<std::string> deleted_endpoints;  // "<namespace>/<name>"
};

class CalicoPlugin {
 public:
  CalicoPlugin(datastore::Datastore& ds, WorkloadDataplane& dataplane, DelegateFn delegate);

  Result<CniResult, Error> add(const CalicoRequest& req) const;
  Result<void, Error> del(const CalicoRequest& req) const;
  Result<void, Error> check(const CalicoRequest& req) const;
  Result<CalicoGcSummary, Error> gc(const CalicoRequest& req) const;
  Result<void, Error> status(const CalicoRequest& req) const;

  // Error (code 11) when ClusterInformation "default" has datastoreReady: false.
  Result<void, Error> ready() const;

 private:
  // Runs IPAM `command`; its stdout on success, its error (code kept) otherwise.
  Result<std::string, Error> ipam(const CalicoRequest& req, const std::string& command) const;
  Result<void, Error> put_endpoint(api::WorkloadEndpoint wep) const;
  Result<void, Error> ensure_network_profile(const CalicoRequest& req) const;
  Result<void, Error> check_endpoint(const CalicoRequest& req, const WorkloadId& id,
                                     const std::vector<net::Cidr>& addresses) const;

  datastore::Datastore& ds_;
  WorkloadDataplane& dataplane_;
  DelegateFn delegate_;
};

// The routes Calico installs in the container for these addresses: ipam.routes (when
// given) and/or the default route of each family present, via 169.254.1.1 or
// fe80::ecee:eeff:feee:eeee.
std::vector<ContainerRoute> container_routes(const CalicoConf& conf,
                                             const std::vector<net::Cidr>& addresses);

// ---- The plugin process ----

struct CalicoPluginIo {
  PluginIo base;  // getenv, read_file, hostname, open_datastore, now, log (lock unused)
  DelegateFn delegate;
  WorkloadDataplane* dataplane = nullptr;  // not owned; must outlive the call
};

PluginOutput run_calico_plugin(std::string_view stdin_bytes, const CalicoPluginIo& io);

}  // namespace calico::cni
