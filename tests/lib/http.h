// Test helper: one HTTP request through the curl CLI (fixtures only, never product code).
// Used to probe and administer servers the tests started (etcd's JSON gateway), with
// optional TLS client certificates.
#pragma once

#include <chrono>
#include <string>

#include "common/base64.h"
#include "common/result.h"

namespace calico::testlib {

struct HttpTls {
  std::string ca_file, cert_file, key_file;
};

struct HttpResponse {
  int status = 0;
  std::string body;
};

// POSTs `body` (if non-empty; GET otherwise) to `url`.  Errors: curl could not connect or
// timed out.
Result<HttpResponse, std::string> http_request(
    const std::string& url, const std::string& body, const HttpTls* tls = nullptr,
    std::chrono::milliseconds timeout = std::chrono::milliseconds(3000));

using calico::base64_decode;
using calico::base64_encode;

}  // namespace calico::testlib
