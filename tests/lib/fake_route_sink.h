// An in-memory RouteSink with the kernel's contract: replace creates or swaps the whole
// route, delete of a missing route succeeds (as NetlinkRouteSink documents), dump lists
// one protocol's routes of one table.  Knobs make chosen prefixes fail, and every
// applied change is recorded so tests can assert "no kernel write happened".
#pragma once

#include <cerrno>
#include <map>
#include <set>
#include <utility>

#include "common/route_sink.h"

namespace calico::testlib {

class FakeRouteSink final : public RouteSink {
 public:
  std::vector<RouteError> apply(std::span<const RouteChange> changes) override {
    std::vector<RouteError> errors;
    for (const auto& c : changes) {
      if (failing_.count(c.route.dst) != 0) {
        errors.push_back(
            {c.route.dst, ENETUNREACH, c.route.dst.to_string() + ": injected failure"});
        continue;
      }
      applied_.push_back(c);
      const auto key = std::make_pair(c.route.table, c.route.dst);
      if (c.op == RouteChange::Op::Replace) {
        routes_[key] = c.route;
      } else {
        routes_.erase(key);
      }
    }
    return errors;
  }
  Result<std::vector<Route>, std::string> dump(std::uint32_t table,
                                               std::uint8_t protocol) override {
    if (dump_fails_) {
      return fail(std::string("injected dump failure"));
    }
    std::vector<Route> out;
    for (const auto& [k, r] : routes_) {
      if (k.first == table && r.protocol == protocol) {
        out.push_back(r);
      }
    }
    return out;
  }

  // Installs a route as if another program (or a previous run) had.
  void preinstall(const Route& r) { routes_[{r.table, r.dst}] = r; }
  void fail_prefix(const net::Cidr& p, bool on = true) {
    if (on) {
      failing_.insert(p);
    } else {
      failing_.erase(p);
    }
  }
  void set_dump_fails(bool on) { dump_fails_ = on; }
  const std::vector<RouteChange>& applied() const { return applied_; }
  void clear_applied() { applied_.clear(); }
  const Route* find(const net::Cidr& dst, std::uint32_t table = 254) const {
    auto it = routes_.find({table, dst});
    return it == routes_.end() ? nullptr : &it->second;
  }
  std::size_t size() const { return routes_.size(); }

 private:
  std::map<std::pair<std::uint32_t, net::Cidr>, Route> routes_;
  std::set<net::Cidr> failing_;
  std::vector<RouteChange> applied_;
  bool dump_fails_ = false;
};

}  // namespace calico::testlib
