// The `calico` CNI plugin's network configuration: the keys of Calico's
// cni-plugin/pkg/types.NetConf that this plugin uses (research notes §4.2), the CNI
// conventions args.cni.labels / args.cni.ips, and our own args.org.projectcalico.
//
//   auto conf = parse_calico_conf(netconf);   // Result<CalicoConf, Error>
//
// Pure and stateless like cni/spec.h.  Unknown keys are ignored (CNI convention); a known
// key of the wrong JSON type, or a value out of range, is error code 7 naming the key
// ("invalid network config: mtu: must be a non-negative integer, got \"x\"").
//
// Keys (besides those parse_ipam_conf reads: nodename, nodename_file,
// nodename_file_optional, datastore_type, etcd_*, kubernetes.kubeconfig, policy.type,
// ipam_lock_file, log_level, log_file_path):
//   ipam                     object, ipam.type required (the delegate IPAM plugin)
//   ipam.routes              [{dst}] host-local style routes for the container
//   include_default_routes   bool: with ipam.routes, add the default routes as well
//   mtu                      int, 0 or absent = 1500 (Calico's "auto" is not done)
//   container_settings       {allow_ip_forwarding: bool}
//   feature_control          {ip_addrs_no_ipam: bool, floating_ips: bool} (parsed only)
//   args.cni.labels          [{key, value}]: the workload's own labels
//   args.cni.ips             [ip]: addresses requested (passed to calico-ipam as IP=)
//   args.org.projectcalico   {serviceAccount: string, ports: [{name, protocol, port}]}
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cni/ipam_config.h"
#include "cni/spec.h"
#include "common/net/ip.h"
#include "common/result.h"

namespace calico::cni {

inline constexpr int kDefaultMtu = 1500;

// A named port of the workload (args.org.projectcalico.ports[]).
struct NamedPort {
  std::string name;
  std::string protocol = "TCP";  // TCP, UDP or SCTP (upper-cased)
  std::uint16_t port = 0;
  bool operator==(const NamedPort&) const = default;
};

struct CalicoConf {
  IpamConf common;  // datastore, node name, logging, policy.type, ipam.type
  int mtu = kDefaultMtu;
  std::vector<net::Cidr> ipam_routes;  // ipam.routes[].dst
  bool include_default_routes = false;
  bool allow_ip_forwarding = false;
  bool ip_addrs_no_ipam = false;  // feature_control (no effect: annotations are not read)
  bool floating_ips = false;
  std::map<std::string, std::string> labels;  // args.cni.labels
  std::vector<net::IpAddr> requested_ips;     // args.cni.ips
  std::string service_account;                // args.org.projectcalico.serviceAccount
  std::vector<NamedPort> ports;               // args.org.projectcalico.ports
};

Result<CalicoConf, Error> parse_calico_conf(const NetConf& conf);

}  // namespace calico::cni
