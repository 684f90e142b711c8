// The BGP-4 finite state machine of RFC 4271 §8, as pure logic.
//
// SessionFsm owns no socket, clock, thread or logger.  The peer glue feeds it events
// (administrative commands, TCP outcomes, timer expiries, decoded messages) through
// handle(), and executes the returned actions IN ORDER: connect, close, send a message,
// (re)start or stop a timer, tell the RIB the session is up or down, let an UPDATE or
// ROUTE-REFRESH through.  Everything is deterministic, so tests drive it directly.
//
// One SessionFsm = one session attempt over at most one TCP connection at a time:
//   * Connect:      an outbound connect attempt is in progress (no connection yet);
//   * Active:       waiting for the peer to connect, or for ConnectRetryTimer;
//   * OpenSent, OpenConfirm, Established: the FSM owns exactly one connection;
//   * Idle:         nothing; possibly waiting for IdleHoldTimer to restart.
// ConnectTcp asks the glue to start an outbound attempt for this FSM.  CloseTcp drops
// whatever the FSM owns (the attempt in progress, or the connection; after a
// SendNotification, flush it first).  TcpConnectionConfirmed hands an accepted connection
// to an FSM in Connect or Active (accepts_connection()); in Connect it supersedes the
// outbound attempt, which the glue abandons.  After CloseTcp the glue must deliver no
// further message from that connection.
//
// Timers: StartTimer (re)arms the timer of that kind for this FSM, cancelling a pending
// one; StopTimer cancels it.  The FSM remembers which timers it has running and ignores
// the expiry of any other (a stale expiry racing with a cancel), so timer events never
// cause the RFC's "any other event" resets.  Jitter (RFC 4271 §10) is the glue's choice.
//
// Decisions beyond, or deviating from, RFC 4271 §8.2.2 (each is noted at the rule too):
//   * DelayOpen and the optional SendNOTIFICATIONwithoutOPEN / CollisionDetectEstablished
//     attributes are not implemented (all "false").  Hence an FSM in Connect or Active
//     never owns a connection, and a message event there is the RFC's "any other event":
//     back to Idle (with backoff), nothing sent.
//   * TcpConnectionFails in Connect (connect refused or timed out) goes to Active and
//     retries after ConnectRetryTime instead of Idle: a peer that is not up yet is not an
//     error worth damping, and Active keeps accepting the peer's own connection.  In Active
//     and Idle there is no connection to fail; the event is ignored.
//   * Passive sessions run no ConnectRetryTimer in Active (see SessionConfig::passive).
//   * Automatic restart: after an error the FSM goes to Idle and starts IdleHoldTimer
//     (RFC 4271 §8.1.1 DampPeerOscillations, event 13); its expiry restarts the session.
//     The wait doubles per error up to idle_hold_max, and is reset by ManualStart or by a
//     session that stays Established for backoff_reset_time (the BackoffReset timer).
//     AutomaticStart is ignored while the IdleHoldTimer runs and while the session is
//     administratively down (never started, or ManualStop).
//   * ManualStop and OpenCollisionDump go to Idle without automatic restart.  After a
//     collision dump the session is still administratively up: the glue discards the
//     losing FSM, or sends it AutomaticStart when it wants it back.
//   * A message-header error in Established sends Message Header Error (RFC 4271 §6.1)
//     rather than the FSM Error that §8.2.2 lists for event 21; any OPEN (valid or not) in
//     Established is an FSM Error (RFC 6608 "unexpected message in Established").
//   * A second OPEN on a connection in OpenConfirm is an FSM Error (RFC 6608 subcode 2):
//     collisions between two connections are resolved by the glue across two FSMs before
//     the OPEN is delivered (collision.h).
//   * ROUTE-REFRESH received in Established restarts the hold timer like KEEPALIVE and
//     UPDATE do (it is as good a sign of life); sending one does not restart our keepalive
//     timer, because the peer may follow RFC 4271 §4.4 literally and not count it.
//   * Counters are cumulative over the FSM's lifetime, across sessions.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "bgp/fsm/negotiation.h"
#include "bgp/wire/errors.h"
#include "bgp/wire/messages.h"

