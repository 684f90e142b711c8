// The lab's system calls: run a command and capture its output, start a detached daemon
// inside a network namespace, check and stop a process by PID (never by name).
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "common/result.h"
#include "lab/state.h"

namespace calico::lab {

struct CmdResult {
  int exit_code = -1;  // -1: could not start or timed out
  std::string out;
  std::string err;
  std::string text() const { return out + err; }
};

// Runs argv[0] (searched on PATH and the sbin directories) with `input` on stdin, waits at
// most `timeout` (then SIGKILL), captures stdout and stderr.  `env` entries are added to /
// override the current environment.
CmdResult run(const std::vector<std::string>& argv,
              std::chrono::milliseconds timeout = std::chrono::seconds(30),
              const std::string& input = "", const std::map<std::string, std::string>& env = {});
// run(), failing with "<argv0...>: exit N: <output>" unless it exits 0.
Result<std::string, std::string> run_ok(
    const std::vector<std::string>& argv,
    std::chrono::milliseconds timeout = std::chrono::seconds(30));

// The absolute path of a program on PATH (plus /usr/sbin, /sbin, /usr/lib/frr), or "".
std::string find_program(const std::string& name);
// find_program with symlinks resolved: what /proc/<pid>/exe shows once it runs.
std::string canonical_program(const std::string& name);

// Starts argv in its own session inside network namespace `netns` ("" = the caller's),
// stdin from /dev/null, stdout and stderr appended to `log`.  The returned PID is the
// daemon's own (`ip netns exec` execs it).
Result<ProcessRef, std::string> spawn_daemon(const std::vector<std::string>& argv,
                                             const std::string& netns,
                                             const std::map<std::string, std::string>& env,
                                             const std::string& log);
// The PID of a daemon that wrote it to `pid_file` (BIRD, FRR), once the file exists.
Result<ProcessRef, std::string> adopt_pid_file(const std::string& pid_file, const std::string& exe,
                                               std::chrono::milliseconds timeout);

// True when p.pid runs p.exe (by /proc/<pid>/exe) and is not a zombie.
bool alive(const ProcessRef& p);
// alive(p), and its executable has been replaced or removed since it started (a rebuild).
bool binary_replaced(const ProcessRef& p);
// SIGTERM, then SIGKILL after `grace`; only when alive(p).  Waits until it is gone.
void stop(const ProcessRef& p, std::chrono::milliseconds grace = std::chrono::seconds(5));

bool netns_exists(const std::string& name);
std::string read_file(const std::string& path);
Result<void, std::string> write_file(const std::string& path, const std::string& content);

}  // namespace calico::lab
