// WorkloadVeth: a workload's veth pair, addresses, routes and sysctls (see
// workload_veth.h).  Steps cite Calico's dataplane_linux.go as summarised in the research
// notes §4.5.
#include "netlink/workload_veth.h"

#include <fcntl.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <utility>

#include <linux/magic.h>
#include <netlink/route/link/veth.h>

#include "common/log.h"
#include "netlink/netns_thread.h"
#include "netlink/nl_socket.h"
#include "netlink/workload_veth_ops.h"

namespace calico::netlink {
namespace {

using namespace veth;  // NOLINT(google-build-using-namespace): internal helpers

const Logger& logger() {
  static const Logger log("cni-dataplane");
  return log;
}

bool has_family(const cni::WorkloadInterface& wi, net::Family f) {
  return std::any_of(wi.addresses.begin(), wi.addresses.end(),
                     [f](const net::Cidr& c) { return c.family() == f; });
}

// A sysctl whose failure Calico only logs (proxy_delay, accept_ra).
void write_sysctl_best_effort(const std::string& key, const std::string& value) {
  if (auto r = write_sysctl(key, value); !r) {
    logger().warn("sysctl not set", {{"error", r.error()}});
  }
}

Result<void, std::string> host_sysctls(const cni::WorkloadInterface& wi) {
  const std::string& h = wi.host_ifname;
  if (has_family(wi, net::Family::V4)) {
    for (const auto& [key, value] : {std::pair{"conf/" + h + "/route_localnet", "1"},
                                     std::pair{"conf/" + h + "/proxy_arp", "1"},
                                     std::pair{"conf/" + h + "/forwarding", "1"}}) {
      if (auto r = write_sysctl("net/ipv4/" + key, value); !r) {
        return r;
      }
    }
    write_sysctl_best_effort("net/ipv4/neigh/" + h + "/proxy_delay", "0");
  }
  if (has_family(wi, net::Family::V6)) {
    for (const auto& [key, value] : {std::pair{"accept_dad", "0"}, std::pair{"disable_ipv6", "0"},
                                     std::pair{"proxy_ndp", "1"}, std::pair{"forwarding", "1"}}) {
      if (auto r = write_sysctl("net/ipv6/conf/" + h + "/" + key, value); !r) {
        return r;
      }
    }
  }
  write_sysctl_best_effort("net/ipv6/conf/" + h + "/accept_ra", "0");
  return {};
}

// Everything inside the container; runs on the netns helper thread.  Returns the
// container interface's MAC.
Result<std::string, std::string> configure_container(const cni::WorkloadInterface& wi) {
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
    return fail("interface " + c + " did not appear in the namespace");
  }
  const int ifindex = rtnl_link_get_ifindex(link->get());
  const bool v6 = has_family(wi, net::Family::V6);
  if (v6) {
    for (const std::string dev : {"all", "default", "lo", c.c_str()}) {
      if (auto r = write_sysctl("net/ipv6/conf/" + dev + "/disable_ipv6", "0"); !r) {
        return fail(r.error());
      }
    }
    if (auto r = write_sysctl("net/ipv6/conf/" + c + "/accept_dad", "0"); !r) {
      return fail(r.error());
    }
  }
  const std::string forward = wi.allow_ip_forwarding ? "1" : "0";
  if (auto r = write_sysctl("net/ipv4/ip_forward", forward); !r) {
    return fail(r.error());
  }
  if (v6) {
    if (auto r = write_sysctl("net/ipv6/conf/all/forwarding", forward); !r) {
      return fail(r.error());
    }
  }
  if (auto r = link_up(sk->get(), link->get(), c); !r) {
    return fail(r.error());
  }
  for (const auto& a : wi.addresses) {
    if (auto r = add_address(sk->get(), ifindex, a, c); !r) {
      return fail(r.error());
    }
  }
  // 169.254.1.1 is reached directly on the link; the host answers ARP for it (proxy_arp).
  const auto gw4 = *net::IpAddr::parse(cni::kIpv4Gateway);
  if (has_family(wi, net::Family::V4)) {
    const int err = add_route(sk->get(), ifindex, net::Cidr(gw4, 32), std::nullopt);
    if (err < 0 && err != -NLE_EXIST) {
      return fail("route " + gw4.to_string() + "/32 dev " + c + ": " + nl_geterror(err));
    }
  }
  for (const auto& r : wi.routes) {
    const int err = add_route(sk->get(), ifindex, r.dst, r.gateway);
    if (err < 0 && err != -NLE_EXIST) {
      return fail("route " + r.dst.to_string() + " via " + r.gateway.to_string() + " dev " + c +
                  ": " + nl_geterror(err));
    }
  }
  return link_mac(link->get());
}

// Host routes <ip> dev <host> scope link; an identical route is fine, one through another
// interface means the address is in use elsewhere.
Result<void, std::string> host_routes(nl_sock* sk, const cni::WorkloadInterface& wi, int ifindex) {
  for (const auto& a : wi.addresses) {
    const net::Cidr dst(a.addr(), a.addr().bits());
    const int err = add_route(sk, ifindex, dst, std::nullopt);
    if (err == 0) {
      continue;
    }
    if (err != -NLE_EXIST) {
      return fail("host route " + dst.to_string() + " dev " + wi.host_ifname + ": " +
                  nl_geterror(err));
    }
    auto hops = routes_to(sk, dst);
    if (!hops) {
      return fail(hops.error());
    }
    const bool same = std::any_of(hops->begin(), hops->end(),
                                  [ifindex](const RouteHop& h) { return h.ifindex == ifindex; });
    if (!same) {
      return fail("route " + dst.to_string() + " already exists for an interface other than " +
                  wi.host_ifname);
    }
  }
  return {};
}

Result<RtnlLinkPtr, std::string> create_pair(nl_sock* sk, const cni::WorkloadInterface& wi,
                                             int netns_fd) {
  RtnlLinkPtr link(rtnl_link_veth_alloc());
  if (!link) {
    return fail(std::string("out of memory"));
  }
  RtnlLinkPtr peer(rtnl_link_veth_get_peer(link.get()));  // takes a reference
  // cni::kHostVethMac, ee:ee:ee:ee:ee:ee.
  static constexpr std::array<std::uint8_t, 6> kMac = {0xee, 0xee, 0xee, 0xee, 0xee, 0xee};
  const NlAddrPtr host_mac(nl_addr_build(AF_LLC, kMac.data(), kMac.size()));
  if (!peer || !host_mac) {
    return fail(std::string("out of memory"));
  }
  rtnl_link_set_name(link.get(), wi.host_ifname.c_str());
  rtnl_link_set_mtu(link.get(), static_cast<unsigned>(wi.mtu));
  rtnl_link_set_addr(link.get(), host_mac.get());
  rtnl_link_set_name(peer.get(), wi.container_ifname.c_str());
  rtnl_link_set_mtu(peer.get(), static_cast<unsigned>(wi.mtu));
  rtnl_link_set_ns_fd(peer.get(), netns_fd);
  if (const int err = rtnl_link_add(sk, link.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0) {
    return fail("creating veth " + wi.host_ifname + " / " + wi.container_ifname + " in " +
                wi.netns + ": " + nl_geterror(err));
  }
  auto host = find_link(sk, wi.host_ifname);
  if (!host) {
    return fail(host.error());
  }
  if (!*host) {
    return fail("veth " + wi.host_ifname + " vanished after creation");
  }
  return std::move(*host);
}

Result<void, std::string> validate(const cni::WorkloadInterface& wi) {
  for (const auto* name : {&wi.host_ifname, &wi.container_ifname}) {
    if (name->empty() || name->size() >= IFNAMSIZ || name->find('/') != std::string::npos) {
      return fail("invalid interface name '" + *name + "'");
    }
  }
  if (wi.netns.empty()) {
    return fail(std::string("no network namespace given"));
  }
  if (wi.mtu < 68 || wi.mtu > 65535) {
    return fail("invalid MTU " + std::to_string(wi.mtu));
  }
  return {};
}

}  // namespace

bool netns_exists(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return false;
  }
  struct statfs fs {};
  const bool ns = ::fstatfs(fd, &fs) == 0 && fs.f_type == NSFS_MAGIC;
  ::close(fd);
  return ns;
}

