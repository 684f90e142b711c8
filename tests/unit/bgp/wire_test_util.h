// Shared helpers for the wire codec tests (wire_codec_test.cpp, wire_malformed_test.cpp,
// wire_update_test.cpp): hex parsing, hand-built message framing and codec options.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "bgp/wire/codec.h"

namespace calico::bgp::testing {

using Bytes = std::vector<std::uint8_t>;

// Bytes from hex digits (either case); any other character (spaces) is skipped.
inline Bytes hex(std::string_view s) {
  Bytes out;
  int hi = -1;
  for (char c : s) {
    int v = -1;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v = c - 'A' + 10;
    } else {
      continue;
    }
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(hi * 16 + v));
      hi = -1;
    }
  }
  return out;
}

// A message of `type` around `body`: marker, length, type (RFC 4271 §4.1).
inline Bytes frame(std::uint8_t type, const Bytes& body) {
  Bytes out(16, 0xFF);
  const std::size_t len = 19 + body.size();
  out.push_back(static_cast<std::uint8_t>(len >> 8));
  out.push_back(static_cast<std::uint8_t>(len));
  out.push_back(type);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

// An UPDATE from its three parts (RFC 4271 §4.3).
inline Bytes update_msg(const Bytes& withdrawn, const Bytes& attrs, const Bytes& nlri) {
  Bytes body;
  body.push_back(static_cast<std::uint8_t>(withdrawn.size() >> 8));
  body.push_back(static_cast<std::uint8_t>(withdrawn.size()));
  body.insert(body.end(), withdrawn.begin(), withdrawn.end());
  body.push_back(static_cast<std::uint8_t>(attrs.size() >> 8));
  body.push_back(static_cast<std::uint8_t>(attrs.size()));
  body.insert(body.end(), attrs.begin(), attrs.end());
  body.insert(body.end(), nlri.begin(), nlri.end());
  return frame(2, body);
}

// Options for a session without the 4-octet AS capability (RFC 6793).
inline CodecOptions two_octet() {
  CodecOptions o;
  o.four_octet_as = false;
  return o;
}

}  // namespace calico::bgp::testing
