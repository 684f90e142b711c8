#include "common/route_sink.h"

namespace calico {

std::string Route::to_string() const {
  std::string out;
  if (type == RouteType::Blackhole) {
    out = "blackhole ";
  } else if (type == RouteType::Unreachable) {
    out = "unreachable ";
  }
  out += dst.to_string();
  for (const auto& nh : next_hops) {
    out += " via " + nh.gateway.to_string();
    if (nh.ifindex != 0) {
      out += " dev " + std::to_string(nh.ifindex);
    }
    if (nh.onlink) {
      out += " onlink";
    }
    if (nh.weight != 1) {
      out += " weight " + std::to_string(nh.weight);
    }
  }
  if (table != 254) {
    out += " table " + std::to_string(table);
  }
  out += " proto " + std::to_string(protocol);
  if (metric != 0) {
    out += " metric " + std::to_string(metric);
  }
  return out;
}

}  // namespace calico
