// NOTIFICATION error codes and subcodes (RFC 4271 §4.5, §6; RFC 4486/9384 Cease subcodes;
// RFC 6608 FSM subcodes; RFC 7313 ROUTE-REFRESH) and the decoder's error value.
//
// A DecodeError says what was wrong (code/subcode/data for the NOTIFICATION, byte offset,
// a human reason) and what to do about it (RFC 7606 §2): reset the session, treat the
// UPDATE as a withdrawal of its NLRI, or discard the attribute and go on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "bgp/wire/messages.h"

namespace calico::bgp {

enum class ErrorCode : std::uint8_t {
  MessageHeader = 1,
  OpenMessage = 2,
  UpdateMessage = 3,
  HoldTimerExpired = 4,
  Fsm = 5,
  Cease = 6,
  RouteRefresh = 7
};

namespace header_error {
inline constexpr std::uint8_t kConnectionNotSynchronized = 1;
inline constexpr std::uint8_t kBadMessageLength = 2;
inline constexpr std::uint8_t kBadMessageType = 3;
}  // namespace header_error

namespace open_error {
inline constexpr std::uint8_t kUnsupportedVersion = 1;
inline constexpr std::uint8_t kBadPeerAs = 2;
inline constexpr std::uint8_t kBadBgpIdentifier = 3;
inline constexpr std::uint8_t kUnsupportedOptionalParameter = 4;
inline constexpr std::uint8_t kUnacceptableHoldTime = 6;
inline constexpr std::uint8_t kUnsupportedCapability = 7;
}  // namespace open_error

namespace update_error {
inline constexpr std::uint8_t kMalformedAttributeList = 1;
inline constexpr std::uint8_t kUnrecognizedWellKnownAttribute = 2;
inline constexpr std::uint8_t kMissingWellKnownAttribute = 3;
inline constexpr std::uint8_t kAttributeFlagsError = 4;
inline constexpr std::uint8_t kAttributeLengthError = 5;
inline constexpr std::uint8_t kInvalidOriginAttribute = 6;
inline constexpr std::uint8_t kInvalidNextHopAttribute = 8;
inline constexpr std::uint8_t kOptionalAttributeError = 9;
inline constexpr std::uint8_t kInvalidNetworkField = 10;
inline constexpr std::uint8_t kMalformedAsPath = 11;
}  // namespace update_error

namespace fsm_error {
inline constexpr std::uint8_t kUnspecified = 0;
inline constexpr std::uint8_t kUnexpectedInOpenSent = 1;
inline constexpr std::uint8_t kUnexpectedInOpenConfirm = 2;
inline constexpr std::uint8_t kUnexpectedInEstablished = 3;
}  // namespace fsm_error

namespace cease {
inline constexpr std::uint8_t kMaxPrefixesReached = 1;
inline constexpr std::uint8_t kAdministrativeShutdown = 2;
inline constexpr std::uint8_t kPeerDeconfigured = 3;
inline constexpr std::uint8_t kAdministrativeReset = 4;
inline constexpr std::uint8_t kConnectionRejected = 5;
inline constexpr std::uint8_t kOtherConfigurationChange = 6;
inline constexpr std::uint8_t kConnectionCollisionResolution = 7;
inline constexpr std::uint8_t kOutOfResources = 8;
inline constexpr std::uint8_t kHardReset = 9;
inline constexpr std::uint8_t kBfdDown = 10;
}  // namespace cease

namespace route_refresh_error {
inline constexpr std::uint8_t kInvalidMessageLength = 1;
}  // namespace route_refresh_error

// "Cease", "UPDATE Message Error", ...; unknown codes print as "code 42".
std::string error_code_name(std::uint8_t code);
// "Administrative Shutdown", "Malformed AS_PATH", ...; unknown as "subcode 9".
std::string error_subcode_name(std::uint8_t code, std::uint8_t subcode);

// RFC 7606 §2 approaches, strongest first.
enum class ErrorAction : std::uint8_t {
  SessionReset,      // send the NOTIFICATION and close
  AfiSafiDisable,    // RFC 7606 §5.3 allows it for MP_* errors; we reset instead (see codec.h)
  TreatAsWithdraw,   // every NLRI of the UPDATE is withdrawn; attributes are ignored
  AttributeDiscard,  // the attribute is dropped; the route is otherwise accepted
};
std::string to_string(ErrorAction a);

struct DecodeError {
  ErrorCode code = ErrorCode::MessageHeader;
  std::uint8_t subcode = 0;
  std::vector<std::uint8_t> data;  // NOTIFICATION data (e.g. the offending attribute)
  ErrorAction action = ErrorAction::SessionReset;
  std::size_t offset = 0;  // byte offset in the message where the problem is
  std::string reason;      // "AS_PATH segment length 5 overruns attribute (3 left)"

  Notification to_notification() const { return {static_cast<std::uint8_t>(code), subcode, data}; }
  // "UPDATE Message Error/Malformed AS_PATH at byte 37: ... (treat-as-withdraw)"
  std::string to_string() const;
};

}  // namespace calico::bgp
