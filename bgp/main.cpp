// calico-bgp: the node's BGP speaker daemon.
//
//   calico-bgp --config /etc/calico/bgp.yaml [--check]
//
// Wires the speaker (bgp/speaker) to Boost.Asio (network, timers, control socket) and to
// the kernel FIB (netlink/).  SIGTERM/SIGINT: Cease to every peer, then exit; kernel
// routes stay for the next start (which reconciles them without flapping).  SIGHUP:
// re-reads --config and applies peers and originated blocks live (Speaker::reconfigure);
// an invalid file, or a change that needs a restart (AS, router id, listener...), is
// logged and changes nothing.
#include <csignal>
#include <functional>
#include <iostream>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "bgp/io/asio_network.h"
#include "bgp/io/asio_timers.h"
#include "bgp/io/control_server.h"
#include "bgp/speaker/speaker.h"
#include "netlink/route_sink_nl.h"

namespace {

int usage() {
  std::cerr << "usage: calico-bgp --config FILE [--check]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace calico;
  std::string config_path;
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (a == "--check") {
      check_only = true;
    } else {
      return usage();
    }
  }
  if (config_path.empty()) {
    return usage();
  }
  auto cfg = bgp::load_speaker_config(config_path);
  if (!cfg) {
    std::cerr << "calico-bgp: " << cfg.error().to_string() << "\n";
    return 1;
  }
  if (check_only) {
    std::cout << "calico-bgp: " << config_path << " is valid (" << cfg->peers.size() << " peers)\n";
    return 0;
  }
  Logger log("bgp");

  std::unique_ptr<RouteSink> sink;
  if (cfg->kernel.install) {
    auto s = netlink::NetlinkRouteSink::open("");
    if (!s) {
      std::cerr << "calico-bgp: netlink: " << s.error() << "\n";
      return 1;
    }
    sink = std::move(*s);
  }

  boost::asio::io_context io;
  bgp::AsioTimers timers(io);
  bgp::Speaker* speaker_ptr = nullptr;
  struct Forward final : bgp::NetworkEvents {
    bgp::Speaker** s;
    explicit Forward(bgp::Speaker** sp) : s(sp) {}
    void on_connected(std::size_t i, std::unique_ptr<bgp::Connection> c) override {
      (*s)->on_connected(i, std::move(c));
    }
    void on_connect_failed(std::size_t i, const std::string& r) override {
      (*s)->on_connect_failed(i, r);
    }
    void on_accepted(std::unique_ptr<bgp::Connection> c) override {
      (*s)->on_accepted(std::move(c));
    }
    void on_bytes(bgp::ConnId c, std::span<const std::uint8_t> b) override { (*s)->on_bytes(c, b); }
    void on_closed(bgp::ConnId c, const std::string& r) override { (*s)->on_closed(c, r); }
  } forward(&speaker_ptr);
  bgp::AsioNetwork net(io, forward);
  bgp::Speaker speaker(*cfg, timers, net, sink.get());
  speaker_ptr = &speaker;

  bgp::ControlServer control(io,
                             [&](const std::string& req) { return speaker.handle_control(req); });
  if (auto r = control.listen(cfg->control_socket); !r) {
    std::cerr << "calico-bgp: " << r.error() << "\n";
    return 1;
  }
  if (auto r = net.listen(cfg->listen_address, cfg->listen_port, cfg->peers); !r) {
    std::cerr << "calico-bgp: " << r.error() << "\n";
    return 1;
  }
  if (auto r = speaker.start(); !r) {
    std::cerr << "calico-bgp: " << r.error() << "\n";
    return 1;
  }
  log.info("started", {kv("as", cfg->asn), kv("router_id", bgp::format_router_id(cfg->router_id)),
                       kv("peers", cfg->peers.size()), kv("port", net.listen_port())});

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  boost::asio::steady_timer exit_timer(io);
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) {
      return;
    }
    log.info("shutting down", {kv("signal", sig)});
    net.close_listener();
    speaker.shutdown("calico-bgp shutting down");
    // Give the NOTIFICATIONs a moment to leave, bounded.
    exit_timer.expires_after(std::chrono::milliseconds(300));
    exit_timer.async_wait([&](const boost::system::error_code&) { io.stop(); });
  });
  boost::asio::signal_set hup(io, SIGHUP);
  std::function<void()> wait_hup = [&] {
    hup.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) {
        return;
      }
      auto next = bgp::load_speaker_config(config_path);
      if (!next) {
        log.error("reload refused; the running configuration stays",
                  {kv("error", next.error().to_string())});
      } else if (auto r = speaker.reconfigure(*next); !r) {
        log.error("reload refused; the running configuration stays", {kv("error", r.error())});
      } else {
        log.info("configuration reloaded",
                 {kv("peers_added", r->added), kv("peers_removed", r->removed),
                  kv("peers_reset", r->reset), kv("peers_updated", r->updated)});
      }
      wait_hup();
    });
  };
  wait_hup();
  std::signal(SIGPIPE, SIG_IGN);
  io.run();
  log.info("stopped");
  return 0;
}
