// UPDATE decoding with the revised error handling of RFC 7606 (RFC 4271 §4.3/§6.3,
// RFC 4760 MP_REACH/MP_UNREACH, RFC 6793 AS4_PATH/AS4_AGGREGATOR, RFC 1997, RFC 4456,
// RFC 8092).
//
// Outcomes:
//   - session reset (returned as the error): the message cannot be parsed (field lengths
//     overrun the message, NLRI unparseable, MP_* malformed or repeated, an unrecognised
//     well-known attribute);
//   - treat-as-withdraw (soft error): a malformed attribute that the route depends on;
//   - attribute discard (soft error): a malformed attribute that is merely dropped.
// Parsing always goes on after a soft error so that a stronger error later in the message
// still wins, and so that MP_REACH_NLRI is found for treat-as-withdraw.
//
// Choices where the RFCs leave room (each also noted at the rule):
//   - Trailing bits after the prefix length are masked off: RFC 4271 §4.3 says "the value
//     of trailing bits is irrelevant".
//   - Soft errors keep the NOTIFICATION data RFC 4271 §6.3 would use (the attribute as
//     received) so they can be logged.
//   - With no NLRI anywhere (classic or MP_REACH) there is nothing to withdraw, so
//     treat-as-withdraw errors are reported as attribute discard.  NEXT_HOP errors are
//     likewise only treat-as-withdraw when classic IPv4 NLRI is present, since RFC 4760 §3
//     says NEXT_HOP is ignored for MP_REACH-only UPDATEs.
//   - MP_* attributes for families other than IPv4/IPv6 unicast are skipped (RFC 4760 §3
//     leaves them to the negotiated families); the UPDATE then keeps `attrs` set so it is
//     never mistaken for an IPv4 End-of-RIB.
//   - A confederation segment to the right of an AS_SEQUENCE/AS_SET is a malformed AS_PATH:
//     RFC 5065 §5 only ever prepends confederation segments.
#include <algorithm>
#include <array>
#include <bitset>
#include <string>

#include "bgp/wire/byte_io.h"
#include "bgp/wire/wire_format.h"

