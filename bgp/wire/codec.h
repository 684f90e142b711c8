// The BGP wire codec: bytes <-> Message, pure (no sockets, no clocks, no logging).
//
// Decoding follows RFC 4271 §6 and RFC 7606.  decode_message() returns either a fatal
// DecodeError (action SessionReset: the caller sends error.to_notification() and closes)
// or a Decoded whose `action` says how the UPDATE must be applied:
//   - none: apply normally;
//   - TreatAsWithdraw: withdraw every NLRI in the message (classic and MP_REACH) and
//     ignore the attributes; `soft_errors` names what was wrong;
//   - AttributeDiscard: attributes named in `soft_errors` were dropped, apply the rest.
// MP_REACH/MP_UNREACH that cannot be parsed reset the session (RFC 7606 §5.3 permits
// AFI/SAFI disable; a session reset is the conservative choice and what BIRD does).
//
// CodecOptions carries the negotiated state that changes the encoding: 4-octet AS
// (RFC 6793) and extended messages (RFC 8654).  Toward a 2-octet peer the encoder writes
// AS_TRANS into AS_PATH/AGGREGATOR and adds AS4_PATH/AS4_AGGREGATOR when needed; from
// such a peer the decoder merges AS4_PATH back (RFC 6793 §4.2.3).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "bgp/wire/errors.h"
#include "bgp/wire/messages.h"
#include "common/result.h"

namespace calico::bgp {

struct CodecOptions {
  bool four_octet_as = true;      // both sides sent capability 65
  bool extended_message = false;  // both sides sent capability 6 (RFC 8654)
  std::size_t max_message_size() const {
    return extended_message ? kMaxExtendedMessageSize : kMaxMessageSize;
  }
};

struct Header {
  std::uint16_t length = 0;  // whole message, header included
  MessageType type = MessageType::Keepalive;
};

// Validates the 19-byte header (marker, length bounds per type, known type).
// `bytes` must hold at least kHeaderSize bytes.
Result<Header, DecodeError> decode_header(std::span<const std::uint8_t> bytes,
                                          const CodecOptions& opts);

struct Decoded {
  Message message;
  std::optional<ErrorAction> action;     // TreatAsWithdraw or AttributeDiscard, else none
  std::vector<DecodeError> soft_errors;  // what was treated-as-withdraw or discarded
};

// Decodes one whole message (header included, exactly header.length bytes).
Result<Decoded, DecodeError> decode_message(std::span<const std::uint8_t> bytes,
                                            const CodecOptions& opts);

// Encodes one message.  Fails (with a reason) when the result would exceed
// opts.max_message_size() (4096 for OPEN and KEEPALIVE, RFC 8654 §4) -- callers that pack
// UPDATEs use encoded_update_size() first -- or when the message cannot be represented:
// IPv4 NLRI without an IPv4 next hop, MP_REACH_NLRI without a next hop of its family,
// IPv4 NLRI together with IPv6 MP_REACH_NLRI (one next hop per UPDATE), prefixes of the
// wrong family, capabilities longer than 255 bytes.
Result<std::vector<std::uint8_t>, std::string> encode_message(const Message& m,
                                                              const CodecOptions& opts);

// Size of the UPDATE encode_message() would produce for these attributes and no NLRI
// (header, length fields and path attributes including an empty MP_REACH when
// `mp_family` is given).  Each NLRI then adds prefix_wire_size().
std::size_t encoded_update_size(const PathAttributes& attrs, std::optional<AfiSafi> mp_family,
                                const CodecOptions& opts);
inline std::size_t prefix_wire_size(const Prefix& p) {
  return 1 + (static_cast<std::size_t>(p.prefix_len()) + 7) / 8;
}

// Splits a byte stream into whole messages.  feed() appends bytes; next() yields the
// next complete message or an error when the header is invalid (the caller must then
// send the NOTIFICATION and close: the stream cannot be resynchronised).
class MessageFramer {
 public:
  void feed(std::span<const std::uint8_t> bytes);
  // nullopt = need more bytes.
  std::optional<Result<Decoded, DecodeError>> next(const CodecOptions& opts);
  std::size_t buffered() const { return buf_.size() - pos_; }

 private:
  std::vector<std::uint8_t> buf_;
  std::size_t pos_ = 0;
};

}  // namespace calico::bgp
