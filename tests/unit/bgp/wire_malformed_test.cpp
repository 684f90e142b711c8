// Malformed BGP messages: each case asserts the exact outcome — error code, subcode,
// action (session reset / treat-as-withdraw / attribute discard, RFC 7606 §2) and, where
// RFC 4271 §6 defines it, the NOTIFICATION data.  Also a randomized corruption loop over
// valid messages (fixed seed) checking that decoding never crashes and every error is
// well-formed.
#include <cstdint>
#include <random>
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
using testing::two_octet;
using testing::update_msg;

// Well-formed pieces (4-octet AS session).
constexpr const char* kOrigin = "40 01 01 00 ";
constexpr const char* kAsPath = "40 02 06 02 01 0000fde9 ";
constexpr const char* kAsPath2 = "40 02 04 02 01 fde9 ";  // 2-octet session
constexpr const char* kNextHop = "40 03 04 c0000201 ";
constexpr const char* kNlri = "08 0a";

Bytes good_attrs(const std::string& extra = "") {
  return hex(std::string(kOrigin) + kAsPath + kNextHop + extra);
}

constexpr auto kHeader = ErrorCode::MessageHeader;
constexpr auto kOpen = ErrorCode::OpenMessage;
constexpr auto kUpdate = ErrorCode::UpdateMessage;

// A fatal error: session reset.
void expect_reset(const Bytes& msg, ErrorCode code, std::uint8_t subcode, const Bytes& data,
                  const CodecOptions& opts = {}) {
  auto d = decode_message(msg, opts);
  ASSERT_FALSE(d.has_value()) << "decoded without error";
  const DecodeError& e = d.error();
  EXPECT_EQ(e.code, code) << e.to_string();
  EXPECT_EQ(e.subcode, subcode) << e.to_string();
  EXPECT_EQ(e.action, ErrorAction::SessionReset) << e.to_string();
  EXPECT_EQ(e.data, data) << e.to_string();
  EXPECT_FALSE(e.reason.empty());
  EXPECT_LE(e.offset, msg.size());
  const Notification n = e.to_notification();
  EXPECT_EQ(n.code, static_cast<std::uint8_t>(code));
  EXPECT_EQ(n.subcode, subcode);
  EXPECT_EQ(n.data, data);
}

// A soft UPDATE error: the message decodes, with `action` and exactly one soft error.
Update expect_soft(const Bytes& msg, std::uint8_t subcode, ErrorAction action, const Bytes& data,
                   const CodecOptions& opts = {}) {
  auto d = decode_message(msg, opts);
  EXPECT_TRUE(d.has_value()) << (d ? "" : d.error().to_string());
  if (!d) {
    return {};
  }
  EXPECT_EQ(d->action, action);
  EXPECT_EQ(d->soft_errors.size(), 1u);
  if (d->soft_errors.empty()) {
    return {};
  }
  const DecodeError& e = d->soft_errors.front();
  EXPECT_EQ(e.code, kUpdate) << e.to_string();
  EXPECT_EQ(e.subcode, subcode) << e.to_string();
  EXPECT_EQ(e.action, action) << e.to_string();
  EXPECT_EQ(e.data, data) << e.to_string();
  EXPECT_FALSE(e.reason.empty());
  return std::get<Update>(d->message);
}

constexpr auto kWithdraw = ErrorAction::TreatAsWithdraw;
constexpr auto kDiscard = ErrorAction::AttributeDiscard;

// ---- message header (RFC 4271 §6.1) ----------------------------------------------------

TEST(WireMalformedHeader, MarkerNotAllOnes) {
  Bytes m = frame(4, {});
  m[5] = 0xFE;
  expect_reset(m, kHeader, header_error::kConnectionNotSynchronized, {});
}

TEST(WireMalformedHeader, LengthBelow19) {
  Bytes m = frame(4, {});
  m[17] = 18;
  expect_reset(m, kHeader, header_error::kBadMessageLength, hex("0012"));
}

TEST(WireMalformedHeader, LengthAbove4096) {
  Bytes m = frame(2, Bytes(4097 - 19, 0));
  expect_reset(m, kHeader, header_error::kBadMessageLength, hex("1001"));
}

TEST(WireMalformedHeader, OpenAbove4096EvenWithExtendedMessages) {
  CodecOptions ext;
  ext.extended_message = true;
  Bytes m = frame(1, Bytes(5000 - 19, 0));
  expect_reset(m, kHeader, header_error::kBadMessageLength, hex("1388"), ext);
}

