// The seam between route computation (bgp speaker, felix) and the kernel FIB.
//
// A Route is the desired state of one destination in one table under one routing
// protocol number: unicast with one or more next hops (ECMP), or blackhole/unreachable.
// RouteSink implementations (netlink/route_sink.h over libnl-3; tests/lib fakes) apply
// changes as replace/delete and can list what is installed under a protocol, so callers
// reconcile desired vs programmed state instead of flushing.
//
// Thread affinity: a RouteSink is used from one thread at a time.  Errors are values:
// apply() reports per route, so one bad route does not stop the others.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/net/ip.h"
#include "common/result.h"

namespace calico {

enum class RouteType : std::uint8_t { Unicast, Blackhole, Unreachable };

struct NextHop {
  net::IpAddr gateway;      // IPv4 or IPv6; IPv6 link-local needs ifindex
  int ifindex = 0;          // 0 = let the kernel resolve the gateway
  bool onlink = false;      // RTNH_F_ONLINK (gateway not in an interface subnet)
  std::uint8_t weight = 1;  // ECMP weight (1..256 in the kernel; 1 = equal)
  auto operator<=>(const NextHop&) const = default;
};

struct Route {
  net::Cidr dst;
  RouteType type = RouteType::Unicast;
  std::vector<NextHop> next_hops;  // sorted, unique; empty unless Unicast
  std::uint32_t table = 254;       // RT_TABLE_MAIN
  std::uint8_t protocol = 0;       // rtm_protocol, e.g. kRouteProtocolCalicoBgp
  std::uint32_t metric = 0;        // RTA_PRIORITY
  bool operator==(const Route&) const = default;
  std::string to_string() const;  // "10.65.1.0/26 via 10.0.0.2 dev 3 proto 201"
};

// Our routing protocol numbers (rtm_protocol), so `ip route show proto 201` lists exactly
// what the BGP speaker installed and a restarted speaker can find its own routes.
inline constexpr std::uint8_t kRouteProtocolCalicoBgp = 201;
// felix's workload routes (<pod ip>/32 dev cali...): not Calico's "boot" (3), which other
// programs use too and which felix's reconciler would otherwise claim.
inline constexpr std::uint8_t kRouteProtocolCalicoFelix = 202;

struct RouteChange {
  enum class Op : std::uint8_t { Replace, Delete };
  Op op = Op::Replace;
  Route route;  // for Delete only dst, table, protocol (and metric) are used
};

struct RouteError {
  net::Cidr dst;
  int errno_value = 0;
  std::string message;  // "10.65.1.0/26: Network is unreachable (replace)"
};

class RouteSink {
 public:
  virtual ~RouteSink() = default;
  // Applies every change (each one atomically: a replace swaps the whole next-hop set in
  // one kernel operation).  Returns the changes that failed; empty = all applied.
  virtual std::vector<RouteError> apply(std::span<const RouteChange> changes) = 0;
  // Lists routes of `protocol` in `table` for both families.
  virtual Result<std::vector<Route>, std::string> dump(std::uint32_t table,
                                                       std::uint8_t protocol) = 0;
};

}  // namespace calico
