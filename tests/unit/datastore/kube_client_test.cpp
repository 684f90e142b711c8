// KubeClient against a scripted HTTP server on loopback: retry and back-off on 429/5xx
// (honouring the Status's retryAfterSeconds), no blind retry of writes, status mapping,
// the bearer token (re-read from its file after a 401), and the watch line protocol.
#include "datastore/kube/kube_client.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <deque>
#include <fstream>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

namespace calico::datastore::kube {
namespace {

// Serves one scripted reply per request (closing the connection after each), recording
// the request heads.  A reply "" closes the connection without answering.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::deque<std::string> replies) : replies_(std::move(replies)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    ::listen(fd_, 16);
    thread_ = std::thread([this] { run(); });
  }
  ~ScriptedServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> requests() {
    const std::lock_guard<std::mutex> l(mu_);
    return requests_;
  }

  static std::string reply(int status, const std::string& body) {
    return "HTTP/1.1 " + std::to_string(status) +
           " X\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
  }

 private:
  void run() {
    for (int served = 0; served < 64 && !stop_; ++served) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) {
        return;
      }
      std::string req;
      char buf[4096];
      while (req.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) {
          break;
        }
        req.append(buf, static_cast<std::size_t>(n));
      }
      std::string out;
      {
        const std::lock_guard<std::mutex> l(mu_);
        requests_.push_back(req.substr(0, req.find("\r\n\r\n")));
        if (!replies_.empty()) {
          out = replies_.front();
          replies_.pop_front();
        }
      }
      if (!out.empty()) {
        ::send(c, out.data(), out.size(), MSG_NOSIGNAL);
      }
      ::close(c);
    }
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::deque<std::string> replies_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

const std::string kOk = R"({"kind":"IPPool","metadata":{"name":"a","resourceVersion":"7"}})";
const std::string kTooMany =
    R"({"kind":"Status","status":"Failure","reason":"TooManyRequests","code":429,)"
    R"("message":"too many requests","details":{"retryAfterSeconds":1}})";

kdd::KubeConfig config_for(const std::string& url) {
  kdd::KubeConfig c;
  c.server = url;
  c.token = "secret-token";
  c.source = "test";
  return c;
}

KubeClientOptions fast() {
  KubeClientOptions o;
  o.request_timeout = std::chrono::milliseconds(2000);
  o.initial_backoff = std::chrono::milliseconds(10);
  o.max_backoff = std::chrono::milliseconds(40);
  return o;
}

TEST(KubeClient, RetriesTooManyRequestsHonouringRetryAfter) {
  ScriptedServer srv({ScriptedServer::reply(429, kTooMany), ScriptedServer::reply(200, kOk)});
  KubeClient c(config_for(srv.url()), fast());
  const auto start = std::chrono::steady_clock::now();
  auto r = c.request("GET", "/apis/crd.projectcalico.org/v1/ippools/a");
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body["metadata"]["resourceVersion"], "7");
  EXPECT_EQ(srv.requests().size(), 2u);
  // retryAfterSeconds: 1 was honoured (jitter takes at most half off).
  EXPECT_GE(took, std::chrono::milliseconds(500));
  EXPECT_NE(srv.requests()[0].find("Authorization: Bearer secret-token"), std::string::npos);
}

TEST(KubeClient, GivesUpAfterMaxAttemptsWithTheLastAnswer) {
  const std::string busy = R"({"kind":"Status","code":503,"message":"the server is busy"})";
  ScriptedServer srv({ScriptedServer::reply(503, busy), ScriptedServer::reply(503, busy),
                      ScriptedServer::reply(503, busy), ScriptedServer::reply(200, kOk)});
  KubeClientOptions o = fast();
  o.max_attempts = 3;
  KubeClient c(config_for(srv.url()), o);
  auto r = c.request("GET", "/x");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(srv.requests().size(), 3u);
  const StoreError e = error_from_reply(*r, "get IPPool(a)");
  EXPECT_EQ(e.code, ErrorCode::Unavailable);
  EXPECT_NE(e.message.find("the server is busy"), std::string::npos) << e.message;
}

