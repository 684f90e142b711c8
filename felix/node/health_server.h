// A minimal HTTP/1.1 server for calico-node's health and metrics endpoints, on a Boost.Asio
// io_context: GET (or HEAD) requests only, one response per connection, bounded request
// size and time.  The handler runs on the io_context's thread.
//
//   HealthServer http(io, [&](const std::string& path) -> HttpReply { ... });
//   http.listen("127.0.0.1", 9099);
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "common/result.h"

namespace calico::felix {

struct HttpReply {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class HealthServer {
 public:
  using Handler = std::function<HttpReply(const std::string& path)>;
  HealthServer(boost::asio::io_context& io, Handler handler);
  ~HealthServer();
  HealthServer(const HealthServer&) = delete;
  HealthServer& operator=(const HealthServer&) = delete;

  // Binds host:port (port 0 = any; see port()).
  Result<void, std::string> listen(const std::string& host, std::uint16_t port);
  std::uint16_t port() const { return port_; }

 private:
  void accept_next();
  boost::asio::io_context& io_;
  Handler handler_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  std::uint16_t port_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// Client side, for tests and the calico-node -probe flags: GET http://host:port/path,
// returns (status, body).
Result<std::pair<int, std::string>, std::string> http_get(const std::string& host,
                                                          std::uint16_t port,
                                                          const std::string& path,
                                                          std::chrono::milliseconds timeout);

}  // namespace calico::felix
