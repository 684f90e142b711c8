// Test harness for our own speaker: runs the calico-bgp binary inside a network namespace
// with a generated configuration file and reads its status over the control socket.
//
// The binary path comes from the build (CALICO_BGP_BINARY, set by tests/CMakeLists.txt);
// each instance gets a unique work directory holding config.yaml, the control socket and
// the log.  Stopped by PID (SIGTERM: the daemon sends Cease to its peers) on destruction.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "tests/lib/process.h"

namespace calico::testlib {

class CalicoBgp {
 public:
  // `config_yaml` is the speaker configuration without controlSocket (added here).
  // Waits until the control socket answers.
  static Result<std::unique_ptr<CalicoBgp>, std::string> start(const std::string& netns,
                                                               const std::string& config_yaml,
                                                               const std::string& binary = "");
  ~CalicoBgp();
  CalicoBgp(const CalicoBgp&) = delete;
  CalicoBgp& operator=(const CalicoBgp&) = delete;

  // Graceful stop (SIGTERM -> Cease to peers); returns the exit status.
  int stop(std::chrono::milliseconds grace = 5s);
  // Stops and starts again with the same configuration (kernel routes are kept).
  Result<bool, std::string> restart();
  // Rewrites the configuration file with `config_yaml` (controlSocket added as in start())
  // and sends SIGHUP: the daemon applies peers and originated blocks live.  Returns once
  // the signal is sent; poll status() for the effect.
  Result<bool, std::string> reload(const std::string& config_yaml);
  void freeze() { proc_->pause(); }
  void thaw() { proc_->resume(); }
  pid_t pid() const { return proc_->pid(); }

  // The control socket's "status" / "routes" documents.
  Result<nlohmann::json, std::string> query(const std::string& command) const;
  // State of the peer with this address ("Established", "Active", ...) or "" if unknown.
  std::string peer_state(const std::string& peer_address) const;
  nlohmann::json peer_status(const std::string& peer_address) const;
  bool wait_established(const std::string& peer_address,
                        std::chrono::milliseconds timeout = 30s) const;
  // True if the Loc-RIB holds `prefix` (best path present).
  bool has_route(const std::string& prefix) const;
  bool wait_route(const std::string& prefix, bool present,
                  std::chrono::milliseconds timeout = 30s) const;

  const std::string& socket_path() const { return socket_; }
  const std::string& work_dir() const { return dir_->path(); }
  std::string log_tail(std::size_t max_bytes = 8192) const { return proc_->log_tail(max_bytes); }

 private:
  CalicoBgp() = default;
  Result<bool, std::string> launch();
  Result<bool, std::string> write_config(const std::string& config_yaml);

  std::string netns_;
  std::string binary_;
  std::unique_ptr<TempDir> dir_;
  std::string config_path_;
  std::string socket_;
  std::string log_;
  std::unique_ptr<Process> proc_;
};

}  // namespace calico::testlib
