// rtnetlink and sysctl helpers for WorkloadVeth (see workload_veth_ops.h).
#include "netlink/workload_veth_ops.h"

#include <fcntl.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/cache.h>
#include <netlink/route/route.h>

#include "netlink/nl_socket.h"

namespace calico::netlink::veth {
namespace {

int af_of(net::Family f) {
  return f == net::Family::V4 ? AF_INET : AF_INET6;
}

bool is_not_found(int err) {
  return err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV;
}

}  // namespace

Result<NlSockPtr, std::string> open_route_socket() {
  NlSockPtr sk(nl_socket_alloc());
  if (!sk) {
    return fail(std::string("rtnetlink socket: out of memory"));
  }
  if (const int err = nl_connect(sk.get(), NETLINK_ROUTE); err < 0) {
    return fail(std::string("rtnetlink socket: ") + nl_geterror(err));
  }
  return sk;
}

Result<RtnlLinkPtr, std::string> find_link(nl_sock* sk, const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ) {
    return fail("invalid interface name '" + name + "'");
  }
  rtnl_link* raw = nullptr;
  const int err = rtnl_link_get_kernel(sk, 0, name.c_str(), &raw);
  RtnlLinkPtr link(raw);
  if (err < 0) {
    if (is_not_found(err)) {
      return RtnlLinkPtr();
    }
    return fail("looking up interface " + name + ": " + nl_geterror(err));
  }
  return link;
}

Result<void, std::string> delete_link_if_present(nl_sock* sk, const std::string& name) {
  auto link = find_link(sk, name);
  if (!link) {
    return fail(link.error());
  }
  if (!*link) {
    return {};
  }
  const int err = rtnl_link_delete(sk, link->get());
  if (err < 0 && !is_not_found(err)) {
    return fail("deleting interface " + name + ": " + nl_geterror(err));
  }
  return {};
}

Result<void, std::string> link_up(nl_sock* sk, rtnl_link* link, const std::string& name) {
  RtnlLinkPtr change(rtnl_link_alloc());
  if (!change) {
    return fail(std::string("out of memory"));
  }
  rtnl_link_set_flags(change.get(), IFF_UP);
  if (const int err = rtnl_link_change(sk, link, change.get(), 0); err < 0) {
    return fail("setting " + name + " up: " + nl_geterror(err));
  }
  return {};
}

std::string link_mac(rtnl_link* link) {
  nl_addr* addr = rtnl_link_get_addr(link);
  if (addr == nullptr || nl_addr_get_len(addr) != 6) {
    return "";
  }
  const auto* b = static_cast<const unsigned char*>(nl_addr_get_binary_addr(addr));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < 6; ++i) {
    out += (i == 0 ? "" : ":");
    out += kHex[b[i] >> 4U];
    out += kHex[b[i] & 0xfU];
  }
  return out;
}

Result<void, std::string> write_sysctl(const std::string& key, const std::string& value) {
  const std::string path = "/proc/sys/" + key;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    return fail("sysctl " + key + "=" + value + ": " + errno_text(errno));
  }
  const ssize_t n = ::write(fd, value.data(), value.size());
  const int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(value.size())) {
    return fail("sysctl " + key + "=" + value + ": " + (n < 0 ? errno_text(err) : "short write"));
  }
  return {};
}

NlAddrPtr to_nl_addr(const net::IpAddr& ip, int prefix_len) {
  NlAddrPtr addr(nl_addr_build(af_of(ip.family()), ip.bytes().data(), ip.is_v4() ? 4U : 16U));
  if (addr) {
    nl_addr_set_prefixlen(addr.get(), prefix_len);
  }
  return addr;
}

std::optional<net::Cidr> to_cidr(nl_addr* addr) {
  if (addr == nullptr) {
    return std::nullopt;
  }
  const int family = nl_addr_get_family(addr);
  const unsigned len = nl_addr_get_len(addr);
  const auto prefix = static_cast<int>(nl_addr_get_prefixlen(addr));
  std::array<std::uint8_t, 16> bytes{};
  if (len > bytes.size() || (family != AF_INET && family != AF_INET6)) {
    return std::nullopt;
  }
  if (len > 0) {  // a default route's destination has no bytes
    std::memcpy(bytes.data(), nl_addr_get_binary_addr(addr), len);
  }
  if (family == AF_INET) {
    const std::uint32_t host = (std::uint32_t{bytes[0]} << 24U) | (std::uint32_t{bytes[1]} << 16U) |
                               (std::uint32_t{bytes[2]} << 8U) | std::uint32_t{bytes[3]};
    return net::Cidr(net::IpAddr::v4(host), prefix);
  }
  return net::Cidr(net::IpAddr::v6(bytes), prefix);
}

