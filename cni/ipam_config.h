// The calico-ipam plugin's view of a CNI invocation: its network-config keys and the
// Kubernetes identifiers the runtime passes in CNI_ARGS.
//
// Pure and stateless, like cni/spec.h: input is an already parsed NetConf or Env, output
// is a value or an Error with a CNI error code naming the offending field.  Key names and
// defaults follow Calico's cni-plugin/pkg/types (see the research notes, section 4.2).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cni/spec.h"
#include "common/net/ip.h"
#include "common/result.h"

namespace calico::cni {

struct IpamConf {
  std::string network_name;  // NetConf::name; prefix of the IPAM handle "<name>.<id>"
  std::string ipam_type;     // ipam.type, e.g. "calico-ipam" or "host-local"
  bool assign_ipv4 = true;   // ipam.assign_ipv4
  bool assign_ipv6 = false;  // ipam.assign_ipv6
  std::vector<std::string> ipv4_pools, ipv6_pools;  // ipam.ipv4_pools: names or CIDRs
  std::string nodename;                             // explicit override, else the file
  std::string nodename_file = "/var/lib/calico/nodename";
  bool nodename_file_optional = false;
  std::string datastore_type = "etcdv3";  // "etcdv3" or "kubernetes"
  std::string etcd_endpoints, etcd_key_file, etcd_cert_file, etcd_ca_cert_file;
  std::string kubeconfig;                                    // kubernetes.kubeconfig
  std::string policy_type;                                   // policy.type ("k8s" or empty)
  std::string ipam_lock_file = "/var/run/calico/ipam.lock";  // host-wide flock
  std::string log_level = "info";
  std::string log_file_path;
};

// Reads the keys above from conf.raw / conf.ipam.  Calico's quirk: assign_ipv4 and
// assign_ipv6 are the strings "true" / "false" (JSON booleans are accepted too).  Errors
// (code 7, naming the field and value): any other flag value; pools that are not arrays
// of strings; a datastore_type other than etcdv3/kubernetes; a known key of the wrong JSON
// type.  Empty nodename_file, datastore_type and log_level fall back to the defaults.
Result<IpamConf, Error> parse_ipam_conf(const NetConf& conf);

// Kubernetes identifiers from CNI_ARGS.  Unknown keys are ignored (Calico runs with
// IgnoreUnknown=1).
struct K8sArgs {
  std::string pod_namespace;       // K8S_POD_NAMESPACE
  std::string pod_name;            // K8S_POD_NAME
  std::string infra_container_id;  // K8S_POD_INFRA_CONTAINER_ID
  std::optional<std::string> ip;   // IP: requested address(es), as given
  std::vector<net::IpAddr> ips;    // `ip` parsed: at most one IPv4 and one IPv6
};

// Errors (code 4, naming IP): an entry of the comma-separated IP that is not an address,
// or two addresses of one family.  An empty IP counts as absent.
Result<K8sArgs, Error> parse_k8s_args(const Env& env);

}  // namespace calico::cni
