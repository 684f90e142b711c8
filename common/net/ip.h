// IP addresses and CIDRs as value types, with strict parsing.
//
// Pure code (no sockets).  IpAddr holds an IPv4 or IPv6 address in network byte order;
// Cidr is an address plus prefix length.  Parsing is strict: "10.0.0.1" and "fd00::1"
// only, no leading zeros in IPv4 octets, no zone ids.  Formatting follows RFC 5952 for
// IPv6 (lower case, longest zero run compressed).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace calico::net {

enum class Family : std::uint8_t { V4 = 4, V6 = 6 };

class IpAddr {
 public:
  IpAddr() = default;
  static IpAddr v4(std::uint32_t host_order);
  static IpAddr v6(const std::array<std::uint8_t, 16>& bytes);

  // Parses a dotted-quad IPv4 or an IPv6 address; nullopt if malformed.
  static std::optional<IpAddr> parse(std::string_view text);

  Family family() const { return family_; }
  bool is_v4() const { return family_ == Family::V4; }
  bool is_v6() const { return family_ == Family::V6; }
  int bits() const { return is_v4() ? 32 : 128; }
  // Bytes in network order; only the first 4 are meaningful for IPv4.
  const std::array<std::uint8_t, 16>& bytes() const { return bytes_; }
  std::uint32_t v4_host_order() const;

  std::string to_string() const;
  // Sets all bits after prefix_len to zero.
  IpAddr masked(int prefix_len) const;
  // Adds offset (wrapping within the family's width).
  IpAddr plus(std::uint64_t offset) const;
  bool bit(int index) const;

  auto operator<=>(const IpAddr&) const = default;

 private:
  Family family_ = Family::V4;
  std::array<std::uint8_t, 16> bytes_{};
};

class Cidr {
 public:
  Cidr() = default;
  Cidr(IpAddr addr, int prefix_len) : addr_(addr), len_(prefix_len) {}

  // Parses "a.b.c.d/n" or "x::y/n".  With strict=true, host bits must be zero
  // ("10.0.0.1/24" is rejected).  Without a "/n" the text is rejected.
  static std::optional<Cidr> parse(std::string_view text, bool strict = false);
  // Like parse, but a bare address is accepted as /32 or /128.
  static std::optional<Cidr> parse_addr_or_cidr(std::string_view text);

  const IpAddr& addr() const { return addr_; }
  int prefix_len() const { return len_; }
  Family family() const { return addr_.family(); }
  bool is_masked() const { return addr_.masked(len_) == addr_; }
  Cidr masked() const { return Cidr(addr_.masked(len_), len_); }
  bool contains(const IpAddr& ip) const;
  bool contains(const Cidr& other) const;
  bool overlaps(const Cidr& other) const;
  std::string to_string() const;

  auto operator<=>(const Cidr&) const = default;

 private:
  IpAddr addr_;
  int len_ = 0;
};

}  // namespace calico::net
