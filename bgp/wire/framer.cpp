// MessageFramer: cuts a TCP byte stream into whole BGP messages using the header's length
// field (RFC 4271 §4.1) and decodes each one.
#include "bgp/wire/codec.h"

namespace calico::bgp {

namespace {
// Consumed bytes are dropped from the front of the buffer once they exceed this much, so
// the buffer stays bounded without shifting memory after every message.
constexpr std::size_t kCompactThreshold = std::size_t{64} * 1024;
}  // namespace

void MessageFramer::feed(std::span<const std::uint8_t> bytes) {
  if (pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  } else if (pos_ >= kCompactThreshold) {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(pos_));
    pos_ = 0;
  }
  buf_.insert(buf_.end(), bytes.begin(), bytes.end());
}

std::optional<Result<Decoded, DecodeError>> MessageFramer::next(const CodecOptions& opts) {
  const std::span<const std::uint8_t> avail(buf_.data() + pos_, buf_.size() - pos_);
  if (avail.size() < kHeaderSize) {
    return std::nullopt;
  }
  auto header = decode_header(avail.first(kHeaderSize), opts);
  if (!header) {
    // The stream cannot be resynchronised; nothing is consumed, so every later call reports
    // the same error.
    return Result<Decoded, DecodeError>(fail(std::move(header).error()));
  }
  if (avail.size() < header->length) {
    return std::nullopt;
  }
  auto result = decode_message(avail.first(header->length), opts);
  pos_ += header->length;
  return result;
}

}  // namespace calico::bgp