TEST(WireMalformedHeader, UnknownType) {
  expect_reset(frame(6, {}), kHeader, header_error::kBadMessageType, hex("06"));
  expect_reset(frame(0, {}), kHeader, header_error::kBadMessageType, hex("00"));
}

TEST(WireMalformedHeader, KeepaliveWithBody) {
  expect_reset(frame(4, hex("00")), kHeader, header_error::kBadMessageLength, hex("0014"));
}

TEST(WireMalformedHeader, OpenTooShort) {
  expect_reset(frame(1, hex("04 fde9 005a 0a000001")), kHeader, header_error::kBadMessageLength,
               hex("001c"));
}

TEST(WireMalformedHeader, NotificationTooShort) {
  expect_reset(frame(3, hex("06")), kHeader, header_error::kBadMessageLength, hex("0014"));
}

TEST(WireMalformedHeader, UpdateTooShort) {
  expect_reset(frame(2, hex("0000 00")), kHeader, header_error::kBadMessageLength, hex("0016"));
}

TEST(WireMalformedHeader, RouteRefreshTooShort) {
  expect_reset(frame(5, hex("0001 00")), kHeader, header_error::kBadMessageLength, hex("0016"));
}

TEST(WireMalformedHeader, RouteRefreshTooLong) {
  expect_reset(frame(5, hex("0001 00 01 00")), kHeader, header_error::kBadMessageLength,
               hex("0018"));
}

TEST(WireMalformedHeader, EnhancedRouteRefreshWrongLength) {
  // RFC 7313 §5: BoRR/EoRR of the wrong length, Data = the complete message.
  const Bytes m = frame(5, hex("0001 01 01 00"));
  expect_reset(m, ErrorCode::RouteRefresh, route_refresh_error::kInvalidMessageLength, m);
}

TEST(WireMalformedHeader, BufferShorterThanLengthField) {
  Bytes m = frame(4, {});
  m.push_back(0);  // 20 bytes given, length field says 19
  expect_reset(m, kHeader, header_error::kBadMessageLength, hex("0013"));
  expect_reset(hex("ffff"), kHeader, header_error::kBadMessageLength, {});
}

// ---- OPEN (RFC 4271 §6.2, RFC 5492, RFC 9072) -------------------------------------------

TEST(WireMalformedOpen, UnsupportedVersion) {
  expect_reset(frame(1, hex("03 fde9 005a 0a000001 00")), kOpen, open_error::kUnsupportedVersion,
               hex("0004"));
}

TEST(WireMalformedOpen, UnsupportedOptionalParameter) {
  expect_reset(frame(1, hex("04 fde9 005a 0a000001 04 01 02 0000")), kOpen,
               open_error::kUnsupportedOptionalParameter, {});
}

TEST(WireMalformedOpen, OptionalParametersOverrunMessage) {
  expect_reset(frame(1, hex("04 fde9 005a 0a000001 08 02 02 4600")), kOpen, 0, {});
}

TEST(WireMalformedOpen, BytesAfterOptionalParameters) {
  expect_reset(frame(1, hex("04 fde9 005a 0a000001 00 00")), kOpen, 0, {});
}

TEST(WireMalformedOpen, ParameterLengthOverrunsParameters) {
  expect_reset(frame(1, hex("04 fde9 005a 0a000001 04 02 05 4600")), kOpen, 0, {});
}

TEST(WireMalformedOpen, CapabilityLengthOverrunsParameter) {
  expect_reset(frame(1, hex("04 fde9 005a 0a000001 04 02 02 4105")), kOpen, 0, {});
}

TEST(WireMalformedOpen, FourOctetAsCapabilityWrongLength) {
  expect_reset(frame(1, hex("04 fde9 005a 0a000001 06 02 04 41 02 fde9")), kOpen, 0, {});
}

TEST(WireMalformedOpen, MultiprotocolCapabilityWrongLength) {
  expect_reset(frame(1, hex("04 fde9 005a 0a000001 07 02 05 01 03 0001 00")), kOpen, 0, {});
}

TEST(WireMalformedOpen, GracefulRestartCapabilityWrongLength) {
  expect_reset(frame(1, hex("04 fde9 005a 0a000001 07 02 05 40 03 0078 00")), kOpen, 0, {});
}

