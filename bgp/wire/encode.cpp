// BGP message encoding (RFC 4271 §4, RFC 4760, RFC 5492, RFC 6793, RFC 9072, RFC 2918,
// RFC 7313).
//
// UPDATE layout choices:
//   - MP_REACH_NLRI and MP_UNREACH_NLRI come first (RFC 7606 §5.1: "SHALL be encoded as
//     the very first path attribute"), the other attributes follow in ascending type order
//     (RFC 4271 §5: "SHOULD order path attributes ... in ascending order"), unknown
//     optional transitive attributes interleaved by type.
//   - MP_REACH_NLRI/MP_UNREACH_NLRI always use the Extended Length bit, so that each NLRI
//     added to an UPDATE costs exactly prefix_wire_size() (encoded_update_size() relies on
//     it); every other attribute uses it only when its value exceeds 255 bytes.
//   - NEXT_HOP is written when attrs.next_hop is IPv4 and the UPDATE carries classic NLRI
//     or no MP_REACH_NLRI; with MP_REACH_NLRI the next hop goes there (16 bytes, or 32
//     when link_local_next_hop is set).
//   - Toward a 2-octet AS peer (RFC 6793 §4.2.2) AS_PATH/AGGREGATOR carry AS_TRANS for
//     ASes above 65535 and AS4_PATH/AS4_AGGREGATOR are added when (and only when) needed.
//     AS4_PATH leaves out confederation segments as §4.2.2 requires.
// encode_message() rejects what cannot be represented (classic NLRI without an IPv4 next
// hop, MP_REACH_NLRI without a next hop of its family, prefixes of the wrong family) as
// well as messages above the negotiated size.
#include <algorithm>
#include <string>

#include "bgp/wire/byte_io.h"
#include "bgp/wire/codec.h"
#include "bgp/wire/wire_format.h"

