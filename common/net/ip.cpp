#include "common/net/ip.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace calico::net {

IpAddr IpAddr::v4(std::uint32_t host_order) {
  IpAddr a;
  a.family_ = Family::V4;
  a.bytes_[0] = static_cast<std::uint8_t>(host_order >> 24);
  a.bytes_[1] = static_cast<std::uint8_t>(host_order >> 16);
  a.bytes_[2] = static_cast<std::uint8_t>(host_order >> 8);
  a.bytes_[3] = static_cast<std::uint8_t>(host_order);
  return a;
}

IpAddr IpAddr::v6(const std::array<std::uint8_t, 16>& bytes) {
  IpAddr a;
  a.family_ = Family::V6;
  a.bytes_ = bytes;
  return a;
}

std::uint32_t IpAddr::v4_host_order() const {
  return (static_cast<std::uint32_t>(bytes_[0]) << 24) |
         (static_cast<std::uint32_t>(bytes_[1]) << 16) |
         (static_cast<std::uint32_t>(bytes_[2]) << 8) | static_cast<std::uint32_t>(bytes_[3]);
}

std::optional<IpAddr> IpAddr::parse(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) {
    return std::nullopt;
  }
  char buf[INET6_ADDRSTRLEN] = {};
  std::memcpy(buf, text.data(), text.size());
  if (text.find(':') == std::string_view::npos) {
    // inet_pton(AF_INET) already rejects leading zeros / short forms on glibc.
    std::array<std::uint8_t, 4> b{};
    if (inet_pton(AF_INET, buf, b.data()) != 1) {
      return std::nullopt;
    }
    return IpAddr::v4((std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) |
                      (std::uint32_t{b[2]} << 8) | std::uint32_t{b[3]});
  }
  std::array<std::uint8_t, 16> b{};
  if (inet_pton(AF_INET6, buf, b.data()) != 1) {
    return std::nullopt;
  }
  return IpAddr::v6(b);
}

std::string IpAddr::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof buf);
  return buf;
}

IpAddr IpAddr::masked(int prefix_len) const {
  IpAddr out = *this;
  const int total = bits();
  for (int i = 0; i < total / 8; ++i) {
    const int start = i * 8;
    std::uint8_t mask = 0;
    if (prefix_len >= start + 8) {
      mask = 0xff;
    } else if (prefix_len > start) {
      mask = static_cast<std::uint8_t>(0xff << (8 - (prefix_len - start)));
    }
    out.bytes_[static_cast<std::size_t>(i)] &= mask;
  }
  return out;
}

IpAddr IpAddr::plus(std::uint64_t offset) const {
  IpAddr out = *this;
  const int last = bits() / 8 - 1;
  unsigned carry = 0;
  for (int i = last; i >= 0; --i) {
    const auto idx = static_cast<std::size_t>(i);
    const unsigned sum = out.bytes_[idx] + static_cast<unsigned>(offset & 0xff) + carry;
    out.bytes_[idx] = static_cast<std::uint8_t>(sum);
    carry = sum >> 8;
    offset >>= 8;
  }
  return out;
}

bool IpAddr::bit(int index) const {
  return ((bytes_[static_cast<std::size_t>(index / 8)] >> (7 - index % 8)) & 1) != 0;
}

std::optional<Cidr> Cidr::parse(std::string_view text, bool strict) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) {
    return std::nullopt;
  }
  auto addr = IpAddr::parse(text.substr(0, slash));
  if (!addr) {
    return std::nullopt;
  }
  const std::string_view len_text = text.substr(slash + 1);
  if (len_text.empty() || len_text.size() > 3 || (len_text.size() > 1 && len_text[0] == '0')) {
    return std::nullopt;
  }
  int len = -1;
  const auto [ptr, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
  if (ec != std::errc() || ptr != len_text.data() + len_text.size() || len < 0 ||
      len > addr->bits()) {
    return std::nullopt;
  }
  Cidr c(*addr, len);
  if (strict && !c.is_masked()) {
    return std::nullopt;
  }
  return c;
}

std::optional<Cidr> Cidr::parse_addr_or_cidr(std::string_view text) {
  if (text.find('/') != std::string_view::npos) {
    return parse(text);
  }
  auto addr = IpAddr::parse(text);
  if (!addr) {
    return std::nullopt;
  }
  return Cidr(*addr, addr->bits());
}

bool Cidr::contains(const IpAddr& ip) const {
  return ip.family() == family() && ip.masked(len_) == addr_.masked(len_);
}

bool Cidr::contains(const Cidr& other) const {
  return other.family() == family() && other.len_ >= len_ && contains(other.addr_);
}

bool Cidr::overlaps(const Cidr& other) const {
  return contains(other) || other.contains(*this);
}

std::string Cidr::to_string() const {
  return addr_.to_string() + "/" + std::to_string(len_);
}

}  // namespace calico::net