TEST(WireMalformedOpen, RouteRefreshCapabilityWithValue) {
  expect_reset(frame(1, hex("04 fde9 005a 0a000001 05 02 03 02 01 00")), kOpen, 0, {});
}

TEST(WireMalformedOpen, ExtendedParametersLengthOverrun) {
  expect_reset(frame(1, hex("04 fde9 005a 0a000001 ff ff 0020 02 0002 4600")), kOpen, 0, {});
}

// ---- UPDATE: session reset -------------------------------------------------------------

TEST(WireMalformedUpdate, WithdrawnLengthOverrunsMessage) {
  Bytes m = frame(2, hex("0010 0000"));
  expect_reset(m, kUpdate, update_error::kMalformedAttributeList, {});
}

TEST(WireMalformedUpdate, AttributeLengthOverrunsMessage) {
  Bytes m = frame(2, hex("0000 0010 40010100"));
  expect_reset(m, kUpdate, update_error::kMalformedAttributeList, {});
}

TEST(WireMalformedUpdate, WithdrawnPrefixTooLong) {
  expect_reset(update_msg(hex("21 0a000000 00"), {}, {}), kUpdate,
               update_error::kInvalidNetworkField, {});
}

TEST(WireMalformedUpdate, WithdrawnPrefixOverrunsField) {
  expect_reset(update_msg(hex("18 0a00"), {}, {}), kUpdate, update_error::kInvalidNetworkField, {});
}

TEST(WireMalformedUpdate, NlriPrefixTooLong) {
  expect_reset(update_msg({}, good_attrs(), hex("21 0a000000 00")), kUpdate,
               update_error::kInvalidNetworkField, {});
}

TEST(WireMalformedUpdate, NlriPrefixTruncated) {
  expect_reset(update_msg({}, good_attrs(), hex("18 0a01")), kUpdate,
               update_error::kInvalidNetworkField, {});
}

TEST(WireMalformedUpdate, UnrecognizedWellKnownAttribute) {
  expect_reset(update_msg({}, good_attrs("40 63 02 abcd"), hex(kNlri)), kUpdate,
               update_error::kUnrecognizedWellKnownAttribute, hex("40 63 02 abcd"));
}

TEST(WireMalformedUpdate, RepeatedMpReach) {
  const std::string mp = "80 0e 15 0002 01 10 20010db8000000000000000000000001 00 ";
  expect_reset(update_msg({}, good_attrs(mp + mp), {}), kUpdate,
               update_error::kMalformedAttributeList, {});
}

TEST(WireMalformedUpdate, RepeatedMpUnreach) {
  const std::string mp = "80 0f 03 0002 01 ";
  expect_reset(update_msg({}, hex(mp + mp), {}), kUpdate, update_error::kMalformedAttributeList,
               {});
}

TEST(WireMalformedUpdate, MpReachBadIpv6NextHopLength) {
  const std::string mp = "80 0e 0d 0002 01 08 2001 0db8 0000 0001 00";
  expect_reset(update_msg({}, good_attrs(mp), {}), kUpdate, update_error::kOptionalAttributeError,
               hex(mp));
}

TEST(WireMalformedUpdate, MpReachBadIpv4NextHopLength) {
  const std::string mp = "80 0e 0c 0001 01 05 c000020100 00 08 0a";
  expect_reset(update_msg({}, good_attrs(mp), {}), kUpdate, update_error::kOptionalAttributeError,
               hex(mp));
}

TEST(WireMalformedUpdate, MpReachTruncatedHeader) {
  const std::string mp = "80 0e 03 0002 01";
  expect_reset(update_msg({}, good_attrs(mp), {}), kUpdate, update_error::kOptionalAttributeError,
               hex(mp));
}

TEST(WireMalformedUpdate, MpReachNextHopOverrunsAttribute) {
  const std::string mp = "80 0e 06 0002 01 10 2001";
  expect_reset(update_msg({}, good_attrs(mp), {}), kUpdate, update_error::kOptionalAttributeError,
               hex(mp));
}

TEST(WireMalformedUpdate, MpReachPrefixTooLong) {
  const std::string mp = "80 0e 16 0002 01 10 20010db8000000000000000000000001 00 81";
  expect_reset(update_msg({}, good_attrs(mp), {}), kUpdate, update_error::kOptionalAttributeError,
               hex(mp));
}

