// Connection collision resolution (RFC 4271 §6.8, RFC 6286 §2.3): the pure rule, the
// verdict for two connections of one peering, both speakers agreeing on the survivor, and
// the glue recipe of collision.h driven through two SessionFsm instances.
#include <gtest/gtest.h>

#include "bgp/fsm/collision.h"

namespace calico::bgp::fsm {
namespace {

constexpr std::uint32_t kLocalAs = 65001;
constexpr std::uint32_t kPeerAs = 65002;

SessionConfig make_config(std::uint32_t local_id) {
  SessionConfig c;
  c.local_as = kLocalAs;
  c.local_router_id = local_id;
  c.peer_as = kPeerAs;
  return c;
}

Open peer_open(std::uint32_t peer_id) {
  Open o;
  o.my_as = static_cast<std::uint16_t>(kPeerAs);
  o.hold_time_s = 90;
  o.bgp_id = peer_id;
  o.caps.four_octet_as = kPeerAs;
  o.caps.multiprotocol = {kIpv4Unicast};
  return o;
}

Notification sent_notification(const std::vector<Action>& actions) {
  for (const Action& a : actions) {
    if (const auto* s = std::get_if<SendNotification>(&a)) {
      return s->notification;
    }
  }
  return {};
}

TEST(FsmCollision, HigherIdentifierInitiatorWins) {
  EXPECT_EQ(resolve_collision(2, 1), CollisionWinner::LocallyInitiated);
  EXPECT_EQ(resolve_collision(1, 2), CollisionWinner::RemotelyInitiated);
  // Compared as unsigned 32-bit integers: 192.0.2.1 > 10.0.0.1.
  EXPECT_EQ(resolve_collision(0xC0000201, 0x0A000001), CollisionWinner::LocallyInitiated);
  EXPECT_EQ(resolve_collision(0x0A000001, 0xC0000201), CollisionWinner::RemotelyInitiated);
}

TEST(FsmCollision, EqualIdentifiersFallBackToAsNumber) {
  EXPECT_EQ(resolve_collision(7, 7, 65002, 65001), CollisionWinner::LocallyInitiated);
  EXPECT_EQ(resolve_collision(7, 7, 65001, 65002), CollisionWinner::RemotelyInitiated);
  // Different identifiers: the AS does not matter.
  EXPECT_EQ(resolve_collision(8, 7, 1, 65002), CollisionWinner::LocallyInitiated);
}

TEST(FsmCollision, Verdicts) {
  const ConnectionView local_sent{Initiator::Local, State::OpenSent};
  const ConnectionView remote_sent{Initiator::Remote, State::OpenSent};
  const ConnectionView remote_confirm{Initiator::Remote, State::OpenConfirm};
  const ConnectionView local_confirm{Initiator::Local, State::OpenConfirm};

  // We have the lower id: the peer's connection survives.
  EXPECT_EQ(check_collision(local_sent, remote_confirm, 1, 2, kLocalAs, kPeerAs),
            CollisionVerdict::CloseThis);
  EXPECT_EQ(check_collision(remote_sent, local_confirm, 1, 2, kLocalAs, kPeerAs),
            CollisionVerdict::CloseOther);
  // We have the higher id: ours survives.
  EXPECT_EQ(check_collision(local_sent, remote_confirm, 2, 1, kLocalAs, kPeerAs),
            CollisionVerdict::CloseOther);
  EXPECT_EQ(check_collision(remote_sent, local_confirm, 2, 1, kLocalAs, kPeerAs),
            CollisionVerdict::CloseThis);
  // OpenSent on the other side is examined too.
  EXPECT_EQ(check_collision(remote_sent, local_sent, 2, 1, kLocalAs, kPeerAs),
            CollisionVerdict::CloseThis);

  // No connection on the other side: nothing collides.
  for (State s : {State::Idle, State::Connect, State::Active}) {
    EXPECT_EQ(check_collision(local_sent, {Initiator::Remote, s}, 1, 2, kLocalAs, kPeerAs),
              CollisionVerdict::NoCollision);
  }
  // An Established session always survives, whatever the identifiers.
  for (std::uint32_t local_id : {1U, 3U}) {
    for (Initiator who : {Initiator::Local, Initiator::Remote}) {
      EXPECT_EQ(check_collision({who, State::OpenSent}, {Initiator::Remote, State::Established},
                                local_id, 2, kLocalAs, kPeerAs),
                CollisionVerdict::CloseThis);
    }
  }
  // Same initiator twice: the older connection is presumed dead.
  EXPECT_EQ(check_collision(remote_sent, remote_confirm, 2, 1, kLocalAs, kPeerAs),
            CollisionVerdict::CloseOther);
}

// Both speakers decide independently and must keep the same connection, whichever of the
// two OPENs each of them sees first.
TEST(FsmCollision, BothSpeakersAgreeOnTheSurvivor) {
  enum Conn { kInitiatedByA, kInitiatedByB };
  const auto survivor = [](CollisionVerdict v, Conn self, Conn other) {
    return v == CollisionVerdict::CloseThis ? other : self;
  };
  for (auto [id_a, id_b] : {std::pair{1U, 2U}, std::pair{2U, 1U}, std::pair{0xFFFFFFFFU, 5U}}) {
    for (State other_state : {State::OpenSent, State::OpenConfirm}) {
      for (Conn first_a : {kInitiatedByA, kInitiatedByB}) {
        for (Conn first_b : {kInitiatedByA, kInitiatedByB}) {
          const Conn other_a = first_a == kInitiatedByA ? kInitiatedByB : kInitiatedByA;
          const Conn other_b = first_b == kInitiatedByA ? kInitiatedByB : kInitiatedByA;
          const auto init_a = [](Conn c) {
            return c == kInitiatedByA ? Initiator::Local : Initiator::Remote;
          };
          const auto init_b = [](Conn c) {
            return c == kInitiatedByB ? Initiator::Local : Initiator::Remote;
          };
          const CollisionVerdict va =
              check_collision({init_a(first_a), State::OpenSent}, {init_a(other_a), other_state},
                              id_a, id_b, 65001, 65002);
          const CollisionVerdict vb =
              check_collision({init_b(first_b), State::OpenSent}, {init_b(other_b), other_state},
                              id_b, id_a, 65002, 65001);
          const Conn expected = id_a > id_b ? kInitiatedByA : kInitiatedByB;
          EXPECT_EQ(survivor(va, first_a, other_a), expected);
          EXPECT_EQ(survivor(vb, first_b, other_b), expected);
        }
      }
    }
  }
}

// The glue recipe of collision.h, from speaker A's side: the primary connected out, the
// peer connected in at the same time, and the OPEN arrives first on the primary.
TEST(FsmCollision, GlueRecipeWithTwoFsms) {
  for (bool we_are_higher : {false, true}) {
    SCOPED_TRACE(we_are_higher ? "local id higher" : "local id lower");
    const std::uint32_t local_id = we_are_higher ? 20 : 10;
    const std::uint32_t peer_id = 15;
    SessionFsm primary(make_config(local_id));
    primary.handle(ManualStart{});
    primary.handle(TcpConnectionAcknowledged{});
    ASSERT_EQ(primary.state(), State::OpenSent);
    // The peer's connection: primary is busy, so a secondary carries it.
    ASSERT_FALSE(primary.accepts_connection());
    SessionFsm secondary(make_config(local_id));
    secondary.handle(ManualStart{.passive_once = true});
    secondary.handle(TcpConnectionConfirmed{});
    ASSERT_EQ(secondary.state(), State::OpenSent);
    ASSERT_EQ(secondary.initiator(), Initiator::Remote);

    const Open open = peer_open(peer_id);
    ASSERT_TRUE(negotiate(primary.config(), open).has_value());
    const CollisionVerdict v = check_collision(primary, secondary, open.bgp_id, open.asn());
    if (we_are_higher) {
      // Our connection (the primary) survives; the secondary is dumped.
      ASSERT_EQ(v, CollisionVerdict::CloseOther);
      auto dumped = secondary.handle(OpenCollisionDump{});
      EXPECT_EQ(sent_notification(dumped), (Notification{6, 7, {}}));
      EXPECT_EQ(secondary.state(), State::Idle);
      EXPECT_FALSE(secondary.timer_running(TimerKind::IdleHold));
      primary.handle(BgpOpen{open});
      primary.handle(KeepAliveMsg{});
      EXPECT_EQ(primary.state(), State::Established);
    } else {
      // The peer's connection survives: the primary is dumped before it sends KEEPALIVE.
      ASSERT_EQ(v, CollisionVerdict::CloseThis);
      auto dumped = primary.handle(OpenCollisionDump{});
      EXPECT_EQ(sent_notification(dumped), (Notification{6, 7, {}}));
      for (const Action& a : dumped) {
        EXPECT_FALSE(std::holds_alternative<SendKeepalive>(a));
      }
      EXPECT_EQ(primary.state(), State::Idle);
      EXPECT_EQ(primary.last_error(), "sent NOTIFICATION Cease/Connection Collision Resolution");
      // The OPEN on the secondary then meets no collision.
      EXPECT_EQ(check_collision(secondary, primary, open.bgp_id, open.asn()),
                CollisionVerdict::NoCollision);
      secondary.handle(BgpOpen{open});
      secondary.handle(KeepAliveMsg{});
      EXPECT_EQ(secondary.state(), State::Established);
    }
  }
}

TEST(FsmCollision, NewConnectionLosesAgainstEstablished) {
  // Even with the higher identifier, an Established session is kept.
  SessionFsm primary(make_config(20));
  primary.handle(ManualStart{});
  primary.handle(TcpConnectionConfirmed{});
  primary.handle(BgpOpen{peer_open(15)});
  primary.handle(KeepAliveMsg{});
  ASSERT_EQ(primary.state(), State::Established);

  SessionFsm secondary(make_config(20));
  secondary.handle(ManualStart{.passive_once = true});
  secondary.handle(TcpConnectionConfirmed{});
  EXPECT_EQ(check_collision(secondary, primary, 15, kPeerAs), CollisionVerdict::CloseThis);
  auto actions = secondary.handle(OpenCollisionDump{});
  EXPECT_EQ(sent_notification(actions), (Notification{6, 7, {}}));
  for (const Action& a : actions) {
    EXPECT_FALSE(std::holds_alternative<SessionDown>(a));
  }
  EXPECT_EQ(primary.state(), State::Established);

  // A locally initiated newcomer loses as well.
  SessionFsm outbound(make_config(20));
  outbound.handle(ManualStart{});
  outbound.handle(TcpConnectionAcknowledged{});
  EXPECT_EQ(check_collision(outbound, primary, 15, kPeerAs), CollisionVerdict::CloseThis);
}

TEST(FsmCollision, FsmWithoutConnectionNeverCollides) {
  SessionFsm connecting(make_config(20));
  connecting.handle(ManualStart{});  // Connect: no connection yet
  SessionFsm inbound(make_config(20));
  inbound.handle(ManualStart{.passive_once = true});
  inbound.handle(TcpConnectionConfirmed{});
  EXPECT_EQ(check_collision(inbound, connecting, 15, kPeerAs), CollisionVerdict::NoCollision);
  EXPECT_EQ(check_collision(connecting, inbound, 15, kPeerAs), CollisionVerdict::NoCollision);
}

}  // namespace
}  // namespace calico::bgp::fsm
