// Small helpers shared by the policy benchmarks: statistics, printf-style formatting,
// timed execution of a program inside a network namespace, kernel memory readings.
//
// Benchmarks only: these run as root, start child processes and read cgroup files; they
// are not linked into product code.  Single-threaded use.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace calico::bench {

struct Summary {
  std::size_t n = 0;
  double median = 0;
  double p95 = 0;  // nearest rank
  double min = 0;
  double max = 0;
};
Summary summarize(std::vector<double> values);

double to_ms(std::chrono::nanoseconds d);

// printf into a std::string.
std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

inline const char* pass_miss(bool pass) {
  return pass ? "PASS" : "MISS";
}

struct SpawnResult {
  int exit_code = -1;     // -1: could not start, or killed at the timeout
  double elapsed_ms = 0;  // fork to reaped exit: what a caller of the program waits
  std::string output;     // stdout and stderr
};

// Runs argv[0] (an absolute path, see find_program) inside the `ip netns` namespace `netns`
// ("" = ours): fork, setns in the child, exec.  Bounded by `timeout` (then SIGKILL).
SpawnResult spawn_in_netns(const std::string& netns, const std::vector<std::string>& argv,
                           std::chrono::milliseconds timeout);

// The absolute path of `name` on PATH, or "" if absent.
std::string find_program(const std::string& name);

// Kernel memory attributable to objects this process (and its children) create, in bytes.
// Preferred source: the memory cgroup the process runs in (kernel allocations made by
// nf_tables are charged to the allocating task's cgroup: GFP_KERNEL_ACCOUNT), v1
// memory.kmem.usage_in_bytes or v2 memory.stat "kernel"; read-only.  Fallback: the
// system-wide /proc/meminfo SUnreclaim + VmallocUsed + Percpu, which other activity on
// the machine disturbs.
class KernelMemory {
 public:
  static KernelMemory detect();
  const std::string& source() const { return source_; }
  std::optional<std::int64_t> read() const;

 private:
  std::string source_;  // description printed with the figures
  std::string file_;    // cgroup file, "" = /proc/meminfo
  bool v2_ = false;
};

// /proc/meminfo SUnreclaim + VmallocUsed + Percpu, bytes.
std::optional<std::int64_t> meminfo_kernel_bytes();

}  // namespace calico::bench
