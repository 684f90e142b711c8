// Internals of the BGP peer fixture (tests/lib/bgp_peer.h): the per-daemon Driver
// interface with the state and helpers all four daemons share, the driver factories, and
// the parsers for each daemon's route/state output (pure functions, unit-tested on
// captured output in tests/integration/harness/bgp_peer_test.cpp).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "tests/lib/bgp_peer.h"
#include "tests/lib/netns.h"
#include "tests/lib/process.h"

namespace calico::testlib {

// One daemon flavour.  BgpPeer owns exactly one Driver; the base class holds the config,
// work directory, originated set and the daemon processes, and implements the lifecycle
// steps that are the same for every daemon (stop by PID, freeze, leftover cleanup).
class BgpPeer::Driver {
 public:
  explicit Driver(BgpPeerConfig cfg) : cfg_(std::move(cfg)) {}
  virtual ~Driver();
  Driver(const Driver&) = delete;
  Driver& operator=(const Driver&) = delete;

  // --- per daemon ---------------------------------------------------------------------
  // Kind-specific validation of cfg_ (the generic checks ran already).
  virtual Result<void, std::string> validate() const { return {}; }
  // Renders the config files for cfg_ + originate_ into work_dir_ and syntax-checks them.
  virtual Result<void, std::string> write_config() = 0;
  // Starts the daemon process(es) into procs_ (procs_[0] = the BGP process) and waits
  // until the control interface answers and the originated prefixes are in place.
  virtual Result<void, std::string> launch(bool gr_restarting) = 0;
  // Asks the daemon to shut down with Cease NOTIFICATIONs (the base class waits up to the
  // grace period and then kills).
  virtual void request_shutdown(std::chrono::milliseconds grace) = 0;
  virtual Result<std::string, std::string> session_state(const std::string& neighbor) = 0;
  virtual Result<std::string, std::string> neighbor_detail(const std::string& neighbor) = 0;
  virtual Result<std::vector<LearnedRoute>, std::string> learned_routes() = 0;
  // Makes the running daemon (start) or stop originating `prefix`; originate_ already
  // reflects the change.
  virtual Result<void, std::string> apply_originate(const std::string& prefix, bool add) = 0;
  // Log files (besides the processes' stdout/stderr) for log_tail().
  virtual std::vector<std::string> log_files() const = 0;

  // --- shared -------------------------------------------------------------------------
  Result<void, std::string> start_fresh();  // validate, make the work dir, config, launch
  Result<void, std::string> relaunch(bool gr_restarting);
  void stop(std::chrono::milliseconds grace);
  void kill_now();
  bool running() const;
  void freeze();
  void thaw();
  std::string log_tail(std::size_t max_bytes) const;
  pid_t bgp_pid() const;
  std::vector<pid_t> all_pids() const;

  const BgpPeerConfig& config() const { return cfg_; }
  const std::string& work_dir() const { return work_dir_; }
  std::vector<std::string>& originate() { return originate_; }
  void remove_work_dir();
  // The configured neighbor with this address (any textual form), or nullptr.
  const BgpNeighbor* find_neighbor(const std::string& address) const;

 protected:
  std::string path(const std::string& name) const { return work_dir_ + "/" + name; }
  // Starts argv inside the namespace with stdout/stderr to WORK/<log_name>; appends to
  // procs_.
  Result<Process*, std::string> spawn(const std::vector<std::string>& argv,
                                      const std::string& log_name,
                                      const std::map<std::string, std::string>& env = {});
  // Polls pred until true; fails early (with the log tail) when a daemon process exits.
  Result<void, std::string> wait_ready(const std::function<bool()>& pred,
                                       std::chrono::milliseconds timeout, const std::string& what);
  // Runs argv inside the daemon's namespace.
  CommandResult run_in_netns(const std::vector<std::string>& argv,
                             std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  Result<void, std::string> write_file(const std::string& name, const std::string& content) const;
  // The configured local address of the neighbor's address family ("" if none).
  std::string local_address_for(const BgpNeighbor& n) const;
  std::string router_id() const;
  std::vector<std::string> originated_v4() const;
  std::vector<std::string> originated_v6() const;

  BgpPeerConfig cfg_;
  std::string work_dir_;
  std::vector<std::string> originate_;  // canonical prefixes currently originated
  std::vector<std::unique_ptr<Process>> procs_;
  bool frozen_ = false;
};

std::unique_ptr<BgpPeer::Driver> make_bird_driver(BgpPeerConfig cfg);
std::unique_ptr<BgpPeer::Driver> make_frr_driver(BgpPeerConfig cfg);
std::unique_ptr<BgpPeer::Driver> make_gobgp_driver(BgpPeerConfig cfg);
std::unique_ptr<BgpPeer::Driver> make_exabgp_driver(BgpPeerConfig cfg);

namespace bgp_peer_detail {

bool is_ipv6(const std::string& address_or_prefix);
// Canonical text form of an IPv4/IPv6 address ("" if it is not one).
std::string canonical_address(const std::string& address);
// "a:b" for the 32-bit community value (GoBGP reports communities as numbers).
std::string community_text(std::uint32_t value);
std::string join(const std::vector<std::string>& parts, const std::string& sep);

// `birdc show route all where source = RTS_BGP`; proto_to_neighbor maps the BGP protocol
// names of the config to neighbor addresses.
std::vector<LearnedRoute> parse_bird_routes(
    const std::string& text, const std::map<std::string, std::string>& proto_to_neighbor);
// The "BGP state:" of `birdc show protocols all NAME` ("" if absent).
std::string parse_bird_bgp_state(const std::string& text);
// `vtysh -c 'show bgp ipv4|ipv6 unicast json detail'` (FRR 8.4 layout).
Result<std::vector<LearnedRoute>, std::string> parse_frr_routes(const std::string& json);
// `vtysh -c 'show bgp neighbors ADDR json'`: bgpState.
Result<std::string, std::string> parse_frr_state(const std::string& json);
// `gobgp global rib -a ipv4|ipv6 -j`.
Result<std::vector<LearnedRoute>, std::string> parse_gobgp_rib(const std::string& json);
// `gobgp neighbor ADDR -j`: state.session_state mapped to the RFC 4271 state name.
Result<std::string, std::string> parse_gobgp_state(const std::string& json);
// ExaBGP JSON API stream (one message per line): replays announcements, withdrawals and
// session-down events into the current set of received routes.
std::vector<LearnedRoute> parse_exabgp_updates(const std::string& jsonl);
// The last reported state of the session with `neighbor` in the stream: "Established"
// after "up", "Idle" after "down" or when nothing was reported, else the reported state.
std::string parse_exabgp_state(const std::string& jsonl, const std::string& neighbor);

}  // namespace bgp_peer_detail
}  // namespace calico::testlib
