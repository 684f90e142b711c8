// RFC 4271 §8.2.2 transitions (see session_fsm.h for the model and the decisions).
#include "bgp/fsm/session_fsm.h"

#include <algorithm>
#include <utility>

#include "bgp/fsm/notification_text.h"
#include "common/result.h"

namespace calico::bgp::fsm {
namespace {

Notification make_notification(ErrorCode code, std::uint8_t subcode,
                               std::vector<std::uint8_t> data = {}) {
  return Notification{static_cast<std::uint8_t>(code), subcode, std::move(data)};
}

std::string sent_reason(const Notification& n, std::string_view detail = {}) {
  std::string text = "sent NOTIFICATION " + describe_notification(n);
  if (!detail.empty()) {
    text += ": ";
    text += detail;
  }
  return text;
}

std::string with_detail(std::string text, std::string_view detail) {
  if (!detail.empty()) {
    text += ": ";
    text += detail;
  }
  return text;
}

constexpr std::array<std::string_view, std::variant_size_v<Event>> kEventNames{
    "ManualStart",
    "ManualStop",
    "AutomaticStart",
    "AutomaticStop",
    "TcpConnectionConfirmed",
    "TcpConnectionAcknowledged",
    "TcpConnectionFails",
    "TimerExpires",
    "BgpOpen",
    "BgpHeaderErr",
    "BgpOpenMsgErr",
    "UpdateMsgErr",
    "RouteRefreshMsgErr",
    "NotifMsg",
    "KeepAliveMsg",
    "UpdateMsg",
    "RouteRefreshMsg",
    "OpenCollisionDump",
    "UpdateSent",
    "RouteRefreshSent"};

}  // namespace

std::string_view to_string(State s) {
  switch (s) {
    case State::Idle:
      return "Idle";
    case State::Connect:
      return "Connect";
    case State::Active:
      return "Active";
    case State::OpenSent:
      return "OpenSent";
    case State::OpenConfirm:
      return "OpenConfirm";
    case State::Established:
      return "Established";
  }
  return "?";
}

std::string_view to_string(TimerKind t) {
  switch (t) {
    case TimerKind::ConnectRetry:
      return "ConnectRetry";
    case TimerKind::Hold:
      return "Hold";
    case TimerKind::Keepalive:
      return "Keepalive";
    case TimerKind::IdleHold:
      return "IdleHold";
    case TimerKind::BackoffReset:
      return "BackoffReset";
  }
  return "?";
}

std::string_view event_name(const Event& e) {
  return kEventNames[e.index()];
}

Event decode_error_event(DecodeError error, std::optional<MessageType> type) {
  if (!type || error.code == ErrorCode::MessageHeader) {
    return BgpHeaderErr{std::move(error)};
  }
  switch (*type) {
    case MessageType::Open:
      return BgpOpenMsgErr{std::move(error)};
    case MessageType::Update:
      return UpdateMsgErr{std::move(error)};
    case MessageType::RouteRefresh:
      return RouteRefreshMsgErr{std::move(error)};
    case MessageType::Notification:
    case MessageType::Keepalive:
      break;
  }
  return BgpHeaderErr{std::move(error)};
}

std::string to_string(const Action& a) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, ConnectTcp>) {
          return "ConnectTcp";
        } else if constexpr (std::is_same_v<T, CloseTcp>) {
          return "CloseTcp";
        } else if constexpr (std::is_same_v<T, SendOpen>) {
          return "SendOpen(AS " + std::to_string(x.open.asn()) + ", hold " +
                 std::to_string(x.open.hold_time_s) + "s, id " + format_router_id(x.open.bgp_id) +
                 ")";
        } else if constexpr (std::is_same_v<T, SendKeepalive>) {
          return "SendKeepalive";
        } else if constexpr (std::is_same_v<T, SendNotification>) {
          return "SendNotification(" + describe_notification(x.notification) + ")";
        } else if constexpr (std::is_same_v<T, StartTimer>) {
          return "StartTimer(" + std::string(to_string(x.timer)) + ", " +
                 std::to_string(x.duration.count()) + "s)";
        } else if constexpr (std::is_same_v<T, StopTimer>) {
          return "StopTimer(" + std::string(to_string(x.timer)) + ")";
        } else if constexpr (std::is_same_v<T, SessionUp>) {
          return "SessionUp(AS " + std::to_string(x.negotiated.peer_as) + ", hold " +
                 std::to_string(x.negotiated.hold_time.count()) + "s)";
        } else if constexpr (std::is_same_v<T, SessionDown>) {
          return "SessionDown(" + x.reason + ")";
        } else if constexpr (std::is_same_v<T, ProcessUpdate>) {
          return "ProcessUpdate";
        } else {
          static_assert(std::is_same_v<T, ProcessRouteRefresh>);
          return "ProcessRouteRefresh";
        }
      },
      a);
}

