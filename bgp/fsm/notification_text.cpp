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
  std::string name = error_code_name(code);
  // error_code_name() prints an unknown code as "code 42"; status and logs say "error code 42".
  if (name.starts_with("code ")) {
    name.insert(0, "error ");
  }
  return name;
}

std::string notification_subcode_name(std::uint8_t code, std::uint8_t subcode) {
  // Hold Timer Expired defines no subcodes (RFC 4271 §4.5): with the usual subcode 0 the
  // code is shown alone rather than as "Hold Timer Expired/Unspecific".
  if (code == static_cast<std::uint8_t>(ErrorCode::HoldTimerExpired) && subcode == 0) {
    return {};
  }
  return error_subcode_name(code, subcode);
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
