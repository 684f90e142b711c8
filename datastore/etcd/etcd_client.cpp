#include "datastore/etcd/etcd_client.h"

#include <array>

#include <boost/asio/ssl.hpp>
#include <cpprest/http_client.h>
#include <pplx/pplxtasks.h>

namespace calico::datastore::etcd {
namespace {

namespace http = web::http;
namespace hc = web::http::client;

StoreError unavailable(const std::string& endpoint, const std::string& what) {
  return StoreError{ErrorCode::Unavailable, "etcd " + endpoint + ": " + what};
}

}  // namespace

std::string prefix_range_end(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty()) {
    auto& c = end.back();
    if (static_cast<unsigned char>(c) < 0xff) {
      c = static_cast<char>(static_cast<unsigned char>(c) + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // whole keyspace
}

ErrorCode classify_etcd_error(const std::string& message) {
  if (message.find("compacted") != std::string::npos) {
    return ErrorCode::Gone;
  }
  if (message.find("permission denied") != std::string::npos ||
      message.find("authentication") != std::string::npos) {
    return ErrorCode::Unauthorized;
  }
  if (message.find("no leader") != std::string::npos ||
      message.find("timed out") != std::string::npos ||
      message.find("unavailable") != std::string::npos) {
    return ErrorCode::Unavailable;
  }
  return ErrorCode::Internal;
}

namespace {
constexpr std::size_t kMaxIdle = 32;
}  // namespace

EtcdClient::EtcdClient(EtcdConfig config) : config_(std::move(config)), log_("datastore") {
  tls_.ca_file = config_.ca_file;
  tls_.cert_file = config_.cert_file;
  tls_.key_file = config_.key_file;
  for (const auto& ep : config_.endpoints) {
    urls_.push_back(datastore::http::parse_http_url(ep));
  }
  idle_.resize(config_.endpoints.size());
}

std::unique_ptr<HttpConnection> EtcdClient::checkout(std::size_t i) {
  const std::lock_guard<std::mutex> lock(mu_);
  if (idle_[i].empty()) {
    return nullptr;
  }
  auto conn = std::move(idle_[i].back());
  idle_[i].pop_back();
  return conn;
}

void EtcdClient::checkin(std::size_t i, std::unique_ptr<HttpConnection> conn) {
  const std::lock_guard<std::mutex> lock(mu_);
  if (idle_[i].size() < kMaxIdle) {
    idle_[i].push_back(std::move(conn));
  }
}

EtcdClient::~EtcdClient() = default;

std::string EtcdClient::current_endpoint() const {
  if (config_.endpoints.empty()) {
    return "";
  }
  return config_.endpoints[current_.load() % config_.endpoints.size()];
}

std::shared_ptr<hc::http_client> EtcdClient::make_client(const std::string& endpoint,
                                                         std::chrono::milliseconds timeout) {
  hc::http_client_config cfg;
  cfg.set_timeout(std::chrono::duration_cast<std::chrono::microseconds>(timeout));
  if (endpoint.rfind("https://", 0) == 0) {
    const std::string ca = config_.ca_file;
    const std::string cert = config_.cert_file;
    const std::string key = config_.key_file;
    cfg.set_ssl_context_callback([ca, cert, key](boost::asio::ssl::context& ctx) {
      boost::system::error_code ec;
      if (!ca.empty()) {
        ctx.load_verify_file(ca, ec);
      } else {
        ctx.set_default_verify_paths(ec);
      }
      if (!cert.empty()) {
        ctx.use_certificate_chain_file(cert, ec);
      }
      if (!key.empty()) {
        ctx.use_private_key_file(key, boost::asio::ssl::context::pem, ec);
      }
    });
    cfg.set_validate_certificates(true);
  }
  try {
    return std::make_shared<hc::http_client>(web::uri(endpoint), cfg);
  } catch (const std::exception&) {
    return nullptr;  // reported as Unavailable on use; config validation catches bad URLs
  }
}

namespace {
std::atomic<std::uint64_t> g_range{0}, g_txn{0}, g_deleterange{0}, g_other{0}, g_req_bytes{0},
    g_reply_bytes{0};
}  // namespace

EtcdCallStats etcd_call_stats() {
  return EtcdCallStats{g_range.load(), g_txn.load(),       g_deleterange.load(),
                       g_other.load(), g_req_bytes.load(), g_reply_bytes.load()};
}

Result<nlohmann::json, StoreError> EtcdClient::call(const std::string& path,
                                                    const nlohmann::json& body) {
  (path == "/v3/kv/range"         ? g_range
   : path == "/v3/kv/txn"         ? g_txn
   : path == "/v3/kv/deleterange" ? g_deleterange
                                  : g_other)++;
  const std::size_t n = urls_.size();
  if (n == 0) {
    return fail(StoreError{ErrorCode::Unavailable, "no etcd endpoints configured"});
  }
  const std::string payload = body.dump();
  g_req_bytes += payload.size();
  StoreError last{ErrorCode::Unavailable, ""};
  const std::size_t start = current_.load();
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t idx = (start + i) % n;
    const std::string& ep = config_.endpoints[idx];
    if (!urls_[idx]) {
      last = unavailable(ep, urls_[idx].error());
      continue;
    }
    std::string text;
    int status = 0;
    bool sent = false;
    // A pooled keep-alive connection may have been closed by the server (idle timeout,
    // restart): then the request is retried once on a fresh connection.
    for (int attempt = 0; attempt < 2 && !sent; ++attempt) {
      const auto deadline = std::chrono::steady_clock::now() + config_.request_timeout;
      std::unique_ptr<HttpConnection> conn = attempt == 0 ? checkout(idx) : nullptr;
      const bool pooled = conn != nullptr;
      if (!conn) {
        auto c = HttpConnection::connect(*urls_[idx], tls_, deadline);
        if (!c) {
          last = unavailable(ep, c.error());
          log_.debug("etcd connect failed", {kv("endpoint", ep), kv("error", c.error())});
          break;
        }
        conn = std::move(*c);
      }
      auto resp = conn->post(path, payload, deadline);
      if (!resp) {
        last = unavailable(ep, resp.error());
        log_.debug("etcd request failed", {kv("endpoint", ep), kv("error", resp.error())});
        if (!pooled) {
          break;
        }
        continue;
      }
      status = resp->status;
      text = std::move(resp->body);
      g_reply_bytes += text.size();
      sent = true;
      if (resp->keep_alive) {
        checkin(idx, std::move(conn));
      }
    }
    if (!sent) {
      continue;
    }
    if (idx != start % n) {
      current_.store(idx);
      log_.info("etcd failover", {kv("endpoint", ep)});
    }
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded()) {
      return fail(
          StoreError{ErrorCode::Internal, "etcd " + ep + path + ": HTTP " + std::to_string(status) +
                                              ": unparseable reply: " + text.substr(0, 200)});
    }
    if (status != 200 || j.contains("error")) {
      std::string msg = j.value("message", j.value("error", std::string()));
      if (msg.empty()) {
        msg = text.substr(0, 200);
      }
      if (status == 401 || status == 403) {
        return fail(StoreError{ErrorCode::Unauthorized, "etcd " + ep + ": " + msg});
      }
      const ErrorCode code = classify_etcd_error(msg);
      if (code == ErrorCode::Unavailable) {
        last = unavailable(ep, msg);
        continue;
      }
      return fail(StoreError{code, "etcd " + ep + path + ": " + msg});
    }
    return j;
  }
  return fail(last);
}

StoreError EtcdClient::watch(const nlohmann::json& create_request,
                             const std::function<bool(const nlohmann::json&)>& on_message,
                             std::stop_token stop) {
  const std::size_t n = config_.endpoints.size();
  if (n == 0) {
    return StoreError{ErrorCode::Unavailable, "no etcd endpoints configured"};
  }
  // Try each endpoint once, starting with the current one.
  StoreError last{ErrorCode::Unavailable, ""};
  const std::size_t start = current_.load();
  for (std::size_t i = 0; i < n && !stop.stop_requested(); ++i) {
    const std::size_t idx = (start + i) % n;
    const std::string& ep = config_.endpoints[idx];
    auto client = make_client(ep, config_.watch_idle_timeout);
    if (!client) {
      last = unavailable(ep, "invalid endpoint URL");
      continue;
    }
    pplx::cancellation_token_source cts;
    std::stop_callback on_stop(stop, [&cts] { cts.cancel(); });
    http::http_response resp;
    try {
      http::http_request req(http::methods::POST);
      req.set_request_uri("/v3/watch");
      req.set_body(nlohmann::json{{"create_request", create_request}}.dump(), "application/json");
      resp = client->request(req, cts.get_token()).get();
    } catch (const std::exception& e) {
      last = unavailable(ep, std::string("watch: ") + e.what());
      continue;
    }
    if (resp.status_code() != 200) {
      last = unavailable(ep, "watch: HTTP " + std::to_string(resp.status_code()));
      continue;
    }
    current_.store(idx);
    // The gateway streams one JSON object per message, newline separated.
    auto body = resp.body();
    try {
      while (!stop.stop_requested()) {
        concurrency::streams::container_buffer<std::string> buf;
        const std::size_t got = body.read_line(buf).get();
        const std::string& line = buf.collection();
        if (got == 0 && line.empty()) {
          if (body.is_eof()) {
            return unavailable(ep, "watch stream closed");
          }
          continue;
        }
        if (line.find_first_not_of(" \r\t") == std::string::npos) {
          continue;
        }
        auto j = nlohmann::json::parse(line, nullptr, false);
        if (j.is_discarded()) {
          return StoreError{ErrorCode::Internal, "etcd " + ep + ": bad watch message"};
        }
        if (j.contains("error")) {
          const auto& e = j["error"];
          const std::string msg = e.is_object() ? e.value("message", e.dump()) : e.dump();
          return StoreError{classify_etcd_error(msg) == ErrorCode::Gone ? ErrorCode::Gone
                                                                        : ErrorCode::Unavailable,
                            "etcd " + ep + " watch: " + msg};
        }
        if (!on_message(j.contains("result") ? j["result"] : j)) {
          return StoreError{ErrorCode::Internal, "stopped"};
        }
      }
    } catch (const std::exception& e) {
      if (stop.stop_requested()) {
        break;
      }
      return unavailable(ep, std::string("watch stream: ") + e.what());
    }
    break;
  }
  if (stop.stop_requested()) {
    return StoreError{ErrorCode::Internal, "stopped"};
  }
  return last;
}

}  // namespace calico::datastore::etcd
