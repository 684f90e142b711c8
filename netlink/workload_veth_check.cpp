// WorkloadVeth::check: is the workload's interface still as create() left it?  (CNI CHECK;
// contract in cni/workload_dataplane.h.)
#include <net/if.h>

#include <algorithm>

#include "netlink/netns_thread.h"
#include "netlink/workload_veth.h"
#include "netlink/workload_veth_ops.h"

namespace calico::netlink {
namespace {

using namespace veth;  // NOLINT(google-build-using-namespace): internal helpers

// Runs on the netns helper thread: the container interface, its addresses and routes.
Result<int, std::string> check_container(const cni::WorkloadInterface& wi) {
  auto sk = open_route_socket();
  if (!sk) {
    return fail(sk.error());
  }
  const std::string& c = wi.container_ifname;
  auto link = find_link(sk->get(), c);
  if (!link) {
    return fail(link.error());
  }
  if (!*link) {
    return fail("interface " + c + " does not exist");
  }
  if ((rtnl_link_get_flags(link->get()) & IFF_UP) == 0) {
    return fail("interface " + c + " is down");
  }
  const int ifindex = rtnl_link_get_ifindex(link->get());
  auto have = addresses_of(sk->get(), ifindex);
  if (!have) {
    return fail(have.error());
  }
  for (const auto& a : wi.addresses) {
    if (std::find(have->begin(), have->end(), a) == have->end()) {
      return fail("address " + a.to_string() + " is missing on " + c);
    }
  }
  for (const auto& r : wi.routes) {
    auto hops = routes_to(sk->get(), r.dst);
    if (!hops) {
      return fail(hops.error());
    }
    const bool found = std::any_of(hops->begin(), hops->end(), [&](const RouteHop& h) {
      return h.ifindex == ifindex && h.gateway == r.gateway;
    });
    if (!found) {
      return fail("route " + r.dst.to_string() + " via " + r.gateway.to_string() + " dev " + c +
                  " is missing");
    }
  }
  return 0;
}

}  // namespace

Result<void, std::string> WorkloadVeth::check(const cni::WorkloadInterface& wi) {
  if (wi.netns.empty() || !netns_exists(wi.netns)) {
    return fail("network namespace " + wi.netns + " does not exist");
  }
  auto container = run_in_netns_path(wi.netns, [&] { return check_container(wi); });
  if (!container) {
    return fail(container.error());
  }
  auto sk = open_route_socket();
  if (!sk) {
    return fail(sk.error());
  }
  auto host = find_link(sk->get(), wi.host_ifname);
  if (!host) {
    return fail(host.error());
  }
  if (!*host) {
    return fail("host interface " + wi.host_ifname + " does not exist");
  }
  return {};
}

}  // namespace calico::netlink
