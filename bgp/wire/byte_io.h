// Bounded big-endian byte reader and growable byte writer for the BGP codec (private to
// bgp/wire).  Every read is checked: running past the end returns nullopt and consumes
// nothing, so malformed input becomes an error value at the call site, never UB.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

namespace calico::bgp::wire {

class ByteReader {
 public:
  ByteReader() = default;
  // `base` is the offset of data[0] within the whole message, so offset() can be reported
  // in errors.
  explicit ByteReader(std::span<const std::uint8_t> data, std::size_t base = 0)
      : data_(data), base_(base) {}

  std::size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return pos_ == data_.size(); }
  // Absolute offset (within the message) of the next unread byte.
  std::size_t offset() const { return base_ + pos_; }

  std::optional<std::uint8_t> peek_u8() const {
    if (remaining() < 1) {
      return std::nullopt;
    }
    return data_[pos_];
  }
  std::optional<std::uint8_t> u8() {
    auto v = peek_u8();
    if (v) {
      ++pos_;
    }
    return v;
  }
  std::optional<std::uint16_t> u16() {
    if (remaining() < 2) {
      return std::nullopt;
    }
    const auto v = static_cast<std::uint16_t>((static_cast<unsigned>(data_[pos_]) << 8) |
                                              static_cast<unsigned>(data_[pos_ + 1]));
    pos_ += 2;
    return v;
  }
  std::optional<std::uint32_t> u32() {
    if (remaining() < 4) {
      return std::nullopt;
    }
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i) {
      v = (v << 8) | static_cast<std::uint32_t>(data_[pos_ + i]);
    }
    pos_ += 4;
    return v;
  }
  // The next n bytes, consumed; nullopt (nothing consumed) when fewer remain.
  std::optional<std::span<const std::uint8_t>> bytes(std::size_t n) {
    if (remaining() < n) {
      return std::nullopt;
    }
    auto out = data_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  // A reader over the next n bytes (consumed from this one), keeping absolute offsets.
  std::optional<ByteReader> sub(std::size_t n) {
    const std::size_t at = offset();
    auto b = bytes(n);
    if (!b) {
      return std::nullopt;
    }
    return ByteReader(*b, at);
  }
  // Everything not read yet, consumed.
  ByteReader rest() {
    ByteReader out(data_.subspan(pos_), offset());
    pos_ = data_.size();
    return out;
  }
  std::span<const std::uint8_t> unread() const { return data_.subspan(pos_); }

 private:
  std::span<const std::uint8_t> data_;
  std::size_t pos_ = 0;
  std::size_t base_ = 0;
};

class ByteWriter {
 public:
  void u8(std::uint8_t v) { buf_.push_back(v); }
  void u16(std::uint16_t v) {
    buf_.push_back(static_cast<std::uint8_t>(v >> 8));
    buf_.push_back(static_cast<std::uint8_t>(v));
  }
  void u32(std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      buf_.push_back(static_cast<std::uint8_t>(v >> shift));
    }
  }
  void bytes(std::span<const std::uint8_t> b) { buf_.insert(buf_.end(), b.begin(), b.end()); }
  // Overwrites a 2-byte field reserved earlier (e.g. a length written after its contents).
  // Values that do not fit are truncated here; callers check the final message size.
  void patch_u16(std::size_t at, std::size_t v) {
    buf_[at] = static_cast<std::uint8_t>(v >> 8);
    buf_[at + 1] = static_cast<std::uint8_t>(v);
  }
  std::size_t size() const { return buf_.size(); }
  const std::vector<std::uint8_t>& data() const { return buf_; }
  std::vector<std::uint8_t> take() { return std::move(buf_); }

 private:
  std::vector<std::uint8_t> buf_;
};

}  // namespace calico::bgp::wire
