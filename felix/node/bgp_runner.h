// BgpRunner: the BGP speaker inside calico-node, driven by felix (BgpControl).
//
// felix calls configure()/set_blocks() from its own thread; both are posted to the
// speaker's io_context, where everything else here runs.  configure():
//   - enabled = false: a running speaker is shut down (Cease/Administrative Shutdown);
//   - no speaker yet, or a change bgp::restart_reason() names (AS, router id, listen
//     port, cluster id...): the old speaker (if any) is shut down and a new one built;
//     kernel routes stay in place across the swap (the new speaker keeps them until it
//     has converged);
//   - otherwise Speaker::reconfigure(): unaffected sessions are not touched.
// If the listener cannot be opened (port in use) the speaker is retried every few seconds.
// The control socket (calicoctl node status) answers for whichever speaker is current.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "bgp/io/asio_network.h"
#include "bgp/io/asio_timers.h"
#include "bgp/io/control_server.h"
#include "bgp/speaker/speaker.h"
#include "felix/agent.h"

namespace calico::felix {

class BgpRunner final : public BgpControl {
 public:
  // `kernel` (may be null) is used on the io_context's thread only.
  BgpRunner(boost::asio::io_context& io, RouteSink* kernel);
  ~BgpRunner() override;
  BgpRunner(const BgpRunner&) = delete;
  BgpRunner& operator=(const BgpRunner&) = delete;

  // Opens the control socket (io thread or before io.run()).
  Result<void, std::string> listen_control(const std::string& path);

  // BgpControl (any thread).
  void configure(const BgpDerived& derived) override;
  void set_blocks(const std::set<net::Cidr>& blocks) override;

  // io thread only:
  bool running() const { return speaker_ != nullptr; }
  std::string not_running_reason() const { return reason_; }
  nlohmann::json status() const;  // the speaker's status(), or {"running": false, ...}
  std::string handle_control(const std::string& request);
  // Cease to every peer; kernel routes stay for the next start.
  void shutdown(const std::string& communication);

 private:
  struct Instance;
  void apply(const BgpDerived& d);
  void start_instance(const bgp::SpeakerConfig& cfg);
  void stop_instance(const std::string& communication);
  void schedule_retry();

  boost::asio::io_context& io_;
  RouteSink* kernel_;
  bgp::AsioTimers timers_;
  std::unique_ptr<bgp::ControlServer> control_;
  std::unique_ptr<Instance> instance_;
  bgp::Speaker* speaker_ = nullptr;
  std::optional<bgp::SpeakerConfig> wanted_;  // last enabled configuration
  bgp::SpeakerConfig running_cfg_;            // the current speaker's
  std::string reason_ = "not configured yet";
  std::set<net::Cidr> blocks_;
  boost::asio::steady_timer retry_timer_;
  bool stopped_ = false;
  Logger log_{"bgp"};
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace calico::felix
