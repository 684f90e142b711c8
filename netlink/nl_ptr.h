// Owning smart pointers for libnl-3 objects (internal to calico::netlink; includes libnl).
//
// Each libnl object type gets a std::unique_ptr alias whose deleter calls the matching
// libnl release function (put for refcounted objects, free for the rest), so every object
// is released on every path.  Refcounted setters (rtnl_route_set_dst,
// rtnl_route_nh_set_gateway) take their own reference: the caller's pointer still owns
// one.  rtnl_route_add_nexthop takes ownership of the next hop: release() it on handover.
//
// Naming: <netlink/...> includes resolve against the repo root first, so no file in this
// folder may share a name with a libnl header (socket.h, msg.h, addr.h, route/...).
//
// Thread affinity: none (plain ownership).  Error contract: none (deleters never fail).
#pragma once

#include <memory>

#include <netlink/addr.h>
#include <netlink/msg.h>
#include <netlink/route/link.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>

namespace calico::netlink {

template <class T, void (*Release)(T*)>
struct NlDeleter {
  void operator()(T* p) const {
    if (p != nullptr) {
      Release(p);
    }
  }
};

using NlSockPtr = std::unique_ptr<nl_sock, NlDeleter<nl_sock, nl_socket_free>>;
using NlMsgPtr = std::unique_ptr<nl_msg, NlDeleter<nl_msg, nlmsg_free>>;
using NlAddrPtr = std::unique_ptr<nl_addr, NlDeleter<nl_addr, nl_addr_put>>;
using RtnlRoutePtr = std::unique_ptr<rtnl_route, NlDeleter<rtnl_route, rtnl_route_put>>;
using RtnlNexthopPtr = std::unique_ptr<rtnl_nexthop, NlDeleter<rtnl_nexthop, rtnl_route_nh_free>>;

}  // namespace calico::netlink
