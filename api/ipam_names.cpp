#include "api/ipam_names.h"

#include <openssl/evp.h>

#include <cctype>

#include "common/net/ip.h"

namespace calico::api {

std::string block_name(const std::string& cidr) {
  std::string out = cidr;
  for (char& c : out) {
    if (c == '.' || c == ':' || c == '/') {
      c = '-';
    }
  }
  return out;
}

std::optional<std::string> block_cidr_from_name(const std::string& name) {
  const auto dash = name.rfind('-');
  if (dash == std::string::npos || dash == 0) {
    return std::nullopt;
  }
  std::string addr = name.substr(0, dash);
  int dashes = 0;
  bool digits = true;
  for (char c : addr) {
    if (c == '-') {
      ++dashes;
    } else if (std::isdigit(static_cast<unsigned char>(c)) == 0) {
      digits = false;
    }
  }
  // IPv4 mangles to exactly four decimal groups; anything else is IPv6.
  const char sep = (dashes == 3 && digits) ? '.' : ':';
  for (char& c : addr) {
    if (c == '-') {
      c = sep;
    }
  }
  const auto cidr = net::Cidr::parse(addr + "/" + name.substr(dash + 1));
  if (!cidr) {
    return std::nullopt;
  }
  return cidr->to_string();
}

std::string sha256_hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

std::string affinity_name(const std::string& host, const std::string& cidr) {
  const std::string mangled = block_name(cidr);
  std::string name = host + "-" + mangled;
  if (name.size() < 253) {
    return name;
  }
  const std::size_t keep = 252 - mangled.size() - 13;
  return host.substr(0, keep) + "-" + mangled + "-" +
         sha256_hex(host + "+" + mangled).substr(0, 11);
}

std::string handle_name(const std::string& handle_id) {
  std::string out = handle_id;
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

}  // namespace calico::api
