// AsioNetwork::set_peers: the TCP MD5 keys (RFC 2385) on the listening socket follow the
// peer set, checked with real TCP handshakes on loopback.  The kernel drops an unsigned
// SYN from an address the listener has a key for, so a plain connect from 127.0.0.2
// completes exactly when no key for 127.0.0.2 is installed.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "bgp/io/asio_network.h"

namespace calico::bgp {
namespace {

struct CountingEvents final : NetworkEvents {
  int accepted = 0;
  void on_connected(std::size_t, std::unique_ptr<Connection>) override {}
  void on_connect_failed(std::size_t, const std::string&) override {}
  void on_accepted(std::unique_ptr<Connection>) override { ++accepted; }
  void on_bytes(ConnId, std::span<const std::uint8_t>) override {}
  void on_closed(ConnId, const std::string&) override {}
};

// Does an unsigned TCP handshake from `from` to 127.0.0.1:port complete within `wait`?
bool plain_handshake(const char* from, std::uint16_t port, std::chrono::milliseconds wait) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return false;
  }
  sockaddr_in src{};
  src.sin_family = AF_INET;
  ::inet_pton(AF_INET, from, &src.sin_addr);
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
  bool ok = false;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof(src)) == 0) {
    const int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof(dst));
    if (rc == 0) {
      ok = true;
    } else if (errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, static_cast<int>(wait.count())) == 1) {
        int err = 0;
        socklen_t len = sizeof(err);
        ok = ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
      }
    }
  }
  ::close(fd);
  return ok;
}

PeerConfig keyed(const char* addr, const std::string& password) {
  PeerConfig p;
  p.name = addr;
  p.address = *net::IpAddr::parse(addr);
  p.asn = 65002;
  p.password = password;
  return p;
}

TEST(ListenerMd5, KeysFollowThePeerSet) {
  boost::asio::io_context io;
  CountingEvents events;
  AsioNetwork net(io, events);
  const auto other = keyed("127.0.0.3", "");  // no password: no key
  auto listening = net.listen("127.0.0.1", 0, {keyed("127.0.0.2", "k-one"), other});
  ASSERT_TRUE(listening) << listening.error();
  const auto port = net.listen_port();
  ASSERT_NE(port, 0);
  EXPECT_EQ(net.listener_keys().size(), 1u);
  // Keyed: the unsigned SYN is dropped.  Unkeyed peers connect.
  EXPECT_FALSE(plain_handshake("127.0.0.2", port, std::chrono::milliseconds(700)));
  EXPECT_TRUE(plain_handshake("127.0.0.3", port, std::chrono::milliseconds(2000)));

  // The peer is removed: its key goes, a plain handshake completes.
  net.set_peers({other});
  EXPECT_TRUE(net.listener_keys().empty());
  EXPECT_TRUE(plain_handshake("127.0.0.2", port, std::chrono::milliseconds(2000)));

  // Added again with a password, and then with another one: keyed again.
  net.set_peers({other, keyed("127.0.0.2", "k-one")});
  EXPECT_FALSE(plain_handshake("127.0.0.2", port, std::chrono::milliseconds(700)));
  net.set_peers({other, keyed("127.0.0.2", "k-two")});
  ASSERT_EQ(net.listener_keys().size(), 1u);
  EXPECT_EQ(net.listener_keys().begin()->second, "k-two");
  EXPECT_FALSE(plain_handshake("127.0.0.2", port, std::chrono::milliseconds(700)));

  // Password dropped from the peer's settings: the key goes too.
  net.set_peers({other, keyed("127.0.0.2", "")});
  EXPECT_TRUE(net.listener_keys().empty());
  EXPECT_TRUE(plain_handshake("127.0.0.2", port, std::chrono::milliseconds(2000)));
  io.poll();  // the accepted connections reach the events
  EXPECT_GE(events.accepted, 1);
}

}  // namespace
}  // namespace calico::bgp
