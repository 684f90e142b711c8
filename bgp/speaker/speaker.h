// The BGP speaker: glue of the session FSMs (bgp/fsm), the wire codec (bgp/wire), the
// RIBs (bgp/rib) and the kernel reconciler (kernel_sync.h), driven by network and timer
// events.
//
// Data flow:
//   bytes (NetworkEvents::on_bytes) -> MessageFramer/decode -> SessionFsm events
//   -> actions: send OPEN/KEEPALIVE/NOTIFICATION, timers, connect/close,
//      SessionUp (send the Adj-RIB-Out: full table + End-of-RIB),
//      SessionDown (withdraw everything learned from the peer),
//      ProcessUpdate (Adj-RIB-In -> Loc-RIB decision -> changes)
//   Loc-RIB changes -> every Established peer's Adj-RIB-Out (export rules, packing)
//                   -> KernelSync desired routes (ECMP next hops; blackhole own blocks)
//
// Connection collisions (RFC 4271 §6.8): each configured peer has one primary FSM.  An
// inbound connection is handed to it while it is in Connect/Active; otherwise a second FSM
// carries the inbound connection, and when an OPEN arrives while both have one, the
// connection opened by the speaker with the higher BGP Identifier survives (the other is
// closed with Cease/Connection Collision Resolution).  An inbound connection while the
// session is Established is refused the same way.
//
// Live reconfiguration (felix derives the peer set from the datastore and calls these on
// every change; calico-bgp on SIGHUP):
//   set_peers() diffs the new list against the current peers by identity (address + port,
//   config.h same_peer()).  An unchanged peer is not touched (no reset, no table re-sent).
//   A peer that is gone gets Cease/Peer De-configured (RFC 4486 subcode 3); its routes are
//   withdrawn from the Loc-RIB, the kernel and the other peers, and it leaves status().
//   A new peer starts at once.  A peer whose settings changed (peer_needs_reset()) gets
//   Cease/Other Configuration Change (subcode 6) and starts again with the new settings;
//   a new display name or connect-retry time applies in place.  set_originated() replaces
//   the originated blocks (announce the new, withdraw the gone).  Local AS, router id,
//   listen address/port and cluster id need a new speaker (config.h restart_reason()).
// Peer slots: a peer lives in peers_[index] with PeerId index + 1 for its whole life.  A
// removed peer leaves an empty slot that is never reused (a reset peer moves to a new
// slot), so a late connect outcome or timer for it finds nothing and is dropped, and a
// PeerId never names two peers.  The cost is one pointer per peer ever configured.
//
// Pure logic: the network and the clock come in through NetworkIo/NetworkEvents and
// TimerService, the kernel through RouteSink, so unit tests run whole sessions between
// two speakers in memory.  Single-threaded: every method runs on the event loop.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bgp/fsm/session_fsm.h"
#include "bgp/rib/adj_rib_in.h"
#include "bgp/rib/adj_rib_out.h"
#include "bgp/rib/attr_store.h"
#include "bgp/rib/loc_rib.h"
#include "bgp/rib/peer_info.h"
#include "bgp/speaker/config.h"
#include "bgp/speaker/io.h"
#include "bgp/speaker/kernel_sync.h"
#include "bgp/wire/codec.h"
#include "common/log.h"
#include "common/timer.h"

namespace calico::bgp {

class Speaker final : public NetworkEvents {
 public:
  // `kernel` may be null (no FIB programming).  The speaker does nothing until start().
  Speaker(SpeakerConfig config, TimerService& timers, NetworkIo& net, RouteSink* kernel);
  ~Speaker() override;
  Speaker(const Speaker&) = delete;
  Speaker& operator=(const Speaker&) = delete;

  // Reads the kernel routes of our protocol (kept until convergence), originates the
  // configured blocks and starts every peer.
  Result<void, std::string> start();
  // Sends Cease/Administrative Shutdown (with `communication`, RFC 9003) to every peer and
  // closes the sessions.  Kernel routes are left in place for the next run.
  void shutdown(const std::string& communication);

  // Starts/stops originating one of this node's blocks.
  void announce(const Prefix& prefix);
  void withdraw(const Prefix& prefix);
  // Replaces the whole originated set (felix: the node's affine IPAM blocks): withdraws
  // what is no longer in `prefixes`, announces what is new, leaves the rest alone.
  // Prefixes are masked.  Before start() it replaces the configured `originate` list.
  void set_originated(const std::set<Prefix>& prefixes);
  const std::set<Prefix>& originated() const { return originated_; }

