// SessionFsm (RFC 4271 §8): happy paths, the State x Event transition matrix, timers,
// NOTIFICATIONs sent and received, RFC 6608 FSM errors, idle-hold backoff, counters.
// Pure and deterministic: time only passes when a test delivers TimerExpires.
#include <array>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "bgp/fsm/notification_text.h"
#include "bgp/fsm/session_fsm.h"

namespace calico::bgp::fsm {
namespace {

constexpr std::uint32_t kLocalAs = 65001;
constexpr std::uint32_t kPeerAs = 65002;
constexpr std::uint32_t kLocalId = 0x0A000001;  // 10.0.0.1
constexpr std::uint32_t kPeerId = 0x0A000002;   // 10.0.0.2

SessionConfig make_config(bool passive = false) {
  SessionConfig c;
  c.local_as = kLocalAs;
  c.local_router_id = kLocalId;
  c.peer_as = kPeerAs;
  c.passive = passive;
  return c;
}

Open peer_open(std::uint16_t hold = 90) {
  Open o;
  o.my_as = static_cast<std::uint16_t>(kPeerAs);
  o.hold_time_s = hold;
  o.bgp_id = kPeerId;
  o.caps.four_octet_as = kPeerAs;
  o.caps.multiprotocol = {kIpv4Unicast};
  o.caps.route_refresh = true;
  return o;
}

// "A, B, C": the exact action sequence, readable in failure output.
std::string render(const std::vector<Action>& actions) {
  std::string out;
  for (const Action& a : actions) {
    if (!out.empty()) {
      out += ", ";
    }
    out += to_string(a);
  }
  return out;
}

template <class T>
std::vector<T> all(const std::vector<Action>& actions) {
  std::vector<T> out;
  for (const Action& a : actions) {
    if (const T* t = std::get_if<T>(&a)) {
      out.push_back(*t);
    }
  }
  return out;
}

template <class T>
std::optional<T> first(const std::vector<Action>& actions) {
  auto v = all<T>(actions);
  if (v.empty()) {
    return std::nullopt;
  }
  return v.front();
}

DecodeError decode_error(ErrorCode code, std::uint8_t subcode) {
  DecodeError e;
  e.code = code;
  e.subcode = subcode;
  e.reason = "test";
  return e;
}

// Drives a fresh FSM to `target` along the active happy path.  Idle means "started, failed
// once, IdleHoldTimer running".
SessionFsm fsm_in(State target, SessionConfig config = make_config()) {
  SessionFsm fsm(std::move(config));
  if (target == State::Idle) {
    fsm.handle(ManualStart{});
    fsm.handle(TcpConnectionAcknowledged{});
    fsm.handle(NotifMsg{Notification{6, 2, {}}});
    EXPECT_EQ(fsm.state(), State::Idle);
    EXPECT_TRUE(fsm.timer_running(TimerKind::IdleHold));
    return fsm;
  }
  fsm.handle(ManualStart{});
  if (target == State::Connect) {
    return fsm;
  }
  if (target == State::Active) {
    fsm.handle(TcpConnectionFails{"connection refused"});
    EXPECT_EQ(fsm.state(), State::Active);
    return fsm;
  }
  fsm.handle(TcpConnectionAcknowledged{});
  if (target != State::OpenSent) {
    fsm.handle(BgpOpen{peer_open()});
    if (target != State::OpenConfirm) {
      fsm.handle(KeepAliveMsg{});
    }
  }
  EXPECT_EQ(fsm.state(), target);
  return fsm;
}

// ---- happy paths ---------------------------------------------------------------------

TEST(FsmSession, ActiveHappyPathExactActions) {
  SessionFsm fsm(make_config());
  EXPECT_EQ(fsm.state(), State::Idle);
  EXPECT_FALSE(fsm.admin_up());

  EXPECT_EQ(render(fsm.handle(ManualStart{})), "StartTimer(ConnectRetry, 5s), ConnectTcp");
  EXPECT_EQ(fsm.state(), State::Connect);
  EXPECT_TRUE(fsm.accepts_connection());

  auto actions = fsm.handle(TcpConnectionAcknowledged{});
  EXPECT_EQ(render(actions),
            "StopTimer(ConnectRetry), SendOpen(AS 65001, hold 90s, id 10.0.0.1), "
            "StartTimer(Hold, 240s)");
  EXPECT_EQ(fsm.state(), State::OpenSent);
  EXPECT_EQ(fsm.initiator(), Initiator::Local);
  ASSERT_TRUE(first<SendOpen>(actions));
  EXPECT_EQ(first<SendOpen>(actions)->open, local_open(make_config()));

  EXPECT_EQ(render(fsm.handle(BgpOpen{peer_open()})),
            "SendKeepalive, StartTimer(Keepalive, 30s), StartTimer(Hold, 90s)");
  EXPECT_EQ(fsm.state(), State::OpenConfirm);
  ASSERT_TRUE(fsm.negotiated());
  EXPECT_EQ(fsm.negotiated()->peer_router_id, kPeerId);

  actions = fsm.handle(KeepAliveMsg{});
  EXPECT_EQ(render(actions),
            "StartTimer(Hold, 90s), StartTimer(BackoffReset, 120s), SessionUp(AS 65002, hold 90s)");
  EXPECT_EQ(fsm.state(), State::Established);
  ASSERT_TRUE(first<SessionUp>(actions));
  EXPECT_EQ(first<SessionUp>(actions)->negotiated, *fsm.negotiated());

  EXPECT_EQ(render(fsm.handle(UpdateMsg{})), "ProcessUpdate, StartTimer(Hold, 90s)");
  EXPECT_EQ(render(fsm.handle(KeepAliveMsg{})), "StartTimer(Hold, 90s)");
  EXPECT_EQ(render(fsm.handle(RouteRefreshMsg{})), "ProcessRouteRefresh, StartTimer(Hold, 90s)");
  EXPECT_EQ(fsm.state(), State::Established);
  EXPECT_EQ(fsm.last_error(), "");

  EXPECT_EQ(render(fsm.handle(ManualStop{})),
            "SendNotification(Cease/Administrative Shutdown), CloseTcp, StopTimer(Hold), "
            "StopTimer(Keepalive), StopTimer(BackoffReset), "
            "SessionDown(sent NOTIFICATION Cease/Administrative Shutdown)");
  EXPECT_EQ(fsm.state(), State::Idle);
  EXPECT_FALSE(fsm.negotiated());
  EXPECT_FALSE(fsm.initiator());
  for (std::size_t i = 0; i < kTimerKinds; ++i) {
    EXPECT_FALSE(fsm.timer_running(static_cast<TimerKind>(i)));
  }
}

TEST(FsmSession, PassiveHappyPathNeverConnects) {
  SessionFsm fsm(make_config(/*passive=*/true));
  EXPECT_EQ(render(fsm.handle(ManualStart{})), "");
  EXPECT_EQ(fsm.state(), State::Active);
  EXPECT_FALSE(fsm.timer_running(TimerKind::ConnectRetry));

  EXPECT_EQ(render(fsm.handle(TcpConnectionConfirmed{})),
            "SendOpen(AS 65001, hold 90s, id 10.0.0.1), StartTimer(Hold, 240s)");
  EXPECT_EQ(fsm.state(), State::OpenSent);
  EXPECT_EQ(fsm.initiator(), Initiator::Remote);
  fsm.handle(BgpOpen{peer_open()});
  auto actions = fsm.handle(KeepAliveMsg{});
  EXPECT_EQ(fsm.state(), State::Established);
  EXPECT_EQ(all<SessionUp>(actions).size(), 1U);

  // Losing the connection before the OPEN: back to Active, still no ConnectRetryTimer.
  SessionFsm other(make_config(true));
  other.handle(ManualStart{});
  other.handle(TcpConnectionConfirmed{});
  EXPECT_EQ(render(other.handle(TcpConnectionFails{"reset by peer"})), "CloseTcp, StopTimer(Hold)");
  EXPECT_EQ(other.state(), State::Active);
  EXPECT_EQ(other.last_error(), "connection lost in OpenSent: reset by peer");
}

TEST(FsmSession, IncomingConnectionWhileConnectingIsAdopted) {
  SessionFsm fsm(make_config());
  fsm.handle(ManualStart{});
  EXPECT_EQ(render(fsm.handle(TcpConnectionConfirmed{})),
            "StopTimer(ConnectRetry), SendOpen(AS 65001, hold 90s, id 10.0.0.1), "
            "StartTimer(Hold, 240s)");
  EXPECT_EQ(fsm.initiator(), Initiator::Remote);
  // A second connection is not this FSM's business (collision.h): ignored.
  EXPECT_FALSE(fsm.accepts_connection());
  EXPECT_EQ(render(fsm.handle(TcpConnectionConfirmed{})), "");
  EXPECT_EQ(fsm.state(), State::OpenSent);
}

TEST(FsmSession, PassiveOnceStartsActiveWithConnectRetry) {
  SessionFsm fsm(make_config());
  EXPECT_EQ(render(fsm.handle(ManualStart{.passive_once = true})), "StartTimer(ConnectRetry, 5s)");
  EXPECT_EQ(fsm.state(), State::Active);
  fsm.handle(TcpConnectionConfirmed{});
  EXPECT_EQ(fsm.state(), State::OpenSent);
}

// ---- the transition matrix -------------------------------------------------------------

struct Cell {
  State next;
  int code = -1;  // NOTIFICATION expected to be sent, -1 for none
  int subcode = -1;
};

struct Row {
  const char* name;
  Event event;
  std::array<Cell, 6> cells;  // Idle, Connect, Active, OpenSent, OpenConfirm, Established
};

TEST(FsmSession, TransitionMatrix) {
  constexpr State I = State::Idle;
  constexpr State C = State::Connect;
  constexpr State A = State::Active;
  constexpr State S = State::OpenSent;
  constexpr State OC = State::OpenConfirm;
  constexpr State E = State::Established;
  constexpr int kFsm = 5;
  constexpr int kCease = 6;
  const Notification cease_notification{6, 2, {}};
  const std::array<State, 6> starts{I, C, A, S, OC, E};

  // clang-format off
  const std::vector<Row> rows = {
    {"ManualStart", ManualStart{},
      {{{C}, {C}, {A}, {S}, {OC}, {E}}}},
    {"ManualStop", ManualStop{},
      {{{I}, {I}, {I}, {I, kCease, 2}, {I, kCease, 2}, {I, kCease, 2}}}},
    {"AutomaticStart (gated by IdleHold in Idle)", AutomaticStart{},
      {{{I}, {C}, {A}, {S}, {OC}, {E}}}},
    {"AutomaticStop", AutomaticStop{},
      {{{I}, {I}, {I}, {I, kCease, 1}, {I, kCease, 1}, {I, kCease, 1}}}},
    {"TcpConnectionConfirmed", TcpConnectionConfirmed{},
      {{{I}, {S}, {S}, {S}, {OC}, {E}}}},
    {"TcpConnectionAcknowledged", TcpConnectionAcknowledged{},
      {{{I}, {S}, {S}, {S}, {OC}, {E}}}},
    {"TcpConnectionFails", TcpConnectionFails{},
      {{{I}, {A}, {A}, {A}, {I}, {I}}}},
    {"ConnectRetry expires", TimerExpires{TimerKind::ConnectRetry},
      {{{I}, {C}, {C}, {S}, {OC}, {E}}}},
    {"Hold expires", TimerExpires{TimerKind::Hold},
      {{{I}, {C}, {A}, {I, 4, 0}, {I, 4, 0}, {I, 4, 0}}}},
    {"Keepalive expires", TimerExpires{TimerKind::Keepalive},
      {{{I}, {C}, {A}, {S}, {OC}, {E}}}},
    {"IdleHold expires", TimerExpires{TimerKind::IdleHold},
      {{{C}, {C}, {A}, {S}, {OC}, {E}}}},
    {"BackoffReset expires", TimerExpires{TimerKind::BackoffReset},
      {{{I}, {C}, {A}, {S}, {OC}, {E}}}},
    {"BgpOpen", BgpOpen{peer_open()},
      {{{I}, {I}, {I}, {OC}, {I, kFsm, 2}, {I, kFsm, 3}}}},
    {"BgpHeaderErr", BgpHeaderErr{decode_error(ErrorCode::MessageHeader, 2)},
      {{{I}, {I}, {I}, {I, 1, 2}, {I, 1, 2}, {I, 1, 2}}}},
    {"BgpOpenMsgErr", BgpOpenMsgErr{decode_error(ErrorCode::OpenMessage, 4)},
      {{{I}, {I}, {I}, {I, 2, 4}, {I, 2, 4}, {I, kFsm, 3}}}},
    {"UpdateMsgErr", UpdateMsgErr{decode_error(ErrorCode::UpdateMessage, 1)},
      {{{I}, {I}, {I}, {I, kFsm, 1}, {I, kFsm, 2}, {I, 3, 1}}}},
    {"RouteRefreshMsgErr", RouteRefreshMsgErr{decode_error(ErrorCode::RouteRefresh, 1)},
      {{{I}, {I}, {I}, {I, kFsm, 1}, {I, kFsm, 2}, {I, 7, 1}}}},
    {"NotifMsg", NotifMsg{cease_notification},
      {{{I}, {I}, {I}, {I}, {I}, {I}}}},
    {"KeepAliveMsg", KeepAliveMsg{},
      {{{I}, {I}, {I}, {I, kFsm, 1}, {E}, {E}}}},
    {"UpdateMsg", UpdateMsg{},
      {{{I}, {I}, {I}, {I, kFsm, 1}, {I, kFsm, 2}, {E}}}},
    {"RouteRefreshMsg", RouteRefreshMsg{},
      {{{I}, {I}, {I}, {I, kFsm, 1}, {I, kFsm, 2}, {E}}}},
    {"OpenCollisionDump", OpenCollisionDump{},
      {{{I}, {I}, {I}, {I, kCease, 7}, {I, kCease, 7}, {I, kCease, 7}}}},
    {"UpdateSent", UpdateSent{},
      {{{I}, {C}, {A}, {S}, {OC}, {E}}}},
    {"RouteRefreshSent", RouteRefreshSent{},
      {{{I}, {C}, {A}, {S}, {OC}, {E}}}},
  };
  // clang-format on

  // Every event type appears (the variant has one alternative per event).
  std::array<bool, std::variant_size_v<Event>> covered{};
  for (const Row& row : rows) {
    covered[row.event.index()] = true;
  }
  for (std::size_t i = 0; i < covered.size(); ++i) {
    EXPECT_TRUE(covered[i]) << "no matrix row for event alternative " << i;
  }

  for (const Row& row : rows) {
    for (std::size_t col = 0; col < starts.size(); ++col) {
      SCOPED_TRACE(std::string(row.name) + " in " + std::string(to_string(starts[col])));
      SessionFsm fsm = fsm_in(starts[col]);
      const bool had_session = fsm.state() == State::Established;
      const auto actions = fsm.handle(row.event);
      const Cell& cell = row.cells[col];
      EXPECT_EQ(fsm.state(), cell.next) << "actions: " << render(actions);
      const auto notifications = all<SendNotification>(actions);
      if (cell.code < 0) {
        EXPECT_TRUE(notifications.empty()) << render(actions);
      } else {
        ASSERT_EQ(notifications.size(), 1U) << render(actions);
        EXPECT_EQ(notifications[0].notification.code, cell.code);
        EXPECT_EQ(notifications[0].notification.subcode, cell.subcode);
      }
      // Leaving Established always reports SessionDown, exactly once; nothing else does.
      const bool left_session = had_session && fsm.state() != State::Established;
      EXPECT_EQ(all<SessionDown>(actions).size(), left_session ? 1U : 0U) << render(actions);
      // Leaving a connected state always releases the connection.
      if (starts[col] >= State::OpenSent && fsm.state() < State::OpenSent) {
        EXPECT_EQ(all<CloseTcp>(actions).size(), 1U) << render(actions);
      }
      // In Idle no timer but IdleHold may run.
      if (fsm.state() == State::Idle) {
        for (TimerKind t : {TimerKind::ConnectRetry, TimerKind::Hold, TimerKind::Keepalive,
                            TimerKind::BackoffReset}) {
          EXPECT_FALSE(fsm.timer_running(t)) << to_string(t);
        }
      }
    }
  }
}

// ---- timers ---------------------------------------------------------------------------

TEST(FsmSession, HoldTimerExpiryInEstablishedSendsNotificationAndSessionDownOnce) {
  SessionFsm fsm = fsm_in(State::Established);
  auto actions = fsm.handle(TimerExpires{TimerKind::Hold});
  EXPECT_EQ(render(actions),
            "SendNotification(Hold Timer Expired), CloseTcp, StopTimer(Keepalive), "
            "StopTimer(BackoffReset), SessionDown(hold timer expired), StartTimer(IdleHold, 1s)");
  const auto down = all<SessionDown>(actions);
  ASSERT_EQ(down.size(), 1U);
  EXPECT_EQ(down[0].sent, (Notification{4, 0, {}}));
  EXPECT_FALSE(down[0].received);
  EXPECT_EQ(fsm.last_error(), "hold timer expired");
  EXPECT_EQ(fsm.state(), State::Idle);

  // Nothing that follows reports the session down again.
  for (const Event& e :
       std::vector<Event>{TimerExpires{TimerKind::Hold}, KeepAliveMsg{}, TcpConnectionFails{},
                          NotifMsg{Notification{6, 2, {}}}, ManualStop{}}) {
    EXPECT_TRUE(all<SessionDown>(fsm.handle(e)).empty()) << event_name(e);
  }
}

TEST(FsmSession, HoldTimerExpiryInOpenSentAndOpenConfirm) {
  for (State s : {State::OpenSent, State::OpenConfirm}) {
    SessionFsm fsm = fsm_in(s);
    auto actions = fsm.handle(TimerExpires{TimerKind::Hold});
    ASSERT_TRUE(first<SendNotification>(actions));
    EXPECT_EQ(first<SendNotification>(actions)->notification, (Notification{4, 0, {}}));
    EXPECT_TRUE(all<SessionDown>(actions).empty());
    EXPECT_EQ(fsm.state(), State::Idle);
  }
}

TEST(FsmSession, KeepaliveTimerSendsAndRestarts) {
  SessionFsm confirm = fsm_in(State::OpenConfirm);
  EXPECT_EQ(render(confirm.handle(TimerExpires{TimerKind::Keepalive})),
            "SendKeepalive, StartTimer(Keepalive, 30s)");
  EXPECT_EQ(confirm.state(), State::OpenConfirm);

  SessionFsm fsm = fsm_in(State::Established);
  const auto before = fsm.counters().sent.keepalive;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(render(fsm.handle(TimerExpires{TimerKind::Keepalive})),
              "SendKeepalive, StartTimer(Keepalive, 30s)");
    EXPECT_TRUE(fsm.timer_running(TimerKind::Keepalive));
  }
  EXPECT_EQ(fsm.counters().sent.keepalive, before + 3);
  // RFC 4271 §8.2.2: sending an UPDATE restarts the KeepaliveTimer; ROUTE-REFRESH does not.
  EXPECT_EQ(render(fsm.handle(UpdateSent{})), "StartTimer(Keepalive, 30s)");
  EXPECT_EQ(render(fsm.handle(RouteRefreshSent{})), "");
  EXPECT_EQ(fsm.counters().sent.update, 1U);
  EXPECT_EQ(fsm.counters().sent.route_refresh, 1U);
}

TEST(FsmSession, HoldTimeZeroRunsNoHoldOrKeepaliveTimer) {
  SessionFsm fsm(make_config());
  fsm.handle(ManualStart{});
  fsm.handle(TcpConnectionAcknowledged{});
  EXPECT_EQ(render(fsm.handle(BgpOpen{peer_open(0)})), "SendKeepalive, StopTimer(Hold)");
  EXPECT_EQ(fsm.negotiated()->hold_time.count(), 0);
  EXPECT_EQ(render(fsm.handle(KeepAliveMsg{})),
            "StartTimer(BackoffReset, 120s), SessionUp(AS 65002, hold 0s)");
  EXPECT_EQ(render(fsm.handle(KeepAliveMsg{})), "");
  EXPECT_EQ(render(fsm.handle(UpdateMsg{})), "ProcessUpdate");
  EXPECT_EQ(render(fsm.handle(UpdateSent{})), "");
  // No timer to expire: a (stale) expiry changes nothing.
  EXPECT_EQ(render(fsm.handle(TimerExpires{TimerKind::Hold})), "");
  EXPECT_EQ(render(fsm.handle(TimerExpires{TimerKind::Keepalive})), "");
  EXPECT_EQ(fsm.state(), State::Established);
}

TEST(FsmSession, HoldTimeThreeGivesOneSecondKeepalives) {
  SessionFsm fsm(make_config());
  fsm.handle(ManualStart{});
  fsm.handle(TcpConnectionAcknowledged{});
  EXPECT_EQ(render(fsm.handle(BgpOpen{peer_open(3)})),
            "SendKeepalive, StartTimer(Keepalive, 1s), StartTimer(Hold, 3s)");
  EXPECT_EQ(render(fsm.handle(KeepAliveMsg{})),
            "StartTimer(Hold, 3s), StartTimer(BackoffReset, 120s), SessionUp(AS 65002, hold 3s)");
}

TEST(FsmSession, StaleTimerExpiriesAreIgnored) {
  SessionFsm fsm = fsm_in(State::Connect);
  for (TimerKind t :
       {TimerKind::Hold, TimerKind::Keepalive, TimerKind::IdleHold, TimerKind::BackoffReset}) {
    EXPECT_EQ(render(fsm.handle(TimerExpires{t})), "") << to_string(t);
    EXPECT_EQ(fsm.state(), State::Connect);
  }
  // ConnectRetry is stopped on the way to OpenSent; an expiry that raced the stop is dropped.
  fsm.handle(TcpConnectionAcknowledged{});
  EXPECT_EQ(render(fsm.handle(TimerExpires{TimerKind::ConnectRetry})), "");
  EXPECT_EQ(fsm.state(), State::OpenSent);
  // A timer that already fired does not fire twice.
  SessionFsm est = fsm_in(State::Established);
  est.handle(TimerExpires{TimerKind::BackoffReset});
  EXPECT_FALSE(est.timer_running(TimerKind::BackoffReset));
}

TEST(FsmSession, ConnectFailuresRetryFromActive) {
  SessionFsm fsm = fsm_in(State::Connect);
  EXPECT_EQ(render(fsm.handle(TcpConnectionFails{"connection refused"})),
            "StartTimer(ConnectRetry, 5s)");
  EXPECT_EQ(fsm.state(), State::Active);
  EXPECT_EQ(fsm.last_error(), "connect failed: connection refused");
  EXPECT_TRUE(fsm.accepts_connection());
  EXPECT_EQ(render(fsm.handle(TimerExpires{TimerKind::ConnectRetry})),
            "StartTimer(ConnectRetry, 5s), ConnectTcp");
  EXPECT_EQ(fsm.state(), State::Connect);
  // A connect attempt that hangs is abandoned and retried when ConnectRetry fires.
  EXPECT_EQ(render(fsm.handle(TimerExpires{TimerKind::ConnectRetry})),
            "CloseTcp, StartTimer(ConnectRetry, 5s), ConnectTcp");
  EXPECT_EQ(fsm.state(), State::Connect);
}

TEST(FsmSession, ConnectionLossInOpenSentGoesActiveWithoutBackoff) {
  SessionFsm fsm = fsm_in(State::OpenSent);
  EXPECT_EQ(render(fsm.handle(TcpConnectionFails{})),
            "CloseTcp, StopTimer(Hold), StartTimer(ConnectRetry, 5s)");
  EXPECT_EQ(fsm.state(), State::Active);
  EXPECT_EQ(fsm.last_error(), "connection lost in OpenSent: connection closed");
  EXPECT_EQ(fsm.next_idle_hold().count(), 1);
}

TEST(FsmSession, ConnectionLossInEstablished) {
  SessionFsm fsm = fsm_in(State::Established);
  auto actions = fsm.handle(TcpConnectionFails{"end of stream"});
  EXPECT_EQ(render(actions),
            "CloseTcp, StopTimer(Hold), StopTimer(Keepalive), StopTimer(BackoffReset), "
            "SessionDown(connection lost: end of stream), StartTimer(IdleHold, 1s)");
  EXPECT_FALSE(first<SendNotification>(actions));
}

// ---- NOTIFICATIONs ---------------------------------------------------------------------

TEST(FsmSession, NotificationReceivedInEstablished) {
  SessionFsm fsm = fsm_in(State::Established);
  const Notification n{6, 2, encode_shutdown_communication("upgrade, back in 5")};
  auto actions = fsm.handle(NotifMsg{n});
  EXPECT_EQ(render(actions),
            "CloseTcp, StopTimer(Hold), StopTimer(Keepalive), StopTimer(BackoffReset), "
            "SessionDown(received NOTIFICATION Cease/Administrative Shutdown: "
            "\"upgrade, back in 5\"), StartTimer(IdleHold, 1s)");
  const auto down = first<SessionDown>(actions);
  ASSERT_TRUE(down);
  EXPECT_EQ(down->received, n);
  EXPECT_FALSE(down->sent);
  EXPECT_EQ(fsm.last_error(),
            "received NOTIFICATION Cease/Administrative Shutdown: \"upgrade, back in 5\"");
  EXPECT_EQ(fsm.counters().received.notification, 1U);
  EXPECT_EQ(fsm.counters().sent.notification, 0U);
}

TEST(FsmSession, NotificationReceivedInOpenSentGoesIdle) {
  SessionFsm fsm = fsm_in(State::OpenSent);
  EXPECT_EQ(render(fsm.handle(NotifMsg{Notification{2, 2, {}}})),
            "CloseTcp, StopTimer(Hold), StartTimer(IdleHold, 1s)");
  EXPECT_EQ(fsm.last_error(), "received NOTIFICATION OPEN Message Error/Bad Peer AS");
}

TEST(FsmSession, FsmErrorSubcodesPerRfc6608) {
  struct Case {
    State state;
    Event event;
    std::uint8_t subcode;
    std::string last_error;
  };
  const std::vector<Case> cases = {
      {State::OpenSent, KeepAliveMsg{}, fsm_error::kUnexpectedInOpenSent,
       "sent NOTIFICATION Finite State Machine Error/Receive Unexpected Message in OpenSent "
       "State: unexpected KEEPALIVE"},
      {State::OpenSent, UpdateMsg{}, fsm_error::kUnexpectedInOpenSent,
       "sent NOTIFICATION Finite State Machine Error/Receive Unexpected Message in OpenSent "
       "State: unexpected UPDATE"},
      {State::OpenConfirm, RouteRefreshMsg{}, fsm_error::kUnexpectedInOpenConfirm,
       "sent NOTIFICATION Finite State Machine Error/Receive Unexpected Message in OpenConfirm "
       "State: unexpected ROUTE-REFRESH"},
      {State::OpenConfirm, BgpOpen{peer_open()}, fsm_error::kUnexpectedInOpenConfirm,
       "sent NOTIFICATION Finite State Machine Error/Receive Unexpected Message in OpenConfirm "
       "State: unexpected OPEN"},
      {State::Established, BgpOpen{peer_open()}, fsm_error::kUnexpectedInEstablished,
       "sent NOTIFICATION Finite State Machine Error/Receive Unexpected Message in Established "
       "State: unexpected OPEN"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(event_name(c.event)) + " in " + std::string(to_string(c.state)));
    SessionFsm fsm = fsm_in(c.state);
    auto actions = fsm.handle(c.event);
    ASSERT_TRUE(first<SendNotification>(actions));
    EXPECT_EQ(first<SendNotification>(actions)->notification, (Notification{5, c.subcode, {}}));
    EXPECT_EQ(fsm.last_error(), c.last_error);
    EXPECT_EQ(fsm.state(), State::Idle);
  }
}

TEST(FsmSession, DecodeErrorsSendTheDecodersNotification) {
  SessionFsm fsm = fsm_in(State::Established);
  DecodeError e = decode_error(ErrorCode::UpdateMessage, update_error::kMalformedAsPath);
  e.data = {0x40, 0x02, 0x01};
  e.reason = "AS_PATH segment overrun";
  auto actions = fsm.handle(decode_error_event(e, MessageType::Update));
  ASSERT_TRUE(first<SendNotification>(actions));
  EXPECT_EQ(first<SendNotification>(actions)->notification,
            (Notification{3, 11, {0x40, 0x02, 0x01}}));
  EXPECT_EQ(fsm.last_error(),
            "sent NOTIFICATION UPDATE Message Error/Malformed AS_PATH: AS_PATH segment overrun");
  ASSERT_TRUE(first<SessionDown>(actions));
  EXPECT_EQ(first<SessionDown>(actions)->sent, (Notification{3, 11, {0x40, 0x02, 0x01}}));
}

TEST(FsmSession, DecodeErrorEventMapping) {
  const DecodeError header = decode_error(ErrorCode::MessageHeader, 2);
  const DecodeError open = decode_error(ErrorCode::OpenMessage, 4);
  const DecodeError update = decode_error(ErrorCode::UpdateMessage, 1);
  const DecodeError rr = decode_error(ErrorCode::RouteRefresh, 1);
  EXPECT_TRUE(std::holds_alternative<BgpHeaderErr>(decode_error_event(header, std::nullopt)));
  EXPECT_TRUE(std::holds_alternative<BgpHeaderErr>(decode_error_event(header, MessageType::Open)));
  EXPECT_TRUE(std::holds_alternative<BgpOpenMsgErr>(decode_error_event(open, MessageType::Open)));
  EXPECT_TRUE(
      std::holds_alternative<UpdateMsgErr>(decode_error_event(update, MessageType::Update)));
  EXPECT_TRUE(std::holds_alternative<RouteRefreshMsgErr>(
      decode_error_event(rr, MessageType::RouteRefresh)));
  EXPECT_TRUE(
      std::holds_alternative<BgpHeaderErr>(decode_error_event(update, MessageType::Keepalive)));
  EXPECT_EQ(event_name(decode_error_event(open, MessageType::Open)), "BgpOpenMsgErr");
}

TEST(FsmSession, BadOpenSendsOpenErrorAndBacksOff) {
  SessionFsm fsm = fsm_in(State::OpenSent);
  Open bad = peer_open();
  bad.caps.four_octet_as = 65003;
  bad.my_as = 65003;
  EXPECT_EQ(render(fsm.handle(BgpOpen{bad})),
            "SendNotification(OPEN Message Error/Bad Peer AS), CloseTcp, StopTimer(Hold), "
            "StartTimer(IdleHold, 1s)");
  EXPECT_EQ(fsm.last_error(),
            "sent NOTIFICATION OPEN Message Error/Bad Peer AS: peer AS 65003, expected 65002");
  EXPECT_FALSE(fsm.negotiated());
}

TEST(FsmSession, MessagesWithoutConnectionResetWithoutSending) {
  SessionFsm fsm = fsm_in(State::Connect);
  EXPECT_EQ(render(fsm.handle(KeepAliveMsg{})),
            "CloseTcp, StopTimer(ConnectRetry), StartTimer(IdleHold, 1s)");
  EXPECT_EQ(fsm.last_error(), "unexpected KEEPALIVE in Connect");
  // Idle ignores messages altogether.
  EXPECT_EQ(render(fsm.handle(UpdateMsg{})), "");
  EXPECT_EQ(render(fsm.handle(NotifMsg{})), "");
}

// ---- ManualStop ------------------------------------------------------------------------

TEST(FsmSession, ManualStopCarriesShutdownCommunication) {
  SessionFsm fsm = fsm_in(State::Established);
  auto actions = fsm.handle(ManualStop{cease::kAdministrativeShutdown, "maintenance"});
  const auto sent = first<SendNotification>(actions);
  ASSERT_TRUE(sent);
  const std::vector<std::uint8_t> expected{11,  'm', 'a', 'i', 'n', 't',
                                           'e', 'n', 'a', 'n', 'c', 'e'};
  EXPECT_EQ(sent->notification, (Notification{6, 2, expected}));
  EXPECT_EQ(fsm.last_error(), "sent NOTIFICATION Cease/Administrative Shutdown: \"maintenance\"");
  EXPECT_FALSE(fsm.admin_up());
  EXPECT_FALSE(fsm.timer_running(TimerKind::IdleHold));  // no automatic restart
  // Administratively down: AutomaticStart and IdleHold do nothing; ManualStart does.
  EXPECT_EQ(render(fsm.handle(AutomaticStart{})), "");
  EXPECT_EQ(fsm.state(), State::Idle);
  EXPECT_EQ(render(fsm.handle(ManualStart{})), "StartTimer(ConnectRetry, 5s), ConnectTcp");
}

TEST(FsmSession, ManualStopSubcodes) {
  // Administrative Reset carries the communication too (RFC 9003 §2).
  SessionFsm reset = fsm_in(State::OpenConfirm);
  auto actions = reset.handle(ManualStop{cease::kAdministrativeReset, "ab"});
  EXPECT_EQ(first<SendNotification>(actions)->notification, (Notification{6, 4, {2, 'a', 'b'}}));
  // Peer De-configured does not.
  SessionFsm gone = fsm_in(State::Established);
  actions = gone.handle(ManualStop{cease::kPeerDeconfigured, "ignored"});
  EXPECT_EQ(first<SendNotification>(actions)->notification, (Notification{6, 3, {}}));
  EXPECT_EQ(first<SessionDown>(actions)->reason, "sent NOTIFICATION Cease/Peer De-configured");
  // An empty communication sends no data.
  SessionFsm plain = fsm_in(State::OpenSent);
  actions = plain.handle(ManualStop{});
  EXPECT_EQ(first<SendNotification>(actions)->notification, (Notification{6, 2, {}}));
}

TEST(FsmSession, ManualStopWithoutConnection) {
  SessionFsm connect = fsm_in(State::Connect);
  EXPECT_EQ(render(connect.handle(ManualStop{})), "CloseTcp, StopTimer(ConnectRetry)");
  EXPECT_EQ(connect.last_error(), "stopped");
  SessionFsm active = fsm_in(State::Active);
  EXPECT_EQ(render(active.handle(ManualStop{})), "StopTimer(ConnectRetry)");
  // In Idle it cancels the pending automatic restart.
  SessionFsm idle = fsm_in(State::Idle);
  EXPECT_EQ(render(idle.handle(ManualStop{})), "StopTimer(IdleHold)");
  EXPECT_EQ(render(idle.handle(TimerExpires{TimerKind::IdleHold})), "");
  EXPECT_EQ(idle.state(), State::Idle);
}

TEST(FsmSession, ShutdownCommunicationIsCutAtCharacterBoundary) {
  std::string text;
  for (int i = 0; i < 200; ++i) {
    text += "\xC3\xA9";  // U+00E9, two octets
  }
  SessionFsm fsm = fsm_in(State::Established);
  auto actions = fsm.handle(ManualStop{cease::kAdministrativeShutdown, text});
  const std::vector<std::uint8_t> data = first<SendNotification>(actions)->notification.data;
  ASSERT_EQ(data.size(), 255U);  // length octet + 127 characters of 2 octets
  EXPECT_EQ(data[0], 254);
}

// ---- AutomaticStop / AutomaticStart -------------------------------------------------------

TEST(FsmSession, AutomaticStopSendsCeaseAndRestartsLater) {
  SessionFsm fsm = fsm_in(State::Established);
  auto actions = fsm.handle(
      AutomaticStop{cease::kMaxPrefixesReached, {0, 1, 1, 0, 0, 3, 0xE8}, "1001 prefixes"});
  EXPECT_EQ(first<SendNotification>(actions)->notification,
            (Notification{6, 1, {0, 1, 1, 0, 0, 3, 0xE8}}));
  EXPECT_EQ(fsm.last_error(),
            "sent NOTIFICATION Cease/Maximum Number of Prefixes Reached: 1001 prefixes");
  EXPECT_TRUE(fsm.timer_running(TimerKind::IdleHold));
  EXPECT_TRUE(fsm.admin_up());
  EXPECT_EQ(render(fsm.handle(TimerExpires{TimerKind::IdleHold})),
            "StartTimer(ConnectRetry, 5s), ConnectTcp");
}

TEST(FsmSession, AutomaticStartIsGatedByIdleHold) {
  SessionFsm fsm = fsm_in(State::Idle);
  EXPECT_EQ(render(fsm.handle(AutomaticStart{})), "");
  EXPECT_EQ(fsm.state(), State::Idle);
  fsm.handle(TimerExpires{TimerKind::IdleHold});
  EXPECT_EQ(fsm.state(), State::Connect);

  // Never started: AutomaticStart does not bring it up.
  SessionFsm fresh(make_config());
  EXPECT_EQ(render(fresh.handle(AutomaticStart{})), "");
  EXPECT_EQ(fresh.state(), State::Idle);

  // After a collision dump: Idle, up, nothing pending, so AutomaticStart works.
  SessionFsm dumped = fsm_in(State::OpenSent);
  dumped.handle(OpenCollisionDump{});
  EXPECT_FALSE(dumped.timer_running(TimerKind::IdleHold));
  EXPECT_EQ(render(dumped.handle(AutomaticStart{})), "StartTimer(ConnectRetry, 5s), ConnectTcp");
}

// ---- idle hold backoff -----------------------------------------------------------------

std::chrono::seconds fail_once(SessionFsm& fsm) {
  // From Connect: connect, get refused by NOTIFICATION, report the IdleHold duration.
  fsm.handle(TcpConnectionAcknowledged{});
  auto actions = fsm.handle(NotifMsg{Notification{6, 5, {}}});
  auto start = first<StartTimer>(actions);
  EXPECT_TRUE(start && start->timer == TimerKind::IdleHold) << render(actions);
  EXPECT_EQ(fsm.state(), State::Idle);
  fsm.handle(TimerExpires{TimerKind::IdleHold});
  EXPECT_EQ(fsm.state(), State::Connect);
  return start ? start->duration : std::chrono::seconds(-1);
}

TEST(FsmSession, IdleHoldBackoffDoublesUpToTheCap) {
  SessionFsm fsm(make_config());
  fsm.handle(ManualStart{});
  std::vector<std::int64_t> waits;
  for (int i = 0; i < 9; ++i) {
    waits.push_back(fail_once(fsm).count());
  }
  EXPECT_EQ(waits, (std::vector<std::int64_t>{1, 2, 4, 8, 16, 32, 60, 60, 60}));

  // ManualStop + ManualStart forget the history.
  fsm.handle(ManualStop{});
  fsm.handle(ManualStart{});
  EXPECT_EQ(fail_once(fsm).count(), 1);
}

TEST(FsmSession, IdleHoldBackoffResetsAfterStableSession) {
  SessionFsm fsm(make_config());
  fsm.handle(ManualStart{});
  for (int i = 0; i < 4; ++i) {
    fail_once(fsm);  // 1, 2, 4, 8
  }
  EXPECT_EQ(fsm.next_idle_hold().count(), 16);

  // A session that goes down before BackoffReset fires keeps the backoff growing.
  fsm.handle(TcpConnectionAcknowledged{});
  fsm.handle(BgpOpen{peer_open()});
  fsm.handle(KeepAliveMsg{});
  auto actions = fsm.handle(TimerExpires{TimerKind::Hold});
  EXPECT_EQ(first<StartTimer>(actions)->duration.count(), 16);
  fsm.handle(TimerExpires{TimerKind::IdleHold});

  // One that stays up for backoff_reset_time resets it.
  fsm.handle(TcpConnectionAcknowledged{});
  fsm.handle(BgpOpen{peer_open()});
  fsm.handle(KeepAliveMsg{});
  EXPECT_EQ(render(fsm.handle(TimerExpires{TimerKind::BackoffReset})), "");
  EXPECT_EQ(fsm.next_idle_hold().count(), 1);
  actions = fsm.handle(TimerExpires{TimerKind::Hold});
  EXPECT_EQ(first<StartTimer>(actions)->duration.count(), 1);
}

TEST(FsmSession, CustomBackoffConfiguration) {
  SessionConfig config = make_config();
  config.idle_hold_initial = std::chrono::seconds(5);
  config.idle_hold_max = std::chrono::seconds(12);
  SessionFsm fsm(config);
  fsm.handle(ManualStart{});
  std::vector<std::int64_t> waits;
  for (int i = 0; i < 4; ++i) {
    waits.push_back(fail_once(fsm).count());
  }
  EXPECT_EQ(waits, (std::vector<std::int64_t>{5, 10, 12, 12}));
}

// ---- status ----------------------------------------------------------------------------

TEST(FsmSession, CountersAcrossSessions) {
  SessionFsm fsm = fsm_in(State::Established);
  fsm.handle(UpdateMsg{});
  fsm.handle(UpdateMsg{});
  fsm.handle(RouteRefreshMsg{});
  fsm.handle(UpdateSent{});
  fsm.handle(TimerExpires{TimerKind::Keepalive});
  fsm.handle(ManualStop{});
  fsm.handle(ManualStart{});
  fsm.handle(TcpConnectionAcknowledged{});
  fsm.handle(BgpOpen{peer_open()});
  fsm.handle(KeepAliveMsg{});

  const Counters& c = fsm.counters();
  EXPECT_EQ(c.received,
            (MessageCounts{
                .open = 2, .update = 2, .notification = 0, .keepalive = 2, .route_refresh = 1}));
  EXPECT_EQ(c.sent,
            (MessageCounts{
                .open = 2, .update = 1, .notification = 1, .keepalive = 3, .route_refresh = 0}));
  EXPECT_EQ(c.established_transitions, 2U);
}

TEST(FsmSession, Names) {
  EXPECT_EQ(to_string(State::OpenConfirm), "OpenConfirm");
  EXPECT_EQ(to_string(TimerKind::IdleHold), "IdleHold");
  EXPECT_EQ(event_name(TcpConnectionAcknowledged{}), "TcpConnectionAcknowledged");
  EXPECT_EQ(event_name(RouteRefreshSent{}), "RouteRefreshSent");
  EXPECT_EQ(event_name(TimerExpires{}), "TimerExpires");
  EXPECT_EQ(to_string(Action{StopTimer{TimerKind::Keepalive}}), "StopTimer(Keepalive)");
}

}  // namespace
}  // namespace calico::bgp::fsm
