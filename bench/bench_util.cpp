// Benchmark helpers (bench/bench_util.h).
#include "bench/bench_util.h"

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

#include "netlink/netns_thread.h"

namespace calico::bench {

Summary summarize(std::vector<double> values) {
  Summary s;
  if (values.empty()) {
    return s;
  }
  std::sort(values.begin(), values.end());
  s.n = values.size();
  s.min = values.front();
  s.max = values.back();
  const std::size_t mid = s.n / 2;
  s.median = s.n % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
  const auto rank = static_cast<std::size_t>(std::ceil(0.95 * static_cast<double>(s.n)));
  s.p95 = values[std::clamp<std::size_t>(rank, 1, s.n) - 1];
  return s;
}

double to_ms(std::chrono::nanoseconds d) {
  return static_cast<double>(d.count()) / 1e6;
}

std::string format(const char* fmt, ...) {
  std::va_list args;
  va_start(args, fmt);
  std::va_list copy;
  va_copy(copy, args);
  const int n = std::vsnprintf(nullptr, 0, fmt, copy);
  va_end(copy);
  std::string out(n > 0 ? static_cast<std::size_t>(n) : 0, '\0');
  if (n > 0) {
    std::vsnprintf(out.data(), out.size() + 1, fmt, args);
  }
  va_end(args);
  return out;
}

std::string find_program(const std::string& name) {
  const char* path = std::getenv("PATH");  // NOLINT(concurrency-mt-unsafe): no setenv here
  std::stringstream dirs(path != nullptr ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return "";
}

namespace {

// posix_spawn (vfork-like in glibc: no page-table copy of our large heap) and a bounded
// wait on a pidfd; runs on the calling thread, whose network namespace the child inherits.
SpawnResult spawn_here(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  SpawnResult result;
  const int out = ::memfd_create("bench-spawn", MFD_CLOEXEC);
  if (out < 0) {
    result.output = "memfd_create: " + std::generic_category().message(errno);
    return result;
  }
  std::vector<char*> cargv;
  cargv.reserve(argv.size() + 1);
  for (const auto& a : argv) {
    cargv.push_back(const_cast<char*>(a.c_str()));  // NOLINT: posix_spawn's signature
  }
  cargv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out, STDERR_FILENO);

  const auto start = std::chrono::steady_clock::now();
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, cargv[0], &actions, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    result.output = "posix_spawn " + argv[0] + ": " + std::generic_category().message(rc);
    ::close(out);
    return result;
  }
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  bool exited = true;
  if (pidfd >= 0) {
    pollfd p{pidfd, POLLIN, 0};
    int polled = -1;
    for (int attempt = 0; attempt < 100; ++attempt) {  // EINTR retries, bounded
      polled = ::poll(&p, 1, static_cast<int>(timeout.count()));
      if (polled >= 0 || errno != EINTR) {
        break;
      }
    }
    exited = polled > 0;
    ::close(pidfd);
  }
  if (!exited) {
    ::kill(pid, SIGKILL);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.elapsed_ms = to_ms(std::chrono::steady_clock::now() - start);
  if (!exited) {
    result.exit_code = -1;
  } else {
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  const off_t size = ::lseek(out, 0, SEEK_END);
  if (size > 0) {
    result.output.resize(static_cast<std::size_t>(std::min<off_t>(size, 1 << 20)));
    const ssize_t n = ::pread(out, result.output.data(), result.output.size(), 0);
    result.output.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  }
  ::close(out);
  return result;
}

}  // namespace

SpawnResult spawn_in_netns(const std::string& netns, const std::vector<std::string>& argv,
                           std::chrono::milliseconds timeout) {
  if (argv.empty()) {
    return SpawnResult{-1, 0, "empty argv"};
  }
  auto r = netlink::run_in_netns(
      netns, [&]() -> Result<SpawnResult, std::string> { return spawn_here(argv, timeout); });
  if (!r) {
    return SpawnResult{-1, 0, r.error()};
  }
  return *r;
}

std::optional<std::int64_t> meminfo_kernel_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  std::int64_t value = 0;
  std::string unit;
  std::int64_t total = 0;
  int found = 0;
  while (in >> key >> value) {
    std::getline(in, unit);
    if (key == "SUnreclaim:" || key == "VmallocUsed:" || key == "Percpu:") {
      total += value * 1024;
      ++found;
    }
  }
  if (found == 0) {
    return std::nullopt;
  }
  return total;
}

KernelMemory KernelMemory::detect() {
  KernelMemory m;
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  std::string v1_path;
  std::string v2_path;
  while (std::getline(in, line)) {
    const auto first = line.find(':');
    const auto second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) {
      continue;
    }
    const std::string controllers = line.substr(first + 1, second - first - 1);
    const std::string path = line.substr(second + 1);
    if (controllers == "memory") {
      v1_path = path;
    } else if (controllers.empty() && line.rfind("0:", 0) == 0) {
      v2_path = path;
    }
  }
  const std::string v1 = "/sys/fs/cgroup/memory" + v1_path + "/memory.kmem.usage_in_bytes";
  const std::string v2 = "/sys/fs/cgroup" + v2_path + "/memory.stat";
  if (!v1_path.empty() && ::access(v1.c_str(), R_OK) == 0) {
    m.file_ = v1;
    m.source_ = "memory cgroup (v1) kmem usage of this process's cgroup, " + v1;
  } else if (!v2_path.empty() && ::access(v2.c_str(), R_OK) == 0) {
    m.file_ = v2;
    m.v2_ = true;
    m.source_ = "memory cgroup (v2) memory.stat 'kernel' of this process's cgroup, " + v2;
  } else {
    m.source_ = "/proc/meminfo SUnreclaim+VmallocUsed+Percpu (system-wide: noisy)";
  }
  // A reading that fails now would fail later too: fall back to /proc/meminfo.
  if (!m.file_.empty() && !m.read().has_value()) {
    m.file_.clear();
    m.source_ = "/proc/meminfo SUnreclaim+VmallocUsed+Percpu (system-wide: noisy)";
  }
  return m;
}

std::optional<std::int64_t> KernelMemory::read() const {
  if (file_.empty()) {
    return meminfo_kernel_bytes();
  }
  std::ifstream in(file_);
  if (!v2_) {
    std::int64_t v = 0;
    if (in >> v) {
      return v;
    }
    return std::nullopt;
  }
  std::string key;
  std::int64_t v = 0;
  while (in >> key >> v) {
    if (key == "kernel") {
      return v;
    }
  }
  return std::nullopt;
}

}  // namespace calico::bench