TEST(WireMalformedUpdate, MpUnreachPrefixTruncated) {
  const std::string mp = "80 0f 06 0002 01 30 2001";
  expect_reset(update_msg({}, hex(mp), {}), kUpdate, update_error::kOptionalAttributeError,
               hex(mp));
}

TEST(WireMalformedUpdate, MpReachFlagsError) {
  const std::string mp = "c0 0e 05 0002 01 00 00";  // transitive bit set
  expect_reset(update_msg({}, good_attrs(mp), {}), kUpdate, update_error::kAttributeFlagsError,
               hex(mp));
}

TEST(WireMalformedUpdate, ResetWinsOverEarlierSoftError) {
  // A malformed ORIGIN (treat-as-withdraw) followed by an unrecognised well-known
  // attribute: the stronger outcome wins (RFC 7606 §3).
  expect_reset(
      update_msg({}, hex("40 01 01 07  40 02 00  40 03 04 c0000201  40 50 00"), hex(kNlri)),
      kUpdate, update_error::kUnrecognizedWellKnownAttribute, hex("40 50 00"));
}

// ---- UPDATE: treat-as-withdraw ---------------------------------------------------------

TEST(WireMalformedUpdate, InvalidOriginValue) {
  const Update u =
      expect_soft(update_msg({}, hex(std::string("40 01 01 03 ") + kAsPath + kNextHop), hex(kNlri)),
                  update_error::kInvalidOriginAttribute, kWithdraw, hex("40 01 01 03"));
  EXPECT_EQ(u.nlri.size(), 1u);  // the NLRI to withdraw
}

TEST(WireMalformedUpdate, OriginWrongLength) {
  expect_soft(update_msg({}, hex(std::string("40 01 02 0000 ") + kAsPath + kNextHop), hex(kNlri)),
              update_error::kAttributeLengthError, kWithdraw, hex("40 01 02 0000"));
}

TEST(WireMalformedUpdate, OriginFlagsOptional) {
  expect_soft(update_msg({}, hex(std::string("c0 01 01 00 ") + kAsPath + kNextHop), hex(kNlri)),
              update_error::kAttributeFlagsError, kWithdraw, hex("c0 01 01 00"));
}

TEST(WireMalformedUpdate, AsPathSegmentOverrun) {
  expect_soft(
      update_msg({}, hex(std::string(kOrigin) + "40 02 06 02 02 0000fde9 " + kNextHop), hex(kNlri)),
      update_error::kMalformedAsPath, kWithdraw, {});
}

TEST(WireMalformedUpdate, AsPathZeroLengthSegment) {
  expect_soft(update_msg({}, hex(std::string(kOrigin) + "40 02 02 02 00 " + kNextHop), hex(kNlri)),
              update_error::kMalformedAsPath, kWithdraw, {});
}

TEST(WireMalformedUpdate, AsPathUnknownSegmentType) {
  expect_soft(
      update_msg({}, hex(std::string(kOrigin) + "40 02 06 05 01 0000fde9 " + kNextHop), hex(kNlri)),
      update_error::kMalformedAsPath, kWithdraw, {});
}

TEST(WireMalformedUpdate, AsPathSingleTrailingOctet) {
  expect_soft(update_msg({}, hex(std::string(kOrigin) + "40 02 07 02 01 0000fde9 02 " + kNextHop),
                         hex(kNlri)),
              update_error::kMalformedAsPath, kWithdraw, {});
}

TEST(WireMalformedUpdate, AsPathConfedAfterSequence) {
  expect_soft(
      update_msg({},
                 hex(std::string(kOrigin) + "40 02 0c 02 01 0000fde9 03 01 0000fdf0 " + kNextHop),
                 hex(kNlri)),
      update_error::kMalformedAsPath, kWithdraw, {});
}

TEST(WireMalformedUpdate, AsPathTwoOctetSessionOddLength) {
  expect_soft(
      update_msg({}, hex(std::string(kOrigin) + "40 02 05 02 02 fde9 01 " + kNextHop), hex(kNlri)),
      update_error::kMalformedAsPath, kWithdraw, {}, two_octet());
}

TEST(WireMalformedUpdate, NextHopWrongLength) {
  expect_soft(
      update_msg({}, hex(std::string(kOrigin) + kAsPath + "40 03 05 c000020100"), hex(kNlri)),
      update_error::kAttributeLengthError, kWithdraw, hex("40 03 05 c000020100"));
}

