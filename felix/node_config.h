// calico-node's start-up configuration from the environment (Calico's variable names), and
// the Node registration its start-up does.
//
//   NODENAME                   node name (else HOSTNAME, else the host name)
//   CALICO_NODENAME_FILE       where the name is written for the CNI plugin
//                              (default /var/lib/calico/nodename)
//   IP / IP6                   "autodetect" (IP's default), "none" (IP6's default), or an
//                              address with optional /prefix
//   IP_AUTODETECTION_METHOD    first-found (default) | interface=<regex> | cidr=<cidr>[,...]
//   AS                         this node's AS (else BGPConfiguration's)
//   CALICO_ROUTER_ID           dotted quad or "hash"
//   CALICO_NETWORKING_BACKEND  bird (default: run our BGP speaker) | none (policy only)
//   CALICO_BGP_CONTROL_SOCKET  default /var/run/calico/bgp.sock (calicoctl node status)
//   CALICO_NFT_TABLE / CALICO_NAT_TABLE   nftables tables (default calico, calico-nat)
//   FELIX_HEALTHHOST / FELIX_HEALTHPORT   health + metrics endpoint (localhost:9099);
//   FELIX_HEALTHENABLED        default true
//   FELIX_PROMETHEUSMETRICSENABLED / FELIX_PROMETHEUSMETRICSPORT  extra metrics listener
//                              (false / 9091) on all addresses
//   FELIX_LOGSEVERITYSCREEN    initial log level (FelixConfiguration overrides it)
//   FELIX_ROUTEREFRESHINTERVAL seconds between full dataplane resyncs (default 90)
// Every value is checked; an error names the variable.  Pure.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/net/ip.h"
#include "datastore/config.h"
#include "datastore/datastore.h"

namespace calico::felix {

// Every environment variable node_options_from_env reads (the list above).  The reader
// looks names up only through this table (an unlisted name is a CALICO_CHECK failure), so
// it cannot fall behind the code; the manifest test checks the DaemonSet's calico-node env
// against it and datastore::kDatastoreEnvVars (load_config), calico-node's other reader.
inline constexpr std::array<std::string_view, 20> kNodeEnvVars = {
    "NODENAME",
    "HOSTNAME",
    "CALICO_NODENAME_FILE",
    "IP",
    "IP6",
    "IP_AUTODETECTION_METHOD",
    "AS",
    "CALICO_ROUTER_ID",
    "CALICO_NETWORKING_BACKEND",
    "CALICO_BGP_CONTROL_SOCKET",
    "CALICO_NFT_TABLE",
    "CALICO_NAT_TABLE",
    "FELIX_HEALTHENABLED",
    "FELIX_HEALTHHOST",
    "FELIX_HEALTHPORT",
    "FELIX_PROMETHEUSMETRICSENABLED",
    "FELIX_PROMETHEUSMETRICSPORT",
    "FELIX_LOGSEVERITYSCREEN",
    "FELIX_ROUTEREFRESHINTERVAL",
    "CLUSTER_TYPE",
};

struct NodeOptions {
  std::string node_name;
  std::string nodename_file = "/var/lib/calico/nodename";
  std::string ip = "autodetect";  // "autodetect", "none" or address[/len]
  std::string ip6 = "none";
  std::string autodetect_method = "first-found";
  std::optional<std::uint32_t> asn;
  std::string router_id;
  bool bgp_enabled = true;
  std::string control_socket = "/var/run/calico/bgp.sock";
  std::string nft_table = "calico";
  std::string nat_table = "calico-nat";
  bool health_enabled = true;
  std::string health_host = "localhost";
  std::uint16_t health_port = 9099;
  bool metrics_enabled = false;
  std::uint16_t metrics_port = 9091;
  std::string log_level;
  std::chrono::seconds refresh_interval{90};
  std::string cluster_type = "k8s,bgp";  // CLUSTER_TYPE (ClusterInformation spec.clusterType)
};

// `hostname`: the machine's host name (for when neither NODENAME nor HOSTNAME is set).
Result<NodeOptions, std::string> node_options_from_env(const datastore::Environment& env,
                                                       const std::string& hostname);

// Picks the address for IP/IP6 autodetection.  `interfaces`: (name, "addr/len") pairs in
// the system's order.  first-found skips loopback, link-local and the usual virtual
// interfaces (cali*, docker*, veth*, kube-ipvs*, cni*, flannel*, vxlan*, tunl*, lo);
// interface=<regex> takes the first address of a matching interface; cidr=<c1>,<c2>
// the first address inside one of the CIDRs.
Result<std::string, std::string> autodetect_address(
    const std::vector<std::pair<std::string, std::string>>& interfaces, const std::string& method,
    net::Family family);

struct NodeRegistration {
  std::string name;
  std::string ipv4;  // "addr/len" or "" (no IPv4 BGP address)
  std::string ipv6;
  std::optional<std::uint32_t> asn;
};

// Creates or updates this node's Node resource as calico-node's start-up does: spec.bgp
// ipv4Address / ipv6Address / asNumber set (other fields kept), the CalicoNodeIP
// addresses refreshed.  On the Kubernetes datastore the Node must exist (the kubelet
// registers it); on etcd it is created.  Refuses an address another Node already uses.
// Conflicts are retried (bounded).  Returns the stored Node.
struct RegisterError {
  bool retryable = false;  // the datastore was unreachable or busy: try again later
  std::string message;
};
Result<api::Node, RegisterError> register_node(datastore::Datastore& ds,
                                               const NodeRegistration& reg, bool create_missing);

// Calico's EnsureInitialized: the ClusterInformation `default` exists, with a clusterGUID
// (random, kept once set), `cluster_type` (CLUSTER_TYPE; ",kdd" added on the Kubernetes
// datastore), calicoVersion and datastoreReady (true when unset; an explicit false, the
// `calicoctl datastore migrate lock`, is kept).  Conflicts are retried (bounded).
Result<api::ClusterInformation, RegisterError> ensure_cluster_information(
    datastore::Datastore& ds, const std::string& cluster_type, const std::string& version);

}  // namespace calico::felix