namespace calico::bgp::fsm {

// RFC 4271 §8.2.2 session states.
enum class State : std::uint8_t { Idle, Connect, Active, OpenSent, OpenConfirm, Established };
std::string_view to_string(State s);  // "Idle", "OpenSent", ...

// The timers of RFC 4271 §8 (ConnectRetry, Hold, Keepalive, IdleHold) plus BackoffReset,
// which marks a session as stable enough to forget earlier errors.
enum class TimerKind : std::uint8_t { ConnectRetry, Hold, Keepalive, IdleHold, BackoffReset };
inline constexpr std::size_t kTimerKinds = 5;
std::string_view to_string(TimerKind t);

// Who opened a connection: us (ConnectTcp + TcpConnectionAcknowledged) or the peer
// (TcpConnectionConfirmed).  Collision resolution keys on it (collision.h).
enum class Initiator : std::uint8_t { Local, Remote };

// ---- Events (RFC 4271 §8.1; the RFC's event numbers are given) ----------------------

// Events 1 and 4.  `passive_once` starts in Active, waiting for the peer, for this start
// only: the glue uses it for an FSM created to carry a connection the peer opened.
struct ManualStart {
  bool passive_once = false;
  bool operator==(const ManualStart&) const = default;
};
// Event 2.  With a connection, sends Cease with `cease_subcode` (Administrative Shutdown
// by default; Peer De-configured, Administrative Reset, ... as the operator's intent is),
// carrying `communication` as an RFC 9003 Shutdown Communication for subcodes 2 and 4.
struct ManualStop {
  std::uint8_t cease_subcode = cease::kAdministrativeShutdown;
  std::string communication;
  bool operator==(const ManualStop&) const = default;
};
// Events 3 and 5.  Ignored unless the session is administratively up, Idle, and not
// waiting for IdleHoldTimer.
struct AutomaticStart {
  bool passive_once = false;
  bool operator==(const AutomaticStart&) const = default;
};
// Event 8 (e.g. maximum prefixes reached, RFC 4486): like ManualStop but followed by
// the automatic restart backoff.  `data` goes into the Cease NOTIFICATION.
struct AutomaticStop {
  std::uint8_t cease_subcode = cease::kMaxPrefixesReached;
  std::vector<std::uint8_t> data;
  std::string reason;  // for last_error(), e.g. "received 1001 prefixes, limit 1000"
  bool operator==(const AutomaticStop&) const = default;
};
// Event 17: the peer's connection was accepted and handed to this FSM.
struct TcpConnectionConfirmed {
  bool operator==(const TcpConnectionConfirmed&) const = default;
};
// Event 16: our ConnectTcp succeeded.
struct TcpConnectionAcknowledged {
  bool operator==(const TcpConnectionAcknowledged&) const = default;
};
// Event 18: the connect attempt failed, or the connection broke or was closed by the peer.
struct TcpConnectionFails {
  std::string reason;  // "connection refused", "end of stream", ...
  bool operator==(const TcpConnectionFails&) const = default;
};
// Events 9-13 (and BackoffReset): a timer started by StartTimer went off.
struct TimerExpires {
  TimerKind timer = TimerKind::ConnectRetry;
  bool operator==(const TimerExpires&) const = default;
};
// Event 19: an OPEN was decoded.  The FSM runs negotiate() on it.
struct BgpOpen {
  Open open;
  bool operator==(const BgpOpen&) const = default;
};
// Events 21, 22, 28 and a ROUTE-REFRESH decode error (RFC 7313 §5): a decode error whose
// action is SessionReset.  Softer UPDATE errors (treat-as-withdraw, attribute discard) are
// not FSM events: deliver UpdateMsg and apply the decoded result.  decode_error_event()
// picks the right one.
struct BgpHeaderErr {
  DecodeError error;
};
struct BgpOpenMsgErr {
  DecodeError error;
};
struct UpdateMsgErr {
  DecodeError error;
};
struct RouteRefreshMsgErr {
  DecodeError error;
};
// Events 24 and 25: a NOTIFICATION arrived (version errors are not treated specially;
// only version 4 exists).
struct NotifMsg {
  Notification notification;
  bool operator==(const NotifMsg&) const = default;
};
// Event 26.
struct KeepAliveMsg {
  bool operator==(const KeepAliveMsg&) const = default;
};
// Event 27.  No payload: the glue hands the UPDATE to the RIB only when the FSM answers
// with ProcessUpdate.
struct UpdateMsg {
  bool operator==(const UpdateMsg&) const = default;
};
// RFC 2918 ROUTE-REFRESH received; answered with ProcessRouteRefresh in Established.
struct RouteRefreshMsg {
  bool operator==(const RouteRefreshMsg&) const = default;
};
// Event 23: this connection lost collision resolution (RFC 4271 §6.8).
struct OpenCollisionDump {
  bool operator==(const OpenCollisionDump&) const = default;
};
// The glue sent an UPDATE / a ROUTE-REFRESH on this session.  RFC 4271 §8.2.2: each
// KEEPALIVE or UPDATE sent restarts the KeepaliveTimer.  Both feed the counters.
struct UpdateSent {
  bool operator==(const UpdateSent&) const = default;
};
struct RouteRefreshSent {
  bool operator==(const RouteRefreshSent&) const = default;
};

using Event =
    std::variant<ManualStart, ManualStop, AutomaticStart, AutomaticStop, TcpConnectionConfirmed,
                 TcpConnectionAcknowledged, TcpConnectionFails, TimerExpires, BgpOpen, BgpHeaderErr,
                 BgpOpenMsgErr, UpdateMsgErr, RouteRefreshMsgErr, NotifMsg, KeepAliveMsg, UpdateMsg,
                 RouteRefreshMsg, OpenCollisionDump, UpdateSent, RouteRefreshSent>;
std::string_view event_name(const Event& e);  // "ManualStart", "TimerExpires", ...

// Maps a SessionReset DecodeError to its event.  `type` is the message type from a header
// that decoded (nullopt when the header itself was bad).  Header-level errors (code 1)
// are BgpHeaderErr whatever the type; so are errors in NOTIFICATION/KEEPALIVE messages.
Event decode_error_event(DecodeError error, std::optional<MessageType> type);

// ---- Actions -------------------------------------------------------------------------

struct ConnectTcp {
  bool operator==(const ConnectTcp&) const = default;
};
struct CloseTcp {
  bool operator==(const CloseTcp&) const = default;
};
struct SendOpen {
  Open open;
  bool operator==(const SendOpen&) const = default;
};
struct SendKeepalive {
  bool operator==(const SendKeepalive&) const = default;
};
struct SendNotification {
  Notification notification;
  bool operator==(const SendNotification&) const = default;
};
struct StartTimer {
  TimerKind timer = TimerKind::ConnectRetry;
  std::chrono::seconds duration{0};  // always > 0
  bool operator==(const StartTimer&) const = default;
};
struct StopTimer {
  TimerKind timer = TimerKind::ConnectRetry;
  bool operator==(const StopTimer&) const = default;
};
// Entered Established: the glue creates the RIB's view of the peer and starts sending
// UPDATEs (with negotiated.codec_options()).
struct SessionUp {
  Negotiated negotiated;
  bool operator==(const SessionUp&) const = default;
};
// Left Established; emitted exactly once per SessionUp, after the NOTIFICATION (if any)
// and CloseTcp.  The glue withdraws every route learned from the peer.
struct SessionDown {
  std::string reason;                    // same text as last_error()
  std::optional<Notification> sent;      // the NOTIFICATION we sent, if any
  std::optional<Notification> received;  // the NOTIFICATION that ended it, if any
  bool operator==(const SessionDown&) const = default;
};
// Established: decode the UPDATE and apply it to the RIB.
struct ProcessUpdate {
  bool operator==(const ProcessUpdate&) const = default;
};
// Established: re-advertise the requested family (RFC 2918 §4, RFC 7313).
struct ProcessRouteRefresh {
  bool operator==(const ProcessRouteRefresh&) const = default;
};

using Action =
    std::variant<ConnectTcp, CloseTcp, SendOpen, SendKeepalive, SendNotification, StartTimer,
                 StopTimer, SessionUp, SessionDown, ProcessUpdate, ProcessRouteRefresh>;
// "SendNotification(Cease/Administrative Shutdown)", "StartTimer(Hold, 90s)", ...
std::string to_string(const Action& a);

// ---- Status --------------------------------------------------------------------------

struct MessageCounts {
  std::uint64_t open = 0;
  std::uint64_t update = 0;
  std::uint64_t notification = 0;
  std::uint64_t keepalive = 0;
  std::uint64_t route_refresh = 0;
  bool operator==(const MessageCounts&) const = default;
};

struct Counters {
  MessageCounts received;  // message events handled, malformed ones included
  MessageCounts sent;      // Send* actions emitted, plus UpdateSent / RouteRefreshSent
  std::uint64_t established_transitions = 0;
  bool operator==(const Counters&) const = default;
};

// ---- The state machine ---------------------------------------------------------------

class SessionFsm {
 public:
  // `config` must pass validate_config() (checked).  Starts Idle and administratively
  // down; ManualStart brings it up.
  explicit SessionFsm(SessionConfig config);

