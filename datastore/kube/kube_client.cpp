#include "datastore/kube/kube_client.h"

#include <algorithm>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

namespace calico::datastore::kube {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr std::size_t kMaxIdle = 8;
constexpr auto kTokenRefresh = std::chrono::seconds(60);
constexpr auto kMaxRetryAfter = std::chrono::seconds(10);

StoreError unavailable(const std::string& server, const std::string& what) {
  return StoreError{ErrorCode::Unavailable, "kubernetes " + server + ": " + what};
}

bool retryable(const std::string& method, int status) {
  if (status == 429 || status == 503) {
    return true;
  }
  return method == "GET" && status >= 500 && status != 501;
}

// Retry-After in seconds (the API server sends integers), bounded.
std::chrono::milliseconds retry_after(const json& body, std::chrono::milliseconds fallback) {
  // The header is not exposed by the HTTP layer; the Status body carries the same hint.
  if (body.is_object() && body.contains("details") && body["details"].is_object()) {
    const auto& d = body["details"];
    if (d.contains("retryAfterSeconds") && d["retryAfterSeconds"].is_number_integer()) {
      const auto s = std::chrono::seconds(d["retryAfterSeconds"].get<long long>());
      return std::chrono::duration_cast<std::chrono::milliseconds>(
          std::clamp(s, std::chrono::seconds(0), kMaxRetryAfter));
    }
  }
  return fallback;
}

std::chrono::milliseconds jittered(std::chrono::milliseconds base) {
  thread_local std::minstd_rand rng{std::random_device{}()};
  const long long ms = base.count();
  std::uniform_int_distribution<long long> d(ms / 2, std::max(1LL, ms));
  return std::chrono::milliseconds(d(rng));
}

}  // namespace

std::string status_message(const KubeResponse& r) {
  if (r.body.is_object() && r.body.contains("message") && r.body["message"].is_string()) {
    return r.body["message"].get<std::string>();
  }
  if (r.text.empty()) {
    return "HTTP " + std::to_string(r.status);
  }
  return "HTTP " + std::to_string(r.status) + ": " + r.text.substr(0, 300);
}

std::string status_reason(const KubeResponse& r) {
  if (r.body.is_object() && r.body.contains("reason") && r.body["reason"].is_string()) {
    return r.body["reason"].get<std::string>();
  }
  return "";
}

StoreError error_from_reply(const KubeResponse& r, const std::string& what) {
  const std::string msg = what + ": " + status_message(r);
  switch (r.status) {
    case 404:
      // A real "not found" is a Status object; a bare "404 page not found" means the
      // server does not serve this resource (yet): CRD not installed, or a restarting
      // API server that has not loaded its CRDs.  Not a statement about the object.
      if (!r.body.is_object() || r.body.value("kind", std::string()) != "Status") {
        return {ErrorCode::Unavailable,
                msg +
                    " (the API server does not serve this resource: are the Calico CRDs "
                    "installed?)"};
      }
      return {ErrorCode::NotFound, msg};
    case 409:
      return {status_reason(r) == "AlreadyExists" ? ErrorCode::AlreadyExists : ErrorCode::Conflict,
              msg};
    case 410:
      return {ErrorCode::Gone, msg};
    case 400:
    case 422:
      return {ErrorCode::Invalid, msg};
    case 401:
    case 403:
      return {ErrorCode::Unauthorized, msg};
    default:
      break;
  }
  if (r.status == 429 || r.status >= 500) {
    return {ErrorCode::Unavailable, msg};
  }
  return {ErrorCode::Internal, msg};
}

std::string url_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

KubeClient::KubeClient(kdd::KubeConfig config, KubeClientOptions options)
    : config_(std::move(config)),
      opts_(std::move(options)),
      log_("kube-client"),
      url_(http::parse_http_url(config_.server)) {
  tls_.ca_pem = config_.ca_pem;
  tls_.cert_pem = config_.client_cert_pem;
  tls_.key_pem = config_.client_key_pem;
  tls_.insecure_skip_verify = config_.insecure_skip_tls_verify;
  token_ = config_.token;
  bucket_ = opts_.burst;
  bucket_time_ = Clock::now();
}

