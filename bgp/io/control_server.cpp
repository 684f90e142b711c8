#include "bgp/io/control_server.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

namespace calico::bgp {
namespace {

namespace asio = boost::asio;
using asio::local::stream_protocol;

constexpr std::size_t kMaxRequest = 4096;

// One client: read a line (bounded), answer, close.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(stream_protocol::socket sock, ControlServer::Handler& handler,
          std::shared_ptr<bool> alive)
      : sock_(std::move(sock)), buf_(kMaxRequest), handler_(handler), alive_(std::move(alive)) {}

  void start() {
    asio::async_read_until(
        sock_, buf_, '\n',
        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
          if (!*self->alive_) {
            return;
          }
          std::string line;
          if (ec && ec != asio::error::eof) {
            self->reply_ = "{\"error\":\"request: " + ec.message() + "\"}\n";
          } else {
            std::istream is(&self->buf_);
            std::getline(is, line);
            (void)n;
            while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
              line.pop_back();
            }
            self->reply_ = self->handler_(line);
            if (self->reply_.empty() || self->reply_.back() != '\n') {
              self->reply_ += '\n';
            }
          }
          asio::async_write(self->sock_, asio::buffer(self->reply_),
                            [self](const boost::system::error_code&, std::size_t) {
                              boost::system::error_code ignored;
                              self->sock_.close(ignored);
                            });
        });
  }

 private:
  stream_protocol::socket sock_;
  asio::streambuf buf_;
  ControlServer::Handler& handler_;
  std::shared_ptr<bool> alive_;
  std::string reply_;
};

}  // namespace

ControlServer::ControlServer(asio::io_context& io, Handler handler)
    : io_(io), handler_(std::move(handler)) {}

ControlServer::~ControlServer() {
  *alive_ = false;
  if (acceptor_) {
    boost::system::error_code ec;
    acceptor_->close(ec);
  }
  if (!path_.empty()) {
    ::unlink(path_.c_str());
  }
}

Result<bool, std::string> ControlServer::listen(const std::string& path) {
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    return fail("control socket path too long: " + path);
  }
  ::unlink(path.c_str());  // a stale socket from a previous run
  boost::system::error_code ec;
  auto acc = std::make_unique<stream_protocol::acceptor>(io_);
  acc->open(stream_protocol(), ec);
  if (!ec) {
    acc->bind(stream_protocol::endpoint(path), ec);
  }
  if (!ec) {
    acc->listen(16, ec);
  }
  if (ec) {
    return fail("control socket " + path + ": " + ec.message());
  }
  ::chmod(path.c_str(), 0660);
  path_ = path;
  acceptor_ = std::move(acc);
  accept_next();
  return true;
}

void ControlServer::accept_next() {
  acceptor_->async_accept(
      [this, alive = alive_](const boost::system::error_code& ec, stream_protocol::socket sock) {
        if (!*alive || !acceptor_) {
          return;
        }
        if (!ec) {
          std::make_shared<Session>(std::move(sock), handler_, alive_)->start();
        } else if (ec == asio::error::operation_aborted) {
          return;
        }
        accept_next();
      });
}

}  // namespace calico::bgp