namespace calico::bgp::wire {

namespace {

struct PrefixError {
  std::size_t offset = 0;
  std::string reason;
};

// RFC 4271 §4.3 NLRI/withdrawn encoding: <length (1), prefix (ceil(length/8))>...
Result<std::vector<Prefix>, PrefixError> parse_prefixes(ByteReader r, Afi afi) {
  const int max_bits = afi == Afi::Ipv4 ? 32 : 128;
  std::vector<Prefix> out;
  while (!r.empty()) {
    const std::size_t at = r.offset();
    const std::uint8_t len = *r.u8();
    if (len > max_bits) {
      // RFC 7606 §5.3 (a): longer than the family allows.
      return fail(PrefixError{
          at, "prefix length " + std::to_string(len) + " exceeds " + std::to_string(max_bits)});
    }
    const std::size_t nbytes = (static_cast<std::size_t>(len) + 7) / 8;
    const auto b = r.bytes(nbytes);
    if (!b) {
      // RFC 7606 §5.3 (b): the last prefix overruns the field.
      return fail(PrefixError{at, "/" + std::to_string(len) + " prefix needs " +
                                      std::to_string(nbytes) + " bytes, " +
                                      std::to_string(r.remaining()) + " left"});
    }
    std::array<std::uint8_t, 16> raw{};
    std::copy(b->begin(), b->end(), raw.begin());
    net::IpAddr addr;
    if (afi == Afi::Ipv4) {
      addr = net::IpAddr::v4(
          (static_cast<std::uint32_t>(raw[0]) << 24) | (static_cast<std::uint32_t>(raw[1]) << 16) |
          (static_cast<std::uint32_t>(raw[2]) << 8) | static_cast<std::uint32_t>(raw[3]));
    } else {
      addr = net::IpAddr::v6(raw);
    }
    // RFC 4271 §4.3: "the value of trailing bits is irrelevant" -> masked, not an error.
    out.emplace_back(addr.masked(len), len);
  }
  return out;
}

struct AsPathError {
  std::string reason;
};

// RFC 4271 §4.3 AS_PATH (segments of <type (1), count (1), count x AS>) with the RFC 7606
// §7.2 malformation rules.  `asn_size` is 2 (AS_PATH from a 2-octet peer) or 4.
Result<AsPath, AsPathError> parse_as_path(ByteReader r, std::size_t asn_size,
                                          bool confed_must_lead) {
  AsPath path;
  bool seen_plain = false;
  while (!r.empty()) {
    if (r.remaining() < 2) {
      // RFC 7606 §7.2: a single octet left after the last segment.
      return fail(AsPathError{"1 byte left after the last segment"});
    }
    const std::uint8_t type = *r.u8();
    const std::uint8_t count = *r.u8();
    if (type < static_cast<std::uint8_t>(AsSegmentType::Set) ||
        type > static_cast<std::uint8_t>(AsSegmentType::ConfedSet)) {
      return fail(AsPathError{"unknown segment type " + std::to_string(type)});
    }
    if (count == 0) {
      // RFC 7606 §7.2: a Path Segment Length of zero is malformed.
      return fail(AsPathError{"zero-length segment"});
    }
    const std::size_t need = static_cast<std::size_t>(count) * asn_size;
    if (r.remaining() < need) {
      return fail(AsPathError{"segment of " + std::to_string(count) + " ASes needs " +
                              std::to_string(need) + " bytes, " + std::to_string(r.remaining()) +
                              " left"});
    }
    const auto seg_type = static_cast<AsSegmentType>(type);
    const bool confed =
        seg_type == AsSegmentType::ConfedSequence || seg_type == AsSegmentType::ConfedSet;
    if (confed && seen_plain && confed_must_lead) {
      // RFC 5065 §5: confederation segments are only prepended, so they lead the path.
      return fail(AsPathError{"confederation segment after an AS_SEQUENCE/AS_SET"});
    }
    seen_plain = seen_plain || !confed;
    AsSegment seg;
    seg.type = seg_type;
    seg.asns.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
      seg.asns.push_back(asn_size == 4 ? *r.u32() : *r.u16());
    }
    path.segments.push_back(std::move(seg));
  }
  return path;
}

// RFC 6793 §4.2.3: rebuild the real path from AS_PATH (2-octet, with AS_TRANS) and
// AS4_PATH.  Leading ASes of AS_PATH are kept so that the result is as long as AS_PATH;
// the counting follows RFC 4271 §9.1.2.2 (an AS_SET counts 1, confederation segments 0).
AsPath merge_as4_path(const AsPath& as_path, const AsPath& as4_path) {
  const std::size_t len = as_path.path_length();
  const std::size_t len4 = as4_path.path_length();
  if (len < len4) {
    // RFC 6793 §4.2.3: AS_PATH shorter than AS4_PATH -> AS4_PATH is ignored.
    return as_path;
  }
  std::size_t need = len - len4;
  AsPath out;
  for (const auto& seg : as_path.segments) {
    const bool confed =
        seg.type == AsSegmentType::ConfedSequence || seg.type == AsSegmentType::ConfedSet;
    if (confed) {
      out.segments.push_back(seg);  // counts 0; always leads the path (see parse_as_path)
      continue;
    }
    if (need == 0) {
      break;
    }
    if (seg.type == AsSegmentType::Set) {
      out.segments.push_back(seg);
      need -= 1;
      continue;
    }
    const std::size_t take = std::min(need, seg.asns.size());
    AsSegment part{seg.type,
                   {seg.asns.begin(), seg.asns.begin() + static_cast<std::ptrdiff_t>(take)}};
    out.segments.push_back(std::move(part));
    need -= take;
  }
  for (const auto& seg : as4_path.segments) {
    // Join a trailing AS_SEQUENCE with a leading one when the result still fits a segment.
    if (!out.segments.empty() && seg.type == AsSegmentType::Sequence &&
        out.segments.back().type == AsSegmentType::Sequence &&
        out.segments.back().asns.size() + seg.asns.size() <= 255) {
      auto& back = out.segments.back().asns;
      back.insert(back.end(), seg.asns.begin(), seg.asns.end());
      continue;
    }
    out.segments.push_back(seg);
  }
  return out;
}

std::string hex_byte(std::uint8_t b) {
  constexpr const char* kHex = "0123456789abcdef";
  return std::string{'0', 'x', kHex[b >> 4], kHex[b & 0x0F]};
}

bool bad_ipv4_next_hop(const net::IpAddr& a) {
  const std::uint32_t v = a.v4_host_order();
  // RFC 7606 §7.3 / RFC 4271 §6.3: semantically incorrect NEXT_HOP (unspecified, IPv4
  // multicast 224/4, limited broadcast).
  return v == 0 || (v & 0xF0000000u) == 0xE0000000u || v == 0xFFFFFFFFu;
}

net::IpAddr read_ipv4(ByteReader& r) {
  return net::IpAddr::v4(*r.u32());
}

net::IpAddr read_ipv6(ByteReader& r) {
  std::array<std::uint8_t, 16> b{};
  const auto s = *r.bytes(16);
  std::copy(s.begin(), s.end(), b.begin());
  return net::IpAddr::v6(b);
}

struct SoftError {
  std::uint8_t attr_type = 0;  // 0 when not tied to one attribute
  DecodeError error;
};

class UpdateDecoder {
 public:
  UpdateDecoder(std::span<const std::uint8_t> msg, const CodecOptions& opts)
      : msg_(msg), opts_(opts) {}

