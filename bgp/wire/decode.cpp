// BGP message decoding: header validation (RFC 4271 §6.1), OPEN with capabilities
// (RFC 4271 §4.2/§6.2, RFC 5492, RFC 9072), NOTIFICATION, KEEPALIVE and ROUTE-REFRESH
// (RFC 2918, RFC 7313).  UPDATE lives in decode_update.cpp.
//
// OPEN structure errors (an optional parameter or capability whose length overruns its
// container, a recognised capability with the wrong length, bytes after the optional
// parameters) are reported as OPEN Message Error / subcode 0 (Unspecific): RFC 4271 §6.2
// says a recognised but malformed optional parameter uses subcode 0, and RFC 5492 defines
// no subcode for malformed capabilities.  Semantic OPEN checks (hold time, peer AS, BGP
// identifier, required capabilities) belong to the FSM, not here.
#include <string>

#include "bgp/wire/byte_io.h"
#include "bgp/wire/codec.h"
#include "bgp/wire/wire_format.h"

namespace calico::bgp {

namespace {

using wire::ByteReader;

DecodeError error(ErrorCode code, std::uint8_t subcode, std::size_t offset, std::string reason,
                  std::vector<std::uint8_t> data = {}) {
  DecodeError e;
  e.code = code;
  e.subcode = subcode;
  e.offset = offset;
  e.reason = std::move(reason);
  e.data = std::move(data);
  e.action = ErrorAction::SessionReset;
  return e;
}

std::vector<std::uint8_t> u16_data(std::size_t v) {
  return {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
}

DecodeError bad_length(std::size_t length, std::string reason) {
  // RFC 4271 §6.1: "the Data field MUST contain the erroneous Length field".
  return error(ErrorCode::MessageHeader, header_error::kBadMessageLength, wire::kLengthOffset,
               std::move(reason), u16_data(length));
}

DecodeError open_error_at(std::size_t offset, std::string reason) {
  return error(ErrorCode::OpenMessage, 0, offset, std::move(reason));
}

// ---- OPEN ------------------------------------------------------------------------------

Result<void, DecodeError> parse_graceful_restart(ByteReader value, Capabilities& caps) {
  // RFC 4724 §3: Restart Flags (4 bits) + Restart Time (12 bits), then per family
  // AFI (2), SAFI (1), Flags (1).
  const std::size_t at = value.offset();
  if (value.remaining() < 2 || (value.remaining() - 2) % 4 != 0) {
    return fail(open_error_at(at, "graceful restart capability length " +
                                      std::to_string(value.remaining()) +
                                      " is not 2 + 4n (RFC 4724 §3)"));
  }
  GracefulRestartCapability gr;
  const std::uint16_t word = *value.u16();
  gr.restarting = (word & wire::kGrRestartBit) != 0;
  gr.notification = (word & wire::kGrNotificationBit) != 0;
  gr.restart_time_s = static_cast<std::uint16_t>(word & wire::kGrTimeMask);
  while (!value.empty()) {
    GracefulRestartCapability::Family f;
    f.af.afi = static_cast<Afi>(*value.u16());
    f.af.safi = static_cast<Safi>(*value.u8());
    f.forwarding_preserved = (*value.u8() & wire::kGrForwardingBit) != 0;
    gr.families.push_back(f);
  }
  caps.graceful_restart = std::move(gr);
  return {};
}

Result<void, DecodeError> expect_capability_length(std::uint8_t code, const ByteReader& value,
                                                   std::size_t want, std::size_t at) {
  if (value.remaining() != want) {
    return fail(open_error_at(at, "capability " + std::to_string(code) + " has length " +
                                      std::to_string(value.remaining()) + ", expected " +
                                      std::to_string(want)));
  }
  return {};
}

// RFC 5492 §4: a sequence of <code (1), length (1), value> triples.  A capability this
// speaker does not interpret is kept raw, never an error (RFC 5492 §3).  Repeated
// single-valued capabilities: the last one wins.
Result<void, DecodeError> parse_capabilities(ByteReader r, Capabilities& caps) {
  while (!r.empty()) {
    const std::size_t at = r.offset();
    const auto code = r.u8();
    const auto len = r.u8();
    if (!code || !len) {
      return fail(open_error_at(at, "truncated capability header"));
    }
    auto value = r.sub(*len);
    if (!value) {
      return fail(open_error_at(at, "capability " + std::to_string(*code) + " length " +
                                        std::to_string(*len) + " overruns the parameter (" +
                                        std::to_string(r.remaining()) + " left)"));
    }
    switch (static_cast<CapabilityCode>(*code)) {
      case CapabilityCode::Multiprotocol: {
        // RFC 4760 §8: AFI (2), Reserved (1), SAFI (1).
        if (auto ok = expect_capability_length(*code, *value, 4, at); !ok) {
          return fail(ok.error());
        }
        AfiSafi af;
        af.afi = static_cast<Afi>(*value->u16());
        (void)value->u8();
        af.safi = static_cast<Safi>(*value->u8());
        caps.multiprotocol.push_back(af);
        break;
      }
      case CapabilityCode::RouteRefresh:
      case CapabilityCode::RouteRefreshCisco:
        // RFC 2918 §2: capability length 0.
        if (auto ok = expect_capability_length(*code, *value, 0, at); !ok) {
          return fail(ok.error());
        }
        caps.route_refresh = true;
        break;
      case CapabilityCode::ExtendedMessage:
        // RFC 8654 §3: capability length 0.
        if (auto ok = expect_capability_length(*code, *value, 0, at); !ok) {
          return fail(ok.error());
        }
        caps.extended_message = true;
        break;
      case CapabilityCode::EnhancedRouteRefresh:
        // RFC 7313 §3: capability length 0.
        if (auto ok = expect_capability_length(*code, *value, 0, at); !ok) {
          return fail(ok.error());
        }
        caps.enhanced_route_refresh = true;
        break;
      case CapabilityCode::FourOctetAs:
        // RFC 6793 §3: the capability value is the 4-octet AS number.
        if (auto ok = expect_capability_length(*code, *value, 4, at); !ok) {
          return fail(ok.error());
        }
        caps.four_octet_as = *value->u32();
        break;
      case CapabilityCode::GracefulRestart:
        if (auto ok = parse_graceful_restart(*value, caps); !ok) {
          return fail(ok.error());
        }
        break;
      default: {
        const auto raw = value->unread();
        caps.other.push_back(RawCapability{*code, {raw.begin(), raw.end()}});
        break;
      }
    }
  }
  return {};
}

Result<Decoded, DecodeError> decode_open(std::span<const std::uint8_t> msg) {
  ByteReader r(msg.subspan(kHeaderSize), kHeaderSize);
  Open open;
  // The header check guarantees the 10 fixed octets (length >= 29).
  const auto version = r.u8();
  const auto my_as = r.u16();
  const auto hold = r.u16();
  const auto id = r.u32();
  const auto opt_len = r.u8();
  if (!version || !my_as || !hold || !id || !opt_len) {
    return fail(open_error_at(r.offset(), "truncated OPEN"));
  }
  if (*version != 4) {
    // RFC 4271 §6.2: Data = the largest locally supported version number (2 octets).
    return fail(error(ErrorCode::OpenMessage, open_error::kUnsupportedVersion, kHeaderSize,
                      "unsupported BGP version " + std::to_string(*version), u16_data(4)));
  }
  open.version = *version;
  open.my_as = *my_as;
  open.hold_time_s = *hold;
  open.bgp_id = *id;

  bool extended = false;
  std::optional<ByteReader> params;
  if (*opt_len == wire::kExtendedOptParamsMarker && r.peek_u8() == wire::kExtendedOptParamsMarker) {
    // RFC 9072 §2: Non-Ext OP Type 255, then a 2-octet Extended Opt. Parm. Length, and
    // every parameter's length becomes 2 octets.
    extended = true;
    (void)r.u8();
    const std::size_t at = r.offset();
    const auto ext_len = r.u16();
    if (!ext_len) {
      return fail(open_error_at(at, "truncated extended optional parameters length"));
    }
    params = r.sub(*ext_len);
    if (!params) {
      return fail(open_error_at(at, "extended optional parameters length " +
                                        std::to_string(*ext_len) + " overruns the message"));
    }
  } else {
    params = r.sub(*opt_len);
    if (!params) {
      return fail(open_error_at(r.offset() - 1, "optional parameters length " +
                                                    std::to_string(*opt_len) +
                                                    " overruns the message (" +
                                                    std::to_string(r.remaining()) + " left)"));
    }
  }
  if (!r.empty()) {
    return fail(open_error_at(
        r.offset(), std::to_string(r.remaining()) + " bytes after the optional parameters"));
  }
  while (!params->empty()) {
    const std::size_t at = params->offset();
    const auto type = params->u8();
    std::optional<std::size_t> len;
    if (extended) {
      len = params->u16();
    } else {
      len = params->u8();
    }
    if (!type || !len) {
      return fail(open_error_at(at, "truncated optional parameter header"));
    }
    auto value = params->sub(*len);
    if (!value) {
      return fail(open_error_at(at, "optional parameter length " + std::to_string(*len) +
                                        " overruns the optional parameters"));
    }
    if (*type != wire::kOptParamCapabilities) {
      // RFC 4271 §6.2: an unrecognised optional parameter -> Unsupported Optional Parameter.
      return fail(error(ErrorCode::OpenMessage, open_error::kUnsupportedOptionalParameter, at,
                        "unsupported optional parameter type " + std::to_string(*type)));
    }
    if (auto ok = parse_capabilities(*value, open.caps); !ok) {
      return fail(ok.error());
    }
  }
  return Decoded{std::move(open), std::nullopt, {}};
}

// ---- NOTIFICATION, KEEPALIVE, ROUTE-REFRESH ------------------------------------------

Result<Decoded, DecodeError> decode_notification(std::span<const std::uint8_t> msg) {
  // RFC 4271 §4.5: code (1), subcode (1), data (rest).  Any code is accepted on receipt.
  Notification n;
  n.code = msg[kHeaderSize];
  n.subcode = msg[kHeaderSize + 1];
  n.data.assign(msg.begin() + static_cast<std::ptrdiff_t>(kHeaderSize + 2), msg.end());
  return Decoded{std::move(n), std::nullopt, {}};
}

Result<Decoded, DecodeError> decode_route_refresh(std::span<const std::uint8_t> msg) {
  ByteReader r(msg.subspan(kHeaderSize), kHeaderSize);
  RouteRefresh rr;
  const auto afi = r.u16();
  const auto subtype = r.u8();
  const auto safi = r.u8();
  if (!afi || !subtype || !safi) {
    return fail(bad_length(msg.size(), "truncated ROUTE-REFRESH"));
  }
  if (!r.empty()) {
    if (*subtype == 1 || *subtype == 2) {
      // RFC 7313 §5: BoRR/EoRR of the wrong length -> ROUTE-REFRESH Message Error /
      // Invalid Message Length with the complete message as data.
      return fail(error(ErrorCode::RouteRefresh, route_refresh_error::kInvalidMessageLength,
                        wire::kLengthOffset,
                        "ROUTE-REFRESH subtype " + std::to_string(*subtype) + " of length " +
                            std::to_string(msg.size()) + " (must be 23)",
                        {msg.begin(), msg.end()}));
    }
    // RFC 2918 §3: the message is fixed-size (ORF entries, RFC 5291, are not negotiated).
    return fail(bad_length(
        msg.size(), "ROUTE-REFRESH of length " + std::to_string(msg.size()) + " (must be 23)"));
  }
  rr.af.afi = static_cast<Afi>(*afi);
  rr.af.safi = static_cast<Safi>(*safi);
  rr.subtype = *subtype;
  return Decoded{rr, std::nullopt, {}};
}

}  // namespace

Result<Header, DecodeError> decode_header(std::span<const std::uint8_t> bytes,
                                          const CodecOptions& opts) {
  if (bytes.size() < kHeaderSize) {
    return fail(error(ErrorCode::MessageHeader, header_error::kBadMessageLength, bytes.size(),
                      "message of " + std::to_string(bytes.size()) +
                          " bytes is shorter than the 19-byte header"));
  }
  // RFC 4271 §6.1: the marker must be all ones.
  for (std::size_t i = 0; i < wire::kMarkerSize; ++i) {
    if (bytes[i] != 0xFF) {
      return fail(error(ErrorCode::MessageHeader, header_error::kConnectionNotSynchronized, i,
                        "marker byte " + std::to_string(i) + " is not 0xff"));
    }
  }
  const std::size_t length = (static_cast<std::size_t>(bytes[wire::kLengthOffset]) << 8) |
                             static_cast<std::size_t>(bytes[wire::kLengthOffset + 1]);
  const std::uint8_t type = bytes[wire::kTypeOffset];
  const std::size_t max = opts.max_message_size();
  if (length < kHeaderSize || length > max) {
    return fail(bad_length(length, "message length " + std::to_string(length) + " outside [19, " +
                                       std::to_string(max) + "]"));
  }
  if (type < static_cast<std::uint8_t>(MessageType::Open) ||
      type > static_cast<std::uint8_t>(MessageType::RouteRefresh)) {
    // RFC 4271 §6.1: Data = the erroneous Type field.
    return fail(error(ErrorCode::MessageHeader, header_error::kBadMessageType, wire::kTypeOffset,
                      "unknown message type " + std::to_string(type), {type}));
  }
  const auto t = static_cast<MessageType>(type);
  bool ok = true;
  std::string want;
  switch (t) {
    case MessageType::Open:
      // RFC 8654 §4: the extended size never applies to OPEN.
      ok = length >= wire::kMinOpenSize && length <= kMaxMessageSize;
      want = "[29, 4096]";
      break;
    case MessageType::Update:
      ok = length >= wire::kMinUpdateSize;
      want = ">= 23";
      break;
    case MessageType::Notification:
      ok = length >= wire::kMinNotificationSize;
      want = ">= 21";
      break;
    case MessageType::Keepalive:
      ok = length == kHeaderSize;
      want = "19";
      break;
    case MessageType::RouteRefresh:
      // Longer ROUTE-REFRESH messages are rejected in decode_message(), where the subtype
      // selects between RFC 7313 §5 and RFC 4271 §6.1 handling.
      ok = length >= wire::kRouteRefreshSize;
      want = "23";
      break;
  }
  if (!ok) {
    return fail(bad_length(
        length, to_string(t) + " of length " + std::to_string(length) + " (must be " + want + ")"));
  }
  return Header{static_cast<std::uint16_t>(length), t};
}

Result<Decoded, DecodeError> decode_message(std::span<const std::uint8_t> bytes,
                                            const CodecOptions& opts) {
  auto header = decode_header(bytes, opts);
  if (!header) {
    return fail(std::move(header).error());
  }
  if (bytes.size() != header->length) {
    return fail(bad_length(header->length, "length field says " + std::to_string(header->length) +
                                               " but got " + std::to_string(bytes.size()) +
                                               " bytes"));
  }
  switch (header->type) {
    case MessageType::Open:
      return decode_open(bytes);
    case MessageType::Update:
      return wire::decode_update(bytes, opts);
    case MessageType::Notification:
      return decode_notification(bytes);
    case MessageType::Keepalive:
      return Decoded{Keepalive{}, std::nullopt, {}};
    case MessageType::RouteRefresh:
      return decode_route_refresh(bytes);
  }
  return fail(error(ErrorCode::MessageHeader, header_error::kBadMessageType, wire::kTypeOffset,
                    "unknown message type", {bytes[wire::kTypeOffset]}));
}

}  // namespace calico::bgp