TEST(WireMalformedUpdate, NextHopUnspecified) {
  expect_soft(update_msg({}, hex(std::string(kOrigin) + kAsPath + "40 03 04 00000000"), hex(kNlri)),
              update_error::kInvalidNextHopAttribute, kWithdraw, hex("40 03 04 00000000"));
}

TEST(WireMalformedUpdate, NextHopMulticast) {
  expect_soft(update_msg({}, hex(std::string(kOrigin) + kAsPath + "40 03 04 e0000005"), hex(kNlri)),
              update_error::kInvalidNextHopAttribute, kWithdraw, hex("40 03 04 e0000005"));
}

TEST(WireMalformedUpdate, NextHopFlagsError) {
  expect_soft(update_msg({}, hex(std::string(kOrigin) + kAsPath + "80 03 04 c0000201"), hex(kNlri)),
              update_error::kAttributeFlagsError, kWithdraw, hex("80 03 04 c0000201"));
}

TEST(WireMalformedUpdate, MedWrongLength) {
  expect_soft(update_msg({}, good_attrs("80 04 03 000064"), hex(kNlri)),
              update_error::kAttributeLengthError, kWithdraw, hex("80 04 03 000064"));
}

TEST(WireMalformedUpdate, LocalPrefWrongLength) {
  expect_soft(update_msg({}, good_attrs("40 05 05 0000006400"), hex(kNlri)),
              update_error::kAttributeLengthError, kWithdraw, hex("40 05 05 0000006400"));
}

TEST(WireMalformedUpdate, CommunitiesNotMultipleOfFour) {
  expect_soft(update_msg({}, good_attrs("c0 08 06 fde90001 0000"), hex(kNlri)),
              update_error::kAttributeLengthError, kWithdraw, hex("c0 08 06 fde90001 0000"));
}

TEST(WireMalformedUpdate, CommunitiesEmpty) {
  expect_soft(update_msg({}, good_attrs("c0 08 00"), hex(kNlri)),
              update_error::kAttributeLengthError, kWithdraw, hex("c0 08 00"));
}

TEST(WireMalformedUpdate, LargeCommunityNotMultipleOfTwelve) {
  const std::string lc = "c0 20 0d 0000fde9 00000001 00000002 ff";
  expect_soft(update_msg({}, good_attrs(lc), hex(kNlri)), update_error::kAttributeLengthError,
              kWithdraw, hex(lc));
}

TEST(WireMalformedUpdate, OriginatorIdWrongLength) {
  expect_soft(update_msg({}, good_attrs("80 09 03 0a0000"), hex(kNlri)),
              update_error::kAttributeLengthError, kWithdraw, hex("80 09 03 0a0000"));
}

TEST(WireMalformedUpdate, ClusterListNotMultipleOfFour) {
  expect_soft(update_msg({}, good_attrs("80 0a 05 0a00000100"), hex(kNlri)),
              update_error::kAttributeLengthError, kWithdraw, hex("80 0a 05 0a00000100"));
}

TEST(WireMalformedUpdate, MissingOrigin) {
  expect_soft(update_msg({}, hex(std::string(kAsPath) + kNextHop), hex(kNlri)),
              update_error::kMissingWellKnownAttribute, kWithdraw, hex("01"));
}

TEST(WireMalformedUpdate, MissingAsPath) {
  expect_soft(update_msg({}, hex(std::string(kOrigin) + kNextHop), hex(kNlri)),
              update_error::kMissingWellKnownAttribute, kWithdraw, hex("02"));
}

TEST(WireMalformedUpdate, MissingNextHopWithIpv4Nlri) {
  expect_soft(update_msg({}, hex(std::string(kOrigin) + kAsPath), hex(kNlri)),
              update_error::kMissingWellKnownAttribute, kWithdraw, hex("03"));
}

TEST(WireMalformedUpdate, MissingAttributesWithMpReachNlri) {
  // NEXT_HOP is not needed for MP_REACH_NLRI routes, ORIGIN is (RFC 4760 §3).
  const std::string mp = "80 0e 1a 0002 01 10 20010db8000000000000000000000001 00 20 20010db8 ";
  const Update u = expect_soft(update_msg({}, hex(mp + kAsPath), {}),
                               update_error::kMissingWellKnownAttribute, kWithdraw, hex("01"));
  ASSERT_TRUE(u.mp_reach.has_value());
  EXPECT_EQ(u.mp_reach->nlri.size(), 1u);
}