SessionFsm::SessionFsm(SessionConfig config)
    : config_(std::move(config)),
      local_open_(local_open(config_)),
      next_idle_hold_(config_.idle_hold_initial) {
  CALICO_CHECK(validate_config(config_).has_value());
}

void SessionFsm::set_connect_retry_time(std::chrono::seconds t) {
  CALICO_CHECK(t.count() >= 1);
  config_.connect_retry_time = t;
}

std::vector<Action> SessionFsm::handle(const Event& event) {
  std::vector<Action> out;
  std::visit([&](const auto& e) { on(e, out); }, event);
  return out;
}

// ---- helpers -----------------------------------------------------------------------

bool SessionFsm::connected() const {
  return state_ == State::OpenSent || state_ == State::OpenConfirm || state_ == State::Established;
}

void SessionFsm::start_timer(TimerKind t, std::chrono::seconds d, std::vector<Action>& out) {
  running_[static_cast<std::size_t>(t)] = true;
  out.push_back(StartTimer{t, d});
}

void SessionFsm::stop_timer(TimerKind t, std::vector<Action>& out) {
  auto& running = running_[static_cast<std::size_t>(t)];
  if (running) {
    running = false;
    out.push_back(StopTimer{t});
  }
}

void SessionFsm::send(Action a, std::vector<Action>& out) {
  if (std::holds_alternative<SendOpen>(a)) {
    ++counters_.sent.open;
  } else if (std::holds_alternative<SendKeepalive>(a)) {
    ++counters_.sent.keepalive;
  } else if (std::holds_alternative<SendNotification>(a)) {
    ++counters_.sent.notification;
  }
  out.push_back(std::move(a));
}

// RFC 4271 §8.2.2 Idle, events 1/3 (→ Connect: start ConnectRetryTimer, initiate the
// connection) and events 4/5 (→ Active).  Passive sessions run no ConnectRetryTimer.
void SessionFsm::start(bool passive_once, std::vector<Action>& out) {
  if (config_.passive || passive_once) {
    state_ = State::Active;
    if (!config_.passive) {
      start_timer(TimerKind::ConnectRetry, config_.connect_retry_time, out);
    }
    return;
  }
  state_ = State::Connect;
  start_timer(TimerKind::ConnectRetry, config_.connect_retry_time, out);
  out.push_back(ConnectTcp{});
}

// RFC 4271 §8.2.2 Connect/Active, events 16/17 without DelayOpen: stop ConnectRetryTimer,
// send OPEN, set the HoldTimer to a large value (4 minutes), → OpenSent.
void SessionFsm::connection_up(Initiator who, std::vector<Action>& out) {
  stop_timer(TimerKind::ConnectRetry, out);
  initiator_ = who;
  send(SendOpen{local_open_}, out);
  start_timer(TimerKind::Hold, kOpenSentHoldTime, out);
  state_ = State::OpenSent;
}

