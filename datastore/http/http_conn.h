// A small blocking HTTP/1.1 client: etcd's unary gateway calls (POST /v3/kv/...) and the
// Kubernetes API (GET/POST/PUT/PATCH/DELETE, and streaming watches).
//
//   auto url = parse_http_url("https://10.0.0.5:2379");
//   auto conn = HttpConnection::connect(*url, tls, deadline);     // TCP (+ TLS handshake)
//   auto resp = (*conn)->post("/v3/kv/range", body, deadline);    // keep-alive: reusable
//   auto r = (*conn)->request({"PUT", path, {{"Authorization", "Bearer x"}}, body}, deadline);
//   (*conn)->stream({"GET", "/api/v1/pods?watch=1"}, on_head, on_body, stop, idle);
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
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace calico::datastore::http {

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
  // Streaming: true once the status line and headers are in; take_body() moves out the
  // body bytes decoded so far (so a long-lived response never accumulates).
  bool head_done() const { return phase_ != Phase::Head; }
  std::string take_body() { return std::exchange(resp_.body, std::string()); }

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

// TLS material: files, or PEM text (kubeconfig *-data fields); PEM text wins when both
// are set.  No CA at all: the system's default CA store.
struct TlsFiles {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::string ca_pem;
  std::string cert_pem;
  std::string key_pem;
  bool insecure_skip_verify = false;  // only when explicitly configured
};

struct HttpRequest {
  std::string method = "GET";
  std::string path;  // with query
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // sent with Content-Length when non-empty or method is not GET/DELETE
  std::string content_type = "application/json";
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
  Result<HttpResponse, std::string> request(const HttpRequest& req, Deadline deadline);

  // A long-lived response (a watch): sends `req`, calls on_head(status) once the headers
  // are in, then on_body(bytes) for the body as it arrives (a non-2xx body is collected
  // and returned whole instead).  Ends when the body ends (returns the response with
  // status), `stop` is requested, on_body returns false, or nothing arrived for `idle`
  // (errors).  The connection must be discarded afterwards.
  Result<HttpResponse, std::string> stream(const HttpRequest& req,
                                           const std::function<void(int status)>& on_head,
                                           const std::function<bool(std::string_view)>& on_body,
                                           std::stop_token stop, std::chrono::milliseconds idle,
                                           Deadline connect_deadline);

 private:
  struct Impl;
  explicit HttpConnection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace calico::datastore::http
