// Wire-format constants and helpers shared by the decoder and the encoder (private to
// bgp/wire): attribute type codes and flags (RFC 4271 §4.3), optional parameter and
// capability layout (RFC 5492, RFC 9072), and the UPDATE decoder entry point.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "bgp/wire/codec.h"

namespace calico::bgp::wire {

// RFC 4271 §4.1: 16-octet marker, 2-octet length, 1-octet type.
inline constexpr std::size_t kMarkerSize = 16;
inline constexpr std::size_t kLengthOffset = 16;
inline constexpr std::size_t kTypeOffset = 18;

// Minimum message sizes per type (RFC 4271 §4.2-§4.5, RFC 2918 §3).
inline constexpr std::size_t kMinOpenSize = 29;
inline constexpr std::size_t kMinUpdateSize = 23;
inline constexpr std::size_t kMinNotificationSize = 21;
inline constexpr std::size_t kRouteRefreshSize = 23;

// RFC 4271 §4.3 attribute flags.
inline constexpr std::uint8_t kFlagOptional = 0x80;
inline constexpr std::uint8_t kFlagTransitive = 0x40;
inline constexpr std::uint8_t kFlagPartial = 0x20;
inline constexpr std::uint8_t kFlagExtendedLength = 0x10;

// Path attribute type codes (IANA "BGP Path Attributes").
namespace attr {
inline constexpr std::uint8_t kOrigin = 1;
inline constexpr std::uint8_t kAsPath = 2;
inline constexpr std::uint8_t kNextHop = 3;
inline constexpr std::uint8_t kMed = 4;
inline constexpr std::uint8_t kLocalPref = 5;
inline constexpr std::uint8_t kAtomicAggregate = 6;
inline constexpr std::uint8_t kAggregator = 7;
inline constexpr std::uint8_t kCommunities = 8;
inline constexpr std::uint8_t kOriginatorId = 9;
inline constexpr std::uint8_t kClusterList = 10;
inline constexpr std::uint8_t kMpReachNlri = 14;
inline constexpr std::uint8_t kMpUnreachNlri = 15;
inline constexpr std::uint8_t kAs4Path = 17;
inline constexpr std::uint8_t kAs4Aggregator = 18;
inline constexpr std::uint8_t kLargeCommunity = 32;
}  // namespace attr

// True for the attribute types this codec interprets (everything else is "unknown").
inline bool is_interpreted_attribute(std::uint8_t type) {
  return (type >= attr::kOrigin && type <= attr::kClusterList) || type == attr::kMpReachNlri ||
         type == attr::kMpUnreachNlri || type == attr::kAs4Path || type == attr::kAs4Aggregator ||
         type == attr::kLargeCommunity;
}

// The Optional and Transitive bits each interpreted attribute must carry (RFC 4271 §5,
// RFC 4760 §3-4, RFC 1997, RFC 4456 §7-8, RFC 6793 §3, RFC 8092 §2).
inline std::uint8_t expected_flags(std::uint8_t type) {
  switch (type) {
    case attr::kOrigin:
    case attr::kAsPath:
    case attr::kNextHop:
    case attr::kLocalPref:
    case attr::kAtomicAggregate:
      return kFlagTransitive;  // well-known
    case attr::kMed:
    case attr::kOriginatorId:
    case attr::kClusterList:
    case attr::kMpReachNlri:
    case attr::kMpUnreachNlri:
      return kFlagOptional;  // optional non-transitive
    default:
      return kFlagOptional | kFlagTransitive;  // optional transitive
  }
}

// RFC 4271 §4.2 optional parameter type 2 carries capabilities (RFC 5492 §4).
inline constexpr std::uint8_t kOptParamCapabilities = 2;
// RFC 9072 §2: Non-Ext OP Len = 255 followed by Non-Ext OP Type = 255 switches to
// 2-octet parameter lengths.
inline constexpr std::uint8_t kExtendedOptParamsMarker = 255;

// RFC 4724 §3 restart flags (top 4 bits of the 16-bit Restart Flags/Time field).
inline constexpr std::uint16_t kGrRestartBit = 0x8000;
inline constexpr std::uint16_t kGrNotificationBit = 0x4000;  // RFC 8538 §2
inline constexpr std::uint16_t kGrTimeMask = 0x0FFF;
inline constexpr std::uint8_t kGrForwardingBit = 0x80;

// The families the codec parses in MP_REACH/MP_UNREACH (RFC 4760 §3: anything else is
// skipped); IPv4 and IPv6 unicast.
inline bool is_supported_family(std::uint16_t afi, std::uint8_t safi) {
  return (afi == static_cast<std::uint16_t>(Afi::Ipv4) ||
          afi == static_cast<std::uint16_t>(Afi::Ipv6)) &&
         safi == static_cast<std::uint8_t>(Safi::Unicast);
}

// The UPDATE body decoder (decode_update.cpp); `msg` is the whole message, header included,
// already validated by decode_header.
Result<Decoded, DecodeError> decode_update(std::span<const std::uint8_t> msg,
                                           const CodecOptions& opts);

}  // namespace calico::bgp::wire
