// WorkloadDataplane: the seam between the `calico` CNI plugin's logic and the kernel.
//
// The plugin decides what a workload's interface looks like (WorkloadInterface); an
// implementation makes the kernel match it.  The real one is netlink::WorkloadVeth
// (netlink/workload_veth.h, the only code linking libnl); unit tests use a fake.
//
// What "create" means (Calico's cni-plugin dataplane_linux.go, research notes §4.5):
//   - a veth pair: `host_ifname` in the namespace the plugin runs in, MAC
//     ee:ee:ee:ee:ee:ee (kHostVethMac); `container_ifname` inside the network namespace at
//     `netns` (a path: /run/netns/x, /proc/<pid>/ns/net); both with `mtu`;
//   - host-side sysctls (proxy_arp, proxy_delay, forwarding, route_localnet; IPv6
//     proxy_ndp, forwarding, accept_ra=0, accept_dad=0 and the link-local
//     fe80::ecee:eeff:feee:eeee), both ends up;
//   - inside the container: each of `addresses` (/32, /128) on container_ifname,
//     169.254.1.1/32 scope link plus each of `routes` via its gateway, ip_forward per
//     allow_ip_forwarding;
//   - host routes <address> dev host_ifname scope link (when `host_routes`).
// A host interface with the same name left by an earlier ADD is deleted first.
//
// Thread affinity: one call at a time.  Errors are values: a message naming the
// interface, namespace and the step that failed ("creating veth cali1234 / eth0 in
// /run/netns/x: File exists").  No exception escapes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/net/ip.h"
#include "common/result.h"

namespace calico::cni {

// Calico's fixed addresses (research notes §4.5): the host end's MAC, and the gateways the
// container routes through (answered by proxy ARP, and by the host end's EUI-64
// link-local address for IPv6).
inline constexpr std::string_view kHostVethMac = "ee:ee:ee:ee:ee:ee";
inline constexpr std::string_view kIpv4Gateway = "169.254.1.1";
inline constexpr std::string_view kIpv6Gateway = "fe80::ecee:eeff:feee:eeee";

// A route inside the container: `dst` via `gateway` dev container_ifname.
struct ContainerRoute {
  net::Cidr dst;
  net::IpAddr gateway;
  bool operator==(const ContainerRoute&) const = default;
};

struct WorkloadInterface {
  std::string host_ifname;       // "cali" + 11 characters
  std::string container_ifname;  // CNI_IFNAME, usually eth0
  std::string netns;             // CNI_NETNS path; may be empty for remove()
  int mtu = 1500;
  std::vector<net::Cidr> addresses;  // /32 and /128
  std::vector<ContainerRoute> routes;
  bool allow_ip_forwarding = false;
  bool host_routes = true;  // <address> dev host_ifname in the plugin's namespace
};

// What create() made: the MACs ("aa:bb:cc:dd:ee:ff", lower case).
struct WorkloadLinks {
  std::string host_mac;
  std::string container_mac;
};

class WorkloadDataplane {
 public:
  virtual ~WorkloadDataplane() = default;

  // Builds the interface as described above.  On error whatever was created may remain;
  // the caller undoes it with remove().
  virtual Result<WorkloadLinks, std::string> create(const WorkloadInterface& wi) = 0;

  // Deletes container_ifname inside `netns` (when netns is non-empty) and host_ifname in
  // the plugin's namespace (when non-empty).  Idempotent: a missing namespace or interface
  // is success.
  virtual Result<void, std::string> remove(const WorkloadInterface& wi) = 0;

  // Verifies that the interface is as create() left it: container_ifname exists in
  // `netns` and is up, holds every address of `addresses`, and has a route for each of
  // `routes`; host_ifname exists.  Error: a message saying what is missing.
  virtual Result<void, std::string> check(const WorkloadInterface& wi) = 0;
};

}  // namespace calico::cni
