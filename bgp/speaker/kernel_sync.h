// Desired-state reconciler between the speaker's best routes and the kernel FIB.
//
// The speaker states what each prefix should look like in the kernel (set_desired); the
// reconciler remembers what it has programmed and, on flush(), sends only differences to
// the RouteSink: a replace when the desired route differs from the programmed one, a
// delete when a prefix is no longer wanted.  Failed changes stay dirty and are retried on
// a later flush (the caller schedules flushes with backoff).
//
// Restart without flapping: load_existing() reads the routes of our protocol number that
// a previous run left in the kernel and treats them as programmed.  Until
// mark_converged() is called (all configured sessions are up and have sent End-of-RIB,
// or a deadline passed), routes that are installed but not (yet) desired are left alone;
// desired routes identical to what is installed cause no kernel write at all.  After
// convergence the leftovers are deleted.  So a route that is still valid never leaves
// the kernel across a speaker restart.
//
// Pure logic over the RouteSink seam; single-threaded (the event loop).
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/route_sink.h"

namespace calico::bgp {

class KernelSync {
 public:
  KernelSync(RouteSink& sink, std::uint32_t table, std::uint8_t protocol);

  // Reads what our protocol has installed.  Returns how many routes were found.
  Result<std::size_t, std::string> load_existing();

  // The route `dst` should have (type, next hops, metric), or nullopt = no route.  Table
  // and protocol are filled in here.
  void set_desired(const net::Cidr& dst, std::optional<Route> route);
  // Allows deleting installed routes that nobody wants (see the file comment).
  void mark_converged();
  bool converged() const { return converged_; }

  struct FlushResult {
    std::size_t replaced = 0;
    std::size_t deleted = 0;
    std::vector<RouteError> errors;  // these stay dirty
  };
  // Sends the differences to the kernel.
  FlushResult flush();
  bool dirty() const { return !dirty_.empty() || (converged_ && !orphans_checked_); }

  std::size_t installed() const { return programmed_.size(); }
  std::size_t desired() const { return desired_.size(); }
  std::size_t errors_total() const { return errors_total_; }
  std::optional<std::string> last_error() const { return last_error_; }
  const std::map<net::Cidr, Route>& programmed() const { return programmed_; }

 private:
  RouteSink& sink_;
  std::uint32_t table_;
  std::uint8_t protocol_;
  std::map<net::Cidr, Route> desired_;
  std::map<net::Cidr, Route> programmed_;
  std::set<net::Cidr> dirty_;
  // Loaded by load_existing() and not rewritten since: protected until convergence.
  std::set<net::Cidr> inherited_;
  bool converged_ = false;
  bool orphans_checked_ = true;
  std::size_t errors_total_ = 0;
  std::optional<std::string> last_error_;
};

}  // namespace calico::bgp
