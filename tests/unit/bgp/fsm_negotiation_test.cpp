// OPEN checks and capability negotiation (RFC 4271 §6.2, RFC 6286, RFC 6793, RFC 4760,
// RFC 5492), configuration validation, and NOTIFICATION text / Shutdown Communication
// (RFC 9003).
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "bgp/fsm/negotiation.h"
#include "bgp/fsm/notification_text.h"

namespace calico::bgp::fsm {
namespace {

constexpr std::uint32_t kLocalAs = 65001;
constexpr std::uint32_t kPeerAs = 65002;
constexpr std::uint32_t kLocalId = 0x0A000001;
constexpr std::uint32_t kPeerId = 0x0A000002;

SessionConfig make_config() {
  SessionConfig c;
  c.local_as = kLocalAs;
  c.local_router_id = kLocalId;
  c.peer_as = kPeerAs;
  return c;
}

Open peer_open() {
  Open o;
  o.my_as = static_cast<std::uint16_t>(kPeerAs);
  o.hold_time_s = 90;
  o.bgp_id = kPeerId;
  o.caps.four_octet_as = kPeerAs;
  o.caps.multiprotocol = {kIpv4Unicast};
  o.caps.route_refresh = true;
  return o;
}

// The NOTIFICATION negotiate() answers with; fails the test if the OPEN was accepted.
Notification rejection(const SessionConfig& config, const Open& open) {
  auto r = negotiate(config, open);
  EXPECT_FALSE(r.has_value());
  if (r.has_value()) {
    return {};
  }
  return r.error().notification;
}

TEST(FsmNegotiation, AcceptsAGoodOpen) {
  auto r = negotiate(make_config(), peer_open());
  ASSERT_TRUE(r.has_value()) << r.error().reason;
  EXPECT_EQ(r->hold_time.count(), 90);
  EXPECT_EQ(r->keepalive_time.count(), 30);
  EXPECT_EQ(r->peer_as, kPeerAs);
  EXPECT_EQ(r->peer_router_id, kPeerId);
  EXPECT_FALSE(r->ibgp);
  EXPECT_TRUE(r->four_octet_as);
  EXPECT_TRUE(r->route_refresh);
  EXPECT_FALSE(r->extended_message);
  EXPECT_EQ(r->families, std::vector<AfiSafi>{kIpv4Unicast});
  EXPECT_TRUE(r->has_family(kIpv4Unicast));
  EXPECT_FALSE(r->has_family(kIpv6Unicast));
  EXPECT_EQ(r->peer_capabilities, peer_open().caps);
}

TEST(FsmNegotiation, HoldTime) {
  struct Case {
    std::int64_t ours;
    std::uint16_t theirs;
    std::int64_t hold;
    std::int64_t keepalive;
  };
  for (const Case& c : std::vector<Case>{{90, 90, 90, 30},
                                         {90, 180, 90, 30},
                                         {90, 30, 30, 10},
                                         {90, 0, 0, 0},
                                         {0, 90, 0, 0},
                                         {0, 0, 0, 0},
                                         {90, 3, 3, 1},
                                         {3, 90, 3, 1},
                                         {90, 10, 10, 3},
                                         {240, 65535, 240, 80}}) {
    SCOPED_TRACE(std::to_string(c.ours) + " vs " + std::to_string(c.theirs));
    SessionConfig config = make_config();
    config.hold_time = std::chrono::seconds(c.ours);
    Open open = peer_open();
    open.hold_time_s = c.theirs;
    auto r = negotiate(config, open);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->hold_time.count(), c.hold);
    EXPECT_EQ(r->keepalive_time.count(), c.keepalive);
  }
}

TEST(FsmNegotiation, UnsupportedVersion) {
  Open open = peer_open();
  open.version = 3;
  EXPECT_EQ(rejection(make_config(), open), (Notification{2, 1, {0, 4}}));
}

TEST(FsmNegotiation, BadPeerAs) {
  const Notification bad_peer_as{2, 2, {}};
  // Wrong AS in the capability.
  Open open = peer_open();
  open.caps.four_octet_as = 65003;
  open.my_as = 65003;
  auto r = negotiate(make_config(), open);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().notification, bad_peer_as);
  EXPECT_EQ(r.error().reason, "peer AS 65003, expected 65002");

  // Wrong AS in My AS, no capability (an RFC 4271-only speaker).
  open = peer_open();
  open.caps.four_octet_as.reset();
  open.my_as = 65009;
  EXPECT_EQ(rejection(make_config(), open), bad_peer_as);

