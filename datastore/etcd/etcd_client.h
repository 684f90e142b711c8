// EtcdClient: etcd v3 over its HTTP/JSON gateway (grpc-gateway: POST /v3/kv/range,
// /v3/kv/txn, /v3/kv/deleterange, /v3/watch ...).  Unary calls go over pooled keep-alive
// connections of the small blocking HTTP/1.1 client in http_conn.h (one socket per
// calling thread at a time); the streaming watch uses cpprestsdk.
//
// Why the gateway and not gRPC: etcd 3.4 (Debian 12) serves it on the client port with no
// extra setup, the JSON maps 1:1 onto the gRPC messages, and it keeps the build free of
// the gRPC/protobuf toolchain (heavy on a 2-core machine).
//
// Endpoints: several may be given; a call that cannot connect moves on to the next one
// and remembers the one that worked (failover).  TLS: CA file plus optional client
// certificate and key.  Every cpprest/pplx/json exception is caught here and becomes a
// StoreError (Unavailable for transport problems).  Thread-safe.
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

#include "common/base64.h"
#include "common/log.h"
#include "datastore/datastore.h"
#include "datastore/http/http_conn.h"

namespace web::http::client {
class http_client;
}

namespace calico::datastore::etcd {

using http::HttpConnection;
using http::HttpUrl;
using http::TlsFiles;

struct EtcdConfig {
  std::vector<std::string> endpoints;  // "http://127.0.0.1:2379", "https://..."
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::chrono::milliseconds request_timeout{5000};
  // A watch stream with no traffic for this long is re-established (from its revision).
  std::chrono::milliseconds watch_idle_timeout{std::chrono::minutes(5)};
};

class EtcdClient {
 public:
  explicit EtcdClient(EtcdConfig config);
  ~EtcdClient();
  EtcdClient(const EtcdClient&) = delete;
  EtcdClient& operator=(const EtcdClient&) = delete;

  // One unary gateway call.  A JSON error reply from etcd becomes a StoreError with the
  // matching code (compacted -> Gone, ...).
  Result<nlohmann::json, StoreError> call(const std::string& path, const nlohmann::json& body);

  // Opens /v3/watch with `create_request` on the current endpoint and feeds every
  // response message to `on_message` until the stream ends, `stop` is requested or
  // on_message returns false.  Returns why it ended.
  StoreError watch(const nlohmann::json& create_request,
                   const std::function<bool(const nlohmann::json&)>& on_message,
                   std::stop_token stop);

  const EtcdConfig& config() const { return config_; }
  std::string current_endpoint() const;

 private:
  std::shared_ptr<web::http::client::http_client> make_client(const std::string& endpoint,
                                                              std::chrono::milliseconds timeout);

  // Idle keep-alive connections of endpoint i (at most kMaxIdle kept).
  std::unique_ptr<HttpConnection> checkout(std::size_t i);
  void checkin(std::size_t i, std::unique_ptr<HttpConnection> conn);

  EtcdConfig config_;
  Logger log_;
  TlsFiles tls_;
  std::vector<Result<HttpUrl, std::string>> urls_;  // parsed endpoints
  std::mutex mu_;
  std::vector<std::vector<std::unique_ptr<HttpConnection>>> idle_;  // guarded by mu_
  std::atomic<std::size_t> current_{0};
};

// Process-wide counts of unary gateway calls since start, by path (for benchmarks: how
// many etcd round trips an operation costs).
struct EtcdCallStats {
  std::uint64_t range = 0;        // /v3/kv/range
  std::uint64_t txn = 0;          // /v3/kv/txn (every CAS write, create and delete)
  std::uint64_t deleterange = 0;  // /v3/kv/deleterange
  std::uint64_t other = 0;
  std::uint64_t request_bytes = 0;
  std::uint64_t reply_bytes = 0;
};
EtcdCallStats etcd_call_stats();

// Maps an etcd/gateway error message onto our error codes.
ErrorCode classify_etcd_error(const std::string& message);
using calico::base64_decode;
using calico::base64_encode;
// etcd's range_end for "every key with this prefix".
std::string prefix_range_end(const std::string& prefix);

}  // namespace calico::datastore::etcd
