// KubeClient: the Kubernetes API server's REST API over the blocking HTTP/1.1 + TLS client
// (datastore/http/http_conn.h), for the Kubernetes datastore backend.
//
//   KubeClient c(*parse_kubeconfig(...));
//   auto r = c.request("GET", "/apis/crd.projectcalico.org/v1/ippools?limit=500");
//   if (r && r->status == 200) use(r->body);            // body: parsed JSON (or null)
//   c.watch("/apis/.../ippools?watch=1&resourceVersion=42", on_ready, on_event, stop);
//
// Authentication: bearer token (inline, or a token file re-read every minute and after a
// 401, as service-account tokens rotate) and/or a client certificate; TLS verification on
// unless the kubeconfig says insecure-skip-tls-verify.  Keep-alive connections are pooled
// (one per calling thread at a time).
//
// Retries: connection failures before a response and a stale pooled connection are
// retried; 429 and 503 (the API server's "too many requests" / overload answers) and, for
// GET, other 5xx replies are retried with capped exponential backoff, honouring
// Retry-After (bounded).  What is left after the retries is returned as-is (the caller
// maps statuses to StoreErrors); a transport failure is ErrorCode::Unavailable.
// A client-side rate limiter (token bucket, `qps`/`burst`) paces requests as client-go's
// default does, so a burst of writers cannot flood the API server.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/log.h"
#include "datastore/datastore.h"
#include "datastore/http/http_conn.h"
#include "datastore/kdd/kube_config.h"

namespace calico::datastore::kube {

struct KubeClientOptions {
  std::chrono::milliseconds request_timeout{10000};
  int max_attempts = 5;  // for retryable answers (429/5xx) and transport errors
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{3000};
  double qps = 200;  // 0: unlimited
  int burst = 400;
  std::string user_agent = "calico-cpp";
};

struct KubeResponse {
  int status = 0;
  nlohmann::json body;  // parsed JSON; null when the body was empty or not JSON
  std::string text;     // the raw body (for messages)
};

// The API server's Status message of a failed reply ("ippools.crd... \"x\" not found"),
// else the start of the body.
std::string status_message(const KubeResponse& r);
// The Status reason ("AlreadyExists", "Conflict", "Expired", ...), or "".
std::string status_reason(const KubeResponse& r);

class KubeClient {
 public:
  explicit KubeClient(kdd::KubeConfig config, KubeClientOptions options = {});
  ~KubeClient();
  KubeClient(const KubeClient&) = delete;
  KubeClient& operator=(const KubeClient&) = delete;

  // One request; `body` is sent as JSON unless null.  `content_type` for PATCH variants.
  Result<KubeResponse, StoreError> request(const std::string& method, const std::string& path,
                                           const nlohmann::json& body = nullptr,
                                           const std::string& content_type = "application/json");

  // A watch stream: GET `path` (which must include watch=1), on_ready() once the server
  // answered 200, then on_event(event JSON) for each event line until the stream ends,
  // `stop` is requested or on_event returns false.  Returns the end reason: a non-200
  // answer as its status mapped like request() errors (410 -> Gone), an orderly end of
  // the stream (server-side timeout) as ErrorCode::Internal with message "watch ended",
  // a transport error as Unavailable.
  StoreError watch(const std::string& path, const std::function<void()>& on_ready,
                   const std::function<bool(const nlohmann::json&)>& on_event, std::stop_token stop,
                   std::chrono::milliseconds idle_timeout);

  const kdd::KubeConfig& config() const { return config_; }
  // Requests sent since start (for tests and benchmarks).
  std::uint64_t requests_sent() const { return sent_.load(); }

 private:
  std::vector<std::pair<std::string, std::string>> auth_headers();
  std::unique_ptr<http::HttpConnection> checkout();
  void checkin(std::unique_ptr<http::HttpConnection> conn);
  void pace();  // the token bucket
  void token_rejected();

  kdd::KubeConfig config_;
  KubeClientOptions opts_;
  Logger log_;
  Result<http::HttpUrl, std::string> url_;
  http::TlsFiles tls_;
  std::mutex mu_;
  std::vector<std::unique_ptr<http::HttpConnection>> idle_;  // guarded by mu_
  std::string token_;                                        // guarded by mu_
  std::chrono::steady_clock::time_point token_read_{};       // guarded by mu_
  double bucket_ = 0;                                        // guarded by mu_
  std::chrono::steady_clock::time_point bucket_time_{};      // guarded by mu_
  std::atomic<std::uint64_t> sent_{0};
};

// Maps a failed reply onto a StoreError: 404 NotFound, 409 AlreadyExists (reason
// AlreadyExists) or Conflict, 410 Gone, 400/422 Invalid, 401/403 Unauthorized, 429/5xx
// Unavailable, else Internal.  `what` names the request ("create IPPool(a)").
StoreError error_from_reply(const KubeResponse& r, const std::string& what);

// "a/b c" -> "a%2Fb%20c" (query values: label selectors, continue tokens).
std::string url_encode(std::string_view s);

}  // namespace calico::datastore::kube
