// Random lowercase hex identifiers (ClusterInformation clusterGUID: 32 digits, as Calico's).
#pragma once

#include <random>
#include <string>

namespace calico {

inline std::string random_hex(std::size_t digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device rd;
  std::string s;
  s.reserve(digits);
  for (std::size_t i = 0; i < digits; ++i) {
    s += kHex[rd() % 16];
  }
  return s;
}

}  // namespace calico
