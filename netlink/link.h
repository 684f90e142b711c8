// Interface lookups over an rtnetlink socket (RTM_GETLINK by name).
//
// The BGP speaker needs the ifindex of the interface toward an IPv6 link-local next hop;
// the answer comes from the namespace the socket is bound to.
//
// Thread affinity: as NetlinkSocket (one thread at a time).  Errors are values: a message
// naming the interface and the cause ("interface eth9: No such device").
#pragma once

#include <string>

#include "common/result.h"

namespace calico::netlink {

class NetlinkSocket;

// ifindex (> 0) of the interface called `name` in the socket's namespace.
Result<int, std::string> ifindex_of(NetlinkSocket& socket, const std::string& name);

}  // namespace calico::netlink