// The common tail of every transition to Idle (RFC 4271 §8.2.2: "sends the NOTIFICATION,
// sets ConnectRetryTimer to zero, releases all BGP resources, drops the TCP connection,
// [increments the ConnectRetryCounter, performs peer oscillation damping,] changes its
// state to Idle").  Established also "deletes all routes": SessionDown.
void SessionFsm::go_idle(Down down, std::vector<Action>& out) {
  const State was = state_;
  if (down.send && connected()) {
    send(SendNotification{*down.send}, out);
  } else {
    down.send.reset();
  }
  if (connected() || was == State::Connect) {
    out.push_back(CloseTcp{});
  }
  for (std::size_t i = 0; i < kTimerKinds; ++i) {
    stop_timer(static_cast<TimerKind>(i), out);
  }
  state_ = State::Idle;
  negotiated_.reset();
  initiator_.reset();
  last_error_ = down.reason;
  if (was == State::Established) {
    out.push_back(SessionDown{down.reason, down.send, down.received});
  }
  // DampPeerOscillations (RFC 4271 §8.1.1): restart after IdleHoldTimer, doubling it.
  if (down.restart && admin_up_) {
    start_timer(TimerKind::IdleHold, next_idle_hold_, out);
    next_idle_hold_ = std::min(next_idle_hold_ * 2, config_.idle_hold_max);
  }
}

// RFC 6608 §3: an unexpected message in OpenSent, OpenConfirm or Established is answered
// with FSM Error and the subcode naming the state.  In Connect and Active it is RFC 4271's
// "any other event": drop everything and go to Idle (there is no connection to send on).
// Idle ignores it (RFC 4271 §8.2.2 Idle: "any other event ... does not cause change").
void SessionFsm::unexpected_message(std::string_view what, std::vector<Action>& out) {
  std::uint8_t subcode = fsm_error::kUnspecified;
  switch (state_) {
    case State::Idle:
      return;
    case State::Connect:
    case State::Active:
      go_idle(Down{"unexpected " + std::string(what) + " in " + std::string(to_string(state_))},
              out);
      return;
    case State::OpenSent:
      subcode = fsm_error::kUnexpectedInOpenSent;
      break;
    case State::OpenConfirm:
      subcode = fsm_error::kUnexpectedInOpenConfirm;
      break;
    case State::Established:
      subcode = fsm_error::kUnexpectedInEstablished;
      break;
  }
  Notification n = make_notification(ErrorCode::Fsm, subcode);
  std::string reason = sent_reason(n, "unexpected " + std::string(what));
  go_idle(Down{std::move(reason), std::move(n)}, out);
}

// RFC 4271 §6.1-§6.3, RFC 7313 §5: a message that could not be decoded resets the session
// with the decoder's NOTIFICATION (events 21, 22, 28).
void SessionFsm::decode_failure(const DecodeError& error, std::vector<Action>& out) {
  Notification n = error.to_notification();
  std::string reason = sent_reason(n, error.reason);
  go_idle(Down{std::move(reason), std::move(n)}, out);
}

// RFC 4271 §8.2.2 OpenConfirm/Established: "restarts its HoldTimer, if the negotiated
// HoldTime value is non-zero".
void SessionFsm::restart_hold_timer(std::vector<Action>& out) {
  if (negotiated_ && negotiated_->hold_time.count() > 0) {
    start_timer(TimerKind::Hold, negotiated_->hold_time, out);
  }
}

// ---- administrative events ------------------------------------------------------------

// Event 1/4.  Only Idle acts ("In [other] states, ManualStart is ignored").  A manual
// start forgets earlier errors: the backoff starts over.
void SessionFsm::on(const ManualStart& e, std::vector<Action>& out) {
  if (state_ != State::Idle) {
    return;
  }
  admin_up_ = true;
  next_idle_hold_ = config_.idle_hold_initial;
  stop_timer(TimerKind::IdleHold, out);
  start(e.passive_once, out);
}