TEST(WireMalformedUpdate, AttributeOverrunsAttributeList) {
  // RFC 7606 §4: the last attribute overruns Total Attribute Length -> treat-as-withdraw;
  // the NLRI is still located by Total Attribute Length.
  const Update u = expect_soft(update_msg({}, good_attrs("c0 08 08 fde90001"), hex(kNlri)),
                               update_error::kMalformedAttributeList, kWithdraw, {});
  EXPECT_EQ(u.nlri.size(), 1u);
}

TEST(WireMalformedUpdate, AttributeHeaderTruncated) {
  const Update u = expect_soft(update_msg({}, good_attrs("c0 08"), hex(kNlri)),
                               update_error::kMalformedAttributeList, kWithdraw, {});
  EXPECT_EQ(u.nlri.size(), 1u);
}

TEST(WireMalformedUpdate, MixedNextHopsCannotBeRepresented) {
  const std::string mp = "80 0e 1a 0002 01 10 20010db8000000000000000000000001 00 20 20010db8 ";
  expect_soft(update_msg({}, good_attrs(mp), hex(kNlri)), update_error::kInvalidNextHopAttribute,
              kWithdraw, {});
}

// ---- UPDATE: attribute discard ---------------------------------------------------------

TEST(WireMalformedUpdate, AtomicAggregateWithValue) {
  const Update u = expect_soft(update_msg({}, good_attrs("40 06 01 00"), hex(kNlri)),
                               update_error::kAttributeLengthError, kDiscard, hex("40 06 01 00"));
  EXPECT_FALSE(u.attrs->atomic_aggregate);
}

TEST(WireMalformedUpdate, AggregatorWrongLengthFourOctetSession) {
  const Update u =
      expect_soft(update_msg({}, good_attrs("c0 07 06 fde9 c0000201"), hex(kNlri)),
                  update_error::kAttributeLengthError, kDiscard, hex("c0 07 06 fde9 c0000201"));
  EXPECT_FALSE(u.attrs->aggregator.has_value());
  EXPECT_EQ(u.nlri.size(), 1u);
}

TEST(WireMalformedUpdate, AggregatorWrongLengthTwoOctetSession) {
  expect_soft(
      update_msg({}, hex(std::string(kOrigin) + kAsPath2 + kNextHop + "c0 07 08 0000fde9 c0000201"),
                 hex(kNlri)),
      update_error::kAttributeLengthError, kDiscard, hex("c0 07 08 0000fde9 c0000201"),
      two_octet());
}

TEST(WireMalformedUpdate, AggregatorFlagsError) {
  expect_soft(update_msg({}, good_attrs("40 07 08 0000fde9 c0000201"), hex(kNlri)),
              update_error::kAttributeFlagsError, kDiscard, hex("40 07 08 0000fde9 c0000201"));
}

TEST(WireMalformedUpdate, As4PathFromFourOctetSpeakerDiscarded) {
  const Update u =
      expect_soft(update_msg({}, good_attrs("c0 11 06 02 01 fa56ea01"), hex(kNlri)),
                  update_error::kOptionalAttributeError, kDiscard, hex("c0 11 06 02 01 fa56ea01"));
  EXPECT_EQ(u.attrs->as_path.to_string(), "65001");
}

TEST(WireMalformedUpdate, As4AggregatorFromFourOctetSpeakerDiscarded) {
  expect_soft(update_msg({}, good_attrs("c0 12 08 fa56ea01 c0000201"), hex(kNlri)),
              update_error::kOptionalAttributeError, kDiscard, hex("c0 12 08 fa56ea01 c0000201"));
}

TEST(WireMalformedUpdate, MalformedAs4PathDiscarded) {
  const Update u = expect_soft(update_msg({},
                                          hex(std::string(kOrigin) + "40 02 04 02 01 5ba0 " +
                                              kNextHop + "c0 11 06 02 02 fa56ea01"),
                                          hex(kNlri)),
                               update_error::kMalformedAsPath, kDiscard, {}, two_octet());
  EXPECT_EQ(u.attrs->as_path.to_string(), "23456");
}