  Result<Decoded, DecodeError> run();

 private:
  // One received attribute: header fields plus its raw bytes (the NOTIFICATION data).
  struct RawAttr {
    std::uint8_t flags = 0;
    std::uint8_t type = 0;
    std::size_t offset = 0;  // of the flags octet
    std::span<const std::uint8_t> raw;
    ByteReader value;
  };

  DecodeError make(std::uint8_t subcode, ErrorAction action, std::size_t offset, std::string reason,
                   std::vector<std::uint8_t> data = {}) const {
    DecodeError e;
    e.code = ErrorCode::UpdateMessage;
    e.subcode = subcode;
    e.action = action;
    e.offset = offset;
    e.reason = std::move(reason);
    e.data = std::move(data);
    return e;
  }
  static std::vector<std::uint8_t> raw_of(const RawAttr& a) { return {a.raw.begin(), a.raw.end()}; }
  void soft(const RawAttr& a, std::uint8_t subcode, ErrorAction action, std::string reason,
            bool with_data = true) {
    soft_.push_back(SoftError{a.type, make(subcode, action, a.offset, std::move(reason),
                                           with_data ? raw_of(a) : std::vector<std::uint8_t>{})});
  }

  Result<void, DecodeError> parse_attribute(RawAttr& a);
  Result<void, DecodeError> parse_mp_reach(RawAttr& a);
  Result<void, DecodeError> parse_mp_unreach(RawAttr& a);
  void finish();

