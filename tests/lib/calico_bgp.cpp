#include "tests/lib/calico_bgp.h"

#include <signal.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "common/unix_request.h"

#ifndef CALICO_BGP_BINARY
#define CALICO_BGP_BINARY "calico-bgp"
#endif

namespace calico::testlib {

Result<std::unique_ptr<CalicoBgp>, std::string> CalicoBgp::start(const std::string& netns,
                                                                 const std::string& config_yaml,
                                                                 const std::string& binary) {
  std::unique_ptr<CalicoBgp> s(new CalicoBgp());
  s->netns_ = netns;
  // CALICO_BGP_BINARY in the environment runs another build (e.g. the ASan one).
  const char* env_binary = std::getenv("CALICO_BGP_BINARY");
  s->binary_ = !binary.empty() ? binary : (env_binary != nullptr ? env_binary : CALICO_BGP_BINARY);
  s->dir_ = std::make_unique<TempDir>("calico-bgp");
  s->config_path_ = s->dir_->path() + "/config.yaml";
  s->socket_ = s->dir_->path() + "/ctl.sock";
  s->log_ = s->dir_->path() + "/calico-bgp.log";
  if (auto w = s->write_config(config_yaml); !w) {
    return fail(w.error());
  }
  auto ok = s->launch();
  if (!ok) {
    return fail(ok.error());
  }
  return s;
}

Result<bool, std::string> CalicoBgp::write_config(const std::string& config_yaml) {
  // Written to a temporary file and renamed, so a reload never reads half a file.
  const std::string tmp = config_path_ + ".tmp";
  {
    std::ofstream f(tmp);
    f << config_yaml;
    if (!config_yaml.empty() && config_yaml.back() != '\n') {
      f << '\n';
    }
    f << "controlSocket: " << socket_ << "\n";
    if (!f) {
      return fail("cannot write " + tmp);
    }
  }
  if (std::rename(tmp.c_str(), config_path_.c_str()) != 0) {
    return fail("cannot rename " + tmp + " to " + config_path_);
  }
  return true;
}

Result<bool, std::string> CalicoBgp::reload(const std::string& config_yaml) {
  if (auto w = write_config(config_yaml); !w) {
    return w;
  }
  if (!proc_ || !proc_->running()) {
    return fail("calico-bgp is not running");
  }
  // `ip netns exec` execs the daemon, so the process we started is calico-bgp itself.
  if (::kill(proc_->pid(), SIGHUP) != 0) {
    return fail("kill(SIGHUP): " + std::string(std::strerror(errno)));
  }
  return true;
}

Result<bool, std::string> CalicoBgp::launch() {
  ProcessSpec spec;
  spec.argv = {binary_, "--config", config_path_};
  spec.netns = netns_;
  spec.log_file = log_;
  spec.env["CALICO_LOG_LEVEL"] = "debug";
  auto p = Process::start(spec);
  if (!p) {
    return fail(p.error());
  }
  proc_ = std::move(*p);
  const bool up = wait_until(
      [&] { return !proc_->running() || unix_request(socket_, "status", 1s).has_value(); }, 10s);
  if (!up || !proc_->running()) {
    return fail("calico-bgp did not come up: " + proc_->log_tail());
  }
  return true;
}

CalicoBgp::~CalicoBgp() {
  if (proc_) {
    proc_->stop();
  }
}

int CalicoBgp::stop(std::chrono::milliseconds grace) {
  return proc_->stop(grace);
}

Result<bool, std::string> CalicoBgp::restart() {
  proc_->stop();
  return launch();
}

Result<nlohmann::json, std::string> CalicoBgp::query(const std::string& command) const {
  auto reply = unix_request(socket_, command, 2s);
  if (!reply) {
    return fail(reply.error());
  }
  auto j = nlohmann::json::parse(*reply, nullptr, false);
  if (j.is_discarded()) {
    return fail("control socket reply is not JSON: " + reply->substr(0, 200));
  }
  return j;
}

nlohmann::json CalicoBgp::peer_status(const std::string& peer_address) const {
  auto st = query("status");
  if (!st || !st->contains("peers")) {
    return nullptr;
  }
  for (const auto& p : (*st)["peers"]) {
    if (p.value("address", "") == peer_address) {
      return p;
    }
  }
  return nullptr;
}

std::string CalicoBgp::peer_state(const std::string& peer_address) const {
  const auto p = peer_status(peer_address);
  return p.is_object() ? p.value("state", "") : "";
}

bool CalicoBgp::wait_established(const std::string& peer_address,
                                 std::chrono::milliseconds timeout) const {
  return wait_until([&] { return peer_state(peer_address) == "Established"; }, timeout, 50ms);
}

bool CalicoBgp::has_route(const std::string& prefix) const {
  auto r = query("routes");
  if (!r || !r->contains("routes")) {
    return false;
  }
  for (const auto& route : (*r)["routes"]) {
    if (route.value("prefix", "") == prefix) {
      return true;
    }
  }
  return false;
}

bool CalicoBgp::wait_route(const std::string& prefix, bool present,
                           std::chrono::milliseconds timeout) const {
  return wait_until([&] { return has_route(prefix) == present; }, timeout, 50ms);
}

}  // namespace calico::testlib
