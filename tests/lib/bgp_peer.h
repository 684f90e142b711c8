// Test fixture: a real BGP peer daemon (BIRD 2, FRR 8, GoBGP 3 or ExaBGP 4.2) running
// inside a network namespace the test created, for interop tests of our own speaker.
//
//   BgpPeerConfig cfg;
//   cfg.kind = PeerKind::Bird;
//   cfg.netns = ns.name();
//   cfg.router_id = "10.99.0.1";
//   cfg.local_as = 4200000001;
//   cfg.local_v4 = "10.99.0.1";
//   cfg.neighbors.push_back({.address = "10.99.0.2", .peer_as = 65002});
//   cfg.originate = {"10.201.0.0/26"};
//   auto peer = BgpPeer::start(cfg);             // Result<unique_ptr<BgpPeer>, string>
//   ASSERT_TRUE(peer) << peer.error();
//   EXPECT_TRUE((*peer)->wait_established("10.99.0.2", 30s));
//   EXPECT_TRUE((*peer)->wait_route("10.202.0.0/26", true, 30s));
//   (*peer)->announce("10.201.1.0/26");          // at runtime
//
// Each peer gets its own work directory under /tmp (config, control sockets, logs) that
// the destructor removes after stopping every daemon process by PID (never by name);
// set CALICO_KEEP_BGP_WORKDIR=1 to keep it for a post-mortem.  Every wait is bounded;
// queries against a frozen daemon fail after their 10-15 s command timeout (ExaBGP's
// state and routes come from a file and still answer).  If the test process itself dies
// (abort, SIGKILL) no destructor runs and the daemons outlive it, like any child.  The daemons
// listen on port 179 on all addresses of their namespace, so run at most one peer per namespace.
// Nothing here reads anything outside the work directory except the daemon binaries themselves.
//
// Per daemon (see bgp_peer.cpp and the bgp_peer_<daemon>.cpp files for the details):
//   Bird    bird -f, control through birdc on WORK/bird.ctl; originated prefixes are
//           blackhole statics in an include file, runtime changes via `birdc configure`;
//           learned routes are exported to the namespace's kernel FIB (`proto bird`).
//   Frr     zebra + bgpd (no watchfrr, no /etc/frr), control through
//           `vtysh --vty_socket WORK`; learned routes go to the kernel (`proto bgp`).
//   Gobgp   gobgpd with a TOML config; the gobgp CLI (gRPC on the namespace's
//           127.0.0.1:<free port>) runs inside the namespace; never touches the kernel.
//   Exabgp  exabgp with a per-instance --root and env file; an API helper appends the
//           received UPDATEs and state changes as JSON lines to WORK/received.jsonl, which
//           is what learned_routes() and session_state() read; runtime announce/withdraw
//           through exabgpcli.  No best-path selection, no AS-path loop check, no kernel.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "tests/lib/netns.h"

namespace calico::testlib {

enum class PeerKind { Bird, Frr, Gobgp, Exabgp };

std::string_view to_string(PeerKind kind);

struct BgpNeighbor {
  std::string address = "";  // the neighbor's session address (IPv4 or IPv6)
  std::uint32_t peer_as = 0;
  bool passive = false;    // only accept connections, never connect out
  int hold_time = 90;      // seconds (0 or >= 3); keepalive is a third of it
  std::string md5 = "";    // TCP MD5 password ("" = none)
  bool ipv4 = true;        // negotiate IPv4 unicast on this session
  bool ipv6 = false;       // negotiate IPv6 unicast on this session
  bool rr_client = false;  // route-reflector client (iBGP; not ExaBGP)
  bool multihop = false;   // eBGP multihop (TTL 255) / recursive next hops
};

struct BgpPeerConfig {
  PeerKind kind = PeerKind::Bird;
  std::string netns = "";      // namespace the daemon runs in (created by the test)
  std::string router_id = "";  // "" = local_v4
  std::uint32_t local_as = 0;  // 4-octet allowed (e.g. 4200000001)
  std::string local_v4 = "";   // session source addresses ("" = none)
  std::string local_v6 = "";
  std::vector<BgpNeighbor> neighbors = {};
  // Prefixes (IPv4 and IPv6) advertised from the start; announce()/withdraw() change
  // the set, and restart() keeps the changed set.
  std::vector<std::string> originate = {};
  // Standard communities ("65000:100") attached to every originated prefix.
  std::vector<std::string> originate_communities = {};
  // false: ExaBGP only.  The speaker does not send capability 65 (a 2-octet-only speaker,
  // local_as must be <= 65535); a peer_as above 65535 is configured as AS_TRANS (23456),
  // which is what such a speaker sees in the neighbor's OPEN.
  bool four_octet_as = true;
  // Learned routes into the namespace's kernel FIB: BIRD kernel protocols, FRR zebra.
  // GoBGP and ExaBGP cannot; the flag is ignored for them.
  bool install_kernel_routes = true;
  int connect_retry_s = 2;     // also BIRD's error wait time (after a session error)
  int graceful_restart_s = 0;  // 0 = no graceful-restart capability at all
  // Re-advertise routes learned over BGP (BIRD: export filter; FRR and GoBGP do it by
  // default; ExaBGP cannot), e.g. for a transit router between two of our speakers.
  bool export_learned = false;
};

// A route learned over BGP as the daemon reports it (one entry per path: a prefix learned
// from two neighbors appears twice).
struct LearnedRoute {
  std::string prefix;                  // canonical text form, e.g. "10.0.0.0/24", "fd00::/64"
  std::string peer;                    // neighbor address it came from ("" if not reported)
  std::vector<std::string> next_hops;  // BGP next hop(s): global first, link-local after
  std::vector<std::uint32_t> as_path;  // segments flattened in order (AS_SETs included)
  std::string origin;                  // "igp", "egp", "incomplete" ("" if not reported)
  std::optional<std::uint32_t> local_pref;
  std::optional<std::uint32_t> med;
  std::vector<std::string> communities;        // "65000:100"
  std::vector<std::string> large_communities;  // "4200000001:1:2"
  bool best = false;  // selected as best path (ExaBGP: always true, it does no selection)
};

class BgpPeer {
 public:
  // Validates cfg, writes the config into a fresh work directory under /tmp,
  // syntax-checks it with the daemon's own checker, starts the daemon(s) inside
  // cfg.netns and waits (bounded) until the control interface answers and the originated
  // prefixes are in place.  Errors carry the daemon's log tail.
  static Result<std::unique_ptr<BgpPeer>, std::string> start(BgpPeerConfig cfg);
  ~BgpPeer();  // stop(), then removes the work directory
  BgpPeer(const BgpPeer&) = delete;
  BgpPeer& operator=(const BgpPeer&) = delete;

