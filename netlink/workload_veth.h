// WorkloadVeth: the kernel side of the `calico` CNI plugin (cni::WorkloadDataplane,
// cni/workload_dataplane.h) over rtnetlink (libnl-route) and /proc/sys.
//
//   netlink::WorkloadVeth veth;                        // stateless
//   auto links = veth.create(wi);                      // Result<WorkloadLinks, string>
//
// Namespaces: the host end, its sysctls and the host routes live in the namespace of the
// calling thread (the plugin process's; run it under `ip netns exec` to target another);
// the container end is configured on a helper thread that enters wi.netns by path
// (run_in_netns_path, netns_thread.h), with its own rtnetlink socket, and writes the
// container's /proc/sys from there (/proc/sys/net follows the writing thread's namespace).
//
// create() follows Calico's dataplane_linux.go (research notes §4.5): stale host veth
// and stale container interface of the same names deleted; the pair created from the
// host side with the peer placed straight into the container namespace (IFLA_NET_NS_FD);
// host MAC ee:ee:ee:ee:ee:ee and MTU on both ends; host sysctls (v4: route_localnet=1,
// proxy_delay=0, proxy_arp=1, forwarding=1; v6: accept_dad=0, disable_ipv6=0,
// proxy_ndp=1, forwarding=1, accept_ra=0), host end up, plus fe80::ecee:eeff:feee:eeee/64
// on it when the kernel did not derive it already; in the container: accept_dad=0 and
// disable_ipv6=0 (all/default/lo/eth0) for IPv6, ip_forward and ipv6 forwarding per
// allow_ip_forwarding, interface up, addresses (/32, /128, no DAD), 169.254.1.1/32
// scope link, then each route via its gateway; host routes <ip> dev <host> scope link
// (an identical route is accepted, one through another interface fails).
//
// Thread affinity: any thread, one call at a time per object (there is no state).  Errors
// are values naming the step, interface and namespace; no exception escapes.
#pragma once

#include <string>

#include "cni/workload_dataplane.h"

namespace calico::netlink {

class WorkloadVeth final : public cni::WorkloadDataplane {
 public:
  Result<cni::WorkloadLinks, std::string> create(const cni::WorkloadInterface& wi) override;
  Result<void, std::string> remove(const cni::WorkloadInterface& wi) override;
  Result<void, std::string> check(const cni::WorkloadInterface& wi) override;
};

// True when `path` names a live network namespace (an nsfs file: /run/netns/x,
// /proc/<pid>/ns/net); false when it is absent or not a namespace.
bool netns_exists(const std::string& path);

}  // namespace calico::netlink
