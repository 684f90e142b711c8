// BGP messages as value types (RFC 4271 §4, RFC 4760, RFC 5492, RFC 2918/7313, RFC 4724,
// RFC 6793, RFC 8654).  Decoding and encoding live in codec.h; these types
// hold what the protocol means, not the bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "bgp/wire/types.h"

namespace calico::bgp {

inline constexpr std::size_t kHeaderSize = 19;
inline constexpr std::size_t kMaxMessageSize = 4096;           // RFC 4271 §4.1
inline constexpr std::size_t kMaxExtendedMessageSize = 65535;  // RFC 8654

enum class MessageType : std::uint8_t {
  Open = 1,
  Update = 2,
  Notification = 3,
  Keepalive = 4,
  RouteRefresh = 5
};
std::string to_string(MessageType t);

// Capability codes (IANA "Capability Codes").
enum class CapabilityCode : std::uint8_t {
  Multiprotocol = 1,
  RouteRefresh = 2,
  ExtendedNextHop = 5,
  ExtendedMessage = 6,
  Role = 9,
  GracefulRestart = 64,
  FourOctetAs = 65,
  AddPath = 69,
  EnhancedRouteRefresh = 70,
  LongLivedGracefulRestart = 71,
  Fqdn = 73,
  RouteRefreshCisco = 128
};

// RFC 4724 §3
struct GracefulRestartCapability {
  struct Family {
    AfiSafi af;
    bool forwarding_preserved = false;  // F bit
    bool operator==(const Family&) const = default;
  };
  bool restarting = false;           // R bit
  bool notification = false;         // N bit (RFC 8538)
  std::uint16_t restart_time_s = 0;  // 12 bits
  std::vector<Family> families;
  bool operator==(const GracefulRestartCapability&) const = default;
};

struct RawCapability {
  std::uint8_t code = 0;
  std::vector<std::uint8_t> value;
  bool operator==(const RawCapability&) const = default;
};

// The capabilities of one OPEN, parsed.  Capabilities this speaker does not interpret
// are kept raw (RFC 5492 §3: an unknown capability is ignored, not an error).
struct Capabilities {
  std::vector<AfiSafi> multiprotocol;                         // code 1, in the order received
  bool route_refresh = false;                                 // code 2 (or Cisco's 128)
  bool enhanced_route_refresh = false;                        // code 70
  bool extended_message = false;                              // code 6
  std::optional<std::uint32_t> four_octet_as;                 // code 65: the speaker's real AS
  std::optional<GracefulRestartCapability> graceful_restart;  // code 64
  std::vector<RawCapability> other;                           // everything else, in order
  bool operator==(const Capabilities&) const = default;
};

// RFC 4271 §4.2
struct Open {
  std::uint8_t version = 4;
  std::uint16_t my_as = 0;  // the 2-octet field: AS_TRANS when the real AS > 65535
  std::uint16_t hold_time_s = 0;
  std::uint32_t bgp_id = 0;  // router id, host order
  Capabilities caps;
  bool operator==(const Open&) const = default;

  // The speaker's AS: the 4-octet capability when present, else my_as.
  std::uint32_t asn() const { return caps.four_octet_as.value_or(my_as); }
};

// RFC 4271 §4.3 + RFC 4760.  IPv4 unicast routes travel in the classic fields
// (withdrawn, nlri, NEXT_HOP in attrs); other families in MP_REACH/MP_UNREACH, whose
// next hop is attrs.next_hop / attrs.link_local_next_hop.  An UPDATE may carry both.
struct MpReach {
  AfiSafi af;
  std::vector<Prefix> nlri;
  bool operator==(const MpReach&) const = default;
};
struct MpUnreach {
  AfiSafi af;
  std::vector<Prefix> withdrawn;
  bool operator==(const MpUnreach&) const = default;
};

struct Update {
  std::vector<Prefix> withdrawn;        // IPv4 unicast
  std::optional<PathAttributes> attrs;  // absent when the message has no attributes
  std::vector<Prefix> nlri;             // IPv4 unicast
  std::optional<MpReach> mp_reach;
  std::optional<MpUnreach> mp_unreach;
  bool operator==(const Update&) const = default;

  // RFC 4724 §2: End-of-RIB is an UPDATE with nothing in it (IPv4 unicast) or with only
  // an empty MP_UNREACH_NLRI (other families).
  std::optional<AfiSafi> end_of_rib() const;
  static Update make_end_of_rib(AfiSafi af);
};

// RFC 4271 §4.5
struct Notification {
  std::uint8_t code = 0;
  std::uint8_t subcode = 0;
  std::vector<std::uint8_t> data;
  bool operator==(const Notification&) const = default;

  // "Cease/Administrative Shutdown" plus the RFC 8203/9003 shutdown communication
  // when present and valid UTF-8.
  std::string to_string() const;
};

struct Keepalive {
  bool operator==(const Keepalive&) const = default;
};

// RFC 2918, subtype from RFC 7313 (0 normal, 1 BoRR, 2 EoRR).
struct RouteRefresh {
  AfiSafi af;
  std::uint8_t subtype = 0;
  bool operator==(const RouteRefresh&) const = default;
};

using Message = std::variant<Open, Update, Notification, Keepalive, RouteRefresh>;
MessageType type_of(const Message& m);

}  // namespace calico::bgp
