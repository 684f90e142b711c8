// Internal to netlink/workload_veth*.cpp (not a public header): owning pointers for the
// libnl objects they use and small synchronous rtnetlink / sysctl helpers.  All helpers
// act in the namespace of the calling thread.  Errors are strings naming the object.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <netlink/route/addr.h>
#include <netlink/route/link.h>

#include "common/net/ip.h"
#include "common/result.h"
#include "netlink/nl_ptr.h"

namespace calico::netlink::veth {

using RtnlLinkPtr = std::unique_ptr<rtnl_link, NlDeleter<rtnl_link, rtnl_link_put>>;
using RtnlAddrPtr = std::unique_ptr<rtnl_addr, NlDeleter<rtnl_addr, rtnl_addr_put>>;
using NlCachePtr = std::unique_ptr<nl_cache, NlDeleter<nl_cache, nl_cache_free>>;

// A connected NETLINK_ROUTE socket in the calling thread's namespace.
Result<NlSockPtr, std::string> open_route_socket();

// The link called `name`; nullptr (no error) when there is none.
Result<RtnlLinkPtr, std::string> find_link(nl_sock* sk, const std::string& name);

// Deletes link `name` if present.
Result<void, std::string> delete_link_if_present(nl_sock* sk, const std::string& name);

// Sets IFF_UP on `link`.
Result<void, std::string> link_up(nl_sock* sk, rtnl_link* link, const std::string& name);

// "aa:bb:cc:dd:ee:ff" of the link (lower case), "" if it has none.
std::string link_mac(rtnl_link* link);

// Writes `value` to /proc/sys/<key> (key like "net/ipv4/conf/cali1/proxy_arp").
Result<void, std::string> write_sysctl(const std::string& key, const std::string& value);

// libnl address <-> our value types.
NlAddrPtr to_nl_addr(const net::IpAddr& ip, int prefix_len);
std::optional<net::Cidr> to_cidr(nl_addr* addr);  // nullopt for non-IP addresses

// Adds `address` to interface `ifindex` (IFA_F_NODAD for IPv6).  EEXIST is success.
Result<void, std::string> add_address(nl_sock* sk, int ifindex, const net::Cidr& address,
                                      const std::string& ifname);

// Adds route `dst` [via `gateway`] dev `ifindex` in the main table; scope link without a
// gateway.  Returns the libnl error (negative) or 0, so callers can judge -NLE_EXIST.
int add_route(nl_sock* sk, int ifindex, const net::Cidr& dst,
              const std::optional<net::IpAddr>& gateway);

// Main-table routes with destination `dst`: the ifindex and gateway of each first next
// hop, for diagnosis and checks.
struct RouteHop {
  int ifindex = 0;
  std::optional<net::IpAddr> gateway;
};
Result<std::vector<RouteHop>, std::string> routes_to(nl_sock* sk, const net::Cidr& dst);

// The addresses on interface `ifindex`.
Result<std::vector<net::Cidr>, std::string> addresses_of(nl_sock* sk, int ifindex);

}  // namespace calico::netlink::veth