  // AS_TRANS without the capability names no AS.
  open.my_as = static_cast<std::uint16_t>(kAsTrans);
  EXPECT_EQ(rejection(make_config(), open), bad_peer_as);

  // A 4-octet AS must come with AS_TRANS in My AS (RFC 6793 §4.1).
  SessionConfig big = make_config();
  big.peer_as = 4200000000U;
  open = peer_open();
  open.caps.four_octet_as = 4200000000U;
  open.my_as = 65002;
  EXPECT_EQ(rejection(big, open), bad_peer_as);
  open.my_as = static_cast<std::uint16_t>(kAsTrans);
  auto ok = negotiate(big, open);
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->peer_as, 4200000000U);

  // AS 0 in the capability (RFC 7607).
  open = peer_open();
  open.caps.four_octet_as = 0;
  EXPECT_EQ(rejection(make_config(), open), bad_peer_as);
}

TEST(FsmNegotiation, TwoOctetPeerWithoutCapability) {
  Open open = peer_open();
  open.caps.four_octet_as.reset();
  auto r = negotiate(make_config(), open);
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->four_octet_as);
  EXPECT_FALSE(r->codec_options().four_octet_as);
  EXPECT_EQ(r->peer_as, kPeerAs);
}

TEST(FsmNegotiation, UnacceptableHoldTime) {
  for (int hold : {1, 2}) {
    Open open = peer_open();
    open.hold_time_s = static_cast<std::uint16_t>(hold);
    EXPECT_EQ(rejection(make_config(), open), (Notification{2, 6, {}})) << hold;
  }
}

TEST(FsmNegotiation, BadBgpIdentifier) {
  Open open = peer_open();
  open.bgp_id = 0;
  EXPECT_EQ(rejection(make_config(), open), (Notification{2, 3, {}}));

  // iBGP: the peer must not use our identifier (RFC 6286 §2.2) ...
  SessionConfig ibgp = make_config();
  ibgp.peer_as = kLocalAs;
  open = peer_open();
  open.caps.four_octet_as = kLocalAs;
  open.my_as = static_cast<std::uint16_t>(kLocalAs);
  open.bgp_id = kLocalId;
  EXPECT_EQ(rejection(ibgp, open), (Notification{2, 3, {}}));
  open.bgp_id = kPeerId;
  auto r = negotiate(ibgp, open);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->ibgp);

  // ... an external peer may (AS-wide uniqueness only).
  open = peer_open();
  open.bgp_id = kLocalId;
  EXPECT_TRUE(negotiate(make_config(), open).has_value());
}

TEST(FsmNegotiation, ChecksRunInRfcOrder) {
  // Version before AS before hold time before identifier.
  Open open = peer_open();
  open.version = 5;
  open.my_as = 1;
  open.caps.four_octet_as = 1;
  open.hold_time_s = 1;
  open.bgp_id = 0;
  EXPECT_EQ(rejection(make_config(), open).subcode, open_error::kUnsupportedVersion);
  open.version = 4;
  EXPECT_EQ(rejection(make_config(), open).subcode, open_error::kBadPeerAs);
  open.my_as = static_cast<std::uint16_t>(kPeerAs);
  open.caps.four_octet_as = kPeerAs;
  EXPECT_EQ(rejection(make_config(), open).subcode, open_error::kUnacceptableHoldTime);
  open.hold_time_s = 90;
  EXPECT_EQ(rejection(make_config(), open).subcode, open_error::kBadBgpIdentifier);
}

TEST(FsmNegotiation, AddressFamilies) {
  SessionConfig dual = make_config();
  dual.capabilities.multiprotocol = {kIpv6Unicast, kIpv4Unicast};

  // No Multiprotocol capability from the peer: IPv4 unicast implied.
  Open open = peer_open();
  open.caps.multiprotocol.clear();
  auto r = negotiate(dual, open);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->families, std::vector<AfiSafi>{kIpv4Unicast});

  // Only what both listed; sorted.
  open.caps.multiprotocol = {kIpv6Unicast};
  r = negotiate(dual, open);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->families, std::vector<AfiSafi>{kIpv6Unicast});
  open.caps.multiprotocol = {kIpv6Unicast, kIpv4Unicast, kIpv6Unicast};
  r = negotiate(dual, open);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->families, (std::vector<AfiSafi>{kIpv4Unicast, kIpv6Unicast}));

  // Our side without Multiprotocol capability: IPv4 unicast too.
  SessionConfig plain = make_config();
  plain.capabilities.multiprotocol.clear();
  open.caps.multiprotocol = {kIpv4Unicast};
  r = negotiate(plain, open);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->families, std::vector<AfiSafi>{kIpv4Unicast});
}

