// NOTIFICATION names and Shutdown Communication encoding (see notification_text.h).
#include "bgp/fsm/notification_text.h"

#include "bgp/wire/errors.h"

namespace calico::bgp::fsm {
namespace {

// Length of the UTF-8 sequence starting at s[i] when it is a valid, shortest-form encoding
// of a scalar value (RFC 3629 §4), else 0.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<std::uint8_t>(s[k]); };
  const std::uint8_t b0 = byte(i);
  std::size_t len = 0;
  std::uint8_t lo = 0x80;
  std::uint8_t hi = 0xBF;
  if (b0 < 0x80) {
    return 1;
  } else if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) {
      lo = 0xA0;  // no overlong forms
    } else if (b0 == 0xED) {
      hi = 0x9F;  // no surrogates
    }
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) {
      lo = 0x90;
    } else if (b0 == 0xF4) {
      hi = 0x8F;  // nothing above U+10FFFF
    }
  } else {
    return 0;
  }
  if (i + len > s.size()) {
    return 0;
  }
  if (byte(i + 1) < lo || byte(i + 1) > hi) {
    return 0;
  }
  for (std::size_t k = 2; k < len; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) {
      return 0;
    }
  }
  return len;
}

bool carries_shutdown_communication(const Notification& n) {
  // RFC 9003 §2: only these two Cease subcodes carry a Shutdown Communication.
  return n.code == static_cast<std::uint8_t>(ErrorCode::Cease) &&
         (n.subcode == cease::kAdministrativeShutdown || n.subcode == cease::kAdministrativeReset);
}

}  // namespace

std::string notification_code_name(std::uint8_t code) {
  switch (static_cast<ErrorCode>(code)) {
    case ErrorCode::MessageHeader:
      return "Message Header Error";
    case ErrorCode::OpenMessage:
      return "OPEN Message Error";
    case ErrorCode::UpdateMessage:
      return "UPDATE Message Error";
    case ErrorCode::HoldTimerExpired:
      return "Hold Timer Expired";
    case ErrorCode::Fsm:
      return "Finite State Machine Error";
    case ErrorCode::Cease:
      return "Cease";
    case ErrorCode::RouteRefresh:
      return "ROUTE-REFRESH Message Error";
  }
  return "error code " + std::to_string(code);
}

