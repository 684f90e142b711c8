// Etcd fixture: one etcd member on free loopback ports; probed and administered through
// its JSON gateway with curl (tests/lib/http.h).
#include "tests/lib/etcd_server.h"

#include <filesystem>
#include <system_error>

#include <nlohmann/json.hpp>

#include "tests/lib/http.h"

namespace calico::testlib {
namespace {

constexpr int kPortAttempts = 5;
constexpr auto kStartTimeout = std::chrono::milliseconds(20000);

}  // namespace

Result<std::unique_ptr<EtcdServer>, std::string> EtcdServer::start(const EtcdOptions& opts,
                                                                   const HttpTls& client) {
  std::unique_ptr<EtcdServer> s(new EtcdServer());
  s->opts_ = opts;
  s->client_tls_ = client;
  s->name_ = unique_name("etcd");
  s->dir_ = std::make_unique<TempDir>("calico-etcd");
  if (s->dir_->path().empty()) {
    return fail(std::string("cannot create etcd data dir"));
  }
  std::string last_error;
  for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
    s->client_port_ = free_tcp_port();
    s->peer_port_ = free_tcp_port();
    if (s->client_port_ <= 0 || s->peer_port_ <= 0 || s->client_port_ == s->peer_port_) {
      continue;
    }
    auto r = s->launch();
    if (r) {
      return s;
    }
    last_error = r.error();
    // A failed first start may have initialised the member with the old peer URL.
    std::error_code ec;
    std::filesystem::remove_all(s->dir_->path() + "/data", ec);
  }
  return fail("etcd did not start: " + last_error);
}

EtcdServer::~EtcdServer() {
  if (proc_) {
    proc_->stop(std::chrono::milliseconds(3000));
  }
}

std::string EtcdServer::endpoint() const {
  const bool tls = !opts_.cert_file.empty();
  return std::string(tls ? "https://" : "http://") + opts_.host + ":" +
         std::to_string(client_port_);
}

std::string EtcdServer::data_dir() const {
  return dir_ ? dir_->path() + "/data" : "";
}

pid_t EtcdServer::pid() const {
  return proc_ ? proc_->pid() : -1;
}

Result<void, std::string> EtcdServer::launch() {
  const std::string peer = "http://" + opts_.host + ":" + std::to_string(peer_port_);
  ProcessSpec spec;
  spec.argv = {"etcd",
               "--name",
               name_,
               "--data-dir",
               data_dir(),
               "--listen-client-urls",
               endpoint(),
               "--advertise-client-urls",
               endpoint(),
               "--listen-peer-urls",
               peer,
               "--initial-advertise-peer-urls",
               peer,
               "--initial-cluster",
               name_ + "=" + peer,
               "--log-level",
               "warn",
               "--logger",
               "zap"};
  if (!opts_.cert_file.empty()) {
    spec.argv.insert(spec.argv.end(), {"--cert-file", opts_.cert_file, "--key-file", opts_.key_file,
                                       "--trusted-ca-file", opts_.ca_file, "--client-cert-auth"});
  }
  spec.log_file = dir_->path() + "/etcd.log";
  auto p = Process::start(spec);
  if (!p) {
    return fail(p.error());
  }
  proc_ = std::move(*p);
  const bool up = wait_until(
      [this] {
        if (!proc_->running()) {
          return true;  // exited: fail fast below
        }
        return static_cast<bool>(current_revision());
      },
      kStartTimeout, std::chrono::milliseconds(50));
  if (!up || !proc_->running()) {
    const std::string tail = proc_->log_tail(2000);
    proc_->stop(std::chrono::milliseconds(2000));
    proc_.reset();
    return fail("etcd on port " + std::to_string(client_port_) + " did not become ready:\n" + tail);
  }
  return {};
}

void EtcdServer::stop() {
  if (proc_) {
    proc_->stop(std::chrono::milliseconds(5000));
  }
}

void EtcdServer::kill() {
  if (proc_) {
    proc_->kill_hard();
  }
}

Result<void, std::string> EtcdServer::restart() {
  stop();
  proc_.reset();
  return launch();
}

void EtcdServer::pause() {
  if (proc_) {
    proc_->pause();
  }
}

void EtcdServer::resume() {
  if (proc_) {
    proc_->resume();
  }
}

Result<std::int64_t, std::string> EtcdServer::current_revision() const {
  auto r = http_request(endpoint() + "/v3/kv/range", R"({"key":"AA==","limit":1})",
                        opts_.cert_file.empty() ? nullptr : &client_tls_,
                        std::chrono::milliseconds(1000));
  if (!r) {
    return fail(r.error());
  }
  if (r->status != 200) {
    return fail("HTTP " + std::to_string(r->status) + ": " + r->body);
  }
  const auto j = nlohmann::json::parse(r->body, nullptr, false);
  if (j.is_discarded() || !j.contains("header") || !j["header"].contains("revision")) {
    return fail("unexpected range reply: " + r->body);
  }
  const auto& rev = j["header"]["revision"];
  return rev.is_string() ? std::stoll(rev.get<std::string>()) : rev.get<std::int64_t>();
}

Result<void, std::string> EtcdServer::compact_to(std::int64_t revision) const {
  auto r = http_request(endpoint() + "/v3/kv/compaction",
                        R"({"revision":")" + std::to_string(revision) + R"(","physical":true})",
                        opts_.cert_file.empty() ? nullptr : &client_tls_);
  if (!r) {
    return fail(r.error());
  }
  if (r->status != 200) {
    return fail("compaction failed: HTTP " + std::to_string(r->status) + ": " + r->body);
  }
  return {};
}

}  // namespace calico::testlib
