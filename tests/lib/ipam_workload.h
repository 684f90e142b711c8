// A randomised IPAM workload (allocate and release on many hosts) and the analysis of its
// event log, shared by the IPAM integration tests (threads in the test process, and the
// ipam_worker processes they start and SIGKILL) and by bench/ipam_bench.
//
// Every step is logged as an event stamped with CLOCK_MONOTONIC (system-wide, so events of
// several processes can be merged):
//   B <t> <handle>            about to auto-assign
//   A <t> <handle> <ip>       auto-assign returned <ip>            (t after it returned)
//   R <t> <handle> <ip>       about to release the handle          (t before it started)
//   F <t> <handle>            release done
//   E <t> <handle> <message>  the step failed
// An address's observed holding interval [A, R] lies inside the interval the datastore
// really gave it to the handle, so two overlapping observed intervals of one address are
// a duplicate allocation, whatever the interleaving.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ipam/allocator.h"

namespace calico::testlib {

struct WorkloadConfig {
  std::vector<std::string> hosts;
  int ops = 100;  // assign + release steps
  std::uint64_t seed = 1;
  double release_fraction = 0.3;  // chance a step releases a held handle
  std::string prefix = "w";       // handle ids: "k8s-pod-network.<prefix>-<n>"
};

struct WorkEvent {
  char type = 'B';
  std::int64_t t_ns = 0;
  std::string handle;
  std::string arg;  // ip (A, R) or message (E)
};

std::string format_event(const WorkEvent& e);
std::optional<WorkEvent> parse_event(const std::string& line);  // "EV <type> ..." lines
std::int64_t monotonic_ns();

// Runs the workload; `emit` is called for every event (from the calling thread).  Returns
// the number of failed steps.
int run_workload(const ipam::Allocator& allocator, const WorkloadConfig& config,
                 const std::function<void(const WorkEvent&)>& emit);

struct WorkloadAnalysis {
  int assigned = 0;
  int released = 0;
  int errors = 0;
  std::vector<std::string> error_samples;   // first few error messages
  std::map<std::string, std::string> live;  // handle -> ip: assigned, never released
  std::set<std::string> in_flight;          // began (B or R) with no outcome logged
  std::vector<std::string> overlaps;        // duplicate allocations found
};

WorkloadAnalysis analyse_events(std::vector<WorkEvent> events);

}  // namespace calico::testlib
