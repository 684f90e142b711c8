// The local control socket (unix stream): one request line in, one JSON document out,
// then the server closes the connection.  `calicoctl node status` and the tests read the
// speaker's status through it ("status", "routes", ...; the handler decides).  This is
// the server side only; clients use calico::unix_request (common/unix_request.h).
//
// Runs on the io_context thread; the handler is called there, so it may read speaker
// state without locking.  The socket file is created mode 0660 and removed on destruction.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include "common/result.h"

namespace calico::bgp {

class ControlServer {
 public:
  using Handler = std::function<std::string(const std::string& request)>;
  ControlServer(boost::asio::io_context& io, Handler handler);
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;
  ~ControlServer();

  // Binds `path` (an existing stale socket file is replaced).
  Result<bool, std::string> listen(const std::string& path);

 private:
  void accept_next();
  boost::asio::io_context& io_;
  Handler handler_;
  std::string path_;
  std::unique_ptr<boost::asio::local::stream_protocol::acceptor> acceptor_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace calico::bgp