  std::span<const std::uint8_t> msg_;
  const CodecOptions& opts_;
  Update update_;
  PathAttributes attrs_;
  bool any_attr_ = false;
  std::bitset<256> seen_;
  std::vector<SoftError> soft_;
  std::optional<net::IpAddr> classic_next_hop_;
  std::optional<net::IpAddr> mp_next_hop_;
  std::optional<net::IpAddr> mp_link_local_;
  bool as_path_ok_ = false;
  std::optional<AsPath> as4_path_;
  std::optional<Aggregator> as4_aggregator_;
};

Result<Decoded, DecodeError> UpdateDecoder::run() {
  ByteReader r(msg_.subspan(kHeaderSize), kHeaderSize);
  // RFC 4271 §6.3: Withdrawn Routes Length + Total Attribute Length + 23 must fit the
  // message, else Malformed Attribute List (RFC 7606 §4 keeps this a session reset: the
  // NLRI cannot be located).
  const std::size_t wlen_at = r.offset();
  const std::size_t wlen = *r.u16();  // length >= 23 checked by decode_header
  auto withdrawn = r.sub(wlen);
  if (!withdrawn || r.remaining() < 2) {
    return fail(make(update_error::kMalformedAttributeList, ErrorAction::SessionReset, wlen_at,
                     "withdrawn routes length " + std::to_string(wlen) + " overruns the message"));
  }
  const std::size_t alen_at = r.offset();
  const std::size_t alen = *r.u16();
  auto attrs = r.sub(alen);
  if (!attrs) {
    return fail(make(update_error::kMalformedAttributeList, ErrorAction::SessionReset, alen_at,
                     "total path attribute length " + std::to_string(alen) +
                         " overruns the message (" + std::to_string(r.remaining()) +
                         " bytes left)"));
  }
  ByteReader nlri = r.rest();

  // RFC 7606 §5.3: an unparseable Withdrawn Routes field is a session reset.
  auto w = parse_prefixes(*withdrawn, Afi::Ipv4);
  if (!w) {
    return fail(make(update_error::kInvalidNetworkField, ErrorAction::SessionReset,
                     w.error().offset, "withdrawn routes: " + w.error().reason));
  }
  update_.withdrawn = std::move(*w);

  while (!attrs->empty()) {
    RawAttr a;
    a.offset = attrs->offset();
    const std::size_t before = attrs->remaining();
    const auto flags = attrs->u8();
    const auto type = attrs->u8();
    std::optional<std::size_t> len;
    if (flags && type) {
      if ((*flags & kFlagExtendedLength) != 0) {
        len = attrs->u16();
      } else {
        len = attrs->u8();
      }
    }
    std::optional<ByteReader> value;
    if (len) {
      value = attrs->sub(*len);
    }
    if (!value) {
      // RFC 7606 §4: an attribute header that does not fit, or a length that overruns
      // the Total Attribute Length -> treat-as-withdraw; the attribute list ends here and
      // the Total Attribute Length still locates the NLRI.
      any_attr_ = true;
      soft_.push_back(SoftError{
          0, make(update_error::kMalformedAttributeList, ErrorAction::TreatAsWithdraw, a.offset,
                  len ? "attribute " + std::to_string(*type) + " length " + std::to_string(*len) +
                            " overruns the path attributes (" + std::to_string(attrs->remaining()) +
                            " bytes left)"
                      : "truncated attribute header (" + std::to_string(before) + " bytes left)")});
      break;
    }
    a.flags = *flags;
    a.type = *type;
    a.value = *value;
    a.raw = msg_.subspan(a.offset, before - attrs->remaining());
    if (auto ok = parse_attribute(a); !ok) {
      return fail(ok.error());
    }
  }

  // RFC 7606 §5.3: unparseable NLRI -> session reset.
  auto n = parse_prefixes(nlri, Afi::Ipv4);
  if (!n) {
    return fail(make(update_error::kInvalidNetworkField, ErrorAction::SessionReset,
                     n.error().offset, "NLRI: " + n.error().reason));
  }
  update_.nlri = std::move(*n);

  finish();

  Decoded out{std::move(update_), std::nullopt, {}};
  for (auto& s : soft_) {
    if (!out.action || s.error.action < *out.action) {
      out.action = s.error.action;
    }
    out.soft_errors.push_back(std::move(s.error));
  }
  return out;
}

Result<void, DecodeError> UpdateDecoder::parse_attribute(RawAttr& a) {
  // RFC 7606 §3 (g): MP_REACH_NLRI/MP_UNREACH_NLRI more than once -> session reset with
  // Malformed Attribute List; any other repeated attribute: later copies are discarded.
  if (seen_[a.type]) {
    if (a.type == attr::kMpReachNlri || a.type == attr::kMpUnreachNlri) {
      return fail(
          make(update_error::kMalformedAttributeList, ErrorAction::SessionReset, a.offset,
               "repeated MP_" +
                   std::string(a.type == attr::kMpReachNlri ? "REACH_NLRI" : "UNREACH_NLRI")));
    }
    soft(a, update_error::kMalformedAttributeList, ErrorAction::AttributeDiscard,
         "repeated attribute " + std::to_string(a.type) + " discarded", false);
    return {};
  }
  seen_.set(a.type);
  if (a.type != attr::kMpUnreachNlri) {
    any_attr_ = true;
  }

  const std::size_t len = a.value.remaining();
  const bool optional = (a.flags & kFlagOptional) != 0;
  const bool transitive = (a.flags & kFlagTransitive) != 0;

  if (!is_interpreted_attribute(a.type)) {
    if (!optional) {
      // RFC 4271 §6.3 (kept by RFC 7606): unrecognised well-known attribute -> session
      // reset, Data = the attribute.
      return fail(make(update_error::kUnrecognizedWellKnownAttribute, ErrorAction::SessionReset,
                       a.offset, "unrecognized well-known attribute " + std::to_string(a.type),
                       raw_of(a)));
    }
    if (transitive) {
      // RFC 4271 §5: an unrecognised optional transitive attribute is passed on with the
      // Partial bit set.  Only O/T/P are kept: Extended Length is recomputed on encode and
      // the low four bits are unused (RFC 4271 §4.3).
      const auto v = a.value.unread();
      attrs_.unknown.push_back(UnknownAttribute{
          static_cast<std::uint8_t>((a.flags & (kFlagOptional | kFlagTransitive)) | kFlagPartial),
          a.type,
          {v.begin(), v.end()}});
    }
    // RFC 4271 §5: unrecognised optional non-transitive attributes are quietly ignored.
    return {};
  }

  // RFC 6793 §4.1: a NEW speaker never receives AS4_PATH/AS4_AGGREGATOR from a NEW
  // speaker; if it does, they are discarded.
  if (opts_.four_octet_as && (a.type == attr::kAs4Path || a.type == attr::kAs4Aggregator)) {
    soft(a, update_error::kOptionalAttributeError, ErrorAction::AttributeDiscard,
         std::string(a.type == attr::kAs4Path ? "AS4_PATH" : "AS4_AGGREGATOR") +
             " from a 4-octet AS speaker discarded");
    return {};
  }

  // How a malformed instance of this attribute is handled.
  ErrorAction malformed = ErrorAction::TreatAsWithdraw;
  switch (a.type) {
    case attr::kAtomicAggregate:  // RFC 7606 §7.6
    case attr::kAggregator:       // RFC 7606 §7.7
    case attr::kAs4Path:          // RFC 6793 §6
    case attr::kAs4Aggregator:    // RFC 6793 §6
      malformed = ErrorAction::AttributeDiscard;
      break;
    case attr::kMpReachNlri:    // RFC 7606 §7.11 (session reset; see codec.h)
    case attr::kMpUnreachNlri:  // RFC 7606 §7.12
      malformed = ErrorAction::SessionReset;
      break;
    default:
      break;
  }

  // RFC 4271 §6.3 Attribute Flags Error; RFC 7606 §3 (c): a conflict in the Optional or
  // Transitive bits makes the attribute malformed (Partial and the low bits are ignored).
  const std::uint8_t ot = a.flags & (kFlagOptional | kFlagTransitive);
  if (ot != expected_flags(a.type)) {
    auto e = make(update_error::kAttributeFlagsError, malformed, a.offset,
                  "attribute " + std::to_string(a.type) + " has flags " + hex_byte(a.flags) +
                      " (Optional/Transitive must be " + hex_byte(expected_flags(a.type)) + ")",
                  raw_of(a));
    if (malformed == ErrorAction::SessionReset) {
      return fail(std::move(e));
    }
    soft_.push_back(SoftError{a.type, std::move(e)});
    return {};
  }

  auto length_error = [&](const std::string& name, const std::string& want) {
    soft(a, update_error::kAttributeLengthError, malformed,
         name + " length " + std::to_string(len) + " (must be " + want + ")");
  };

  switch (a.type) {
    case attr::kOrigin: {
      // RFC 7606 §7.1: length != 1 or an undefined value -> treat-as-withdraw.
      if (len != 1) {
        length_error("ORIGIN", "1");
        return {};
      }
      const std::uint8_t v = *a.value.u8();
      if (v > static_cast<std::uint8_t>(Origin::Incomplete)) {
        soft(a, update_error::kInvalidOriginAttribute, malformed,
             "undefined ORIGIN value " + std::to_string(v));
        return {};
      }
      attrs_.origin = static_cast<Origin>(v);
      return {};
    }
    case attr::kAsPath: {
      // RFC 7606 §7.2: malformed AS_PATH -> treat-as-withdraw (no NOTIFICATION data is
      // defined for Malformed AS_PATH).
      auto p = parse_as_path(a.value, opts_.four_octet_as ? 4 : 2, true);
      if (!p) {
        soft(a, update_error::kMalformedAsPath, malformed, "AS_PATH: " + p.error().reason, false);
        return {};
      }
      attrs_.as_path = std::move(*p);
      as_path_ok_ = true;
      return {};
    }
    case attr::kNextHop: {
      // RFC 7606 §7.3: length != 4 or a semantically invalid address -> treat-as-withdraw.
      if (len != 4) {
        length_error("NEXT_HOP", "4");
        return {};
      }
      const auto nh = read_ipv4(a.value);
      if (bad_ipv4_next_hop(nh)) {
        soft(a, update_error::kInvalidNextHopAttribute, malformed,
             "invalid NEXT_HOP " + nh.to_string());
        return {};
      }
      classic_next_hop_ = nh;
      return {};
    }
    case attr::kMed:        // RFC 7606 §7.4
    case attr::kLocalPref:  // RFC 7606 §7.5
      if (len != 4) {
        length_error(a.type == attr::kMed ? "MULTI_EXIT_DISC" : "LOCAL_PREF", "4");
        return {};
      }
      (a.type == attr::kMed ? attrs_.med : attrs_.local_pref) = *a.value.u32();
      return {};
    case attr::kAtomicAggregate:
      // RFC 7606 §7.6: length != 0 -> attribute discard.
      if (len != 0) {
        length_error("ATOMIC_AGGREGATE", "0");
        return {};
      }
      attrs_.atomic_aggregate = true;
      return {};
    case attr::kAggregator: {
      // RFC 7606 §7.7: length not 6 (2-octet AS session) or 8 (4-octet) -> discard.
      const std::size_t want = opts_.four_octet_as ? 8 : 6;
      if (len != want) {
        length_error("AGGREGATOR", std::to_string(want));
        return {};
      }
      Aggregator agg;
      agg.asn = opts_.four_octet_as ? *a.value.u32() : *a.value.u16();
      agg.address = read_ipv4(a.value);
      attrs_.aggregator = agg;
      return {};
    }
    case attr::kCommunities:
      // RFC 7606 §7.8: length not a non-zero multiple of 4 -> treat-as-withdraw.
      if (len == 0 || len % 4 != 0) {
        length_error("COMMUNITIES", "a non-zero multiple of 4");
        return {};
      }
      while (!a.value.empty()) {
        attrs_.communities.push_back(*a.value.u32());
      }
      return {};
    case attr::kOriginatorId:
      // RFC 7606 §7.9: length != 4 -> treat-as-withdraw.
      if (len != 4) {
        length_error("ORIGINATOR_ID", "4");
        return {};
      }
      attrs_.originator_id = *a.value.u32();
      return {};
    case attr::kClusterList:
      // RFC 7606 §7.10: length not a non-zero multiple of 4 -> treat-as-withdraw.
      if (len == 0 || len % 4 != 0) {
        length_error("CLUSTER_LIST", "a non-zero multiple of 4");
        return {};
      }
      while (!a.value.empty()) {
        attrs_.cluster_list.push_back(*a.value.u32());
      }
      return {};
    case attr::kMpReachNlri:
      return parse_mp_reach(a);
    case attr::kMpUnreachNlri:
      return parse_mp_unreach(a);
    case attr::kAs4Path: {
      // RFC 6793 §6: a malformed AS4_PATH is discarded.  Confederation segments must not
      // appear in AS4_PATH; if they do they are dropped and the rest is used.
      auto p = parse_as_path(a.value, 4, false);
      if (!p) {
        soft(a, update_error::kMalformedAsPath, malformed, "AS4_PATH: " + p.error().reason, false);
        return {};
      }
      std::erase_if(p->segments, [](const AsSegment& s) {
        return s.type == AsSegmentType::ConfedSequence || s.type == AsSegmentType::ConfedSet;
      });
      as4_path_ = std::move(*p);
      return {};
    }
    case attr::kAs4Aggregator: {
      // RFC 6793 §6: AS4_AGGREGATOR length != 8 -> discard.
      if (len != 8) {
        length_error("AS4_AGGREGATOR", "8");
        return {};
      }
      Aggregator agg;
      agg.asn = *a.value.u32();
      agg.address = read_ipv4(a.value);
      if (agg.asn <= 0xFFFF) {
        // RFC 6793 §4.2.2 only sends AS4_AGGREGATOR for an AS that does not fit 2 octets.
        // Using a 2-octet one would turn AGGREGATOR into a non-AS_TRANS value, which by
        // §4.2.3 also invalidates AS4_PATH on every later hop; it is discarded instead.
        soft(a, update_error::kOptionalAttributeError, ErrorAction::AttributeDiscard,
             "AS4_AGGREGATOR with 2-octet AS " + std::to_string(agg.asn) + " discarded");
        return {};
      }
      as4_aggregator_ = agg;
      return {};
    }
    case attr::kLargeCommunity:
      // RFC 8092 §5: length not a non-zero multiple of 12 -> treat-as-withdraw.
      if (len == 0 || len % 12 != 0) {
        length_error("LARGE_COMMUNITY", "a non-zero multiple of 12");
        return {};
      }
      while (!a.value.empty()) {
        LargeCommunity c;
        c.global_admin = *a.value.u32();
        c.local1 = *a.value.u32();
        c.local2 = *a.value.u32();
        attrs_.large_communities.push_back(c);
      }
      return {};
    default:
      return {};
  }
}

Result<void, DecodeError> UpdateDecoder::parse_mp_reach(RawAttr& a) {
  // RFC 4760 §3: AFI (2), SAFI (1), next hop length (1), next hop, reserved (1), NLRI.
  // RFC 7606 §7.11 + RFC 4760 §7: a malformed MP_REACH_NLRI -> session reset with
  // Optional Attribute Error (the AFI/SAFI-disable alternative is not implemented).
  auto reset = [&](std::size_t offset, const std::string& reason) {
    return make(update_error::kOptionalAttributeError, ErrorAction::SessionReset, offset,
                "MP_REACH_NLRI: " + reason, raw_of(a));
  };
  ByteReader& v = a.value;
  const auto afi = v.u16();
  const auto safi = v.u8();
  const auto nh_len = v.u8();
  if (!afi || !safi || !nh_len) {
    return fail(reset(a.offset, "truncated header"));
  }
  const std::size_t nh_at = v.offset();
  auto nh = v.sub(*nh_len);
  if (!nh) {
    return fail(
        reset(nh_at - 1, "next hop length " + std::to_string(*nh_len) + " overruns the attribute"));
  }
  if (!v.u8()) {  // Reserved: "MUST be ignored upon receipt"
    return fail(reset(v.offset(), "missing reserved octet"));
  }
  if (!is_supported_family(*afi, *safi)) {
    // RFC 4760 §3: other families are not ours to parse; skip the attribute.
    return {};
  }
  const auto af = AfiSafi{static_cast<Afi>(*afi), static_cast<Safi>(*safi)};
  if (af.afi == Afi::Ipv4) {
    if (*nh_len != 4) {
      return fail(
          reset(nh_at - 1, "IPv4 next hop length " + std::to_string(*nh_len) + " (must be 4)"));
    }
    mp_next_hop_ = read_ipv4(*nh);
  } else {
    // RFC 2545 §3: 16 octets (global) or 32 (global + link-local).
    if (*nh_len != 16 && *nh_len != 32) {
      return fail(reset(nh_at - 1,
                        "IPv6 next hop length " + std::to_string(*nh_len) + " (must be 16 or 32)"));
    }
    mp_next_hop_ = read_ipv6(*nh);
    if (*nh_len == 32) {
      mp_link_local_ = read_ipv6(*nh);
    }
  }
  auto nlri = parse_prefixes(v.rest(), af.afi);
  if (!nlri) {
    return fail(reset(nlri.error().offset, "NLRI: " + nlri.error().reason));
  }
  update_.mp_reach = MpReach{af, std::move(*nlri)};
  return {};
}

Result<void, DecodeError> UpdateDecoder::parse_mp_unreach(RawAttr& a) {
  // RFC 4760 §4: AFI (2), SAFI (1), withdrawn routes.  Malformed -> session reset
  // (RFC 7606 §7.12, RFC 4760 §7).
  ByteReader& v = a.value;
  const auto afi = v.u16();
  const auto safi = v.u8();
  if (!afi || !safi) {
    return fail(make(update_error::kOptionalAttributeError, ErrorAction::SessionReset, a.offset,
                     "MP_UNREACH_NLRI: truncated header", raw_of(a)));
  }
  if (!is_supported_family(*afi, *safi)) {
    any_attr_ = true;  // not an End-of-RIB for any family we know (see the file comment)
    return {};
  }
  const auto af = AfiSafi{static_cast<Afi>(*afi), static_cast<Safi>(*safi)};
  auto withdrawn = parse_prefixes(v.rest(), af.afi);
  if (!withdrawn) {
    return fail(make(update_error::kOptionalAttributeError, ErrorAction::SessionReset,
                     withdrawn.error().offset,
                     "MP_UNREACH_NLRI withdrawn routes: " + withdrawn.error().reason, raw_of(a)));
  }
  update_.mp_unreach = MpUnreach{af, std::move(*withdrawn)};
  return {};
}

void UpdateDecoder::finish() {
  const bool classic_nlri = !update_.nlri.empty();
  const bool mp_nlri = update_.mp_reach && !update_.mp_reach->nlri.empty();

  // RFC 7606 §3 (d): a missing well-known mandatory attribute -> treat-as-withdraw; only
  // meaningful when there is NLRI.  NEXT_HOP is mandatory only for classic NLRI (RFC 4760
  // §3).  Data = the missing attribute's type code (RFC 4271 §6.3).
  auto missing = [&](std::uint8_t type, const char* name) {
    soft_.push_back(SoftError{
        type, make(update_error::kMissingWellKnownAttribute, ErrorAction::TreatAsWithdraw,
                   kHeaderSize, std::string("missing well-known attribute ") + name, {type})});
  };
  if (classic_nlri || mp_nlri) {
    if (!seen_[attr::kOrigin]) {
      missing(attr::kOrigin, "ORIGIN");
    }
    if (!seen_[attr::kAsPath]) {
      missing(attr::kAsPath, "AS_PATH");
    }
    if (classic_nlri && !seen_[attr::kNextHop]) {
      missing(attr::kNextHop, "NEXT_HOP");
    }
  }

  // One next hop per UPDATE in PathAttributes: MP_REACH's when it carries the routes,
  // NEXT_HOP for classic NLRI.  RFC 7606 §5.1 has senders put only one kind of NLRI in an
  // UPDATE; a message mixing both with different next hops cannot be represented and its
  // routes are withdrawn rather than installed with the wrong next hop.
  if (update_.mp_reach && classic_nlri) {
    if (mp_next_hop_ != classic_next_hop_ || mp_link_local_) {
      if (mp_nlri) {
        soft_.push_back(SoftError{
            attr::kMpReachNlri,
            make(update_error::kInvalidNextHopAttribute, ErrorAction::TreatAsWithdraw, kHeaderSize,
                 "UPDATE mixes IPv4 NLRI and MP_REACH_NLRI with different next hops")});
      } else {
        update_.mp_reach.reset();  // empty: nothing is lost
      }
    }
    attrs_.next_hop = classic_next_hop_;
  } else if (update_.mp_reach) {
    attrs_.next_hop = mp_next_hop_;
    attrs_.link_local_next_hop = mp_link_local_;
  } else {
    attrs_.next_hop = classic_next_hop_;
  }

  // RFC 6793 §4.2.3: from a 2-octet AS speaker, rebuild the 4-octet AS_PATH/AGGREGATOR.
  if (!opts_.four_octet_as) {
    bool use_as4_path = true;
    if (attrs_.aggregator) {
      if (attrs_.aggregator->asn != kAsTrans) {
        // "If the AS number in the AGGREGATOR attribute is not AS_TRANS, then ... the
        // AS4_AGGREGATOR and AS4_PATH attributes are ignored".
        use_as4_path = false;
      } else if (as4_aggregator_) {
        attrs_.aggregator = as4_aggregator_;
      }
    }
    if (use_as4_path && as4_path_ && as_path_ok_) {
      attrs_.as_path = merge_as4_path(attrs_.as_path, *as4_path_);
    }
  }

  // Nothing to withdraw -> at worst the attribute is dropped.  NEXT_HOP only matters for
  // classic NLRI (RFC 4760 §3: ignored when only MP_REACH_NLRI carries routes).
  for (auto& s : soft_) {
    if (s.error.action != ErrorAction::TreatAsWithdraw) {
      continue;
    }
    const bool affects_routes =
        s.attr_type == attr::kNextHop ? classic_nlri : (classic_nlri || mp_nlri);
    if (!affects_routes) {
      s.error.action = ErrorAction::AttributeDiscard;
    }
  }

  // Unknown attributes are kept in type order (types are unique: repeats were dropped).
  std::sort(attrs_.unknown.begin(), attrs_.unknown.end(),
            [](const UnknownAttribute& x, const UnknownAttribute& y) { return x.type < y.type; });
  if (any_attr_) {
    update_.attrs = std::move(attrs_);
  }
}

}  // namespace

Result<Decoded, DecodeError> decode_update(std::span<const std::uint8_t> msg,
                                           const CodecOptions& opts) {
  UpdateDecoder d(msg, opts);
  return d.run();
}

}  // namespace calico::bgp::wire