// Event 2.  In Idle it cancels a pending automatic restart.  With a connection: Cease
// NOTIFICATION (RFC 4486 subcode, RFC 9003 Shutdown Communication), drop, → Idle.
void SessionFsm::on(const ManualStop& e, std::vector<Action>& out) {
  admin_up_ = false;
  if (state_ == State::Idle) {
    stop_timer(TimerKind::IdleHold, out);
    return;
  }
  Down down;
  down.restart = false;
  if (connected()) {
    std::vector<std::uint8_t> data;
    if (e.cease_subcode == cease::kAdministrativeShutdown ||
        e.cease_subcode == cease::kAdministrativeReset) {
      data = encode_shutdown_communication(e.communication);
    }
    Notification n = make_notification(ErrorCode::Cease, e.cease_subcode, std::move(data));
    down.reason = sent_reason(n);
    down.send = std::move(n);
  } else {
    down.reason = with_detail("stopped", e.communication);
  }
  go_idle(std::move(down), out);
}

// Event 3/5.  Gated: administratively up, Idle, and no IdleHoldTimer pending.
void SessionFsm::on(const AutomaticStart& e, std::vector<Action>& out) {
  if (state_ != State::Idle || !admin_up_ || timer_running(TimerKind::IdleHold)) {
    return;
  }
  start(e.passive_once, out);
}

// Event 8: Cease with the given subcode, → Idle, automatic restart after the backoff.
void SessionFsm::on(const AutomaticStop& e, std::vector<Action>& out) {
  if (state_ == State::Idle) {
    return;
  }
  Down down;
  if (connected()) {
    Notification n = make_notification(ErrorCode::Cease, e.cease_subcode, e.data);
    down.reason = sent_reason(n, e.reason);
    down.send = std::move(n);
  } else {
    down.reason = with_detail("automatic stop", e.reason);
  }
  go_idle(std::move(down), out);
}

// ---- transport events -------------------------------------------------------------------

// Event 17.  Connect/Active: → OpenSent.  Elsewhere ignored: Idle refuses connections and
// a second connection belongs to a second FSM (collision.h); the glue closes it.
void SessionFsm::on(const TcpConnectionConfirmed& /*e*/, std::vector<Action>& out) {
  if (accepts_connection()) {
    connection_up(Initiator::Remote, out);
  }
}

// Event 16.  RFC 4271 accepts it in Connect and Active alike.
void SessionFsm::on(const TcpConnectionAcknowledged& /*e*/, std::vector<Action>& out) {
  if (accepts_connection()) {
    connection_up(Initiator::Local, out);
  }
}

// Event 18.
void SessionFsm::on(const TcpConnectionFails& e, std::vector<Action>& out) {
  const std::string_view why = e.reason.empty() ? std::string_view("connection closed") : e.reason;
  switch (state_) {
    case State::Idle:
    case State::Active:
      return;  // nothing to fail (no DelayOpen): stale
    case State::Connect:
      // Deviation (see header): → Active and retry after ConnectRetryTime, not Idle.
      start_timer(TimerKind::ConnectRetry, config_.connect_retry_time, out);
      state_ = State::Active;
      last_error_ = with_detail("connect failed", why);
      return;
    case State::OpenSent:
      // RFC 4271 §8.2.2 OpenSent: close the connection, restart the ConnectRetryTimer,
      // continue to listen, → Active.
      out.push_back(CloseTcp{});
      stop_timer(TimerKind::Hold, out);
      initiator_.reset();
      state_ = State::Active;
      if (!config_.passive) {
        start_timer(TimerKind::ConnectRetry, config_.connect_retry_time, out);
      }
      last_error_ = with_detail("connection lost in OpenSent", why);
      return;
    case State::OpenConfirm:
    case State::Established:
      go_idle(Down{with_detail("connection lost", why)}, out);
      return;
  }
}

