#include "felix/node/bgp_runner.h"

#include <boost/asio/post.hpp>

namespace calico::felix {
namespace {
constexpr std::chrono::seconds kListenRetry{3};
constexpr std::chrono::milliseconds kRetireDelay{300};
}  // namespace

// One speaker with its network and event forwarding.
struct BgpRunner::Instance {
  struct Forward final : bgp::NetworkEvents {
    bgp::Speaker* s = nullptr;
    void on_connected(std::size_t i, std::unique_ptr<bgp::Connection> c) override {
      s->on_connected(i, std::move(c));
    }
    void on_connect_failed(std::size_t i, const std::string& r) override {
      s->on_connect_failed(i, r);
    }
    void on_accepted(std::unique_ptr<bgp::Connection> c) override { s->on_accepted(std::move(c)); }
    void on_bytes(bgp::ConnId c, std::span<const std::uint8_t> b) override { s->on_bytes(c, b); }
    void on_closed(bgp::ConnId c, const std::string& r) override { s->on_closed(c, r); }
  };
  Forward forward;
  std::unique_ptr<bgp::AsioNetwork> net;
  std::unique_ptr<bgp::Speaker> speaker;
};

BgpRunner::BgpRunner(boost::asio::io_context& io, RouteSink* kernel)
    : io_(io), kernel_(kernel), timers_(io), retry_timer_(io) {}

BgpRunner::~BgpRunner() {
  *alive_ = false;
}

Result<void, std::string> BgpRunner::listen_control(const std::string& path) {
  control_ = std::make_unique<bgp::ControlServer>(
      io_, [this](const std::string& req) { return handle_control(req); });
  auto r = control_->listen(path);
  if (!r) {
    return fail(r.error());
  }
  return {};
}

void BgpRunner::configure(const BgpDerived& derived) {
  boost::asio::post(io_, [this, alive = alive_, derived] {
    if (*alive) {
      apply(derived);
    }
  });
}

void BgpRunner::set_blocks(const std::set<net::Cidr>& blocks) {
  boost::asio::post(io_, [this, alive = alive_, blocks] {
    if (!*alive) {
      return;
    }
    blocks_ = blocks;
    if (speaker_ != nullptr) {
      speaker_->set_originated(blocks_);
    }
  });
}

void BgpRunner::apply(const BgpDerived& d) {
  if (stopped_) {
    return;
  }
  if (!d.enabled) {
    wanted_.reset();
    reason_ = d.reason;
    if (speaker_ != nullptr) {
      log_.warn("stopping the BGP speaker", {kv("reason", d.reason)});
      stop_instance("BGP disabled for this node");
    }
    return;
  }
  bgp::SpeakerConfig cfg = d.config;
  cfg.originate.assign(blocks_.begin(), blocks_.end());
  wanted_ = cfg;
  if (speaker_ != nullptr) {
    if (auto why = bgp::restart_reason(running_cfg_, cfg); !why) {
      running_cfg_ = cfg;
      auto r = speaker_->reconfigure(cfg);
      if (r) {
        log_.info("BGP peers updated", {kv("added", r->added), kv("removed", r->removed),
                                        kv("reset", r->reset), kv("unchanged", r->unchanged)});
        return;
      }
      log_.warn("cannot reconfigure the running speaker; restarting it", {kv("error", r.error())});
    } else {
      log_.info("BGP setting changed; restarting the speaker", {kv("setting", *why)});
    }
    stop_instance("configuration change");
  }
  start_instance(cfg);
}

void BgpRunner::start_instance(const bgp::SpeakerConfig& cfg) {
  auto inst = std::make_unique<Instance>();
  inst->net = std::make_unique<bgp::AsioNetwork>(io_, inst->forward);
  inst->speaker = std::make_unique<bgp::Speaker>(cfg, timers_, *inst->net, kernel_);
  inst->forward.s = inst->speaker.get();
  if (auto r = inst->net->listen(cfg.listen_address, cfg.listen_port, cfg.peers); !r) {
    reason_ = "BGP listener: " + r.error();
    log_.error("cannot open the BGP listener; retrying", {kv("error", r.error())});
    schedule_retry();
    return;
  }
  if (auto r = inst->speaker->start(); !r) {
    reason_ = "BGP speaker: " + r.error();
    log_.error("cannot start the BGP speaker", {kv("error", r.error())});
    return;
  }
  log_.info("BGP speaker started",
            {kv("as", cfg.asn), kv("router_id", bgp::format_router_id(cfg.router_id)),
             kv("peers", cfg.peers.size()), kv("port", inst->net->listen_port())});
  instance_ = std::move(inst);
  speaker_ = instance_->speaker.get();
  running_cfg_ = cfg;
  reason_.clear();
}

void BgpRunner::stop_instance(const std::string& communication) {
  if (!instance_) {
    return;
  }
  instance_->net->close_listener();
  instance_->speaker->shutdown(communication);
  speaker_ = nullptr;
  // Let the NOTIFICATIONs leave before the sockets close.
  auto retiring = std::shared_ptr<Instance>(std::move(instance_));
  auto timer = std::make_shared<boost::asio::steady_timer>(io_, kRetireDelay);
  timer->async_wait([retiring, timer](const boost::system::error_code&) {});
}

void BgpRunner::schedule_retry() {
  retry_timer_.expires_after(kListenRetry);
  retry_timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (ec || !*alive || stopped_ || speaker_ != nullptr || !wanted_) {
      return;
    }
    bgp::SpeakerConfig cfg = *wanted_;
    cfg.originate.assign(blocks_.begin(), blocks_.end());
    start_instance(cfg);
  });
}

nlohmann::json BgpRunner::status() const {
  if (speaker_ == nullptr) {
    return {{"running", false}, {"reason", reason_}, {"peers", nlohmann::json::array()}};
  }
  nlohmann::json j = speaker_->status();
  j["running"] = true;
  return j;
}

std::string BgpRunner::handle_control(const std::string& request) {
  if (speaker_ == nullptr) {
    return nlohmann::json{{"error", "BGP is not running: " + reason_}}.dump();
  }
  return speaker_->handle_control(request);
}

void BgpRunner::shutdown(const std::string& communication) {
  stopped_ = true;
  retry_timer_.cancel();
  stop_instance(communication);
}

}  // namespace calico::felix