TEST(FsmNegotiation, NoCommonFamilyIsUnsupportedCapability) {
  SessionConfig v6 = make_config();
  v6.capabilities.multiprotocol = {kIpv6Unicast};
  Open open = peer_open();
  open.caps.multiprotocol.clear();  // IPv4 unicast only
  auto r = negotiate(v6, open);
  ASSERT_FALSE(r.has_value());
  // RFC 5492 §3: the data is the capability we need: Multiprotocol IPv6 unicast.
  EXPECT_EQ(r.error().notification, (Notification{2, 7, {1, 4, 0, 2, 0, 1}}));
  EXPECT_EQ(r.error().reason, "no address family in common with the peer");
}

TEST(FsmNegotiation, CapabilitiesBothSides) {
  SessionConfig config = make_config();
  config.capabilities.extended_message = true;
  config.capabilities.enhanced_route_refresh = true;
  Open open = peer_open();
  open.caps.extended_message = true;
  open.caps.enhanced_route_refresh = false;
  open.caps.route_refresh = false;
  GracefulRestartCapability gr;
  gr.restart_time_s = 120;
  gr.families = {{kIpv4Unicast, true}};
  open.caps.graceful_restart = gr;
  auto r = negotiate(config, open);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->extended_message);
  EXPECT_FALSE(r->enhanced_route_refresh);
  EXPECT_FALSE(r->route_refresh);
  EXPECT_EQ(r->peer_graceful_restart, gr);
  EXPECT_TRUE(r->codec_options().extended_message);
  EXPECT_TRUE(r->codec_options().four_octet_as);

  // Extended message needs both sides.
  config.capabilities.extended_message = false;
  r = negotiate(config, open);
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->extended_message);
}

TEST(FsmNegotiation, LocalOpen) {
  SessionConfig config = make_config();
  Open open = local_open(config);
  EXPECT_EQ(open.version, 4);
  EXPECT_EQ(open.my_as, kLocalAs);
  EXPECT_EQ(open.hold_time_s, 90);
  EXPECT_EQ(open.bgp_id, kLocalId);
  EXPECT_EQ(open.caps.four_octet_as, kLocalAs);
  EXPECT_EQ(open.caps.multiprotocol, std::vector<AfiSafi>{kIpv4Unicast});
  EXPECT_TRUE(open.caps.route_refresh);

  config.local_as = 4200000001U;
  config.hold_time = std::chrono::seconds(0);
  config.capabilities.four_octet_as = 7;  // overridden
  open = local_open(config);
  EXPECT_EQ(open.my_as, kAsTrans);
  EXPECT_EQ(open.caps.four_octet_as, 4200000001U);
  EXPECT_EQ(open.hold_time_s, 0);
  EXPECT_EQ(open.asn(), 4200000001U);
}

TEST(FsmNegotiation, ValidateConfig) {
  EXPECT_TRUE(validate_config(make_config()).has_value());
  const auto invalid = [](auto mutate) {
    SessionConfig c = make_config();
    mutate(c);
    auto r = validate_config(c);
    return r.has_value() ? std::string() : r.error();
  };
  EXPECT_NE(invalid([](SessionConfig& c) { c.local_as = 0; }), "");
  EXPECT_NE(invalid([](SessionConfig& c) { c.peer_as = 0; }), "");
  EXPECT_NE(invalid([](SessionConfig& c) { c.peer_as = kAsTrans; }), "");
  EXPECT_NE(invalid([](SessionConfig& c) { c.local_router_id = 0; }), "");
  EXPECT_EQ(invalid([](SessionConfig& c) { c.hold_time = std::chrono::seconds(2); }),
            "hold_time must be 0 or 3..65535 seconds");
  EXPECT_NE(invalid([](SessionConfig& c) { c.hold_time = std::chrono::seconds(70000); }), "");
  EXPECT_EQ(invalid([](SessionConfig& c) { c.hold_time = std::chrono::seconds(0); }), "");
  EXPECT_EQ(invalid([](SessionConfig& c) { c.hold_time = std::chrono::seconds(3); }), "");
  EXPECT_NE(invalid([](SessionConfig& c) { c.connect_retry_time = std::chrono::seconds(0); }), "");
  EXPECT_NE(invalid([](SessionConfig& c) { c.idle_hold_initial = std::chrono::seconds(0); }), "");
  EXPECT_NE(invalid([](SessionConfig& c) {
              c.idle_hold_initial = std::chrono::seconds(10);
              c.idle_hold_max = std::chrono::seconds(5);
            }),
            "");
  EXPECT_NE(invalid([](SessionConfig& c) { c.backoff_reset_time = std::chrono::seconds(0); }), "");
  // iBGP is derived from the ASes.
  SessionConfig ibgp = make_config();
  EXPECT_FALSE(ibgp.is_ibgp());
  ibgp.peer_as = kLocalAs;
  EXPECT_TRUE(ibgp.is_ibgp());
}