namespace calico::bgp {

namespace {

using wire::ByteWriter;

constexpr std::uint32_t kMax2OctetAs = 0xFFFF;
constexpr std::size_t kMaxSegmentAsns = 255;

void put_header(ByteWriter& w, MessageType type) {
  for (std::size_t i = 0; i < wire::kMarkerSize; ++i) {
    w.u8(0xFF);
  }
  w.u16(0);  // patched by finish()
  w.u8(static_cast<std::uint8_t>(type));
}

Result<std::vector<std::uint8_t>, std::string> finish(ByteWriter& w, MessageType type,
                                                      std::size_t max) {
  if (w.size() > max) {
    return fail(to_string(type) + " of " + std::to_string(w.size()) +
                " bytes exceeds the maximum message size " + std::to_string(max));
  }
  w.patch_u16(wire::kLengthOffset, w.size());
  return w.take();
}

void put_addr(ByteWriter& w, const net::IpAddr& a) {
  const std::size_t n = a.is_v4() ? 4 : 16;
  w.bytes(std::span<const std::uint8_t>(a.bytes().data(), n));
}

// RFC 4271 §4.3: <length (1), prefix (ceil(length/8))>, trailing bits zero.
void put_prefix(ByteWriter& w, const Prefix& p) {
  const int len = std::clamp(p.prefix_len(), 0, p.addr().bits());
  w.u8(static_cast<std::uint8_t>(len));
  const auto masked = p.addr().masked(len);
  w.bytes(std::span<const std::uint8_t>(masked.bytes().data(),
                                        (static_cast<std::size_t>(len) + 7) / 8));
}

void put_prefixes(ByteWriter& w, const std::vector<Prefix>& ps) {
  for (const auto& p : ps) {
    put_prefix(w, p);
  }
}

// One attribute, flags completed with Extended Length when the value needs it.
void put_attr(ByteWriter& w, std::uint8_t flags, std::uint8_t type,
              std::span<const std::uint8_t> value, bool force_extended = false) {
  const bool extended = force_extended || value.size() > 255;
  w.u8(static_cast<std::uint8_t>((flags & ~wire::kFlagExtendedLength) |
                                 (extended ? wire::kFlagExtendedLength : 0)));
  w.u8(type);
  if (extended) {
    w.u16(static_cast<std::uint16_t>(value.size()));
  } else {
    w.u8(static_cast<std::uint8_t>(value.size()));
  }
  w.bytes(value);
}

bool is_confed(const AsSegment& s) {
  return s.type == AsSegmentType::ConfedSequence || s.type == AsSegmentType::ConfedSet;
}

// AS_PATH / AS4_PATH value.  Segments longer than 255 ASes are split; empty segments
// (which the wire cannot carry, RFC 7606 §7.2) are left out.
std::vector<std::uint8_t> as_path_value(const AsPath& path, bool four_octet, bool skip_confed) {
  ByteWriter v;
  for (const auto& seg : path.segments) {
    if (skip_confed && is_confed(seg)) {
      continue;
    }
    for (std::size_t start = 0; start < seg.asns.size(); start += kMaxSegmentAsns) {
      const std::size_t n = std::min(kMaxSegmentAsns, seg.asns.size() - start);
      v.u8(static_cast<std::uint8_t>(seg.type));
      v.u8(static_cast<std::uint8_t>(n));
      for (std::size_t i = start; i < start + n; ++i) {
        const std::uint32_t asn = seg.asns[i];
        if (four_octet) {
          v.u32(asn);
        } else {
          // RFC 6793 §4.2.2: ASes that do not fit 2 octets become AS_TRANS.
          v.u16(static_cast<std::uint16_t>(asn > kMax2OctetAs ? kAsTrans : asn));
        }
      }
    }
  }
  return v.take();
}

bool needs_as4_path(const AsPath& path) {
  for (const auto& seg : path.segments) {
    if (is_confed(seg)) {
      continue;  // not carried in AS4_PATH anyway
    }
    for (auto asn : seg.asns) {
      if (asn > kMax2OctetAs) {
        return true;
      }
    }
  }
  return false;
}

struct Attr {
  std::uint8_t flags = 0;
  std::uint8_t type = 0;
  std::vector<std::uint8_t> value;
};

std::vector<std::uint8_t> u32_value(std::uint32_t v) {
  ByteWriter w;
  w.u32(v);
  return w.take();
}

// The attributes of `u.attrs` other than MP_*, in ascending type order.
std::vector<Attr> path_attributes(const Update& u, const CodecOptions& opts) {
  std::vector<Attr> out;
  const PathAttributes& a = *u.attrs;
  auto add = [&](std::uint8_t type, std::vector<std::uint8_t> value) {
    out.push_back(Attr{wire::expected_flags(type), type, std::move(value)});
  };
  add(wire::attr::kOrigin, {static_cast<std::uint8_t>(a.origin)});
  add(wire::attr::kAsPath, as_path_value(a.as_path, opts.four_octet_as, false));
  if (a.next_hop && a.next_hop->is_v4() && (!u.mp_reach || !u.nlri.empty())) {
    add(wire::attr::kNextHop, u32_value(a.next_hop->v4_host_order()));
  }
  if (a.med) {
    add(wire::attr::kMed, u32_value(*a.med));
  }
  if (a.local_pref) {
    add(wire::attr::kLocalPref, u32_value(*a.local_pref));
  }
  if (a.atomic_aggregate) {
    add(wire::attr::kAtomicAggregate, {});
  }
  bool need_as4_aggregator = false;
  if (a.aggregator) {
    ByteWriter v;
    if (opts.four_octet_as) {
      v.u32(a.aggregator->asn);
    } else {
      need_as4_aggregator = a.aggregator->asn > kMax2OctetAs;
      v.u16(static_cast<std::uint16_t>(need_as4_aggregator ? kAsTrans : a.aggregator->asn));
    }
    v.u32(a.aggregator->address.is_v4() ? a.aggregator->address.v4_host_order() : 0);
    add(wire::attr::kAggregator, v.take());
  }
  if (!a.communities.empty()) {
    ByteWriter v;
    for (auto c : a.communities) {
      v.u32(c);
    }
    add(wire::attr::kCommunities, v.take());
  }
  if (a.originator_id) {
    add(wire::attr::kOriginatorId, u32_value(*a.originator_id));
  }
  if (!a.cluster_list.empty()) {
    ByteWriter v;
    for (auto c : a.cluster_list) {
      v.u32(c);
    }
    add(wire::attr::kClusterList, v.take());
  }
  if (!opts.four_octet_as && needs_as4_path(a.as_path)) {
    add(wire::attr::kAs4Path, as_path_value(a.as_path, true, true));
  }
  if (need_as4_aggregator) {
    ByteWriter v;
    v.u32(a.aggregator->asn);
    v.u32(a.aggregator->address.is_v4() ? a.aggregator->address.v4_host_order() : 0);
    add(wire::attr::kAs4Aggregator, v.take());
  }
  if (!a.large_communities.empty()) {
    ByteWriter v;
    for (const auto& c : a.large_communities) {
      v.u32(c.global_admin);
      v.u32(c.local1);
      v.u32(c.local2);
    }
    add(wire::attr::kLargeCommunity, v.take());
  }
  for (const auto& unk : a.unknown) {
    if (wire::is_interpreted_attribute(unk.type)) {
      continue;  // the codec writes these itself; a raw copy would be a repeat
    }
    out.push_back(Attr{unk.flags, unk.type, unk.value});
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Attr& x, const Attr& y) { return x.type < y.type; });
  return out;
}

// Writes the UPDATE without checking that it is representable (encoded_update_size()
// uses this directly; encode_message() validates first).
void write_update(ByteWriter& w, const Update& u, const CodecOptions& opts) {
  put_header(w, MessageType::Update);
  const std::size_t wlen_at = w.size();
  w.u16(0);
  put_prefixes(w, u.withdrawn);
  w.patch_u16(wlen_at, w.size() - wlen_at - 2);

  const std::size_t alen_at = w.size();
  w.u16(0);
  if (u.mp_reach) {
    // RFC 4760 §3: AFI, SAFI, next hop length, next hop, reserved, NLRI.
    ByteWriter v;
    v.u16(static_cast<std::uint16_t>(u.mp_reach->af.afi));
    v.u8(static_cast<std::uint8_t>(u.mp_reach->af.safi));
    ByteWriter nh;
    if (u.attrs && u.attrs->next_hop) {
      const bool v6 = u.mp_reach->af.afi == Afi::Ipv6;
      if (u.attrs->next_hop->is_v6() == v6) {
        put_addr(nh, *u.attrs->next_hop);
        // RFC 2545 §3: global + link-local = 32 bytes.
        if (v6 && u.attrs->link_local_next_hop && u.attrs->link_local_next_hop->is_v6()) {
          put_addr(nh, *u.attrs->link_local_next_hop);
        }
      }
    }
    v.u8(static_cast<std::uint8_t>(nh.size()));
    v.bytes(nh.data());
    v.u8(0);  // Reserved
    put_prefixes(v, u.mp_reach->nlri);
    put_attr(w, wire::expected_flags(wire::attr::kMpReachNlri), wire::attr::kMpReachNlri, v.data(),
             true);
  }
  if (u.mp_unreach) {
    // RFC 4760 §4: AFI, SAFI, withdrawn routes.
    ByteWriter v;
    v.u16(static_cast<std::uint16_t>(u.mp_unreach->af.afi));
    v.u8(static_cast<std::uint8_t>(u.mp_unreach->af.safi));
    put_prefixes(v, u.mp_unreach->withdrawn);
    put_attr(w, wire::expected_flags(wire::attr::kMpUnreachNlri), wire::attr::kMpUnreachNlri,
             v.data(), true);
  }
  if (u.attrs) {
    for (const auto& a : path_attributes(u, opts)) {
      put_attr(w, a.flags, a.type, a.value);
    }
  }
  w.patch_u16(alen_at, w.size() - alen_at - 2);
  put_prefixes(w, u.nlri);
}

bool prefix_ok(const Prefix& p, Afi afi) {
  const bool v4 = afi == Afi::Ipv4;
  return p.addr().is_v4() == v4 && p.prefix_len() >= 0 && p.prefix_len() <= p.addr().bits();
}

Result<void, std::string> check_prefixes(const std::vector<Prefix>& ps, Afi afi, const char* what) {
  for (const auto& p : ps) {
    if (!prefix_ok(p, afi)) {
      return fail(std::string(what) + ": " + p.to_string() + " is not a valid " +
                  (afi == Afi::Ipv4 ? "IPv4" : "IPv6") + " prefix");
    }
  }
  return {};
}

bool supported(AfiSafi af) {
  return wire::is_supported_family(static_cast<std::uint16_t>(af.afi),
                                   static_cast<std::uint8_t>(af.safi));
}

Result<void, std::string> check_update(const Update& u) {
  if (auto ok = check_prefixes(u.withdrawn, Afi::Ipv4, "withdrawn routes"); !ok) {
    return ok;
  }
  if (auto ok = check_prefixes(u.nlri, Afi::Ipv4, "NLRI"); !ok) {
    return ok;
  }
  if (!u.nlri.empty()) {
    if (!u.attrs || !u.attrs->next_hop || !u.attrs->next_hop->is_v4()) {
      return fail(std::string("IPv4 NLRI need path attributes with an IPv4 next hop"));
    }
    if (u.mp_reach && u.mp_reach->af != kIpv4Unicast) {
      return fail("IPv4 NLRI and " + to_string(u.mp_reach->af) +
                  " MP_REACH_NLRI would need two next hops in one UPDATE");
    }
  }
  if (u.mp_reach) {
    const AfiSafi af = u.mp_reach->af;
    if (!supported(af)) {
      return fail("unsupported MP_REACH_NLRI family " + to_string(af));
    }
    const bool v6 = af.afi == Afi::Ipv6;
    if (!u.attrs || !u.attrs->next_hop || u.attrs->next_hop->is_v6() != v6) {
      return fail("MP_REACH_NLRI " + to_string(af) + " needs an " + (v6 ? "IPv6" : "IPv4") +
                  " next hop");
    }
    if (u.attrs->link_local_next_hop && (!v6 || !u.attrs->link_local_next_hop->is_v6())) {
      return fail(std::string("a link-local next hop must be IPv6 with IPv6 MP_REACH_NLRI"));
    }
    if (auto ok = check_prefixes(u.mp_reach->nlri, af.afi, "MP_REACH_NLRI"); !ok) {
      return ok;
    }
  }
  if (u.mp_unreach) {
    if (!supported(u.mp_unreach->af)) {
      return fail("unsupported MP_UNREACH_NLRI family " + to_string(u.mp_unreach->af));
    }
    if (auto ok = check_prefixes(u.mp_unreach->withdrawn, u.mp_unreach->af.afi, "MP_UNREACH_NLRI");
        !ok) {
      return ok;
    }
  }
  return {};
}

// ---- OPEN -------------------------------------------------------------------------------

void put_capability(ByteWriter& w, std::uint8_t code, std::span<const std::uint8_t> value) {
  w.u8(code);
  w.u8(static_cast<std::uint8_t>(value.size()));
  w.bytes(value);
}

Result<std::vector<std::uint8_t>, std::string> capabilities_value(const Capabilities& caps) {
  ByteWriter w;
  for (const auto& af : caps.multiprotocol) {
    // RFC 4760 §8: AFI (2), Reserved (1), SAFI (1).
    ByteWriter v;
    v.u16(static_cast<std::uint16_t>(af.afi));
    v.u8(0);
    v.u8(static_cast<std::uint8_t>(af.safi));
    put_capability(w, static_cast<std::uint8_t>(CapabilityCode::Multiprotocol), v.data());
  }
  if (caps.route_refresh) {
    put_capability(w, static_cast<std::uint8_t>(CapabilityCode::RouteRefresh), {});
  }
  if (caps.extended_message) {
    put_capability(w, static_cast<std::uint8_t>(CapabilityCode::ExtendedMessage), {});
  }
  if (caps.graceful_restart) {
    // RFC 4724 §3
    const auto& gr = *caps.graceful_restart;
    ByteWriter v;
    std::uint16_t word = gr.restart_time_s & wire::kGrTimeMask;
    if (gr.restarting) {
      word |= wire::kGrRestartBit;
    }
    if (gr.notification) {
      word |= wire::kGrNotificationBit;
    }
    v.u16(word);
    for (const auto& f : gr.families) {
      v.u16(static_cast<std::uint16_t>(f.af.afi));
      v.u8(static_cast<std::uint8_t>(f.af.safi));
      v.u8(f.forwarding_preserved ? wire::kGrForwardingBit : 0);
    }
    if (v.size() > 255) {
      return fail("graceful restart capability with " + std::to_string(gr.families.size()) +
                  " families exceeds 255 bytes");
    }
    put_capability(w, static_cast<std::uint8_t>(CapabilityCode::GracefulRestart), v.data());
  }
  if (caps.four_octet_as) {
    ByteWriter v;
    v.u32(*caps.four_octet_as);
    put_capability(w, static_cast<std::uint8_t>(CapabilityCode::FourOctetAs), v.data());
  }
  if (caps.enhanced_route_refresh) {
    put_capability(w, static_cast<std::uint8_t>(CapabilityCode::EnhancedRouteRefresh), {});
  }
  for (const auto& raw : caps.other) {
    if (raw.value.size() > 255) {
      return fail("capability " + std::to_string(raw.code) + " value of " +
                  std::to_string(raw.value.size()) + " bytes exceeds 255");
    }
    put_capability(w, raw.code, raw.value);
  }
  return w.take();
}

Result<std::vector<std::uint8_t>, std::string> encode_open(const Open& o) {
  auto caps = capabilities_value(o.caps);
  if (!caps) {
    return fail(std::move(caps).error());
  }
  ByteWriter w;
  put_header(w, MessageType::Open);
  w.u8(o.version);
  w.u16(o.my_as);
  w.u16(o.hold_time_s);
  w.u32(o.bgp_id);
  if (caps->empty()) {
    w.u8(0);
  } else if (caps->size() + 2 <= 255) {
    // RFC 5492 §4: all capabilities in one optional parameter of type 2.
    w.u8(static_cast<std::uint8_t>(caps->size() + 2));
    w.u8(wire::kOptParamCapabilities);
    w.u8(static_cast<std::uint8_t>(caps->size()));
    w.bytes(*caps);
  } else {
    // RFC 9072 §2: the extended encoding, only when the parameters do not fit 255 bytes.
    w.u8(wire::kExtendedOptParamsMarker);
    w.u8(wire::kExtendedOptParamsMarker);
    w.u16(static_cast<std::uint16_t>(caps->size() + 3));
    w.u8(wire::kOptParamCapabilities);
    w.u16(static_cast<std::uint16_t>(caps->size()));
    w.bytes(*caps);
  }
  // RFC 8654 §4: OPEN is never larger than 4096 bytes.
  return finish(w, MessageType::Open, kMaxMessageSize);
}

}  // namespace