TEST(WireMalformedUpdate, As4AggregatorWrongLengthDiscarded) {
  expect_soft(
      update_msg({}, hex(std::string(kOrigin) + kAsPath2 + kNextHop + "c0 12 06 fa56 c0000201"),
                 hex(kNlri)),
      update_error::kAttributeLengthError, kDiscard, hex("c0 12 06 fa56 c0000201"), two_octet());
}

TEST(WireMalformedUpdate, As4AggregatorWithTwoOctetAsDiscarded) {
  // Found by the fuzzer: taking AS 0 from AS4_AGGREGATOR would make AGGREGATOR non-AS_TRANS
  // and so (RFC 6793 §4.2.3) invalidate AS4_PATH once the route is passed on.
  const Update u = expect_soft(update_msg({},
                                          hex(std::string(kOrigin) + "40 02 06 02 02 fde9 5ba0 " +
                                              kNextHop + "c0 07 06 5ba0 c0000209" +
                                              "c0 11 06 02 01 fa56ea01 c0 12 08 00000000 00000000"),
                                          hex(kNlri)),
                               update_error::kOptionalAttributeError, kDiscard,
                               hex("c0 12 08 00000000 00000000"), two_octet());
  EXPECT_EQ(u.attrs->as_path.to_string(), "65001 4200000001");
  EXPECT_EQ(u.attrs->aggregator->asn, kAsTrans);
}

TEST(WireMalformedUpdate, RepeatedAttributeKeepsTheFirst) {
  // RFC 7606 §3 (g): later copies are discarded.
  const Update u = expect_soft(update_msg({}, good_attrs("40 01 01 02"), hex(kNlri)),
                               update_error::kMalformedAttributeList, kDiscard, {});
  EXPECT_EQ(u.attrs->origin, Origin::Igp);
}

TEST(WireMalformedUpdate, NoNlriMeansAttributeDiscardOnly) {
  // Nothing to withdraw: a malformed ORIGIN in an UPDATE without NLRI is just dropped.
  const Update u = expect_soft(update_msg(hex("08 0b"), hex("40 01 01 09"), {}),
                               update_error::kInvalidOriginAttribute, kDiscard, hex("40 01 01 09"));
  EXPECT_EQ(u.withdrawn.size(), 1u);
}

TEST(WireMalformedUpdate, BadNextHopIgnoredForMpReachOnlyUpdate) {
  // RFC 4760 §3: NEXT_HOP is ignored when only MP_REACH_NLRI carries routes.
  const std::string mp = "80 0e 1a 0002 01 10 20010db8000000000000000000000001 00 20 20010db8 ";
  const Update u =
      expect_soft(update_msg({}, hex(mp + kOrigin + kAsPath + "40 03 04 00000000"), {}),
                  update_error::kInvalidNextHopAttribute, kDiscard, hex("40 03 04 00000000"));
  ASSERT_TRUE(u.attrs.has_value());
  EXPECT_EQ(u.attrs->next_hop, net::IpAddr::parse("2001:db8::1"));
}

TEST(WireMalformedUpdate, SeveralSoftErrorsStrongestWins) {
  auto d = decode_message(update_msg({}, good_attrs("40 06 01 00  80 04 01 00"), hex(kNlri)), {});
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->action, kWithdraw);
  ASSERT_EQ(d->soft_errors.size(), 2u);
  EXPECT_EQ(d->soft_errors[0].action, kDiscard);
  EXPECT_EQ(d->soft_errors[1].action, kWithdraw);
}

// ---- randomized corruption -------------------------------------------------------------