// Events 9-13 and BackoffReset.  Only timers this FSM started and did not stop count.
void SessionFsm::on(const TimerExpires& e, std::vector<Action>& out) {
  auto& running = running_[static_cast<std::size_t>(e.timer)];
  if (!running) {
    return;  // stale expiry
  }
  running = false;
  switch (e.timer) {
    case TimerKind::ConnectRetry:
      // Connect: drop the attempt, restart the timer, connect again.  Active: restart the
      // timer, connect, → Connect (RFC 4271 §8.2.2 event 9).
      if (state_ == State::Connect) {
        out.push_back(CloseTcp{});
      }
      start_timer(TimerKind::ConnectRetry, config_.connect_retry_time, out);
      out.push_back(ConnectTcp{});
      state_ = State::Connect;
      return;
    case TimerKind::Hold:
      // Event 10 in OpenSent, OpenConfirm, Established (RFC 4271 §6.5).
      go_idle(Down{"hold timer expired", make_notification(ErrorCode::HoldTimerExpired, 0)}, out);
      return;
    case TimerKind::Keepalive:
      // Event 11 in OpenConfirm/Established: send KEEPALIVE, restart the timer.
      CALICO_CHECK(negotiated_.has_value());
      send(SendKeepalive{}, out);
      start_timer(TimerKind::Keepalive, negotiated_->keepalive_time, out);
      return;
    case TimerKind::IdleHold:
      // Event 13: the automatic restart.
      if (state_ == State::Idle && admin_up_) {
        start(false, out);
      }
      return;
    case TimerKind::BackoffReset:
      // The session has been stable long enough: forget earlier errors.
      next_idle_hold_ = config_.idle_hold_initial;
      return;
  }
}

// ---- message events -------------------------------------------------------------------

// Event 19.
void SessionFsm::on(const BgpOpen& e, std::vector<Action>& out) {
  ++counters_.received.open;
  if (state_ != State::OpenSent) {
    unexpected_message("OPEN", out);  // OpenConfirm: RFC 6608 subcode 2; Established: 3
    return;
  }
  auto result = negotiate(config_, e.open);
  if (!result) {
    // RFC 4271 §6.2 / event 22: OPEN Message Error, → Idle.
    OpenRejection rejection = std::move(result).error();
    std::string reason = sent_reason(rejection.notification, rejection.reason);
    go_idle(Down{std::move(reason), std::move(rejection.notification)}, out);
    return;
  }
  // RFC 4271 §8.2.2 OpenSent event 19: send KEEPALIVE, set KeepaliveTimer and HoldTimer to
  // the negotiated values (neither runs when the hold time is zero), → OpenConfirm.
  negotiated_ = std::move(result).value();
  send(SendKeepalive{}, out);
  if (negotiated_->hold_time.count() > 0) {
    start_timer(TimerKind::Keepalive, negotiated_->keepalive_time, out);
    start_timer(TimerKind::Hold, negotiated_->hold_time, out);
  } else {
    stop_timer(TimerKind::Hold, out);
  }
  state_ = State::OpenConfirm;
}

// Event 21.  RFC 4271 §6.1 applies in every state with a connection (see header).
void SessionFsm::on(const BgpHeaderErr& e, std::vector<Action>& out) {
  if (connected()) {
    decode_failure(e.error, out);
  } else {
    unexpected_message("malformed message", out);
  }
}

// Event 22: OPEN Message Error in OpenSent/OpenConfirm; an OPEN in Established is
// unexpected whatever its content.
void SessionFsm::on(const BgpOpenMsgErr& e, std::vector<Action>& out) {
  ++counters_.received.open;
  if (state_ == State::OpenSent || state_ == State::OpenConfirm) {
    decode_failure(e.error, out);
  } else {
    unexpected_message("OPEN", out);
  }
}

// Event 28: UPDATE Message Error in Established; elsewhere the UPDATE itself is unexpected.
void SessionFsm::on(const UpdateMsgErr& e, std::vector<Action>& out) {
  ++counters_.received.update;
  if (state_ == State::Established) {
    decode_failure(e.error, out);
  } else {
    unexpected_message("UPDATE", out);
  }
}