Result<cni::WorkloadLinks, std::string> WorkloadVeth::create(const cni::WorkloadInterface& wi) {
  if (auto v = validate(wi); !v) {
    return fail(v.error());
  }
  auto sk = open_route_socket();
  if (!sk) {
    return fail(sk.error());
  }
  // 1. A previous ADD's leftovers of the same names go first.
  if (auto r = delete_link_if_present(sk->get(), wi.host_ifname); !r) {
    return fail(r.error());
  }
  auto stale = run_in_netns_path(wi.netns, [&]() -> Result<int, std::string> {
    auto s = open_route_socket();
    if (!s) {
      return fail(s.error());
    }
    if (auto r = delete_link_if_present(s->get(), wi.container_ifname); !r) {
      return fail(r.error());
    }
    return 0;
  });
  if (!stale) {
    return fail(stale.error());
  }
  // 2-3. The pair, the container end placed straight into the namespace.
  const int ns_fd = ::open(wi.netns.c_str(), O_RDONLY | O_CLOEXEC);
  if (ns_fd < 0) {
    return fail("network namespace " + wi.netns + ": " + errno_text(errno));
  }
  auto host = create_pair(sk->get(), wi, ns_fd);
  ::close(ns_fd);
  if (!host) {
    return fail(host.error());
  }
  const int host_index = rtnl_link_get_ifindex(host->get());
  cni::WorkloadLinks out;
  out.host_mac = link_mac(host->get());
  // 5-6. Host sysctls, host end up (with the IPv6 link-local the container routes via).
  if (auto r = host_sysctls(wi); !r) {
    return fail(r.error());
  }
  if (auto r = link_up(sk->get(), host->get(), wi.host_ifname); !r) {
    return fail(r.error());
  }
  if (has_family(wi, net::Family::V6)) {
    const net::Cidr ll(*net::IpAddr::parse(cni::kIpv6Gateway), 64);
    if (auto r = add_address(sk->get(), host_index, ll, wi.host_ifname); !r) {
      return fail(r.error());
    }
  }
  // 7-10. The container side.
  auto mac = run_in_netns_path(wi.netns, [&] { return configure_container(wi); });
  if (!mac) {
    return fail(mac.error());
  }
  out.container_mac = std::move(*mac);
  // 11. Host routes.
  if (wi.host_routes) {
    if (auto r = host_routes(sk->get(), wi, host_index); !r) {
      return fail(r.error());
    }
  }
  return out;
}

Result<void, std::string> WorkloadVeth::remove(const cni::WorkloadInterface& wi) {
  // A namespace that is gone took its end of the pair (and so the pair) with it.
  if (!wi.netns.empty() && netns_exists(wi.netns) && !wi.container_ifname.empty()) {
    auto r = run_in_netns_path(wi.netns, [&]() -> Result<int, std::string> {
      auto sk = open_route_socket();
      if (!sk) {
        return fail(sk.error());
      }
      if (auto d = delete_link_if_present(sk->get(), wi.container_ifname); !d) {
        return fail(d.error());
      }
      return 0;
    });
    if (!r) {
      return fail(r.error());
    }
  }
  if (wi.host_ifname.empty()) {
    return {};
  }
  auto sk = open_route_socket();
  if (!sk) {
    return fail(sk.error());
  }
  return delete_link_if_present(sk->get(), wi.host_ifname);
}

}  // namespace calico::netlink
