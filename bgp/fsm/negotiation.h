// Session configuration, the OPEN we send, and the checks and negotiation applied to the
// OPEN we receive (RFC 4271 §4.2, §6.2, §10; RFC 5492; RFC 6286; RFC 6793; RFC 4760).
//
// Pure functions over value types: SessionFsm (session_fsm.h) calls negotiate() when an
// OPEN arrives in OpenSent, and the peer glue calls it too, before collision detection
// (collision.h), so that a malformed OPEN never makes us dump a good connection.
//
// Decisions (each is also noted at the rule below):
//   * Hold time: min(ours, theirs); 0 when either side says 0 (no KEEPALIVEs, no hold
//     timer).  Keepalive interval: hold / 3, the RFC 4271 §10 suggestion.
//   * Peer AS: the 4-octet AS capability when present, else the 2-octet My AS field.  The
//     configured peer AS is required (no "accept any AS").
//   * A peer that sends no Multiprotocol capability at all is a plain RFC 4271 speaker and
//     is taken to support IPv4 unicast only; the same holds for our own side when the
//     configuration offers no Multiprotocol capability.  Once a side lists families, only
//     those count (RFC 4760 §8, RFC 5492).
//   * No family in common: we refuse the session with OPEN Message Error / Unsupported
//     Capability, the data being our Multiprotocol capabilities (RFC 5492 §3 allows this
//     and requires the data).  A session over which no route can be exchanged is a
//     misconfiguration; failing loudly puts it in the status display instead of showing an
//     Established but useless session.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bgp/wire/codec.h"
#include "bgp/wire/messages.h"
#include "common/result.h"

namespace calico::bgp::fsm {

// Hold time the FSM uses in OpenSent while it waits for the peer's OPEN (RFC 4271 §8.2.2
// suggests "a large value", 4 minutes).
inline constexpr std::chrono::seconds kOpenSentHoldTime{240};

// Per-session configuration.  Check it with validate_config() before constructing a
// SessionFsm (the constructor treats an invalid configuration as a programmer error).
struct SessionConfig {
  std::uint32_t local_as = 0;         // 4-octet; the OPEN carries AS_TRANS when > 65535
  std::uint32_t local_router_id = 0;  // BGP Identifier, host order, non-zero
  std::uint32_t peer_as = 0;          // expected peer AS, required (0 is invalid)

  // Proposed hold time (RFC 4271 §4.2): 0 (no KEEPALIVEs) or 3..65535 seconds.
  std::chrono::seconds hold_time{90};
  // ConnectRetryTime (RFC 4271 §8.1.1 and §10 suggest 120 s).  5 s here: in a cluster
  // the peer is usually a node that is (re)starting right now, and a refused connect costs
  // nothing.  The glue may apply jitter (RFC 4271 §10: multiply by 0.75..1.0).
  std::chrono::seconds connect_retry_time{5};
  // Never initiate the TCP connection; wait in Active for the peer (RFC 4271 §8.1.1
  // PassiveTcpEstablishment).  Unlike RFC 4271's passive start, no ConnectRetryTimer runs
  // in Active, so a passive session never connects out.
  bool passive = false;

  // Automatic restart after an error, gated by the IdleHoldTimer (RFC 4271 §8.1.1
  // DampPeerOscillations): the first restart waits idle_hold_initial, each further error
  // doubles the wait up to idle_hold_max.  The wait returns to idle_hold_initial on
  // ManualStart and once a session has stayed Established for backoff_reset_time.
  std::chrono::seconds idle_hold_initial{1};
  std::chrono::seconds idle_hold_max{60};
  std::chrono::seconds backoff_reset_time{120};

  // What we offer.  four_octet_as is always sent (set to local_as by local_open(),
  // whatever this field says).  Default: IPv4 unicast and route refresh.
  Capabilities capabilities = default_capabilities();

  // iBGP when the peer is in our own AS (RFC 4271 §1.1 "internal peer").
  bool is_ibgp() const { return peer_as == local_as; }

  static Capabilities default_capabilities() {
    Capabilities caps;
    caps.multiprotocol = {kIpv4Unicast};
    caps.route_refresh = true;
    return caps;
  }
};

// Rejects what no session could work with: AS 0 or AS_TRANS (RFC 7607, RFC 6793 §9) as
// either AS, router id 0 (RFC 6286 §2.1), hold time 1 or 2 (RFC 4271 §4.2), zero retry
// or backoff durations, idle_hold_max < idle_hold_initial.  The error names the field.
Result<void, std::string> validate_config(const SessionConfig& config);

// The OPEN this speaker sends (RFC 4271 §4.2, RFC 6793 §4.1: My AS is AS_TRANS when the
// local AS does not fit in 2 octets; the 4-octet AS capability always carries it).
Open local_open(const SessionConfig& config);

// What both sides agreed on; valid from OpenConfirm until the session goes down.
struct Negotiated {
  std::chrono::seconds hold_time{0};       // 0: no hold timer, no KEEPALIVEs
  std::chrono::seconds keepalive_time{0};  // hold_time / 3 (0 when hold_time is 0)
  std::uint32_t peer_as = 0;
  std::uint32_t peer_router_id = 0;
  bool ibgp = false;
  bool four_octet_as = false;           // both sides sent capability 65 (RFC 6793)
  bool route_refresh = false;           // both sides (RFC 2918)
  bool enhanced_route_refresh = false;  // both sides (RFC 7313)
  bool extended_message = false;        // both sides (RFC 8654)
  std::vector<AfiSafi> families;        // in common, sorted, never empty
  // The peer's graceful-restart capability as received (RFC 4724); what to do with it is
  // the RIB's business.
  std::optional<GracefulRestartCapability> peer_graceful_restart;
  Capabilities peer_capabilities;  // everything the peer sent, for status display

  // The codec settings for this session's messages after the OPEN exchange.
  CodecOptions codec_options() const { return CodecOptions{four_octet_as, extended_message}; }
  bool has_family(AfiSafi af) const;
  bool operator==(const Negotiated&) const = default;
};

// Why a received OPEN was refused: the NOTIFICATION to send and a human explanation
// ("peer AS 65002, expected 65001").
struct OpenRejection {
  Notification notification;
  std::string reason;
  bool operator==(const OpenRejection&) const = default;
};

// Checks the peer's OPEN (RFC 4271 §6.2 order: version, AS, hold time, identifier, then
// capabilities) and, when it is acceptable, computes what the session runs with.
// Every rejection is an OPEN Message Error with the subcode of the rule that failed.
Result<Negotiated, OpenRejection> negotiate(const SessionConfig& config, const Open& peer);

}  // namespace calico::bgp::fsm