// RFC 7313 §5: ROUTE-REFRESH Message Error in Established; unexpected elsewhere.
void SessionFsm::on(const RouteRefreshMsgErr& e, std::vector<Action>& out) {
  ++counters_.received.route_refresh;
  if (state_ == State::Established) {
    decode_failure(e.error, out);
  } else {
    unexpected_message("ROUTE-REFRESH", out);
  }
}

// Events 24/25: → Idle without sending anything (RFC 4271 §6.4: the connection is closed
// immediately after a NOTIFICATION).
void SessionFsm::on(const NotifMsg& e, std::vector<Action>& out) {
  ++counters_.received.notification;
  if (state_ == State::Idle) {
    return;
  }
  Down down{"received NOTIFICATION " + describe_notification(e.notification)};
  down.received = e.notification;
  go_idle(std::move(down), out);
}

// Event 26: OpenConfirm → Established; Established: restart the HoldTimer.
void SessionFsm::on(const KeepAliveMsg& /*e*/, std::vector<Action>& out) {
  ++counters_.received.keepalive;
  if (state_ == State::OpenConfirm) {
    restart_hold_timer(out);
    state_ = State::Established;
    ++counters_.established_transitions;
    start_timer(TimerKind::BackoffReset, config_.backoff_reset_time, out);
    out.push_back(SessionUp{*negotiated_});
  } else if (state_ == State::Established) {
    restart_hold_timer(out);
  } else {
    unexpected_message("KEEPALIVE", out);
  }
}

// Event 27: Established processes it and restarts the HoldTimer.
void SessionFsm::on(const UpdateMsg& /*e*/, std::vector<Action>& out) {
  ++counters_.received.update;
  if (state_ == State::Established) {
    out.push_back(ProcessUpdate{});
    restart_hold_timer(out);
  } else {
    unexpected_message("UPDATE", out);
  }
}

// RFC 2918 §4 / RFC 7313: Established processes it (and, see header, restarts the
// HoldTimer); elsewhere it is unexpected (RFC 6608).
void SessionFsm::on(const RouteRefreshMsg& /*e*/, std::vector<Action>& out) {
  ++counters_.received.route_refresh;
  if (state_ == State::Established) {
    out.push_back(ProcessRouteRefresh{});
    restart_hold_timer(out);
  } else {
    unexpected_message("ROUTE-REFRESH", out);
  }
}

// Event 23 (RFC 4271 §6.8): Cease / Connection Collision Resolution, → Idle.  No automatic
// restart: the surviving connection carries the session (see header).
void SessionFsm::on(const OpenCollisionDump& /*e*/, std::vector<Action>& out) {
  if (state_ == State::Idle) {
    return;
  }
  Down down;
  down.restart = false;
  if (connected()) {
    Notification n = make_notification(ErrorCode::Cease, cease::kConnectionCollisionResolution);
    down.reason = sent_reason(n);
    down.send = std::move(n);
  } else {
    down.reason = "connection collision resolution";
  }
  go_idle(std::move(down), out);
}

// RFC 4271 §8.2.2 Established: "Each time the local system sends a KEEPALIVE or UPDATE
// message, it restarts its KeepaliveTimer, unless the negotiated HoldTime value is zero."
void SessionFsm::on(const UpdateSent& /*e*/, std::vector<Action>& out) {
  if (state_ != State::Established) {
    return;
  }
  ++counters_.sent.update;
  if (negotiated_->hold_time.count() > 0) {
    start_timer(TimerKind::Keepalive, negotiated_->keepalive_time, out);
  }
}

void SessionFsm::on(const RouteRefreshSent& /*e*/, std::vector<Action>& /*out*/) {
  if (state_ == State::Established) {
    ++counters_.sent.route_refresh;
  }
}

}  // namespace calico::bgp::fsm
