// Human-readable NOTIFICATIONs for status and logs, and the Shutdown Communication carried
// by Cease / Administrative Shutdown and Administrative Reset (RFC 8203, RFC 9003).
//
// The code/subcode names are the codec's error_code_name()/error_subcode_name()
// (bgp/wire/errors.h), i.e. the RFCs' (RFC 4271 §4.5, RFC 4486/9384, RFC 6608, RFC 7313).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bgp/wire/messages.h"

namespace calico::bgp::fsm {

// RFC 9003 §2: the Shutdown Communication is at most 255 octets of UTF-8.
inline constexpr std::size_t kMaxShutdownCommunication = 255;

// "Cease", "OPEN Message Error", ...; an unknown code prints as "error code 42".
std::string notification_code_name(std::uint8_t code);
// "Administrative Shutdown", "Bad Peer AS", ...; an unknown pair prints as "subcode 9",
// an undefined subcode 0 as "Unspecific", and Hold Timer Expired/0 as "" (code alone).
std::string notification_subcode_name(std::uint8_t code, std::uint8_t subcode);

// "Cease/Administrative Shutdown", followed by `: "text"` when the NOTIFICATION carries a
// valid Shutdown Communication.  Other data is not shown.
std::string describe_notification(const Notification& n);

// NOTIFICATION data for a Shutdown Communication (RFC 9003 §2): one length octet, then the
// text.  Text longer than 255 octets is cut at the last whole UTF-8 character that fits.
// Empty text gives empty data (no length octet), which every implementation accepts.
std::vector<std::uint8_t> encode_shutdown_communication(std::string_view text);

// The Shutdown Communication of a Cease / Administrative Shutdown or Administrative Reset
// NOTIFICATION, or nullopt when there is none or it is malformed: the length octet must
// match the data, and the text must be valid UTF-8 (RFC 9003 §2: a receiver MUST NOT
// interpret invalid UTF-8).  Control characters are replaced by '?' so the text is safe
// to print.
std::optional<std::string> decode_shutdown_communication(const Notification& n);

}  // namespace calico::bgp::fsm
