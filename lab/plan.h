// The lab's topology as pure data: names, addresses, AS numbers, the Calico resources that
// configure BGP, and the top-of-rack router's configuration (BIRD 2 or FRR 8).  No I/O:
// lab.cpp turns a Plan into namespaces and processes.
//
//   auto plan = make_plan(options);            // fails naming the bad option
//   plan->nodes[0].ip == "10.99.0.1"           // tor.ip == "10.99.0.254"
//   bird_config(*plan, dir)                    // bird.conf for the ToR
//
// Layout (every address lives only inside the lab's own network namespaces):
//   <name>-tor      the top-of-rack router: bridge br0 10.99.0.254/24, BIRD or FRR, AS 65000,
//                   one eBGP session per node, ip_forward on (the nodes' default gateway)
//   <name>-ctl      the control plane: etcd on 127.0.0.1 and 10.99.0.253; calicoctl runs here
//   <name>-nodeN    node N: eth0 10.99.0.N/24 on the bridge, calico-node
//   <name>-<ns>.<pod>   a pod (the first dot separates: a namespace name has none)
// Topologies:
//   tor   no node-to-node mesh; each rack (nodes_per_rack nodes) has its own AS 65001, 65002,
//         ...; nodes learn each other's blocks from the ToR (AS per rack, eBGP)
//   mesh  Calico's node-to-node mesh in AS 64512, plus eBGP to the ToR
//   rr    node1 is a route reflector (cluster id 244.0.0.1) for the others, AS 64512, mesh
//         off, plus eBGP to the ToR
// In mesh and rr the ToR's re-advertisements of the cluster's own routes carry AS 64512 and
// are dropped by the nodes as AS-path loops, so the nodes route pod traffic over the iBGP
// paths; the ToR still learns every block.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"

namespace calico::lab {

enum class Topology { Tor, Mesh, RouteReflector };
enum class TorDaemon { Bird, Frr };

std::string to_string(Topology t);
std::string to_string(TorDaemon d);
Result<Topology, std::string> parse_topology(const std::string& s);
Result<TorDaemon, std::string> parse_tor_daemon(const std::string& s);

struct Options {
  std::string name = "lab";
  int nodes = 3;
  Topology topology = Topology::Tor;
  TorDaemon tor = TorDaemon::Bird;
  int nodes_per_rack = 1;
};

inline constexpr int kTorAs = 65000;
inline constexpr int kClusterAs = 64512;
inline constexpr int kMaxNodes = 50;
inline constexpr const char* kPoolCidr = "10.65.0.0/16";
inline constexpr const char* kRouteReflectorClusterId = "244.0.0.1";

struct PlannedNode {
  std::string name;   // node1
  std::string netns;  // <lab>-node1
  std::string ip;     // 10.99.0.1
  std::string port;   // its bridge port in the ToR namespace: node1
  int as = 0;
  int rack = 0;  // 1-based
  bool route_reflector = false;
};

struct Plan {
  Options options;
  std::string tor_netns;
  std::string ctl_netns;
  std::string tor_ip = "10.99.0.254";
  std::string ctl_ip = "10.99.0.253";
  int prefix_len = 24;
  std::vector<PlannedNode> nodes;
};

// Fails when the name is not [a-z0-9-]{1,12} starting with a letter, or nodes is outside
// 1..kMaxNodes, or nodes_per_rack < 1.
Result<Plan, std::string> make_plan(const Options& options);

// The pod's network namespace name: <lab>-<ns>.<pod>.
std::string pod_netns(const Plan& plan, const std::string& ns, const std::string& pod);
// "ns/name" -> {ns, name}; a bare name means namespace "default".  Fails on anything that
// is not a Kubernetes namespace (DNS label) / pod name (DNS subdomain).
Result<std::pair<std::string, std::string>, std::string> parse_pod_ref(const std::string& ref);
// A Kubernetes namespace name (RFC 1123 label, at most 63 characters).
bool valid_namespace_name(const std::string& s);

// projectcalico.org/v3 documents: the default BGPConfiguration, the IPPool, one Node per
// node (labels rack=<r>, kubernetes.io/hostname; route-reflector=true and the cluster id
// on a reflector; spec.bgp address and AS), and the BGPPeers of the topology.
std::string calico_resources_yaml(const Plan& plan);

// BIRD 2 configuration for the ToR: one eBGP protocol per node (import and export all),
// learned routes exported to the namespace's kernel table.  `dir` holds the log.
std::string bird_config(const Plan& plan, const std::string& dir);
// FRR 8 bgpd configuration for the ToR, equivalent to bird_config.
std::string frr_config(const Plan& plan);

}  // namespace calico::lab