  // Feeds one event; returns the actions to execute, in order.
  std::vector<Action> handle(const Event& event);

  State state() const { return state_; }
  // Present in OpenConfirm and Established.
  const std::optional<Negotiated>& negotiated() const { return negotiated_; }
  // Why the session last went down or failed to come up, for status display:
  // "hold timer expired", "received NOTIFICATION Cease/Administrative Shutdown",
  // "sent NOTIFICATION OPEN Message Error/Bad Peer AS: peer AS 65002, expected 65001".
  // Kept across restarts; empty until something went wrong.
  const std::string& last_error() const { return last_error_; }
  const Counters& counters() const { return counters_; }
  const SessionConfig& config() const { return config_; }
  // Live reconfiguration: the next ConnectRetryTimer uses `t` (a running one keeps its
  // deadline).  Nothing else of the config can change on a live FSM.
  void set_connect_retry_time(std::chrono::seconds t);

  bool admin_up() const { return admin_up_; }
  // TcpConnectionConfirmed is meaningful only in Connect and Active; otherwise the glue
  // must give the connection to another FSM or close it (see collision.h).
  bool accepts_connection() const { return state_ == State::Connect || state_ == State::Active; }
  // Who opened the current connection (OpenSent, OpenConfirm, Established).
  std::optional<Initiator> initiator() const { return initiator_; }
  bool timer_running(TimerKind t) const { return running_[static_cast<std::size_t>(t)]; }
  // The IdleHoldTimer duration the next error will use.
  std::chrono::seconds next_idle_hold() const { return next_idle_hold_; }

