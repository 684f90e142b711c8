// Client for line-oriented local control sockets (calico-bgp's status socket): connect to
// a unix stream socket, send one request line, read the reply until the server closes.
// Blocking, bounded by `timeout` per socket operation and by a 256 MiB reply cap.
#pragma once

#include <chrono>
#include <string>

#include "common/result.h"

namespace calico {

Result<std::string, std::string> unix_request(
    const std::string& path, const std::string& request,
    std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

}  // namespace calico