KubeClient::~KubeClient() = default;

std::vector<std::pair<std::string, std::string>> KubeClient::auth_headers() {
  std::vector<std::pair<std::string, std::string>> h = {{"Accept", "application/json"},
                                                        {"User-Agent", opts_.user_agent}};
  std::string token;
  {
    const std::lock_guard<std::mutex> lock(mu_);
    if (!config_.token_file.empty() &&
        (token_.empty() || Clock::now() - token_read_ > kTokenRefresh)) {
      std::ifstream in(config_.token_file);
      std::stringstream ss;
      ss << in.rdbuf();
      std::string t = ss.str();
      while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) {
        t.pop_back();
      }
      if (in && !t.empty()) {
        token_ = t;
      } else {
        log_.warn("cannot read the token file; keeping the last token",
                  {kv("file", config_.token_file)});
      }
      token_read_ = Clock::now();
    }
    token = token_;
  }
  if (!token.empty()) {
    h.emplace_back("Authorization", "Bearer " + token);
  }
  return h;
}

void KubeClient::token_rejected() {
  const std::lock_guard<std::mutex> lock(mu_);
  token_read_ = {};  // re-read the token file before the next request
}

std::unique_ptr<http::HttpConnection> KubeClient::checkout() {
  const std::lock_guard<std::mutex> lock(mu_);
  if (idle_.empty()) {
    return nullptr;
  }
  auto c = std::move(idle_.back());
  idle_.pop_back();
  return c;
}

void KubeClient::checkin(std::unique_ptr<http::HttpConnection> conn) {
  const std::lock_guard<std::mutex> lock(mu_);
  if (idle_.size() < kMaxIdle) {
    idle_.push_back(std::move(conn));
  }
}

void KubeClient::pace() {
  if (opts_.qps <= 0) {
    return;
  }
  std::chrono::duration<double> wait{0};
  {
    const std::lock_guard<std::mutex> lock(mu_);
    const auto now = Clock::now();
    const std::chrono::duration<double> dt = now - bucket_time_;
    bucket_time_ = now;
    bucket_ = std::min<double>(opts_.burst, bucket_ + dt.count() * opts_.qps);
    bucket_ -= 1;  // may go negative: later callers queue behind this one
    if (bucket_ < 0) {
      wait = std::chrono::duration<double>(-bucket_ / opts_.qps);
    }
  }
  if (wait.count() > 0) {
    std::this_thread::sleep_for(wait);
  }
}