// ---- notification text -------------------------------------------------------------------

TEST(FsmNotificationText, Describe) {
  EXPECT_EQ(describe_notification({2, 2, {}}), "OPEN Message Error/Bad Peer AS");
  EXPECT_EQ(describe_notification({4, 0, {}}), "Hold Timer Expired");
  EXPECT_EQ(describe_notification({5, 3, {}}),
            "Finite State Machine Error/Receive Unexpected Message in Established State");
  EXPECT_EQ(describe_notification({6, 7, {}}), "Cease/Connection Collision Resolution");
  EXPECT_EQ(describe_notification({3, 11, {}}), "UPDATE Message Error/Malformed AS_PATH");
  EXPECT_EQ(describe_notification({1, 3, {}}), "Message Header Error/Bad Message Type");
  EXPECT_EQ(describe_notification({7, 1, {}}),
            "ROUTE-REFRESH Message Error/Invalid Message Length");
  EXPECT_EQ(describe_notification({42, 1, {}}), "error code 42/subcode 1");
  EXPECT_EQ(describe_notification({6, 99, {}}), "Cease/subcode 99");
  EXPECT_EQ(describe_notification({6, 2, {3, 'b', 'y', 'e'}}),
            "Cease/Administrative Shutdown: \"bye\"");
}

TEST(FsmNotificationText, ShutdownCommunicationRoundTrip) {
  EXPECT_TRUE(encode_shutdown_communication("").empty());
  const auto data = encode_shutdown_communication("planned work \xE2\x9C\x93");
  EXPECT_EQ(data.size(), 1 + 16U);
  EXPECT_EQ(data[0], 16);
  EXPECT_EQ(decode_shutdown_communication({6, 2, data}), "planned work \xE2\x9C\x93");
  EXPECT_EQ(decode_shutdown_communication({6, 4, data}), "planned work \xE2\x9C\x93");

  // Exactly 255 octets fit; 256 are cut.
  EXPECT_EQ(encode_shutdown_communication(std::string(255, 'x')).size(), 256U);
  EXPECT_EQ(encode_shutdown_communication(std::string(300, 'x')).size(), 256U);
  // A 3-octet character that would straddle the limit is left out entirely.
  const auto cut = encode_shutdown_communication(std::string(253, 'x') + "\xE2\x9C\x93");
  EXPECT_EQ(cut[0], 253);
}

TEST(FsmNotificationText, MalformedShutdownCommunicationIsNotShown) {
  // Not a Cease with subcode 2 or 4.
  EXPECT_FALSE(decode_shutdown_communication({6, 3, {2, 'h', 'i'}}));
  EXPECT_FALSE(decode_shutdown_communication({2, 2, {2, 'h', 'i'}}));
  // No data, or a length that does not match.
  EXPECT_FALSE(decode_shutdown_communication({6, 2, {}}));
  EXPECT_FALSE(decode_shutdown_communication({6, 2, {5, 'h', 'i'}}));
  EXPECT_FALSE(decode_shutdown_communication({6, 2, {1, 'h', 'i'}}));
  // Invalid UTF-8: a lone continuation octet, an overlong form, a surrogate, a truncation.
  EXPECT_FALSE(decode_shutdown_communication({6, 2, {1, 0x80}}));
  EXPECT_FALSE(decode_shutdown_communication({6, 2, {2, 0xC0, 0xAF}}));
  EXPECT_FALSE(decode_shutdown_communication({6, 2, {3, 0xED, 0xA0, 0x80}}));
  EXPECT_FALSE(decode_shutdown_communication({6, 2, {2, 0xE2, 0x9C}}));
  EXPECT_EQ(describe_notification({6, 2, {1, 0x80}}), "Cease/Administrative Shutdown");
  // Control characters are neutralised.
  EXPECT_EQ(decode_shutdown_communication({6, 2, {3, 'a', '\n', 'b'}}), "a?b");
  // Length zero is a valid, empty communication.
  EXPECT_EQ(decode_shutdown_communication({6, 2, {0}}), "");
  EXPECT_EQ(describe_notification({6, 2, {0}}), "Cease/Administrative Shutdown");
}

}  // namespace
}  // namespace calico::bgp::fsm
