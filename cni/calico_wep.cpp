// Workload identity and WorkloadEndpoint construction (see calico_wep.h).
#include "cni/calico_wep.h"

#include "datastore/kdd/projections.h"

namespace calico::cni {
namespace {

constexpr std::size_t kVethSuffixLen = 11;              // "cali" + 11 = IFNAMSIZ - 1
constexpr std::size_t kMaxServiceAccountLabelLen = 63;  // label values are < 64 characters
constexpr std::string_view kDefaultNamespace = "default";

std::string escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    out += c;
    if (c == '-') {
      out += '-';
    }
  }
  return out;
}

}  // namespace

std::string workload_endpoint_name(const std::string& node, const std::string& orchestrator,
                                   const std::string& workload, const std::string& endpoint) {
  return escape(node) + "-" + escape(orchestrator) + "-" + escape(workload) + "-" +
         escape(endpoint);
}

std::string container_interface_name(const std::string& container_id) {
  return "cali" + container_id.substr(0, kVethSuffixLen);
}

WorkloadId workload_id(const Env& env, const K8sArgs& k8s, const std::string& node) {
  WorkloadId id;
  id.container_id = env.container_id;
  id.endpoint = env.ifname;
  id.node = node;
  if (!k8s.pod_namespace.empty() && !k8s.pod_name.empty()) {
    id.orchestrator = std::string(kOrchestratorK8s);
    id.ns = k8s.pod_namespace;
    id.pod = k8s.pod_name;
    id.wep_name = workload_endpoint_name(node, id.orchestrator, id.pod, id.endpoint);
    id.host_ifname = datastore::kdd::workload_interface_name(id.ns, id.pod);
  } else {
    id.orchestrator = std::string(kOrchestratorCni);
    id.ns = std::string(kDefaultNamespace);
    id.workload = env.container_id;
    id.wep_name = workload_endpoint_name(node, id.orchestrator, id.workload, id.endpoint);
    id.host_ifname = container_interface_name(env.container_id);
  }
  return id;
}

bool uses_network_profile(const WorkloadId& id, const CalicoConf& conf) {
  return !id.is_k8s() && conf.common.policy_type != "k8s";
}

api::WorkloadEndpoint build_wep(const WorkloadId& id, const CalicoConf& conf,
                                const std::vector<net::Cidr>& ips, const std::string& mac) {
  api::WorkloadEndpoint wep;
  wep.metadata.name = id.wep_name;
  wep.metadata.ns = id.ns;
  wep.metadata.labels = conf.labels;
  wep.metadata.labels[std::string(kLabelNamespace)] = id.ns;
  wep.metadata.labels[std::string(kLabelOrchestrator)] = id.orchestrator;
  const std::string& sa = conf.service_account;
  if (!sa.empty() && sa.size() < kMaxServiceAccountLabelLen) {
    wep.metadata.labels[std::string(kLabelServiceAccount)] = sa;
  }

  auto& s = wep.spec;
  s.orchestrator = id.orchestrator;
  s.workload = id.workload;
  s.node = id.node;
  s.container_id = id.container_id;
  s.pod = id.pod;
  s.endpoint = id.endpoint;
  s.service_account_name = sa;
  for (const auto& ip : ips) {
    s.ip_networks.push_back(net::Cidr(ip.addr(), ip.addr().bits()).to_string());
  }
  if (uses_network_profile(id, conf)) {
    s.profiles.push_back(conf.common.network_name);
  } else {
    s.profiles.push_back("kns." + id.ns);
    if (!sa.empty()) {
      s.profiles.push_back("ksa." + id.ns + "." + sa);
    }
  }
  s.interface_name = id.host_ifname;
  s.mac = mac;
  for (const auto& p : conf.ports) {
    api::WorkloadEndpointPort port;
    port.name = p.name;
    port.protocol = api::Protocol::named(p.protocol);
    port.port = p.port;
    s.ports.push_back(std::move(port));
  }
  return wep;
}

api::Profile network_profile(const std::string& network_name) {
  api::Profile p;
  p.metadata.name = network_name;
  api::Rule ingress;
  ingress.action = "Allow";
  ingress.source.selector = "has(" + network_name + ")";
  api::Rule egress;
  egress.action = "Allow";
  p.spec.ingress.push_back(std::move(ingress));
  p.spec.egress.push_back(std::move(egress));
  p.spec.labels_to_apply[network_name] = "";
  return p;
}

}  // namespace calico::cni
