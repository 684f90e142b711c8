// Who a CNI attachment is, and the WorkloadEndpoint the `calico` plugin writes for it.
//
// Calico's rules (cni-plugin/pkg/plugin, libcalico-go names; research notes §1.8, §4.5,
// §4.6):
//   - K8S_POD_NAMESPACE and K8S_POD_NAME in CNI_ARGS: orchestrator "k8s"; the endpoint is
//     named <node>-k8s-<pod>-<ifname> and its host veth "cali" + 11 hex digits of
//     SHA-1("<namespace>.<pod>") (what Felix and the KDD projection compute too);
//   - otherwise orchestrator "cni", namespace "default", workload = the container ID; the
//     endpoint is <node>-cni-<containerID>-<ifname> and the veth "cali" + the first 11
//     characters of the container ID.
//   Inside each name segment every '-' is doubled.
//
// Pure: no datastore or kernel access.
#pragma once

#include <string>
#include <vector>

#include "api/resources.h"
#include "cni/calico_config.h"
#include "cni/ipam_config.h"
#include "cni/spec.h"
#include "common/net/ip.h"

namespace calico::cni {

inline constexpr std::string_view kOrchestratorK8s = "k8s";
inline constexpr std::string_view kOrchestratorCni = "cni";
inline constexpr std::string_view kLabelNamespace = "projectcalico.org/namespace";
inline constexpr std::string_view kLabelOrchestrator = "projectcalico.org/orchestrator";
inline constexpr std::string_view kLabelServiceAccount = "projectcalico.org/serviceaccount";

struct WorkloadId {
  std::string orchestrator;  // "k8s" or "cni"
  std::string ns;            // pod namespace; "default" for cni
  std::string pod;           // k8s only
  std::string workload;      // cni only: the container ID
  std::string container_id;  // CNI_CONTAINERID
  std::string endpoint;      // CNI_IFNAME
  std::string node;
  std::string wep_name;     // the WorkloadEndpoint's name
  std::string host_ifname;  // the host end of the veth

  bool is_k8s() const { return orchestrator == kOrchestratorK8s; }
};

WorkloadId workload_id(const Env& env, const K8sArgs& k8s, const std::string& node);

// "<node>-<orchestrator>-<workload>-<endpoint>", '-' doubled inside each segment.
std::string workload_endpoint_name(const std::string& node, const std::string& orchestrator,
                                   const std::string& workload, const std::string& endpoint);

// The non-Kubernetes host veth name: "cali" + the first 11 characters of the container ID.
std::string container_interface_name(const std::string& container_id);

// The endpoint for `id` with addresses `ips` (each written as /32 or /128) and the
// container-side MAC `mac` (may be empty).  Labels: conf.labels plus
// projectcalico.org/namespace, projectcalico.org/orchestrator and, when a service account
// is known and shorter than 63 characters, projectcalico.org/serviceaccount.  Profiles:
// kns.<ns> and ksa.<ns>.<sa> for Kubernetes (or policy.type k8s), else the network name.
// Ports from args.org.projectcalico.ports.
api::WorkloadEndpoint build_wep(const WorkloadId& id, const CalicoConf& conf,
                                const std::vector<net::Cidr>& ips, const std::string& mac);

// Calico's profile for a non-Kubernetes network (policy.type empty): allows ingress from
// endpoints carrying the network's label, all egress, and gives its endpoints that label.
api::Profile network_profile(const std::string& network_name);

// True when the profile list of build_wep() is the network profile (created on ADD).
bool uses_network_profile(const WorkloadId& id, const CalicoConf& conf);

}  // namespace calico::cni