TEST(KubeClient, AnInternalErrorOnAWriteIsNotRetried) {
  const std::string oops = R"({"kind":"Status","code":500,"message":"etcd timeout"})";
  ScriptedServer srv({ScriptedServer::reply(500, oops), ScriptedServer::reply(201, kOk)});
  KubeClient c(config_for(srv.url()), fast());
  auto r = c.request("POST", "/apis/crd.projectcalico.org/v1/ippools", nlohmann::json{{"a", 1}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(srv.requests().size(), 1u);
}

TEST(KubeClient, AWriteWhoseConnectionDiesIsNotRetriedBlindly) {
  ScriptedServer srv({"", ScriptedServer::reply(201, kOk)});
  KubeClient c(config_for(srv.url()), fast());
  auto r = c.request("POST", "/apis/crd.projectcalico.org/v1/ippools", nlohmann::json{{"a", 1}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::Unavailable);
  EXPECT_EQ(srv.requests().size(), 1u);
  // A read is retried.
  auto g = c.request("GET", "/apis/crd.projectcalico.org/v1/ippools/a");
  ASSERT_TRUE(g) << g.error().to_string();
  EXPECT_EQ(g->status, 201);
}

TEST(KubeClient, MapsStatusesToStoreErrors) {
  auto st = [](int code, const std::string& reason) {
    KubeResponse r;
    r.status = code;
    r.body = {{"kind", "Status"}, {"reason", reason}, {"message", "m"}};
    return error_from_reply(r, "op").code;
  };
  EXPECT_EQ(st(404, "NotFound"), ErrorCode::NotFound);
  EXPECT_EQ(st(409, "AlreadyExists"), ErrorCode::AlreadyExists);
  EXPECT_EQ(st(409, "Conflict"), ErrorCode::Conflict);
  EXPECT_EQ(st(410, "Expired"), ErrorCode::Gone);
  EXPECT_EQ(st(422, "Invalid"), ErrorCode::Invalid);
  EXPECT_EQ(st(401, "Unauthorized"), ErrorCode::Unauthorized);
  EXPECT_EQ(st(403, "Forbidden"), ErrorCode::Unauthorized);
  EXPECT_EQ(st(429, "TooManyRequests"), ErrorCode::Unavailable);
  EXPECT_EQ(st(418, ""), ErrorCode::Internal);
  KubeResponse page;  // "404 page not found": the resource is not served
  page.status = 404;
  page.text = "404 page not found";
  EXPECT_EQ(error_from_reply(page, "op").code, ErrorCode::Unavailable);
}

TEST(KubeClient, RereadsTheTokenFileAfterAnUnauthorizedAnswer) {
  char tmpl[] = "/tmp/calico-token-XXXXXX";
  const int fd = ::mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  ::close(fd);
  std::ofstream(tmpl) << "old-token\n";
  ScriptedServer srv({ScriptedServer::reply(401, R"({"kind":"Status","code":401})"),
                      ScriptedServer::reply(200, kOk)});
  kdd::KubeConfig cfg = config_for(srv.url());
  cfg.token.clear();
  cfg.token_file = tmpl;
  KubeClient c(cfg, fast());
  auto first = c.request("GET", "/x");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 401);
  std::ofstream(tmpl) << "rotated-token\n";
  auto second = c.request("GET", "/x");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 200);
  const auto reqs = srv.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_NE(reqs[0].find("Bearer old-token"), std::string::npos);
  EXPECT_NE(reqs[1].find("Bearer rotated-token"), std::string::npos);
  std::remove(tmpl);
}

TEST(KubeClient, WatchSplitsTheStreamIntoEvents) {
  const std::string events =
      R"({"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":"5"}}})"
      "\n"
      R"({"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"9"}}})"
      "\n";
  // Chunked, one event split across chunks.
  std::string chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::size_t cut = 20;
  auto chunk = [](const std::string& s) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "%zx", s.size());
    return std::string(hex) + "\r\n" + s + "\r\n";
  };
  chunked += chunk(events.substr(0, cut)) + chunk(events.substr(cut)) + "0\r\n\r\n";
  ScriptedServer srv({chunked, ScriptedServer::reply(410, R"({"kind":"Status","code":410})")});
  KubeClient c(config_for(srv.url()), fast());
  std::vector<std::string> types;
  bool ready = false;
  std::stop_source stop;
  auto end = c.watch(
      "/w?watch=1", [&] { ready = true; },
      [&](const nlohmann::json& ev) {
        types.push_back(ev.value("type", ""));
        return true;
      },
      stop.get_token(), std::chrono::milliseconds(2000));
  EXPECT_TRUE(ready);
  EXPECT_EQ(types, (std::vector<std::string>{"ADDED", "BOOKMARK"}));
  EXPECT_EQ(end.message, "watch ended");
  auto gone = c.watch(
      "/w?watch=1", [] {}, [](const nlohmann::json&) { return true; }, stop.get_token(),
      std::chrono::milliseconds(2000));
  EXPECT_EQ(gone.code, ErrorCode::Gone);
}

}  // namespace
}  // namespace calico::datastore::kube