std::string notification_subcode_name(std::uint8_t code, std::uint8_t subcode) {
  const char* name = nullptr;
  switch (static_cast<ErrorCode>(code)) {
    case ErrorCode::MessageHeader:  // RFC 4271 §4.5
      switch (subcode) {
        case header_error::kConnectionNotSynchronized:
          name = "Connection Not Synchronized";
          break;
        case header_error::kBadMessageLength:
          name = "Bad Message Length";
          break;
        case header_error::kBadMessageType:
          name = "Bad Message Type";
          break;
        default:
          break;
      }
      break;
    case ErrorCode::OpenMessage:  // RFC 4271 §4.5, RFC 5492 §5, RFC 9234 §4.2
      switch (subcode) {
        case open_error::kUnsupportedVersion:
          name = "Unsupported Version Number";
          break;
        case open_error::kBadPeerAs:
          name = "Bad Peer AS";
          break;
        case open_error::kBadBgpIdentifier:
          name = "Bad BGP Identifier";
          break;
        case open_error::kUnsupportedOptionalParameter:
          name = "Unsupported Optional Parameter";
          break;
        case open_error::kUnacceptableHoldTime:
          name = "Unacceptable Hold Time";
          break;
        case open_error::kUnsupportedCapability:
          name = "Unsupported Capability";
          break;
        case 11:
          name = "Role Mismatch";
          break;
        default:
          break;
      }
      break;
    case ErrorCode::UpdateMessage:  // RFC 4271 §4.5
      switch (subcode) {
        case update_error::kMalformedAttributeList:
          name = "Malformed Attribute List";
          break;
        case update_error::kUnrecognizedWellKnownAttribute:
          name = "Unrecognized Well-known Attribute";
          break;
        case update_error::kMissingWellKnownAttribute:
          name = "Missing Well-known Attribute";
          break;
        case update_error::kAttributeFlagsError:
          name = "Attribute Flags Error";
          break;
        case update_error::kAttributeLengthError:
          name = "Attribute Length Error";
          break;
        case update_error::kInvalidOriginAttribute:
          name = "Invalid ORIGIN Attribute";
          break;
        case update_error::kInvalidNextHopAttribute:
          name = "Invalid NEXT_HOP Attribute";
          break;
        case update_error::kOptionalAttributeError:
          name = "Optional Attribute Error";
          break;
        case update_error::kInvalidNetworkField:
          name = "Invalid Network Field";
          break;
        case update_error::kMalformedAsPath:
          name = "Malformed AS_PATH";
          break;
        default:
          break;
      }
      break;
    case ErrorCode::HoldTimerExpired:
      if (subcode == 0) {
        return {};  // no subcodes defined: "Hold Timer Expired" alone
      }
      break;
    case ErrorCode::Fsm:  // RFC 6608 §4
      switch (subcode) {
        case fsm_error::kUnspecified:
          name = "Unspecified Error";
          break;
        case fsm_error::kUnexpectedInOpenSent:
          name = "Receive Unexpected Message in OpenSent State";
          break;
        case fsm_error::kUnexpectedInOpenConfirm:
          name = "Receive Unexpected Message in OpenConfirm State";
          break;
        case fsm_error::kUnexpectedInEstablished:
          name = "Receive Unexpected Message in Established State";
          break;
        default:
          break;
      }
      break;
    case ErrorCode::Cease:  // RFC 4486 §4, RFC 8538 §3, RFC 9384 §3
      switch (subcode) {
        case cease::kMaxPrefixesReached:
          name = "Maximum Number of Prefixes Reached";
          break;
        case cease::kAdministrativeShutdown:
          name = "Administrative Shutdown";
          break;
        case cease::kPeerDeconfigured:
          name = "Peer De-configured";
          break;
        case cease::kAdministrativeReset:
          name = "Administrative Reset";
          break;
        case cease::kConnectionRejected:
          name = "Connection Rejected";
          break;
        case cease::kOtherConfigurationChange:
          name = "Other Configuration Change";
          break;
        case cease::kConnectionCollisionResolution:
          name = "Connection Collision Resolution";
          break;
        case cease::kOutOfResources:
          name = "Out of Resources";
          break;
        case cease::kHardReset:
          name = "Hard Reset";
          break;
        case cease::kBfdDown:
          name = "BFD Down";
          break;
        default:
          break;
      }
      break;
    case ErrorCode::RouteRefresh:  // RFC 7313 §5
      if (subcode == route_refresh_error::kInvalidMessageLength) {
        name = "Invalid Message Length";
      }
      break;
  }
  if (name == nullptr) {
    return "subcode " + std::to_string(subcode);
  }
  return name;
}

std::string describe_notification(const Notification& n) {
  std::string text = notification_code_name(n.code);
  const std::string sub = notification_subcode_name(n.code, n.subcode);
  if (!sub.empty()) {
    text += "/" + sub;
  }
  if (auto comm = decode_shutdown_communication(n); comm && !comm->empty()) {
    text += ": \"" + *comm + "\"";
  }
  return text;
}

std::vector<std::uint8_t> encode_shutdown_communication(std::string_view text) {
  if (text.empty()) {
    return {};
  }
  // Cut at a character boundary (RFC 9003 §2 counts octets, not characters).  Invalid
  // input bytes count as one-octet characters here: the sender is our own configuration.
  std::size_t end = 0;
  while (end < text.size()) {
    std::size_t len = utf8_sequence_length(text, end);
    if (len == 0) {
      len = 1;
    }
    if (end + len > kMaxShutdownCommunication) {
      break;
    }
    end += len;
  }
  std::vector<std::uint8_t> data;
  data.reserve(end + 1);
  data.push_back(static_cast<std::uint8_t>(end));
  for (std::size_t i = 0; i < end; ++i) {
    data.push_back(static_cast<std::uint8_t>(text[i]));
  }
  return data;
}

std::optional<std::string> decode_shutdown_communication(const Notification& n) {
  if (!carries_shutdown_communication(n) || n.data.empty()) {
    return std::nullopt;
  }
  const std::size_t len = n.data[0];
  // RFC 9003 §2: the length octet covers the rest of the data; anything else is malformed.
  if (len + 1 != n.data.size()) {
    return std::nullopt;
  }
  std::string text(n.data.begin() + 1, n.data.end());
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t seq = utf8_sequence_length(text, i);
    if (seq == 0) {
      return std::nullopt;
    }
    if (seq == 1 && (static_cast<unsigned char>(text[i]) < 0x20 || text[i] == 0x7F)) {
      text[i] = '?';
    }
    i += seq;
  }
  return text;
}

}  // namespace calico::bgp::fsm
