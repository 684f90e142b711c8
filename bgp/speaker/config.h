// Configuration of the BGP daemon (calico-bgp), read from a YAML (or JSON) file.
//
// Until felix drives the speaker from the datastore (issue 7), the node's AS, router id,
// peers and originated blocks come from this file; calico-bgp re-reads it on SIGHUP and
// applies peers and blocks live (restart_reason() below says what needs a restart).
// Field names follow Calico's BGPConfiguration/BGPPeer spelling where one exists
// (asNumber, peerIP, password, sourceAddress, ttlSecurity, keepOriginalNextHop...):
//
//   asNumber: 64512                 # local AS (4-octet allowed; "4200000001" or 4200000001)
//   routerId: 10.0.0.1              # required; dotted quad
//   listenAddress: 0.0.0.0          # optional, default "::" (dual stack); "" = don't listen
//   listenPort: 179
//   holdTime: 90                    # seconds; per-peer override
//   connectRetryTime: 5             # seconds; per-peer override
//   controlSocket: /run/calico-bgp.sock
//   routeReflectorClusterID: ""     # set = this node is a route reflector
//   maxPaths: 8                     # ECMP width, 1 disables multipath
//   kernel: {install: true, table: 254, protocol: 201, blackholeOwnBlocks: true}
//   originate: [10.65.1.0/26, fd00:65:1::/122]
//   peers:
//     - peerIP: 10.0.0.2            # optionally "10.0.0.2:1790"
//       asNumber: 64512
//       passive: false
//       holdTime: 90
//       sourceAddress: 10.0.0.1     # bind the session to this local address
//       ttlSecurity: 0              # hops for GTSM (RFC 5082), 0 = off
//       multihop: 64                # TTL of outgoing packets (default 64 for every
//                                   # session, like Calico's BIRD `multihop`)
//       password: s3cret            # TCP MD5 (RFC 2385)
//       routeReflectorClient: false
//       nextHopSelf: false
//       families: [ipv4, ipv6]      # default: the family of peerIP, plus ipv6 when a
//                                   # source/local IPv6 address is known for an IPv4 peer
//       localAddressV6: fd00::1     # next hop for IPv6 routes sent over an IPv4 session
//       name: tor1                  # display name in status (default: peerIP)
//
// Unknown keys are errors (a typo must not silently drop a setting).  Pure: parsing only.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bgp/wire/types.h"
#include "common/net/ip.h"
#include "common/result.h"

namespace calico::bgp {

struct PeerConfig {
  std::string name;  // display name; defaults to the address
  net::IpAddr address;
  std::uint16_t port = 179;
  std::uint32_t asn = 0;
  bool passive = false;
  std::chrono::seconds hold_time{90};
  std::chrono::seconds connect_retry{5};
  std::optional<net::IpAddr> source_address;
  std::optional<net::IpAddr> local_address_v6;  // IPv6 next hop on an IPv4 session
  int ttl_security_hops = 0;                    // 0 = off
  int multihop_ttl = 0;                         // resolved to 64 by the parser when unset
  std::string password;
  bool rr_client = false;
  bool next_hop_self = false;
  std::vector<AfiSafi> families;
  bool operator==(const PeerConfig&) const = default;
};

struct KernelConfig {
  bool install = true;
  std::uint32_t table = 254;
  std::uint8_t protocol = 201;
  bool blackhole_own_blocks = true;
  bool operator==(const KernelConfig&) const = default;
};

struct SpeakerConfig {
  std::uint32_t asn = 0;
  std::uint32_t router_id = 0;
  std::string listen_address = "::";
  std::uint16_t listen_port = 179;
  std::chrono::seconds hold_time{90};
  std::chrono::seconds connect_retry{5};
  std::string control_socket = "/run/calico-bgp.sock";
  std::optional<std::uint32_t> cluster_id;  // set = route reflector
  int max_paths = 8;
  KernelConfig kernel;
  std::vector<Prefix> originate;
  std::vector<PeerConfig> peers;
};

struct ConfigError {
  std::string field;  // "peers[1].asNumber"
  std::string message;
  std::string to_string() const { return field.empty() ? message : field + ": " + message; }
};

// Parses YAML or JSON text.  Every error names the field.
Result<SpeakerConfig, ConfigError> parse_speaker_config(const std::string& text);
Result<SpeakerConfig, ConfigError> load_speaker_config(const std::string& path);

// ---- Live reconfiguration (Speaker::set_peers / set_originated) ----------------------
//
// A peer's identity is its session endpoint, address + port (what the parser refuses to
// see twice, and what Calico's BGPPeer peerIP names).  The source address is a setting,
// not part of the identity: moving a session to another local address resets it.
bool same_peer(const PeerConfig& a, const PeerConfig& b);
// For two configs of the same peer: does going from `from` to `to` need the session
// reset?  Every setting does (AS, password, hold time, passive, families, TTL, source
// address, route-reflector client, next-hop-self, localAddressV6...) except the display
// name and the connect-retry time, which apply in place.  A field added to PeerConfig
// later resets by default.
bool peer_needs_reset(const PeerConfig& from, const PeerConfig& to);

// Settings a running speaker cannot change: the local AS, router id, listen address and
// port, route-reflector cluster id (including the one implied by a first
// routeReflectorClient peer), maxPaths, the kernel settings and the control socket.  The
// caller must build a new speaker (calico-bgp: restart the daemon).  The global holdTime
// and connectRetryTime are only defaults that the parser copies into each peer, so they
// take effect through the per-peer configs.  Returns the config key of the first such
// difference, or nullopt when set_peers() and set_originated() can apply `to`.
std::optional<std::string> restart_reason(const SpeakerConfig& from, const SpeakerConfig& to);
inline bool needs_restart(const SpeakerConfig& from, const SpeakerConfig& to) {
  return restart_reason(from, to).has_value();
}

// Parses an AS number as Calico writes it: 64512, "64512", or asdot "1.10".
std::optional<std::uint32_t> parse_asn(const std::string& text);

}  // namespace calico::bgp