Result<std::vector<std::uint8_t>, std::string> encode_message(const Message& m,
                                                              const CodecOptions& opts) {
  ByteWriter w;
  if (const auto* open = std::get_if<Open>(&m)) {
    return encode_open(*open);
  }
  if (const auto* u = std::get_if<Update>(&m)) {
    if (auto ok = check_update(*u); !ok) {
      return fail(ok.error());
    }
    write_update(w, *u, opts);
    return finish(w, MessageType::Update, opts.max_message_size());
  }
  if (const auto* n = std::get_if<Notification>(&m)) {
    // RFC 4271 §4.5
    put_header(w, MessageType::Notification);
    w.u8(n->code);
    w.u8(n->subcode);
    w.bytes(n->data);
    return finish(w, MessageType::Notification, opts.max_message_size());
  }
  if (const auto* rr = std::get_if<RouteRefresh>(&m)) {
    // RFC 2918 §3, RFC 7313 §3: AFI (2), Message Subtype (1), SAFI (1).
    put_header(w, MessageType::RouteRefresh);
    w.u16(static_cast<std::uint16_t>(rr->af.afi));
    w.u8(rr->subtype);
    w.u8(static_cast<std::uint8_t>(rr->af.safi));
    return finish(w, MessageType::RouteRefresh, opts.max_message_size());
  }
  // RFC 4271 §4.4: KEEPALIVE is the header alone.
  put_header(w, MessageType::Keepalive);
  return finish(w, MessageType::Keepalive, kMaxMessageSize);
}

std::size_t encoded_update_size(const PathAttributes& attrs, std::optional<AfiSafi> mp_family,
                                const CodecOptions& opts) {
  Update u;
  u.attrs = attrs;
  if (mp_family) {
    u.mp_reach = MpReach{*mp_family, {}};
  }
  ByteWriter w;
  write_update(w, u, opts);
  return w.size();
}

}  // namespace calico::bgp
