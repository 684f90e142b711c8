// Helpers on the BGP message value types: names, End-of-RIB (RFC 4724 §2) and the text
// form of a NOTIFICATION including the shutdown communication (RFC 8203, RFC 9003).
#include "bgp/wire/messages.h"

#include <cstddef>
#include <cstdio>
#include <span>

#include "bgp/wire/errors.h"

namespace calico::bgp {

std::string to_string(MessageType t) {
  switch (t) {
    case MessageType::Open:
      return "OPEN";
    case MessageType::Update:
      return "UPDATE";
    case MessageType::Notification:
      return "NOTIFICATION";
    case MessageType::Keepalive:
      return "KEEPALIVE";
    case MessageType::RouteRefresh:
      return "ROUTE-REFRESH";
  }
  return "type " + std::to_string(static_cast<int>(t));
}

MessageType type_of(const Message& m) {
  struct Visitor {
    MessageType operator()(const Open&) const { return MessageType::Open; }
    MessageType operator()(const Update&) const { return MessageType::Update; }
    MessageType operator()(const Notification&) const { return MessageType::Notification; }
    MessageType operator()(const Keepalive&) const { return MessageType::Keepalive; }
    MessageType operator()(const RouteRefresh&) const { return MessageType::RouteRefresh; }
  };
  return std::visit(Visitor{}, m);
}

std::optional<AfiSafi> Update::end_of_rib() const {
  // RFC 4724 §2: no withdrawn routes, no attributes, no NLRI (IPv4 unicast), or nothing
  // but an MP_UNREACH_NLRI with no withdrawn routes (any family).
  if (!withdrawn.empty() || attrs || !nlri.empty() || mp_reach) {
    return std::nullopt;
  }
  if (!mp_unreach) {
    return kIpv4Unicast;
  }
  if (mp_unreach->withdrawn.empty()) {
    return mp_unreach->af;
  }
  return std::nullopt;
}

Update Update::make_end_of_rib(AfiSafi af) {
  Update u;
  if (af != kIpv4Unicast) {
    u.mp_unreach = MpUnreach{af, {}};
  }
  return u;
}

namespace {

// Strict UTF-8 (RFC 3629 §4): no overlong forms, no surrogates, nothing above U+10FFFF.
bool valid_utf8(std::span<const std::uint8_t> s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const std::uint8_t b = s[i];
    std::size_t extra = 0;
    std::uint32_t cp = 0;
    std::uint32_t min = 0;
    if (b < 0x80) {
      ++i;
      continue;
    }
    if ((b & 0xE0) == 0xC0) {
      extra = 1;
      cp = b & 0x1Fu;
      min = 0x80;
    } else if ((b & 0xF0) == 0xE0) {
      extra = 2;
      cp = b & 0x0Fu;
      min = 0x800;
    } else if ((b & 0xF8) == 0xF0) {
      extra = 3;
      cp = b & 0x07u;
      min = 0x10000;
    } else {
      return false;
    }
    if (s.size() - i <= extra) {
      return false;
    }
    for (std::size_t k = 1; k <= extra; ++k) {
      const std::uint8_t c = s[i + k];
      if ((c & 0xC0) != 0x80) {
        return false;
      }
      cp = (cp << 6) | (c & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

// The text is shown in logs: control characters are escaped, everything else kept.
std::string escape_controls(std::span<const std::uint8_t> s) {
  std::string out;
  for (auto c : s) {
    if (c < 0x20 || c == 0x7F || c == '"' || c == '\\') {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace

std::string Notification::to_string() const {
  std::string out = error_code_name(code) + "/" + error_subcode_name(code, subcode);
  // RFC 9003 §2 (updating RFC 8203): Cease/Administrative Shutdown and Cease/Administrative
  // Reset may carry a length octet and up to 255 octets of UTF-8 text.
  const bool shutdown =
      code == static_cast<std::uint8_t>(ErrorCode::Cease) &&
      (subcode == cease::kAdministrativeShutdown || subcode == cease::kAdministrativeReset);
  if (shutdown && !data.empty()) {
    const std::size_t len = data[0];
    const std::span<const std::uint8_t> rest(data.data() + 1, data.size() - 1);
    // RFC 9003 §2: a length that overruns the data, or text that is not valid UTF-8, is
    // not shown (the NOTIFICATION itself is still valid).
    if (len > 0 && len <= rest.size() && valid_utf8(rest.first(len))) {
      out += ": \"" + escape_controls(rest.first(len)) + "\"";
    }
  }
  return out;
}

}  // namespace calico::bgp
