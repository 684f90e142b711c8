// OPEN construction, OPEN checks and capability negotiation (see negotiation.h).
#include "bgp/fsm/negotiation.h"

#include <algorithm>

#include "bgp/wire/errors.h"

namespace calico::bgp::fsm {
namespace {

constexpr std::uint8_t kBgpVersion = 4;
constexpr std::uint32_t kMax2OctetAs = 0xFFFF;
constexpr std::uint8_t kCapMultiprotocol = static_cast<std::uint8_t>(CapabilityCode::Multiprotocol);

OpenRejection reject(std::uint8_t subcode, std::string reason,
                     std::vector<std::uint8_t> data = {}) {
  return OpenRejection{
      Notification{static_cast<std::uint8_t>(ErrorCode::OpenMessage), subcode, std::move(data)},
      std::move(reason)};
}

// A side that sent no Multiprotocol capability is an RFC 4271 speaker: IPv4 unicast only.
std::vector<AfiSafi> families_of(const Capabilities& caps) {
  std::vector<AfiSafi> out = caps.multiprotocol;
  if (out.empty()) {
    out.push_back(kIpv4Unicast);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// RFC 5492 §3: an Unsupported Capability NOTIFICATION carries the capabilities concerned,
// encoded as in the OPEN: code, length, value.  The Multiprotocol value is AFI (2 octets),
// reserved (1), SAFI (1) (RFC 4760 §8).
std::vector<std::uint8_t> multiprotocol_capability_bytes(const std::vector<AfiSafi>& families) {
  std::vector<std::uint8_t> out;
  for (const AfiSafi& af : families) {
    const auto afi = static_cast<std::uint16_t>(af.afi);
    out.push_back(kCapMultiprotocol);
    out.push_back(4);
    out.push_back(static_cast<std::uint8_t>(afi >> 8));
    out.push_back(static_cast<std::uint8_t>(afi & 0xFF));
    out.push_back(0);
    out.push_back(static_cast<std::uint8_t>(af.safi));
  }
  return out;
}

bool bad_as(std::uint32_t asn) {
  return asn == 0 || asn == kAsTrans;
}

}  // namespace

Result<void, std::string> validate_config(const SessionConfig& config) {
  // RFC 7607: AS 0 is never a valid peer; RFC 6793 §9: AS_TRANS is not a real AS.
  if (bad_as(config.local_as)) {
    return fail(std::string("local_as must not be 0 or AS_TRANS (23456)"));
  }
  if (bad_as(config.peer_as)) {
    return fail(std::string("peer_as must not be 0 or AS_TRANS (23456)"));
  }
  // RFC 6286 §2.1: a non-zero 4-octet unsigned integer.
  if (config.local_router_id == 0) {
    return fail(std::string("local_router_id must not be 0"));
  }
  // RFC 4271 §4.2: zero or at least three seconds.
  const auto hold = config.hold_time.count();
  if (hold < 0 || hold == 1 || hold == 2 || hold > 0xFFFF) {
    return fail(std::string("hold_time must be 0 or 3..65535 seconds"));
  }
  if (config.connect_retry_time.count() < 1) {
    return fail(std::string("connect_retry_time must be at least 1 second"));
  }
  if (config.idle_hold_initial.count() < 1) {
    return fail(std::string("idle_hold_initial must be at least 1 second"));
  }
  if (config.idle_hold_max < config.idle_hold_initial) {
    return fail(std::string("idle_hold_max must not be less than idle_hold_initial"));
  }
  if (config.backoff_reset_time.count() < 1) {
    return fail(std::string("backoff_reset_time must be at least 1 second"));
  }
  return {};
}

Open local_open(const SessionConfig& config) {
  Open open;
  open.version = kBgpVersion;
  // RFC 6793 §4.1: AS_TRANS in My AS when the AS does not fit in two octets.
  open.my_as = config.local_as > kMax2OctetAs ? static_cast<std::uint16_t>(kAsTrans)
                                              : static_cast<std::uint16_t>(config.local_as);
  open.hold_time_s = static_cast<std::uint16_t>(config.hold_time.count());
  open.bgp_id = config.local_router_id;
  open.caps = config.capabilities;
  open.caps.four_octet_as = config.local_as;  // always offered (RFC 6793 §3)
  return open;
}

bool Negotiated::has_family(AfiSafi af) const {
  return std::binary_search(families.begin(), families.end(), af);
}

Result<Negotiated, OpenRejection> negotiate(const SessionConfig& config, const Open& peer) {
  // RFC 4271 §6.2: the data is the largest locally supported version below the one bid,
  // or the smallest supported one; we support only 4.
  if (peer.version != kBgpVersion) {
    return fail(reject(open_error::kUnsupportedVersion,
                       "peer BGP version " + std::to_string(peer.version) + ", only 4 supported",
                       {0, kBgpVersion}));
  }

  // Peer AS (RFC 4271 §6.2, RFC 6793 §4.1, RFC 7607).
  if (peer.caps.four_octet_as) {
    const std::uint32_t as4 = *peer.caps.four_octet_as;
    if (as4 == 0) {
      return fail(reject(open_error::kBadPeerAs, "peer 4-octet AS capability carries AS 0"));
    }
    // A 4-octet-only AS must be announced as AS_TRANS in the 2-octet field (RFC 6793 §4.1).
    if (as4 > kMax2OctetAs && peer.my_as != kAsTrans) {
      return fail(reject(open_error::kBadPeerAs, "peer My AS " + std::to_string(peer.my_as) +
                                                     " with 4-octet AS " + std::to_string(as4) +
                                                     " (expected AS_TRANS)"));
    }
  } else if (peer.my_as == 0 || peer.my_as == kAsTrans) {
    // Without the capability, AS_TRANS names no AS: we cannot tell who the peer is.
    return fail(reject(open_error::kBadPeerAs, "peer My AS " + std::to_string(peer.my_as) +
                                                   " without 4-octet AS capability"));
  }
  if (peer.asn() != config.peer_as) {
    return fail(reject(open_error::kBadPeerAs, "peer AS " + std::to_string(peer.asn()) +
                                                   ", expected " + std::to_string(config.peer_as)));
  }

  // RFC 4271 §6.2: "MUST reject Hold Time values of one or two seconds".
  if (peer.hold_time_s == 1 || peer.hold_time_s == 2) {
    return fail(reject(open_error::kUnacceptableHoldTime,
                       "peer hold time " + std::to_string(peer.hold_time_s) + " s"));
  }

  // RFC 6286 §2.2: zero, or our own identifier from an internal peer, is a Bad BGP
  // Identifier.  An external peer may share our identifier (AS-wide uniqueness only).
  if (peer.bgp_id == 0) {
    return fail(reject(open_error::kBadBgpIdentifier, "peer BGP identifier 0.0.0.0"));
  }
  if (config.is_ibgp() && peer.bgp_id == config.local_router_id) {
    return fail(reject(open_error::kBadBgpIdentifier,
                       "internal peer uses our BGP identifier " + format_router_id(peer.bgp_id)));
  }

  // Address families: the intersection of what both sides announced (RFC 4760 §8); see
  // the header for why an empty intersection refuses the session.
  const std::vector<AfiSafi> ours = families_of(config.capabilities);
  const std::vector<AfiSafi> theirs = families_of(peer.caps);
  std::vector<AfiSafi> common;
  std::set_intersection(ours.begin(), ours.end(), theirs.begin(), theirs.end(),
                        std::back_inserter(common));
  if (common.empty()) {
    return fail(reject(open_error::kUnsupportedCapability,
                       "no address family in common with the peer",
                       multiprotocol_capability_bytes(ours)));
  }

  Negotiated n;
  // RFC 4271 §4.2: the smaller of the two; zero on either side means zero.
  const auto hold = std::min<std::int64_t>(config.hold_time.count(), peer.hold_time_s);
  n.hold_time = std::chrono::seconds(hold);
  // RFC 4271 §10: "A reasonable maximum time between KEEPALIVE messages would be one third
  // of the Hold Time interval."
  n.keepalive_time = std::chrono::seconds(hold / 3);
  n.peer_as = peer.asn();
  n.peer_router_id = peer.bgp_id;
  n.ibgp = config.is_ibgp();
  n.four_octet_as = peer.caps.four_octet_as.has_value();  // we always send it
  n.route_refresh = config.capabilities.route_refresh && peer.caps.route_refresh;
  n.enhanced_route_refresh =
      config.capabilities.enhanced_route_refresh && peer.caps.enhanced_route_refresh;
  n.extended_message = config.capabilities.extended_message && peer.caps.extended_message;
  n.families = std::move(common);
  n.peer_graceful_restart = peer.caps.graceful_restart;
  n.peer_capabilities = peer.caps;
  return n;
}

}  // namespace calico::bgp::fsm
