#include "felix/node/health_server.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

namespace calico::felix {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

constexpr std::size_t kMaxRequest = 8192;
constexpr std::chrono::seconds kRequestTimeout{5};

std::string reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

class Conn : public std::enable_shared_from_this<Conn> {
 public:
  Conn(tcp::socket sock, HealthServer::Handler& handler, std::shared_ptr<bool> alive)
      : sock_(std::move(sock)),
        timer_(sock_.get_executor()),
        buf_(kMaxRequest),
        handler_(handler),
        alive_(std::move(alive)) {}

  void start() {
    timer_.expires_after(kRequestTimeout);
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) {
        boost::system::error_code ignored;
        self->sock_.close(ignored);
      }
    });
    asio::async_read_until(sock_, buf_, "\r\n\r\n",
                           [self = shared_from_this()](const boost::system::error_code& ec,
                                                       std::size_t) { self->on_request(ec); });
  }

 private:
  void on_request(const boost::system::error_code& ec) {
    if (!*alive_) {
      return;
    }
    HttpReply reply;
    bool head = false;
    if (ec) {
      reply.status = 400;
      reply.body = "bad request\n";
    } else {
      std::istream is(&buf_);
      std::string method, target, version;
      is >> method >> target >> version;
      head = method == "HEAD";
      if (method != "GET" && !head) {
        reply.status = 405;
        reply.body = "only GET and HEAD\n";
      } else {
        const auto q = target.find('?');
        reply = handler_(q == std::string::npos ? target : target.substr(0, q));
      }
    }
    out_ = "HTTP/1.1 " + std::to_string(reply.status) + " " + reason(reply.status) +
           "\r\nContent-Type: " + reply.content_type +
           "\r\nContent-Length: " + std::to_string(reply.body.size()) +
           "\r\nConnection: close\r\n\r\n" + (head ? "" : reply.body);
    asio::async_write(sock_, asio::buffer(out_),
                      [self = shared_from_this()](const boost::system::error_code&, std::size_t) {
                        boost::system::error_code ignored;
                        self->sock_.shutdown(tcp::socket::shutdown_both, ignored);
                        self->sock_.close(ignored);
                        self->timer_.cancel();
                      });
  }

  tcp::socket sock_;
  asio::steady_timer timer_;
  asio::streambuf buf_;
  HealthServer::Handler& handler_;
  std::shared_ptr<bool> alive_;
  std::string out_;
};

}  // namespace

HealthServer::HealthServer(asio::io_context& io, Handler handler)
    : io_(io), handler_(std::move(handler)) {}

HealthServer::~HealthServer() {
  *alive_ = false;
  if (acceptor_) {
    boost::system::error_code ignored;
    acceptor_->close(ignored);
  }
}

Result<void, std::string> HealthServer::listen(const std::string& host, std::uint16_t port) {
  boost::system::error_code ec;
  const auto addr = asio::ip::make_address(host.empty() ? "0.0.0.0" : host, ec);
  if (ec) {
    return fail("health endpoint address \"" + host + "\": " + ec.message());
  }
  auto acc = std::make_unique<tcp::acceptor>(io_);
  const tcp::endpoint ep(addr, port);
  acc->open(ep.protocol(), ec);
  if (!ec) {
    acc->set_option(tcp::acceptor::reuse_address(true), ec);
  }
  if (!ec) {
    acc->bind(ep, ec);
  }
  if (!ec) {
    acc->listen(64, ec);
  }
  if (ec) {
    return fail("health endpoint " + host + ":" + std::to_string(port) + ": " + ec.message());
  }
  port_ = acc->local_endpoint().port();
  acceptor_ = std::move(acc);
  accept_next();
  return {};
}

void HealthServer::accept_next() {
  acceptor_->async_accept(
      [this, alive = alive_](const boost::system::error_code& ec, tcp::socket sock) {
        if (!*alive) {
          return;
        }
        if (!ec) {
          std::make_shared<Conn>(std::move(sock), handler_, alive_)->start();
        }
        if (acceptor_ && acceptor_->is_open()) {
          accept_next();
        }
      });
}

Result<std::pair<int, std::string>, std::string> http_get(const std::string& host,
                                                          std::uint16_t port,
                                                          const std::string& path,
                                                          std::chrono::milliseconds timeout) {
  asio::io_context io;
  tcp::socket sock(io);
  boost::system::error_code ec;
  const auto addr = asio::ip::make_address(host, ec);
  if (ec) {
    return fail("address \"" + host + "\": " + ec.message());
  }
  std::string response;
  asio::steady_timer timer(io);
  timer.expires_after(timeout);
  bool timed_out = false;
  timer.async_wait([&](const boost::system::error_code& e) {
    if (!e) {
      timed_out = true;
      boost::system::error_code ignored;
      sock.close(ignored);
    }
  });
  std::string request =
      "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
  std::array<char, 4096> chunk{};
  std::function<void(const boost::system::error_code&, std::size_t)> on_read;
  on_read = [&](const boost::system::error_code& e, std::size_t n) {
    response.append(chunk.data(), n);
    if (e || response.size() > (1U << 22)) {
      timer.cancel();
      return;
    }
    sock.async_read_some(asio::buffer(chunk), on_read);
  };
  sock.async_connect(tcp::endpoint(addr, port), [&](const boost::system::error_code& e) {
    if (e) {
      ec = e;
      timer.cancel();
      return;
    }
    asio::async_write(sock, asio::buffer(request),
                      [&](const boost::system::error_code& we, std::size_t) {
                        if (we) {
                          ec = we;
                          timer.cancel();
                          return;
                        }
                        sock.async_read_some(asio::buffer(chunk), on_read);
                      });
  });
  io.run();
  if (timed_out) {
    return fail("GET http://" + host + ":" + std::to_string(port) + path + ": timed out");
  }
  if (ec) {
    return fail("GET http://" + host + ":" + std::to_string(port) + path + ": " + ec.message());
  }
  // "HTTP/1.1 200 OK\r\n...\r\n\r\nbody"
  const auto sp = response.find(' ');
  const auto body = response.find("\r\n\r\n");
  if (response.rfind("HTTP/1.", 0) != 0 || sp == std::string::npos || body == std::string::npos) {
    return fail("GET http://" + host + ":" + std::to_string(port) + path + ": malformed response");
  }
  const int status = std::atoi(response.c_str() + sp + 1);
  return std::make_pair(status, response.substr(body + 4));
}

}  // namespace calico::felix
