// Standard base64 (RFC 4648, with padding), as etcd's JSON gateway uses for keys/values.
#pragma once

#include <string>

namespace calico {

std::string base64_encode(const std::string& in);
// Decodes up to the first character outside the alphabet (padding ends the input).
std::string base64_decode(const std::string& in);

}  // namespace calico
