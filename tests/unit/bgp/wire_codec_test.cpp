// Wire codec tests for the non-UPDATE messages (OPEN, NOTIFICATION, KEEPALIVE,
// ROUTE-REFRESH), the header checks, the framer and the text helpers: round trips,
// hand-built golden vectors (RFC 4271 §4, RFC 5492, RFC 4724, RFC 6793, RFC 9072) and
// names.  UPDATE tests are in wire_update_test.cpp, malformed messages in
// wire_malformed_test.cpp.
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "bgp/wire/codec.h"
#include "tests/unit/bgp/wire_test_util.h"

namespace calico::bgp {
namespace {

using testing::Bytes;
using testing::frame;
using testing::hex;

Message round_trip(const Message& m, const CodecOptions& opts = {}) {
  auto bytes = encode_message(m, opts);
  EXPECT_TRUE(bytes.has_value()) << (bytes ? "" : bytes.error());
  if (!bytes) {
    return Keepalive{};
  }
  auto decoded = decode_message(*bytes, opts);
  EXPECT_TRUE(decoded.has_value()) << (decoded ? "" : decoded.error().to_string());
  if (!decoded) {
    return Keepalive{};
  }
  EXPECT_FALSE(decoded->action.has_value());
  return decoded->message;
}

Open full_open() {
  Open o;
  o.my_as = 65001;
  o.hold_time_s = 90;
  o.bgp_id = 0x0A000001;
  o.caps.multiprotocol = {kIpv4Unicast, kIpv6Unicast};
  o.caps.route_refresh = true;
  o.caps.extended_message = true;
  GracefulRestartCapability gr;
  gr.restarting = true;
  gr.restart_time_s = 120;
  gr.families = {{kIpv4Unicast, true}};
  o.caps.graceful_restart = gr;
  o.caps.four_octet_as = 65001;
  o.caps.enhanced_route_refresh = true;
  return o;
}

// RFC 4271 §4.2 + RFC 5492 §4, laid out by hand: one optional parameter of type 2 holding
// MP(IPv4 unicast), MP(IPv6 unicast), Route Refresh, Extended Message, Graceful Restart
// (R bit, 120 s, IPv4 unicast with F bit), 4-octet AS 65001 and Enhanced Route Refresh.
constexpr const char* kGoldenOpen =
    "ffffffffffffffffffffffffffffffff 003f 01"
    "04 fde9 005a 0a000001 22"
    "02 20"
    "01 04 0001 00 01"
    "01 04 0002 00 01"
    "02 00"
    "06 00"
    "40 06 8078 0001 01 80"
    "41 04 0000fde9"
    "46 00";

TEST(WireOpen, GoldenVectorEncodes) {
  auto bytes = encode_message(full_open(), {});
  ASSERT_TRUE(bytes.has_value()) << bytes.error();
  EXPECT_EQ(*bytes, hex(kGoldenOpen));
}

TEST(WireOpen, GoldenVectorDecodes) {
  auto d = decode_message(hex(kGoldenOpen), {});
  ASSERT_TRUE(d.has_value()) << d.error().to_string();
  ASSERT_TRUE(std::holds_alternative<Open>(d->message));
  const auto& o = std::get<Open>(d->message);
  EXPECT_EQ(o, full_open());
  EXPECT_EQ(o.asn(), 65001u);
  EXPECT_EQ(type_of(d->message), MessageType::Open);
}

TEST(WireOpen, RoundTripWithoutCapabilities) {
  Open o;
  o.my_as = 64512;
  o.hold_time_s = 3;
  o.bgp_id = 0x01020304;
  EXPECT_EQ(std::get<Open>(round_trip(o)), o);
  auto bytes = encode_message(o, {});
  ASSERT_TRUE(bytes.has_value());
  EXPECT_EQ(bytes->size(), 29u);
}

TEST(WireOpen, RoundTripGracefulRestartBitsAndOtherCapabilities) {
  Open o = full_open();
  o.my_as = kAsTrans;
  o.caps.four_octet_as = 4200000000u;
  o.caps.graceful_restart->restarting = false;
  o.caps.graceful_restart->notification = true;
  o.caps.graceful_restart->restart_time_s = 4095;
  o.caps.graceful_restart->families = {{kIpv4Unicast, false}, {kIpv6Unicast, true}};
  o.caps.other = {{73, {3, 'a', 'b', 'c', 0}}, {69, {0, 1, 1, 1}}, {200, {}}};
  const auto back = std::get<Open>(round_trip(o));
  EXPECT_EQ(back, o);
  EXPECT_EQ(back.asn(), 4200000000u);
}

TEST(WireOpen, CiscoRouteRefreshAndRepeatedCapabilities) {
  // Cisco's pre-standard route refresh (128) counts as route refresh; capabilities may be
  // spread over several optional parameters (RFC 5492 §4).
  const Bytes ok_body =
      hex("04 fde9 00b4 c0000201 0e"
          "02 02 80 00"
          "02 08 01 04 0002 00 01 46 00");
  auto ok = decode_message(frame(1, ok_body), {});
  ASSERT_TRUE(ok.has_value()) << ok.error().to_string();
  const auto& o = std::get<Open>(ok->message);
  EXPECT_TRUE(o.caps.route_refresh);
  EXPECT_TRUE(o.caps.enhanced_route_refresh);
  EXPECT_EQ(o.caps.multiprotocol, std::vector<AfiSafi>{kIpv6Unicast});
  EXPECT_TRUE(o.caps.other.empty());
  EXPECT_EQ(o.hold_time_s, 180);
  EXPECT_EQ(format_router_id(o.bgp_id), "192.0.2.1");
}

TEST(WireOpen, ExtendedOptionalParametersRoundTrip) {
  // More than 255 bytes of capabilities need RFC 9072 extended optional parameters.
  Open o = full_open();
  for (std::uint8_t i = 0; i < 30; ++i) {
    o.caps.other.push_back({static_cast<std::uint8_t>(150 + i), Bytes(8, i)});
  }
  auto bytes = encode_message(o, {});
  ASSERT_TRUE(bytes.has_value()) << bytes.error();
  // Non-Ext OP Len 255, Non-Ext OP Type 255, then a 2-octet length (RFC 9072 §2).
  EXPECT_EQ((*bytes)[28], 255);
  EXPECT_EQ((*bytes)[29], 255);
  EXPECT_EQ(std::get<Open>(round_trip(o)), o);
}

TEST(WireOpen, ExtendedOptionalParametersDecodeByHand) {
  const Bytes body =
      hex("04 fde9 005a 0a000001 ff ff 0009"
          "02 0006 41 04 0000fde9");
  auto d = decode_message(frame(1, body), {});
  ASSERT_TRUE(d.has_value()) << d.error().to_string();
  EXPECT_EQ(std::get<Open>(d->message).caps.four_octet_as, 65001u);
}

TEST(WireOpen, EncodeRejectsOversizedCapability) {
  Open o;
  o.caps.other = {{99, Bytes(256, 0)}};
  auto bytes = encode_message(o, {});
  ASSERT_FALSE(bytes.has_value());
  EXPECT_NE(bytes.error().find("exceeds 255"), std::string::npos);
}

TEST(WireNotification, RoundTrip) {
  Notification n{6, 2, {5, 'h', 'e', 'l', 'l', 'o'}};
  EXPECT_EQ(std::get<Notification>(round_trip(n)), n);
  Notification empty{4, 0, {}};
  EXPECT_EQ(std::get<Notification>(round_trip(empty)), empty);
  auto bytes = encode_message(empty, {});
  ASSERT_TRUE(bytes.has_value());
  EXPECT_EQ(*bytes, hex("ffffffffffffffffffffffffffffffff 0015 03 04 00"));
}

TEST(WireNotification, ToStringWithShutdownCommunication) {
  const std::string text = "maintenance window";
  // Built in one go: push_back + insert trips a GCC 12 -O2 -Warray-bounds false positive.
  std::vector<std::uint8_t> data(text.size() + 1);
  data[0] = static_cast<std::uint8_t>(text.size());
  std::copy(text.begin(), text.end(), data.begin() + 1);
  Notification n{6, 2, data};
  EXPECT_EQ(n.to_string(), "Cease/Administrative Shutdown: \"maintenance window\"");

  // Administrative Reset carries it too (RFC 9003 §2); UTF-8 passes through.
  Notification reset{6, 4, {5, 'c', 'a', 'f', 0xC3, 0xA9}};
  EXPECT_EQ(reset.to_string(), "Cease/Administrative Reset: \"caf\xC3\xA9\"");
}

TEST(WireNotification, ToStringIgnoresInvalidShutdownCommunication) {
  EXPECT_EQ((Notification{6, 2, {9, 'a', 'b'}}).to_string(), "Cease/Administrative Shutdown");
  EXPECT_EQ((Notification{6, 2, {2, 0xC0, 0x80}}).to_string(),  // overlong encoding
            "Cease/Administrative Shutdown");
  EXPECT_EQ((Notification{6, 2, {3, 0xED, 0xA0, 0x80}}).to_string(),  // surrogate
            "Cease/Administrative Shutdown");
  EXPECT_EQ((Notification{6, 2, {0}}).to_string(), "Cease/Administrative Shutdown");
  EXPECT_EQ((Notification{6, 3, {1, 'x'}}).to_string(), "Cease/Peer De-configured");
  EXPECT_EQ((Notification{6, 2, {2, 'a', '\n'}}).to_string(),
            "Cease/Administrative Shutdown: \"a\\x0a\"");
}

TEST(WireNotification, ErrorNames) {
  EXPECT_EQ((Notification{3, 11, {}}).to_string(), "UPDATE Message Error/Malformed AS_PATH");
  EXPECT_EQ((Notification{1, 2, {}}).to_string(), "Message Header Error/Bad Message Length");
  EXPECT_EQ((Notification{2, 6, {}}).to_string(), "OPEN Message Error/Unacceptable Hold Time");
  EXPECT_EQ((Notification{5, 3, {}}).to_string(),
            "Finite State Machine Error/Receive Unexpected Message in Established State");
  EXPECT_EQ((Notification{4, 0, {}}).to_string(), "Hold Timer Expired/Unspecific");
  EXPECT_EQ((Notification{7, 1, {}}).to_string(),
            "ROUTE-REFRESH Message Error/Invalid Message Length");
  EXPECT_EQ(error_code_name(42), "code 42");
  EXPECT_EQ(error_subcode_name(6, 99), "subcode 99");
  EXPECT_EQ(error_subcode_name(6, 10), "BFD Down");
  EXPECT_EQ(error_subcode_name(6, 9), "Hard Reset");
  EXPECT_EQ(error_subcode_name(2, 0), "Unspecific");
  EXPECT_EQ(error_subcode_name(3, 8), "Invalid NEXT_HOP Attribute");
}

TEST(WireKeepalive, RoundTripAndExactBytes) {
  auto bytes = encode_message(Keepalive{}, {});
  ASSERT_TRUE(bytes.has_value());
  EXPECT_EQ(*bytes, hex("ffffffffffffffffffffffffffffffff 0013 04"));
  EXPECT_TRUE(std::holds_alternative<Keepalive>(round_trip(Keepalive{})));
}

TEST(WireRouteRefresh, RoundTripSubtypes) {
  for (std::uint8_t subtype : {0, 1, 2}) {
    RouteRefresh rr{kIpv6Unicast, subtype};
    EXPECT_EQ(std::get<RouteRefresh>(round_trip(rr)), rr);
  }
  auto bytes = encode_message(RouteRefresh{kIpv4Unicast, 0}, {});
  ASSERT_TRUE(bytes.has_value());
  EXPECT_EQ(*bytes, hex("ffffffffffffffffffffffffffffffff 0017 05 0001 00 01"));
}

TEST(WireHeader, DecodesValidHeader) {
  auto h = decode_header(hex("ffffffffffffffffffffffffffffffff 0017 05"), {});
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->length, 23);
  EXPECT_EQ(h->type, MessageType::RouteRefresh);
}

TEST(WireHeader, ExtendedMessageAllowsLargeUpdates) {
  CodecOptions ext;
  ext.extended_message = true;
  EXPECT_EQ(ext.max_message_size(), 65535u);
  EXPECT_TRUE(decode_header(hex("ffffffffffffffffffffffffffffffff ffff 02"), ext).has_value());
  EXPECT_FALSE(decode_header(hex("ffffffffffffffffffffffffffffffff ffff 02"), {}).has_value());
}

TEST(WireStrings, Names) {
  EXPECT_EQ(to_string(MessageType::Open), "OPEN");
  EXPECT_EQ(to_string(MessageType::Update), "UPDATE");
  EXPECT_EQ(to_string(MessageType::Notification), "NOTIFICATION");
  EXPECT_EQ(to_string(MessageType::Keepalive), "KEEPALIVE");
  EXPECT_EQ(to_string(MessageType::RouteRefresh), "ROUTE-REFRESH");
  EXPECT_EQ(to_string(ErrorAction::SessionReset), "session-reset");
  EXPECT_EQ(to_string(ErrorAction::AfiSafiDisable), "afi-safi-disable");
  EXPECT_EQ(to_string(ErrorAction::TreatAsWithdraw), "treat-as-withdraw");
  EXPECT_EQ(to_string(ErrorAction::AttributeDiscard), "attribute-discard");
  EXPECT_EQ(type_of(Message{Keepalive{}}), MessageType::Keepalive);
  EXPECT_EQ(type_of(Message{Update{}}), MessageType::Update);
  EXPECT_EQ(type_of(Message{Notification{}}), MessageType::Notification);
  EXPECT_EQ(type_of(Message{RouteRefresh{}}), MessageType::RouteRefresh);
}

TEST(WireStrings, DecodeErrorToString) {
  DecodeError e;
  e.code = ErrorCode::UpdateMessage;
  e.subcode = update_error::kMalformedAsPath;
  e.offset = 37;
  e.reason = "zero-length segment";
  e.action = ErrorAction::TreatAsWithdraw;
  EXPECT_EQ(e.to_string(),
            "UPDATE Message Error/Malformed AS_PATH at byte 37: zero-length segment "
            "(treat-as-withdraw)");
  const Notification n = e.to_notification();
  EXPECT_EQ(n.code, 3);
  EXPECT_EQ(n.subcode, 11);
}

// ---- framer ------------------------------------------------------------------------------

Bytes stream_of_messages() {
  Bytes s;
  for (const Message& m :
       {Message{full_open()}, Message{Keepalive{}}, Message{RouteRefresh{kIpv4Unicast, 1}},
        Message{Notification{6, 4, {}}}}) {
    auto b = encode_message(m, {});
    EXPECT_TRUE(b.has_value());
    s.insert(s.end(), b->begin(), b->end());
  }
  return s;
}

std::vector<MessageType> drain(MessageFramer& f) {
  std::vector<MessageType> out;
  while (auto r = f.next({})) {
    EXPECT_TRUE(r->has_value()) << r->error().to_string();
    if (!r->has_value()) {
      break;
    }
    out.push_back(type_of((*r)->message));
  }
  return out;
}

TEST(WireFramer, WholeStreamAtOnce) {
  MessageFramer f;
  const Bytes s = stream_of_messages();
  f.feed(s);
  EXPECT_EQ(drain(f),
            (std::vector<MessageType>{MessageType::Open, MessageType::Keepalive,
                                      MessageType::RouteRefresh, MessageType::Notification}));
  EXPECT_EQ(f.buffered(), 0u);
  EXPECT_FALSE(f.next({}).has_value());
}

TEST(WireFramer, SplitAtEveryByteBoundary) {
  const Bytes s = stream_of_messages();
  for (std::size_t cut = 0; cut <= s.size(); ++cut) {
    MessageFramer f;
    std::vector<MessageType> got;
    f.feed(std::span<const std::uint8_t>(s.data(), cut));
    auto a = drain(f);
    f.feed(std::span<const std::uint8_t>(s.data() + cut, s.size() - cut));
    auto b = drain(f);
    got.insert(got.end(), a.begin(), a.end());
    got.insert(got.end(), b.begin(), b.end());
    EXPECT_EQ(got.size(), 4u) << "cut at " << cut;
    EXPECT_EQ(f.buffered(), 0u);
  }
}

TEST(WireFramer, OneByteAtATime) {
  const Bytes s = stream_of_messages();
  MessageFramer f;
  std::size_t count = 0;
  for (auto b : s) {
    f.feed(std::span<const std::uint8_t>(&b, 1));
    count += drain(f).size();
    EXPECT_LT(f.buffered(), 4096u);
  }
  EXPECT_EQ(count, 4u);
}

TEST(WireFramer, BadHeaderIsStickyError) {
  MessageFramer f;
  Bytes bad = hex("ffffffffffffffffffffffffffffff00 0013 04");
  f.feed(bad);
  for (int i = 0; i < 2; ++i) {
    auto r = f.next({});
    ASSERT_TRUE(r.has_value());
    ASSERT_FALSE(r->has_value());
    EXPECT_EQ(r->error().code, ErrorCode::MessageHeader);
    EXPECT_EQ(r->error().subcode, header_error::kConnectionNotSynchronized);
  }
}

TEST(WireFramer, WaitsForTheWholeBody) {
  MessageFramer f;
  auto bytes = encode_message(full_open(), {});
  ASSERT_TRUE(bytes.has_value());
  f.feed(std::span<const std::uint8_t>(bytes->data(), 20));
  EXPECT_FALSE(f.next({}).has_value());
  EXPECT_EQ(f.buffered(), 20u);
  f.feed(std::span<const std::uint8_t>(bytes->data() + 20, bytes->size() - 20));
  auto r = f.next({});
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ(std::get<Open>((*r)->message), full_open());
}

TEST(WireFramer, BodyErrorConsumesTheMessage) {
  // A well-framed but undecodable message is reported and skipped over.
  MessageFramer f;
  Bytes bad = frame(1, hex("03 fde9 005a 0a000001 00"));
  auto ka = encode_message(Keepalive{}, {});
  ASSERT_TRUE(ka.has_value());
  bad.insert(bad.end(), ka->begin(), ka->end());
  f.feed(bad);
  auto r = f.next({});
  ASSERT_TRUE(r.has_value());
  ASSERT_FALSE(r->has_value());
  EXPECT_EQ(r->error().subcode, open_error::kUnsupportedVersion);
  auto r2 = f.next({});
  ASSERT_TRUE(r2.has_value());
  ASSERT_TRUE(r2->has_value());
  EXPECT_TRUE(std::holds_alternative<Keepalive>((*r2)->message));
}

}  // namespace
}  // namespace calico::bgp