Result<KubeResponse, StoreError> KubeClient::request(const std::string& method,
                                                     const std::string& path, const json& body,
                                                     const std::string& content_type) {
  if (!url_) {
    return fail(StoreError{ErrorCode::Invalid, "kubernetes server \"" + config_.server +
                                                   "\" (from " + config_.source +
                                                   "): " + url_.error()});
  }
  http::HttpRequest req;
  req.method = method;
  req.path = path;
  req.content_type = content_type;
  if (!body.is_null()) {
    req.body = body.dump();
  }
  auto backoff = opts_.initial_backoff;
  StoreError last{ErrorCode::Unavailable, ""};
  for (int attempt = 0; attempt < std::max(1, opts_.max_attempts); ++attempt) {
    if (attempt > 0) {
      std::this_thread::sleep_for(jittered(backoff));
      backoff = std::min(opts_.max_backoff, backoff * 2);
    }
    pace();
    req.headers = auth_headers();
    const auto deadline = Clock::now() + opts_.request_timeout;
    std::unique_ptr<http::HttpConnection> conn = checkout();
    const bool pooled = conn != nullptr;
    if (!conn) {
      auto c = http::HttpConnection::connect(*url_, tls_, deadline);
      if (!c) {
        last = unavailable(config_.server, c.error());
        if (c.error().rfind("TLS", 0) == 0) {
          return fail(StoreError{ErrorCode::Unauthorized, last.message});
        }
        continue;
      }
      conn = std::move(*c);
    }
    ++sent_;
    auto resp = conn->request(req, deadline);
    if (!resp) {
      last = unavailable(config_.server, method + " " + path + ": " + resp.error());
      if (pooled) {
        --attempt;  // a stale keep-alive connection costs no attempt (once per pooled conn)
        backoff = opts_.initial_backoff / 2;
        continue;
      }
      if (method != "GET") {
        // The request may have been applied; the caller decides (CAS makes a retry safe,
        // but a blind POST retry could report our own create as AlreadyExists).
        return fail(last);
      }
      continue;
    }
    KubeResponse out;
    out.status = resp->status;
    out.text = std::move(resp->body);
    if (!out.text.empty()) {
      out.body = json::parse(out.text, nullptr, false);
      if (out.body.is_discarded()) {
        out.body = nullptr;
      }
    }
    if (resp->keep_alive) {
      checkin(std::move(conn));
    }
    if (out.status == 401) {
      token_rejected();
    }
    if (retryable(method, out.status) && attempt + 1 < opts_.max_attempts) {
      log_.debug("kubernetes API asked us to retry",
                 {kv("status", out.status), kv("path", path), kv("attempt", attempt + 1)});
      backoff = std::max(backoff, retry_after(out.body, backoff));
      last = error_from_reply(out, method + " " + path);
      continue;
    }
    return out;
  }
  return fail(last);
}

StoreError KubeClient::watch(const std::string& path, const std::function<void()>& on_ready,
                             const std::function<bool(const json&)>& on_event, std::stop_token stop,
                             std::chrono::milliseconds idle_timeout) {
  if (!url_) {
    return StoreError{ErrorCode::Invalid,
                      "kubernetes server \"" + config_.server + "\": " + url_.error()};
  }
  pace();
  const auto deadline = Clock::now() + opts_.request_timeout;
  auto c = http::HttpConnection::connect(*url_, tls_, deadline);
  if (!c) {
    return unavailable(config_.server, "watch " + path + ": " + c.error());
  }
  http::HttpRequest req;
  req.method = "GET";
  req.path = path;
  req.headers = auth_headers();
  std::string pending;
  bool stopped_by_sink = false;
  bool parse_error = false;
  ++sent_;
  auto resp = (*c)->stream(
      req,
      [&](int status) {
        if (status == 200 && on_ready) {
          on_ready();
        }
      },
      [&](std::string_view bytes) {
        pending.append(bytes);
        std::size_t start = 0;
        for (;;) {
          const auto nl = pending.find('\n', start);
          if (nl == std::string::npos) {
            break;
          }
          const std::string_view line(pending.data() + start, nl - start);
          start = nl + 1;
          if (line.empty()) {
            continue;
          }
          auto ev = json::parse(line, nullptr, false);
          if (ev.is_discarded()) {
            parse_error = true;
            return false;
          }
          if (!on_event(ev)) {
            stopped_by_sink = true;
            return false;
          }
        }
        pending.erase(0, start);
        return true;
      },
      stop, idle_timeout, deadline);
  if (parse_error) {
    return StoreError{ErrorCode::Internal,
                      "kubernetes " + config_.server + ": undecodable watch event on " + path};
  }
  if (stopped_by_sink || stop.stop_requested()) {
    return StoreError{ErrorCode::Internal, "stopped"};
  }
  if (!resp) {
    return unavailable(config_.server, "watch " + path + ": " + resp.error());
  }
  if (resp->status != 200) {
    KubeResponse r;
    r.status = resp->status;
    r.text = resp->body;
    r.body = json::parse(r.text, nullptr, false);
    if (r.body.is_discarded()) {
      r.body = nullptr;
    }
    if (r.status == 401) {
      token_rejected();
    }
    return error_from_reply(r, "watch " + path);
  }
  return StoreError{ErrorCode::Internal, "watch ended"};
}

}  // namespace calico::datastore::kube
