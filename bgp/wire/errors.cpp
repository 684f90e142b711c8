// Names of NOTIFICATION error codes/subcodes (RFC 4271 §4.5 and the IANA "BGP Error
// (Notification) Codes" and subcode registries) and the text form of DecodeError.
#include "bgp/wire/errors.h"

namespace calico::bgp {

std::string error_code_name(std::uint8_t code) {
  switch (code) {
    case 1:
      return "Message Header Error";
    case 2:
      return "OPEN Message Error";
    case 3:
      return "UPDATE Message Error";
    case 4:
      return "Hold Timer Expired";
    case 5:
      return "Finite State Machine Error";  // RFC 6608
    case 6:
      return "Cease";
    case 7:
      return "ROUTE-REFRESH Message Error";  // RFC 7313 §5
    default:
      return "code " + std::to_string(code);
  }
}

namespace {

const char* header_subcode(std::uint8_t s) {
  switch (s) {
    case header_error::kConnectionNotSynchronized:
      return "Connection Not Synchronized";
    case header_error::kBadMessageLength:
      return "Bad Message Length";
    case header_error::kBadMessageType:
      return "Bad Message Type";
    default:
      return nullptr;
  }
}

const char* open_subcode(std::uint8_t s) {
  switch (s) {
    case open_error::kUnsupportedVersion:
      return "Unsupported Version Number";
    case open_error::kBadPeerAs:
      return "Bad Peer AS";
    case open_error::kBadBgpIdentifier:
      return "Bad BGP Identifier";
    case open_error::kUnsupportedOptionalParameter:
      return "Unsupported Optional Parameter";
    case 5:
      return "Authentication Failure (deprecated)";
    case open_error::kUnacceptableHoldTime:
      return "Unacceptable Hold Time";
    case open_error::kUnsupportedCapability:
      return "Unsupported Capability";  // RFC 5492 §5
    case 11:
      return "Role Mismatch";  // RFC 9234 §4.2
    default:
      return nullptr;
  }
}

const char* update_subcode(std::uint8_t s) {
  switch (s) {
    case update_error::kMalformedAttributeList:
      return "Malformed Attribute List";
    case update_error::kUnrecognizedWellKnownAttribute:
      return "Unrecognized Well-known Attribute";
    case update_error::kMissingWellKnownAttribute:
      return "Missing Well-known Attribute";
    case update_error::kAttributeFlagsError:
      return "Attribute Flags Error";
    case update_error::kAttributeLengthError:
      return "Attribute Length Error";
    case update_error::kInvalidOriginAttribute:
      return "Invalid ORIGIN Attribute";
    case 7:
      return "AS Routing Loop (deprecated)";
    case update_error::kInvalidNextHopAttribute:
      return "Invalid NEXT_HOP Attribute";
    case update_error::kOptionalAttributeError:
      return "Optional Attribute Error";
    case update_error::kInvalidNetworkField:
      return "Invalid Network Field";
    case update_error::kMalformedAsPath:
      return "Malformed AS_PATH";
    default:
      return nullptr;
  }
}

// RFC 6608 §4
const char* fsm_subcode(std::uint8_t s) {
  switch (s) {
    case fsm_error::kUnspecified:
      return "Unspecified Error";
    case fsm_error::kUnexpectedInOpenSent:
      return "Receive Unexpected Message in OpenSent State";
    case fsm_error::kUnexpectedInOpenConfirm:
      return "Receive Unexpected Message in OpenConfirm State";
    case fsm_error::kUnexpectedInEstablished:
      return "Receive Unexpected Message in Established State";
    default:
      return nullptr;
  }
}

// RFC 4486 §4, RFC 8538 §5 (Hard Reset), RFC 9384 §2 (BFD Down)
const char* cease_subcode(std::uint8_t s) {
  switch (s) {
    case cease::kMaxPrefixesReached:
      return "Maximum Number of Prefixes Reached";
    case cease::kAdministrativeShutdown:
      return "Administrative Shutdown";
    case cease::kPeerDeconfigured:
      return "Peer De-configured";
    case cease::kAdministrativeReset:
      return "Administrative Reset";
    case cease::kConnectionRejected:
      return "Connection Rejected";
    case cease::kOtherConfigurationChange:
      return "Other Configuration Change";
    case cease::kConnectionCollisionResolution:
      return "Connection Collision Resolution";
    case cease::kOutOfResources:
      return "Out of Resources";
    case cease::kHardReset:
      return "Hard Reset";
    case cease::kBfdDown:
      return "BFD Down";
    default:
      return nullptr;
  }
}

}  // namespace

std::string error_subcode_name(std::uint8_t code, std::uint8_t subcode) {
  const char* name = nullptr;
  switch (code) {
    case static_cast<std::uint8_t>(ErrorCode::MessageHeader):
      name = header_subcode(subcode);
      break;
    case static_cast<std::uint8_t>(ErrorCode::OpenMessage):
      name = open_subcode(subcode);
      break;
    case static_cast<std::uint8_t>(ErrorCode::UpdateMessage):
      name = update_subcode(subcode);
      break;
    case static_cast<std::uint8_t>(ErrorCode::Fsm):
      name = fsm_subcode(subcode);
      break;
    case static_cast<std::uint8_t>(ErrorCode::Cease):
      name = cease_subcode(subcode);
      break;
    case static_cast<std::uint8_t>(ErrorCode::RouteRefresh):
      name = subcode == route_refresh_error::kInvalidMessageLength ? "Invalid Message Length"
                                                                   : nullptr;
      break;
    default:
      break;
  }
  if (name != nullptr) {
    return name;
  }
  // RFC 4271 §4.5: "If no appropriate Error Subcode is defined, then a zero (Unspecific)
  // value is used".
  if (subcode == 0) {
    return "Unspecific";
  }
  return "subcode " + std::to_string(subcode);
}

std::string to_string(ErrorAction a) {
  switch (a) {
    case ErrorAction::SessionReset:
      return "session-reset";
    case ErrorAction::AfiSafiDisable:
      return "afi-safi-disable";
    case ErrorAction::TreatAsWithdraw:
      return "treat-as-withdraw";
    case ErrorAction::AttributeDiscard:
      return "attribute-discard";
  }
  return "action " + std::to_string(static_cast<int>(a));
}

std::string DecodeError::to_string() const {
  const auto c = static_cast<std::uint8_t>(code);
  std::string out = error_code_name(c) + "/" + error_subcode_name(c, subcode) + " at byte " +
                    std::to_string(offset);
  if (!reason.empty()) {
    out += ": " + reason;
  }
  out += " (" + bgp::to_string(action) + ")";
  return out;
}

}  // namespace calico::bgp
