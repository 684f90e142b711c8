// Test harness: child processes, polling, free ports, unique names, temp dirs.
//
// Everything a test starts is stopped by PID (never by name) when its owner goes out of
// scope, also when the test fails.  Loops are bounded by deadlines; nothing sleeps a
// fixed time to "let things settle".
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace calico::testlib {

using namespace std::chrono_literals;

struct ProcessSpec {
  std::vector<std::string> argv;           // argv[0] is looked up on PATH
  std::string netns;                       // if set, run inside this network namespace
  std::map<std::string, std::string> env;  // added to the inherited environment
  std::string log_file;                    // stdout+stderr; default: a temp file
};

class Process {
 public:
  // Forks and execs spec.argv in a new process group.  Errors: argv empty or argv[0] not
  // on PATH, log file not writable, fork failed.
  static Result<std::unique_ptr<Process>, std::string> start(const ProcessSpec& spec);
  ~Process();  // stop(); also removes the log file if it was a default temp file
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  // False once the process has exited (it stays a zombie until stop()/kill_hard()/the
  // destructor reaps it, so its process group cannot be reused meanwhile).
  bool running();
  // SIGTERM to the group, wait up to `grace`, then SIGKILL to the group (also to children
  // left behind by a process that exited on its own); reaps and returns the exit status
  // (or -signal).  Idempotent.
  int stop(std::chrono::milliseconds grace = 5s);
  void kill_hard();  // SIGKILL to the group now, then reap
  // Freezes/thaws the process (SIGSTOP/SIGCONT), e.g. to simulate a hung server.
  void pause();
  void resume();
  std::string log_tail(std::size_t max_bytes = 4096) const;
  const std::string& log_file() const { return log_file_; }

 private:
  Process() = default;
  void reap();  // SIGKILL the group, then waitpid the leader
  pid_t pid_ = -1;
  int status_ = 0;
  bool exited_ = false;  // the leader exited (zombie until reaped)
  bool reaped_ = false;
  bool owns_log_ = false;  // log_file_ is a default temp file
  std::string log_file_;
};

// One run of a program fed `input` on stdin, with stdout and stderr kept apart (what a CNI
// runtime does with a plugin).  The environment is exactly `env` (plus nothing inherited)
// when clear_env, else `env` added to the inherited one.  Bounded by `timeout`: the
// process group is SIGKILLed then, and timed_out is set.  exit_code is -1 if it could not
// be started, -signal if killed.
struct ExecResult {
  int exit_code = -1;
  bool timed_out = false;
  std::string out;
  std::string err;
};
ExecResult run_with_input(const std::vector<std::string>& argv,
                          const std::map<std::string, std::string>& env, const std::string& input,
                          bool clear_env = true, std::chrono::milliseconds timeout = 60s);

// Polls `pred` every `poll` until it returns true or `timeout` passes.
bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout,
                std::chrono::milliseconds poll = 20ms);

// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read, close).
int free_tcp_port();
// True if something accepts TCP connections on host:port (host is a loopback address).
bool tcp_port_open(const std::string& host, int port);

// Short unique names for namespaces/interfaces (<= 15 chars when prefix <= 5 chars):
// prefix + base36(pid, zero-padded to 5 digits) + base36(counter).  Unique across
// concurrently running test processes.
std::string unique_name(std::string_view prefix);

// A temporary directory removed (recursively) on destruction.
class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "calico-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// True when running as root (integration tests need it; they fail, not skip, without it
// unless CALICO_ALLOW_NONROOT_SKIP is set by a developer).
bool is_root();

// A file's whole text ("" if it cannot be read).
std::string read_text_file(const std::string& path);

}  // namespace calico::testlib