  // Graceful stop (Cease NOTIFICATION to every neighbor), SIGKILL after `grace`;
  // also kills any helper processes the daemon left behind.  Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));
  // SIGKILL now (a crash: no NOTIFICATION, the neighbor sees the TCP connection close).
  void kill();
  // stop() (if running), then start again from the same work directory with the same
  // config and the current originated set.  gr_restarting: start in graceful-restart
  // "restarting" mode (BIRD -R, GoBGP -r; FRR and ExaBGP have no such switch).
  Result<void, std::string> restart(bool gr_restarting = false);
  bool running() const;

  // SIGSTOP / SIGCONT the BGP process (bgpd for FRR), e.g. for hold-timer tests.
  void freeze();
  void thaw();

  // The daemon's state name for the session with `neighbor` ("Established", "Active",
  // "Connect", "Idle", "OpenSent", ...).  ExaBGP: "Established" after its API reported
  // the session up, "Idle" otherwise.
  Result<std::string, std::string> session_state(const std::string& neighbor);
  Result<bool, std::string> established(const std::string& neighbor);
  // Polls until the session is (want = true) or is no longer (want = false) Established.
  bool wait_established(const std::string& neighbor, std::chrono::milliseconds timeout,
                        bool want = true);
  // Daemon-native detail about one neighbor (BIRD `show protocols all`, FRR/GoBGP JSON,
  // ExaBGP `show neighbor extensive`): for checks on capabilities, timers, counters.
  Result<std::string, std::string> neighbor_detail(const std::string& neighbor);

  // Every path learned over BGP (locally originated routes are not included).
  Result<std::vector<LearnedRoute>, std::string> learned_routes();
  // The paths for one prefix (any textual form; compared canonically).
  Result<std::vector<LearnedRoute>, std::string> learned_routes(const std::string& prefix);
  // Polls until `prefix` is (present) or is not (!present) among the learned routes.
  bool wait_route(const std::string& prefix, bool present, std::chrono::milliseconds timeout);

  // Starts / stops originating `prefix` at runtime (to every neighbor whose session
  // carries its address family).  Idempotent.
  Result<void, std::string> announce(const std::string& prefix);
  Result<void, std::string> withdraw(const std::string& prefix);
  const std::vector<std::string>& originated() const;

  // The last bytes of the daemon log(s) (and their stdout/stderr), for failure messages.
  std::string log_tail(std::size_t max_bytes = 6000) const;
  const std::string& work_dir() const;
  // The BGP process (bgpd for FRR); -1 while stopped.
  pid_t pid() const;
  // Every daemon process (FRR: bgpd and zebra); empty while stopped.
  std::vector<pid_t> pids() const;
  const BgpPeerConfig& config() const;

  class Driver;  // per-daemon implementation (bgp_peer_internal.h)

 private:
  explicit BgpPeer(std::unique_ptr<Driver> driver);
  std::unique_ptr<Driver> driver_;
};

// Two namespaces joined by one veth pair, prepared for BGP: lo up, IPv6 duplicate address
// detection off (also for the kernel's link-local addresses, which FRR needs as IPv6 next
// hops), an IPv4 /30 and an IPv6 /64 on each end.  Everything is removed on destruction
// (the NetNs destructors kill whatever still runs inside).
struct BgpLinkOptions {
  std::string a_v4 = "10.99.0.1", b_v4 = "10.99.0.2";  // on a /30
  std::string a_v6 = "fd99::1", b_v6 = "fd99::2";      // on a /64
};

class BgpLink {
 public:
  static Result<std::unique_ptr<BgpLink>, std::string> create(const BgpLinkOptions& opts = {});
  BgpLink(const BgpLink&) = delete;
  BgpLink& operator=(const BgpLink&) = delete;
  ~BgpLink();

  const NetNs& a() const { return a_; }
  const NetNs& b() const { return b_; }
  const BgpLinkOptions& addresses() const { return opts_; }
  const VethPair& veth() const { return *veth_; }

 private:
  BgpLink() = default;
  BgpLinkOptions opts_;
  NetNs a_, b_;
  std::unique_ptr<VethPair> veth_;
};

// "10.1.0.0/24" / "FD00:0::/64" -> canonical text ("fd00::/64"); "" if not a prefix.
std::string canonical_prefix(const std::string& prefix);

}  // namespace calico::testlib
