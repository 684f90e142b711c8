#include "bgp/speaker/kernel_sync.h"

#include <algorithm>

namespace calico::bgp {
namespace {

// The kernel reports what it resolved (the outgoing ifindex of a gateway we gave without
// one); a desired route leaving a field to the kernel matches whatever it chose.
bool same_route(const Route& desired, const Route& installed) {
  if (desired.type != installed.type || desired.metric != installed.metric ||
      desired.next_hops.size() != installed.next_hops.size()) {
    return false;
  }
  for (std::size_t i = 0; i < desired.next_hops.size(); ++i) {
    const auto& d = desired.next_hops[i];
    const auto& k = installed.next_hops[i];
    if (d.gateway != k.gateway || d.onlink != k.onlink ||
        (d.ifindex != 0 && d.ifindex != k.ifindex) ||
        (desired.next_hops.size() > 1 && d.weight != k.weight)) {
      return false;
    }
  }
  return true;
}

}  // namespace

KernelSync::KernelSync(RouteSink& sink, std::uint32_t table, std::uint8_t protocol)
    : sink_(sink), table_(table), protocol_(protocol) {}

Result<std::size_t, std::string> KernelSync::load_existing() {
  auto routes = sink_.dump(table_, protocol_);
  if (!routes) {
    return fail("reading installed routes: " + routes.error());
  }
  for (auto& r : *routes) {
    std::sort(r.next_hops.begin(), r.next_hops.end());
    programmed_[r.dst] = r;
    inherited_.insert(r.dst);
    auto want = desired_.find(r.dst);
    if (want == desired_.end() || !same_route(want->second, r)) {
      dirty_.insert(r.dst);
    }
  }
  return routes->size();
}

void KernelSync::set_desired(const net::Cidr& dst, std::optional<Route> route) {
  if (route) {
    route->dst = dst;
    route->table = table_;
    route->protocol = protocol_;
    std::sort(route->next_hops.begin(), route->next_hops.end());
    route->next_hops.erase(std::unique(route->next_hops.begin(), route->next_hops.end()),
                           route->next_hops.end());
    desired_[dst] = std::move(*route);
  } else {
    desired_.erase(dst);
  }
  dirty_.insert(dst);
}

void KernelSync::mark_converged() {
  if (!converged_) {
    converged_ = true;
    orphans_checked_ = false;
  }
}

KernelSync::FlushResult KernelSync::flush() {
  FlushResult res;
  if (converged_ && !orphans_checked_) {
    for (const auto& [dst, r] : programmed_) {
      if (desired_.count(dst) == 0) {
        dirty_.insert(dst);
      }
    }
    orphans_checked_ = true;
    inherited_.clear();
  }
  std::vector<RouteChange> changes;
  std::vector<net::Cidr> keys;
  for (const auto& dst : dirty_) {
    auto want = desired_.find(dst);
    auto have = programmed_.find(dst);
    if (want != desired_.end()) {
      if (have == programmed_.end() || !same_route(want->second, have->second)) {
        changes.push_back({RouteChange::Op::Replace, want->second});
        keys.push_back(dst);
      }
    } else if (have != programmed_.end() && (converged_ || inherited_.count(dst) == 0)) {
      changes.push_back({RouteChange::Op::Delete, have->second});
      keys.push_back(dst);
    }
  }
  // Before convergence, inherited prefixes that nobody wants are left alone and leave the
  // dirty set: the orphan scan of the first flush after mark_converged() finds them
  // again.  Keeping them dirty would make dirty() true until convergence, and the caller
  // flushes again at once while dirty (a busy loop).  Everything else is resolved by this
  // flush unless it fails.
  std::set<net::Cidr> still_dirty;
  if (changes.empty()) {
    dirty_ = std::move(still_dirty);
    return res;
  }
  const auto errors = sink_.apply(changes);
  std::set<net::Cidr> failed;
  for (const auto& e : errors) {
    failed.insert(e.dst);
  }
  for (std::size_t i = 0; i < changes.size(); ++i) {
    const auto& dst = keys[i];
    if (failed.count(dst) != 0) {
      still_dirty.insert(dst);
      continue;
    }
    inherited_.erase(dst);
    if (changes[i].op == RouteChange::Op::Replace) {
      programmed_[dst] = changes[i].route;
      ++res.replaced;
    } else {
      programmed_.erase(dst);
      ++res.deleted;
    }
  }
  errors_total_ += errors.size();
  if (!errors.empty()) {
    last_error_ = errors.back().message;
  }
  res.errors = errors;
  dirty_ = std::move(still_dirty);
  return res;
}

}  // namespace calico::bgp
