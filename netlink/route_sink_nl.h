// NetlinkRouteSink: the kernel FIB behind RouteSink (common/route_sink.h), over rtnetlink
// with libnl-3.
//
// apply():
//   Replace -> RTM_NEWROUTE with NLM_F_CREATE|NLM_F_REPLACE.  The whole next-hop set is
//     swapped in one request (RTA_MULTIPATH for more than one next hop, with weights and
//     the onlink flag per hop); blackhole/unreachable use rtm_type.  An IPv4 replace is
//     a single FIB update; an IPv6 multipath replace is done by the kernel as "replace
//     first hop, append the others" under one RTNL lock hold: the destination never
//     disappears, but a lockless reader may see a subset of the new hops for an instant.
//   Delete -> RTM_DELROUTE keyed by dst, table, protocol and metric (any type, any next
//     hop, any scope).  A route that is already gone (ESRCH/ENOENT) counts as deleted.
//   Requests are pipelined: up to a few hundred messages go out in one datagram and only
//     the last asks for an ack; the kernel processes them in order and acks failures on
//     its own, so the batch's final ack closes it and errors map back to their change by
//     sequence number.  One route's failure never stops the others.
//   Changes that cannot be sent are refused locally with EINVAL: protocol 0 or table 0
//     (they would match every protocol/table), host bits set in dst, a unicast route
//     without next hops, next hops on a blackhole/unreachable route, a next hop of the
//     wrong family, weight 0, an IPv6 link-local gateway without ifindex.
//
// Metric: IPv6 stores metric 0 as 1024 (IP6_RT_PRIO_USER); this sink sends 1024 for 0
// and reports 1024 as 0, so desired and dumped routes compare equal.  A next hop with the
// family's unspecified address as gateway (0.0.0.0 or ::) is a device route (no gateway,
// ifindex required).
//
// dump(table, protocol): IPv4 and IPv6 routes of exactly that table and protocol, with the
// kernel filtering when it supports strict dumps (Linux >= 4.20) and this code filtering
// again in any case.  Cached/cloned entries, source-specific IPv6 routes and types other
// than unicast/blackhole/unreachable are skipped.  Next hops come back sorted with the
// kernel's view of ifindex (resolved even if 0 was applied); weight is 1 for a single
// next hop.  Table 0 or protocol 0 is refused (it would mean "all").
//
// Thread affinity: one thread at a time (RouteSink contract).  The netlink socket is bound
// to the namespace given to open() for the sink's whole life; no thread changes namespace
// after open() returns.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/route_sink.h"

namespace calico::netlink {

class NetlinkSocket;

class NetlinkRouteSink final : public RouteSink {
 public:
  // netns: "" = the calling thread's namespace; otherwise an `ip netns` name
  // (/run/netns/NAME) whose routing tables this sink programs.
  static Result<std::unique_ptr<NetlinkRouteSink>, std::string> open(const std::string& netns = "");
  ~NetlinkRouteSink() override;
  NetlinkRouteSink(const NetlinkRouteSink&) = delete;
  NetlinkRouteSink& operator=(const NetlinkRouteSink&) = delete;

  std::vector<RouteError> apply(std::span<const RouteChange> changes) override;
  Result<std::vector<Route>, std::string> dump(std::uint32_t table, std::uint8_t protocol) override;

  // ifindex of interface `name` in the sink's namespace (for IPv6 link-local next hops).
  Result<int, std::string> ifindex(const std::string& name);

 private:
  explicit NetlinkRouteSink(std::unique_ptr<NetlinkSocket> socket);
  std::unique_ptr<NetlinkSocket> socket_;
};

}  // namespace calico::netlink