Result<void, std::string> add_address(nl_sock* sk, int ifindex, const net::Cidr& address,
                                      const std::string& ifname) {
  RtnlAddrPtr addr(rtnl_addr_alloc());
  NlAddrPtr local = to_nl_addr(address.addr(), address.prefix_len());
  if (!addr || !local) {
    return fail(std::string("out of memory"));
  }
  rtnl_addr_set_ifindex(addr.get(), ifindex);
  rtnl_addr_set_family(addr.get(), af_of(address.family()));
  if (const int err = rtnl_addr_set_local(addr.get(), local.get()); err < 0) {
    return fail("address " + address.to_string() + ": " + nl_geterror(err));
  }
  rtnl_addr_set_prefixlen(addr.get(), address.prefix_len());
  if (address.family() == net::Family::V6) {
    rtnl_addr_set_flags(addr.get(), IFA_F_NODAD);
  }
  const int err = rtnl_addr_add(sk, addr.get(), 0);
  if (err < 0 && err != -NLE_EXIST) {
    return fail("adding " + address.to_string() + " to " + ifname + ": " + nl_geterror(err));
  }
  return {};
}

int add_route(nl_sock* sk, int ifindex, const net::Cidr& dst,
              const std::optional<net::IpAddr>& gateway) {
  RtnlRoutePtr route(rtnl_route_alloc());
  NlAddrPtr d = to_nl_addr(dst.addr(), dst.prefix_len());
  RtnlNexthopPtr nh(rtnl_route_nh_alloc());
  if (!route || !d || !nh) {
    return -NLE_NOMEM;
  }
  if (const int err = rtnl_route_set_dst(route.get(), d.get()); err < 0) {
    return err;
  }
  rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
  rtnl_route_set_protocol(route.get(), RTPROT_BOOT);  // what `ip route add` writes
  rtnl_route_set_scope(route.get(), gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
  rtnl_route_nh_set_ifindex(nh.get(), ifindex);
  if (gateway) {
    NlAddrPtr gw = to_nl_addr(*gateway, gateway->bits());
    if (!gw) {
      return -NLE_NOMEM;
    }
    rtnl_route_nh_set_gateway(nh.get(), gw.get());
  }
  rtnl_route_add_nexthop(route.get(), nh.release());  // the route owns the next hop now
  return rtnl_route_add(sk, route.get(), NLM_F_CREATE | NLM_F_EXCL);
}

Result<std::vector<RouteHop>, std::string> routes_to(nl_sock* sk, const net::Cidr& dst) {
  nl_cache* raw = nullptr;
  const int err = rtnl_route_alloc_cache(sk, af_of(dst.family()), 0, &raw);
  NlCachePtr cache(raw);
  if (err < 0) {
    return fail(std::string("listing routes: ") + nl_geterror(err));
  }
  std::vector<RouteHop> out;
  for (nl_object* o = nl_cache_get_first(cache.get()); o != nullptr; o = nl_cache_get_next(o)) {
    auto* route = reinterpret_cast<rtnl_route*>(o);
    const auto d = to_cidr(rtnl_route_get_dst(route));
    if (rtnl_route_get_table(route) != RT_TABLE_MAIN || !d || *d != dst ||
        rtnl_route_get_nnexthops(route) < 1) {
      continue;
    }
    rtnl_nexthop* nh = rtnl_route_nexthop_n(route, 0);
    RouteHop hop;
    hop.ifindex = rtnl_route_nh_get_ifindex(nh);
    if (auto gw = to_cidr(rtnl_route_nh_get_gateway(nh))) {
      hop.gateway = gw->addr();
    }
    out.push_back(hop);
  }
  return out;
}

Result<std::vector<net::Cidr>, std::string> addresses_of(nl_sock* sk, int ifindex) {
  nl_cache* raw = nullptr;
  const int err = rtnl_addr_alloc_cache(sk, &raw);
  NlCachePtr cache(raw);
  if (err < 0) {
    return fail(std::string("listing addresses: ") + nl_geterror(err));
  }
  std::vector<net::Cidr> out;
  for (nl_object* o = nl_cache_get_first(cache.get()); o != nullptr; o = nl_cache_get_next(o)) {
    auto* addr = reinterpret_cast<rtnl_addr*>(o);
    if (rtnl_addr_get_ifindex(addr) != ifindex) {
      continue;
    }
    if (auto c = to_cidr(rtnl_addr_get_local(addr))) {
      out.emplace_back(c->addr(), rtnl_addr_get_prefixlen(addr));
    }
  }
  return out;
}

}  // namespace calico::netlink::veth
