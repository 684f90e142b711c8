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
  if (dash == std::string::npos || dash == 0 || dash + 1 == name.size()) {
    return std::nullopt;
  }
  const std::string prefix = name.substr(dash + 1);
  for (char c : prefix) {
    if (std::isdigit(static_cast<unsigned char>(c)) == 0) {
      return std::nullopt;
    }
  }
  // An IPv4 block mangles to four decimal groups; an IPv6 text with three separators and
  // only digits ("1--2-3") is not a valid IPv4 address, so trying IPv4 first and then
  // IPv6 is unambiguous.
  for (const char sep : {'.', ':'}) {
    std::string addr = name.substr(0, dash);
    for (char& c : addr) {
      if (c == '-') {
        c = sep;
      }
    }
    const auto cidr = net::Cidr::parse(addr + "/" + prefix);
    if (cidr && (sep == '.') == (cidr->addr().bits() == 32)) {
      return cidr->to_string();
    }
  }
  return std::nullopt;
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
  // libcalico-go: keep 252 - len(mangled) - 13 characters of the host, so the result
  // ("<host>-<mangled>-<11 hex>") is exactly 252 characters.  Mangled CIDRs are at most
  // 43 characters; the guard only protects against nonsense input.
  const std::size_t fixed = mangled.size() + 13;
  const std::size_t keep = fixed < 252 ? 252 - fixed : 0;
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
