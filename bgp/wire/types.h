// BGP value types shared by the codec, the RIB and the speaker: address families,
// prefixes and path attributes (RFC 4271 §4.3, §5; RFC 4760; RFC 1997; RFC 8092;
// RFC 4456; RFC 6793).
//
// Pure value types (no I/O).  The in-memory model always carries 4-octet AS numbers:
// the decoder merges AS4_PATH/AS4_AGGREGATOR from 2-octet peers (RFC 6793 §4.2.3) and
// the encoder produces AS_TRANS + AS4_PATH toward them, so nothing above the codec ever
// sees AS_TRANS substitution.  Next hops are carried in PathAttributes for both the
// classic NEXT_HOP attribute (IPv4) and MP_REACH_NLRI (IPv6, global + optional
// link-local), so a RIB entry is (prefix, attributes) whatever the family.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/net/ip.h"

namespace calico::bgp {

// RFC 4760 address family identifiers (IANA).
enum class Afi : std::uint16_t { Ipv4 = 1, Ipv6 = 2 };
// RFC 4760 subsequent address family identifiers; only unicast is used here.
enum class Safi : std::uint8_t { Unicast = 1 };

struct AfiSafi {
  Afi afi = Afi::Ipv4;
  Safi safi = Safi::Unicast;
  auto operator<=>(const AfiSafi&) const = default;
};
inline constexpr AfiSafi kIpv4Unicast{Afi::Ipv4, Safi::Unicast};
inline constexpr AfiSafi kIpv6Unicast{Afi::Ipv6, Safi::Unicast};
std::string to_string(AfiSafi af);  // "ipv4-unicast"
AfiSafi afi_safi_of(const net::Cidr& prefix);

// A destination: always masked (host bits zero).  The decoder rejects prefixes longer
// than the family allows (RFC 7606 §5.3 session reset) and masks trailing bits set in the
// last octet (RFC 4271 §4.3: "the value of trailing bits is irrelevant").
using Prefix = net::Cidr;

// RFC 4271 §5.1.1
enum class Origin : std::uint8_t { Igp = 0, Egp = 1, Incomplete = 2 };

// RFC 4271 §4.3 (AS_SET 1, AS_SEQUENCE 2); RFC 5065 confederation types 3 and 4 are
// decoded and kept but never produced.
enum class AsSegmentType : std::uint8_t {
  Set = 1,
  Sequence = 2,
  ConfedSequence = 3,
  ConfedSet = 4
};

struct AsSegment {
  AsSegmentType type = AsSegmentType::Sequence;
  std::vector<std::uint32_t> asns;
  bool operator==(const AsSegment&) const = default;
};

inline constexpr std::uint32_t kAsTrans = 23456;  // RFC 6793 §9

struct AsPath {
  std::vector<AsSegment> segments;

  // Length for the decision process (RFC 4271 §9.1.2.2 a): each AS_SEQUENCE member counts
  // 1, an AS_SET counts 1 in total, confederation segments count 0.
  std::size_t path_length() const;
  bool contains(std::uint32_t asn) const;
  // First AS of the leftmost AS_SEQUENCE (the neighbour AS for MED comparison), or 0.
  std::uint32_t first_as() const;
  // Prepends `asn` to the leftmost AS_SEQUENCE, opening a new one when the path is empty,
  // starts with a set, or the sequence is full (255 members).
  void prepend(std::uint32_t asn);
  // BIRD/FRR style text: "65001 65002 {65003,65004}".
  std::string to_string() const;
  bool operator==(const AsPath&) const = default;
};

// RFC 4271 §5.1.7 (AS is 4 octets in memory, see the file comment).
struct Aggregator {
  std::uint32_t asn = 0;
  net::IpAddr address;  // IPv4
  bool operator==(const Aggregator&) const = default;
};

// RFC 8092
struct LargeCommunity {
  std::uint32_t global_admin = 0;
  std::uint32_t local1 = 0;
  std::uint32_t local2 = 0;
  auto operator<=>(const LargeCommunity&) const = default;
};

// Well-known communities (RFC 1997).
inline constexpr std::uint32_t kNoExport = 0xFFFFFF01;
inline constexpr std::uint32_t kNoAdvertise = 0xFFFFFF02;
inline constexpr std::uint32_t kNoExportSubconfed = 0xFFFFFF03;

// An attribute this speaker does not interpret.  Optional transitive ones are passed on
// with the Partial bit set (RFC 4271 §5); optional non-transitive ones are dropped on
// receipt and never stored.
struct UnknownAttribute {
  std::uint8_t flags = 0;  // as received (Extended Length bit is recomputed on encode)
  std::uint8_t type = 0;
  std::vector<std::uint8_t> value;
  bool operator==(const UnknownAttribute&) const = default;
};

// Path attributes of one route.  The RIB interns these (shared_ptr<const>), so equality
// must cover every field.
struct PathAttributes {
  Origin origin = Origin::Igp;
  AsPath as_path;
  // IPv4 routes: NEXT_HOP (RFC 4271 §5.1.3).  IPv6 routes: the global next hop of
  // MP_REACH_NLRI (RFC 4760 §3, RFC 2545 §3); link_local_next_hop is set when the peer
  // sent 32 bytes (global + link-local).
  std::optional<net::IpAddr> next_hop;
  std::optional<net::IpAddr> link_local_next_hop;
  std::optional<std::uint32_t> med;         // MULTI_EXIT_DISC
  std::optional<std::uint32_t> local_pref;  // LOCAL_PREF (iBGP only on the wire)
  bool atomic_aggregate = false;
  std::optional<Aggregator> aggregator;
  std::vector<std::uint32_t> communities;
  std::vector<LargeCommunity> large_communities;
  std::optional<std::uint32_t> originator_id;  // RFC 4456, a router id
  std::vector<std::uint32_t> cluster_list;     // RFC 4456
  std::vector<UnknownAttribute> unknown;       // optional transitive, kept in type order

  bool operator==(const PathAttributes&) const = default;
};

std::size_t hash_value(const PathAttributes& attrs);

// Router ids and other 4-octet identifiers are printed as dotted quads.
std::string format_router_id(std::uint32_t id);
std::optional<std::uint32_t> parse_router_id(const std::string& text);

}  // namespace calico::bgp
