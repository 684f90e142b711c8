#include "bgp/wire/types.h"

#include <functional>

namespace calico::bgp {

std::string to_string(AfiSafi af) {
  std::string out = af.afi == Afi::Ipv4   ? "ipv4"
                    : af.afi == Afi::Ipv6 ? "ipv6"
                                          : "afi" + std::to_string(static_cast<int>(af.afi));
  out +=
      af.safi == Safi::Unicast ? "-unicast" : "-safi" + std::to_string(static_cast<int>(af.safi));
  return out;
}

AfiSafi afi_safi_of(const net::Cidr& prefix) {
  return prefix.family() == net::Family::V4 ? kIpv4Unicast : kIpv6Unicast;
}

std::size_t AsPath::path_length() const {
  std::size_t n = 0;
  for (const auto& s : segments) {
    if (s.type == AsSegmentType::Sequence) {
      n += s.asns.size();
    } else if (s.type == AsSegmentType::Set) {
      n += 1;
    }
  }
  return n;
}

bool AsPath::contains(std::uint32_t asn) const {
  for (const auto& s : segments) {
    for (auto a : s.asns) {
      if (a == asn) {
        return true;
      }
    }
  }
  return false;
}

std::uint32_t AsPath::first_as() const {
  for (const auto& s : segments) {
    if (s.type == AsSegmentType::Sequence && !s.asns.empty()) {
      return s.asns.front();
    }
    if (s.type == AsSegmentType::Set || s.type == AsSegmentType::Sequence) {
      return 0;
    }
  }
  return 0;
}

void AsPath::prepend(std::uint32_t asn) {
  constexpr std::size_t kMaxSegment = 255;
  if (segments.empty() || segments.front().type != AsSegmentType::Sequence ||
      segments.front().asns.size() >= kMaxSegment) {
    segments.insert(segments.begin(), AsSegment{AsSegmentType::Sequence, {}});
  }
  auto& v = segments.front().asns;
  v.insert(v.begin(), asn);
}

std::string AsPath::to_string() const {
  std::string out;
  for (const auto& s : segments) {
    if (!out.empty()) {
      out += ' ';
    }
    const bool set = s.type == AsSegmentType::Set || s.type == AsSegmentType::ConfedSet;
    const bool confed =
        s.type == AsSegmentType::ConfedSequence || s.type == AsSegmentType::ConfedSet;
    if (confed) {
      out += '(';
    }
    if (set) {
      out += '{';
    }
    for (std::size_t i = 0; i < s.asns.size(); ++i) {
      if (i > 0) {
        out += set ? "," : " ";
      }
      out += std::to_string(s.asns[i]);
    }
    if (set) {
      out += '}';
    }
    if (confed) {
      out += ')';
    }
  }
  return out;
}

namespace {
void mix(std::size_t& seed, std::size_t v) {
  seed ^= v + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2);
}
std::size_t hash_addr(const net::IpAddr& a) {
  std::size_t h = static_cast<std::size_t>(a.family());
  for (auto b : a.bytes()) {
    mix(h, b);
  }
  return h;
}
}  // namespace

std::size_t hash_value(const PathAttributes& a) {
  std::size_t h = static_cast<std::size_t>(a.origin);
  for (const auto& s : a.as_path.segments) {
    mix(h, static_cast<std::size_t>(s.type));
    for (auto asn : s.asns) {
      mix(h, asn);
    }
  }
  mix(h, a.next_hop ? hash_addr(*a.next_hop) : 1);
  mix(h, a.link_local_next_hop ? hash_addr(*a.link_local_next_hop) : 2);
  mix(h, a.med ? *a.med : 0xFFFF0001ULL);
  mix(h, a.local_pref ? *a.local_pref : 0xFFFF0002ULL);
  mix(h, a.atomic_aggregate ? 1 : 0);
  if (a.aggregator) {
    mix(h, a.aggregator->asn);
    mix(h, hash_addr(a.aggregator->address));
  }
  for (auto c : a.communities) {
    mix(h, c);
  }
  for (const auto& c : a.large_communities) {
    mix(h, c.global_admin);
    mix(h, c.local1);
    mix(h, c.local2);
  }
  mix(h, a.originator_id ? *a.originator_id : 0xFFFF0003ULL);
  for (auto c : a.cluster_list) {
    mix(h, c);
  }
  for (const auto& u : a.unknown) {
    mix(h, u.type);
    mix(h, u.value.size());
    for (auto b : u.value) {
      mix(h, b);
    }
  }
  return h;
}

std::string format_router_id(std::uint32_t id) {
  return net::IpAddr::v4(id).to_string();
}

std::optional<std::uint32_t> parse_router_id(const std::string& text) {
  const auto ip = net::IpAddr::parse(text);
  if (!ip || !ip->is_v4()) {
    return std::nullopt;
  }
  return ip->v4_host_order();
}

}  // namespace calico::bgp