 private:
  // How a session attempt ends (see go_idle()).
  struct Down {
    explicit Down(std::string why = {}, std::optional<Notification> notify = std::nullopt)
        : reason(std::move(why)), send(std::move(notify)) {}
    std::string reason;
    std::optional<Notification> send;      // NOTIFICATION to send before closing
    std::optional<Notification> received;  // NOTIFICATION that caused it
    bool restart = true;                   // arm IdleHoldTimer (automatic restart)
  };

  void on(const ManualStart& e, std::vector<Action>& out);
  void on(const ManualStop& e, std::vector<Action>& out);
  void on(const AutomaticStart& e, std::vector<Action>& out);
  void on(const AutomaticStop& e, std::vector<Action>& out);
  void on(const TcpConnectionConfirmed& e, std::vector<Action>& out);
  void on(const TcpConnectionAcknowledged& e, std::vector<Action>& out);
  void on(const TcpConnectionFails& e, std::vector<Action>& out);
  void on(const TimerExpires& e, std::vector<Action>& out);
  void on(const BgpOpen& e, std::vector<Action>& out);
  void on(const BgpHeaderErr& e, std::vector<Action>& out);
  void on(const BgpOpenMsgErr& e, std::vector<Action>& out);
  void on(const UpdateMsgErr& e, std::vector<Action>& out);
  void on(const RouteRefreshMsgErr& e, std::vector<Action>& out);
  void on(const NotifMsg& e, std::vector<Action>& out);
  void on(const KeepAliveMsg& e, std::vector<Action>& out);
  void on(const UpdateMsg& e, std::vector<Action>& out);
  void on(const RouteRefreshMsg& e, std::vector<Action>& out);
  void on(const OpenCollisionDump& e, std::vector<Action>& out);
  void on(const UpdateSent& e, std::vector<Action>& out);
  void on(const RouteRefreshSent& e, std::vector<Action>& out);

  bool connected() const;
  void start(bool passive_once, std::vector<Action>& out);
  void connection_up(Initiator who, std::vector<Action>& out);
  void go_idle(Down down, std::vector<Action>& out);
  // A message that the current state does not expect (RFC 6608).
  void unexpected_message(std::string_view what, std::vector<Action>& out);
  // A SessionReset decode error received in a state that processes that message type.
  void decode_failure(const DecodeError& error, std::vector<Action>& out);
  void restart_hold_timer(std::vector<Action>& out);
  void start_timer(TimerKind t, std::chrono::seconds d, std::vector<Action>& out);
  void stop_timer(TimerKind t, std::vector<Action>& out);
  void send(Action a, std::vector<Action>& out);

  SessionConfig config_;
  Open local_open_;
  State state_ = State::Idle;
  bool admin_up_ = false;
  std::optional<Negotiated> negotiated_;
  std::optional<Initiator> initiator_;
  std::array<bool, kTimerKinds> running_{};
  std::chrono::seconds next_idle_hold_;
  std::string last_error_;
  Counters counters_;
};

}  // namespace calico::bgp::fsm
