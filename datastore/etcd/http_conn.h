// A small blocking HTTP/1.1 client for etcd's unary gateway calls (POST /v3/kv/...).
//
//   auto url = parse_http_url("https://10.0.0.5:2379");
//   auto conn = HttpConnection::connect(*url, tls, deadline);     // TCP (+ TLS handshake)
//   auto resp = (*conn)->post("/v3/kv/range", body, deadline);    // keep-alive: reusable
//
// Why not cpprestsdk here: its asynchronous machinery hands every request across several
// threads (pplx tasks, asio threads, continuations), and those context switches were most
// of the client's CPU time per etcd call (perf: ~60% in the scheduler; ipam_bench measured
// ~0.85 ms CPU per call).  A blocking socket per calling thread costs one write and one
// read.  cpprestsdk still serves the streaming watch.
//
// Deadlines bound every step (connect, handshake, write, read): sockets are non-blocking
// and waits go through poll().  TLS is OpenSSL with peer verification (CA file, or the
// system store) and host-name or IP check, plus an optional client certificate.
//
// HttpResponseParser is pure (bytes in, response out) and unit-tested on its own.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace calico::datastore::etcd {

struct HttpUrl {
  bool tls = false;
  std::string host;  // name or address (IPv6 without brackets)
  std::string port;  // default 80 / 443
};

// "http://host:port" or "https://host:port" (a trailing "/" allowed, no other path).
Result<HttpUrl, std::string> parse_http_url(std::string_view url);

struct HttpResponse {
  int status = 0;
  std::string body;
  bool keep_alive = true;  // false: the server will close (Connection: close, HTTP/1.0)
};

// Incremental parser of one response: status line, headers, then a body framed by
// Content-Length, chunked transfer encoding, or (no framing) the end of the connection.
class HttpResponseParser {
 public:
  enum class State { Incomplete, Done };
  // Consumes bytes; Done once the whole response is in.  Errors name what is malformed.
  Result<State, std::string> feed(std::string_view bytes);
  // The connection ended: completes an unframed body, else an error if incomplete.
  Result<State, std::string> eof();
  const HttpResponse& response() const { return resp_; }

 private:
  Result<State, std::string> parse();
  Result<bool, std::string> parse_head();
  Result<bool, std::string> parse_chunks();

  enum class Phase { Head, Length, Chunked, UntilClose, Done };
  Phase phase_ = Phase::Head;
  std::string buf_;
  std::size_t remaining_ = 0;  // Length phase
  HttpResponse resp_;
};

struct TlsFiles {
  std::string ca_file;  // empty: the system's default CA store
  std::string cert_file;
  std::string key_file;
};

class HttpConnection {
 public:
  using Deadline = std::chrono::steady_clock::time_point;

  // Resolves, connects and (https) completes the TLS handshake with verification.
  static Result<std::unique_ptr<HttpConnection>, std::string> connect(const HttpUrl& url,
                                                                      const TlsFiles& tls,
                                                                      Deadline deadline);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // One POST with a JSON body.  After an error the connection must be discarded; after a
  // response with keep_alive false, too.
  Result<HttpResponse, std::string> post(const std::string& path, const std::string& body,
                                         Deadline deadline);

 private:
  struct Impl;
  explicit HttpConnection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace calico::datastore::etcd
