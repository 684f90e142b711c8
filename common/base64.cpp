#include "common/base64.h"

#include <array>

namespace calico {
namespace {

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

std::string base64_encode(const std::string& in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  unsigned val = 0;
  int bits = -6;
  for (const char ch : in) {
    const auto c = static_cast<unsigned char>(ch);
    val = (val << 8) + c;
    bits += 8;
    while (bits >= 0) {
      out.push_back(kB64[(val >> bits) & 0x3f]);
      bits -= 6;
    }
  }
  if (bits > -6) {
    out.push_back(kB64[((val << 8) >> (bits + 8)) & 0x3f]);
  }
  while (out.size() % 4 != 0) {
    out.push_back('=');
  }
  return out;
}

std::string base64_decode(const std::string& in) {
  std::array<int, 256> t{};
  t.fill(-1);
  for (int i = 0; i < 64; ++i) {
    t[static_cast<unsigned char>(kB64[i])] = i;
  }
  std::string out;
  out.reserve(in.size() * 3 / 4);
  unsigned val = 0;
  int bits = -8;
  for (const char ch : in) {
    const auto c = static_cast<unsigned char>(ch);
    if (t[c] == -1) {
      break;
    }
    val = (val << 6) + static_cast<unsigned>(t[c]);
    bits += 6;
    if (bits >= 0) {
      out.push_back(static_cast<char>((val >> bits) & 0xff));
      bits -= 8;
    }
  }
  return out;
}

}  // namespace calico