std::vector<Bytes> valid_messages() {
  std::vector<Bytes> out;
  auto add = [&](const Message& m, const CodecOptions& o) {
    auto b = encode_message(m, o);
    ASSERT_TRUE(b.has_value());
    out.push_back(*b);
  };
  Open open;
  open.my_as = 65001;
  open.hold_time_s = 90;
  open.bgp_id = 1;
  open.caps.multiprotocol = {kIpv4Unicast, kIpv6Unicast};
  open.caps.route_refresh = true;
  open.caps.four_octet_as = 4200000001u;
  open.caps.graceful_restart = GracefulRestartCapability{true, false, 90, {{kIpv4Unicast, true}}};
  open.caps.other = {{73, {1, 'x', 0}}};
  add(open, {});

  Update u;
  u.attrs = PathAttributes{};
  u.attrs->as_path.segments = {{AsSegmentType::Sequence, {65001, 4200000001u}},
                               {AsSegmentType::Set, {1, 2}}};
  u.attrs->next_hop = net::IpAddr::v4(0xC0000201);
  u.attrs->med = 5;
  u.attrs->local_pref = 100;
  u.attrs->atomic_aggregate = true;
  u.attrs->aggregator = Aggregator{4200000002u, net::IpAddr::v4(0x0A000001)};
  u.attrs->communities = {1, 2, 3};
  u.attrs->large_communities = {{1, 2, 3}};
  u.attrs->originator_id = 9;
  u.attrs->cluster_list = {1, 2};
  u.attrs->unknown = {{0xE0, 99, {1, 2}}};
  u.nlri = {*Prefix::parse("10.0.0.0/8"), *Prefix::parse("192.0.2.0/24")};
  u.withdrawn = {*Prefix::parse("172.16.0.0/12")};
  add(u, {});
  add(u, two_octet());

  Update v6;
  v6.attrs = PathAttributes{};
  v6.attrs->next_hop = *net::IpAddr::parse("2001:db8::1");
  v6.attrs->link_local_next_hop = *net::IpAddr::parse("fe80::1");
  v6.mp_reach = MpReach{kIpv6Unicast, {*Prefix::parse("2001:db8::/32")}};
  v6.mp_unreach = MpUnreach{kIpv6Unicast, {*Prefix::parse("2001:db9::/48")}};
  add(v6, {});
  add(Notification{6, 2, {4, 'b', 'y', 'e', '!'}}, {});
  add(Keepalive{}, {});
  add(RouteRefresh{kIpv6Unicast, 1}, {});
  return out;
}

void check_well_formed(const Result<Decoded, DecodeError>& r, std::size_t size) {
  if (!r) {
    const DecodeError& e = r.error();
    EXPECT_EQ(e.action, ErrorAction::SessionReset);
    EXPECT_GE(static_cast<int>(e.code), 1);
    EXPECT_LE(static_cast<int>(e.code), 7);
    EXPECT_FALSE(e.reason.empty());
    EXPECT_LE(e.offset, size);
    EXPECT_FALSE(e.to_string().empty());
    return;
  }
  EXPECT_EQ(r->action.has_value(), !r->soft_errors.empty());
  std::optional<ErrorAction> strongest;
  for (const auto& e : r->soft_errors) {
    EXPECT_EQ(e.code, ErrorCode::UpdateMessage);
    EXPECT_TRUE(e.action == ErrorAction::TreatAsWithdraw ||
                e.action == ErrorAction::AttributeDiscard);
    EXPECT_LE(e.offset, size);
    if (!strongest || e.action < *strongest) {
      strongest = e.action;
    }
  }
  EXPECT_EQ(strongest, r->action);
  if (r->action) {
    EXPECT_EQ(type_of(r->message), MessageType::Update);
  }
}

TEST(WireCorruption, RandomByteFlipsAndTruncationsNeverCrash) {
  const auto messages = valid_messages();
  std::mt19937 rng(20240607);
  int decoded_ok = 0;
  int failed = 0;
  for (int iter = 0; iter < 5000; ++iter) {
    Bytes m = messages[rng() % messages.size()];
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      // Mostly leave the marker alone so that the body parsers are exercised.
      const std::size_t pos = 16 + rng() % (m.size() - 16);
      m[pos] = static_cast<std::uint8_t>(rng());
    }
    if (rng() % 3 == 0) {
      const std::size_t cut = rng() % m.size();
      m.resize(cut);
      if (m.size() >= 18) {
        m[16] = static_cast<std::uint8_t>(m.size() >> 8);
        m[17] = static_cast<std::uint8_t>(m.size());
      }
    }
    for (const auto& opts : {CodecOptions{}, two_octet()}) {
      auto r = decode_message(m, opts);
      check_well_formed(r, m.size());
      (r ? decoded_ok : failed)++;
      if (r && !r->action) {
        // What decodes cleanly re-encodes (or is too big) and decodes to the same thing.
        auto again = encode_message(r->message, opts);
        if (again) {
          auto r2 = decode_message(*again, opts);
          ASSERT_TRUE(r2.has_value()) << r2.error().to_string();
          EXPECT_EQ(r2->message, r->message);
        }
      }
    }
  }
  // Both paths must have been exercised.
  EXPECT_GT(decoded_ok, 500);
  EXPECT_GT(failed, 500);
}

}  // namespace
}  // namespace calico::bgp