  // What a set_peers() call did, by peer.
  struct PeerSetChange {
    std::size_t added = 0;      // new identity: started
    std::size_t removed = 0;    // gone: Cease/Peer De-configured
    std::size_t reset = 0;      // settings changed: Cease/Other Configuration Change, restarted
    std::size_t updated = 0;    // name or connect-retry time changed in place
    std::size_t unchanged = 0;  // untouched
  };
  // Replaces the peer set (see "Live reconfiguration" above).  Fails without changing
  // anything when a peer's settings are invalid, an identity (address + port) is listed
  // twice, or after shutdown().  Before start() it only records the set.
  Result<PeerSetChange, std::string> set_peers(std::vector<PeerConfig> peers);
  // The current peer set, in slot order.
  const std::vector<PeerConfig>& peers() const { return config_.peers; }
  // A whole new configuration (calico-bgp's reload): refused, changing nothing, when
  // restart_reason() names a setting that needs a new speaker or set_peers() rejects the
  // peers; otherwise set_peers(next.peers) and set_originated(next.originate), which makes
  // `next.originate` replace blocks announced through the control socket too.
  Result<PeerSetChange, std::string> reconfigure(const SpeakerConfig& next);

  // Control socket requests: "status", "routes", "announce <cidr>", "withdraw <cidr>".
  std::string handle_control(const std::string& request);
  nlohmann::json status() const;
  nlohmann::json routes() const;

  // NetworkEvents
  void on_connected(std::size_t peer_index, std::unique_ptr<Connection> conn) override;
  void on_connect_failed(std::size_t peer_index, const std::string& reason) override;
  void on_accepted(std::unique_ptr<Connection> conn) override;
  void on_bytes(ConnId conn, std::span<const std::uint8_t> bytes) override;
  void on_closed(ConnId conn, const std::string& reason) override;

  // For tests.
  const LocRib& loc_rib() const { return *loc_rib_; }
  // "" for an empty (removed) or unknown slot.
  std::string peer_state(std::size_t peer_index) const;
  // The slot of the current peer with this identity.
  std::optional<std::size_t> peer_index(const net::IpAddr& address, std::uint16_t port = 179) const;
  bool kernel_converged() const { return kernel_ && kernel_->converged(); }

 private:
  struct Session;
  struct Peer;

  Peer* peer_by_index(std::size_t i);
  Session* session_by_id(std::size_t peer_index, std::uint64_t sid);
  std::unique_ptr<Session> make_session(std::size_t peer_index);
  fsm::SessionConfig session_config(const PeerConfig& cfg) const;
  // Appends a slot for `cfg` (not started); returns its index.
  std::size_t add_peer(const PeerConfig& cfg);
  void start_peer(std::size_t peer_index);
  // Cease (with `cease_subcode`) on every session of the peer, withdraws its routes and
  // empties its slot.
  void remove_peer(std::size_t peer_index, std::uint8_t cease_subcode);
  // Cancels the session's timers and closes its connection; its counters are kept.
  void discard_session(Peer& p, std::unique_ptr<Session>& s);
  // Feeds one event to a session's FSM and executes the actions.  The session may be
  // destroyed by the time it returns (collision loser); re-look it up by id.
  void feed(std::size_t peer_index, std::uint64_t sid, const fsm::Event& ev);
  void execute(std::size_t peer_index, std::uint64_t sid, const fsm::Action& a);
  void send_message(Session& s, const Message& m);
  void close_connection(Session& s);
  void process_messages(std::size_t peer_index, std::uint64_t sid);
  // RFC 4271 §6.8; returns false if `sid` lost and was dumped.
  bool resolve_collision(std::size_t peer_index, std::uint64_t sid, const Open& open);
  void promote_if_needed(std::size_t peer_index);

  void session_up(Peer& p, Session& s, const fsm::Negotiated& n);
  void session_down(Peer& p, const std::string& reason);
  void apply_update(Peer& p, const Decoded& d);
  void propagate(const std::vector<LocRibChange>& changes);
  void send_updates(Peer& p, std::vector<Update> updates);
  void send_full_table(Peer& p, std::optional<AfiSafi> only);
  void kernel_update(const std::vector<LocRibChange>& changes);
  void schedule_kernel_flush(std::chrono::milliseconds delay);
  void kernel_flush();
  void check_convergence();

  SpeakerConfig config_;
  TimerService& timers_;
  NetworkIo& net_;
  Logger log_;
  AttrStore attrs_;
  PeerTable peer_table_;
  std::unique_ptr<AdjRibIn> adj_in_;
  std::unique_ptr<LocRib> loc_rib_;
  std::vector<std::unique_ptr<Peer>> peers_;  // slots; null = removed (never reused)
  std::map<ConnId, std::pair<std::size_t, std::uint64_t>> conns_;  // -> (peer, session)
  std::uint64_t next_sid_ = 0;
  std::set<Prefix> originated_;
  std::unique_ptr<KernelSync> kernel_;
  TimerService::TimerId kernel_timer_ = 0;
  std::chrono::milliseconds kernel_backoff_{0};
  TimerService::TimerId converge_timer_ = 0;
  std::uint64_t settle_seq_ = 0;
  std::map<std::uint64_t, TimerService::TimerId> settle_timers_;  // per session-up re-checks
  SteadyTime started_at_{};
  bool started_ = false;
  bool shutting_down_ = false;
};

}  // namespace calico::bgp
