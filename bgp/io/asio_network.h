// NetworkIo over Boost.Asio: the BGP listener, outbound connects and per-connection
// read/write loops, with the socket options BGP sessions need:
//   - TCP MD5 signatures (RFC 2385) per peer address, on the listening socket and on the
//     connecting socket (Linux TCP_MD5SIG);
//   - the TTL of outgoing packets (1 for directly connected eBGP, 64 otherwise, or the
//     configured multihop value), and GTSM (RFC 5082: send 255, IP_MINTTL = 256 - hops);
//   - binding outbound sessions to a configured source address.
// Everything runs on the io_context's thread; events go to a NetworkEvents (the speaker).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "bgp/speaker/config.h"
#include "bgp/speaker/io.h"
#include "common/log.h"
#include "common/result.h"

namespace calico::bgp {

class AsioNetwork final : public NetworkIo {
 public:
  // `events` is only used once listen()/connect() run, so it may be an object that is
  // constructed after this one (the speaker needs the NetworkIo first).
  AsioNetwork(boost::asio::io_context& io, NetworkEvents& events);
  AsioNetwork(const AsioNetwork&) = delete;
  AsioNetwork& operator=(const AsioNetwork&) = delete;
  ~AsioNetwork() override;

  // Opens the listening socket ("::" listens dual-stack; "" disables listening) and
  // installs the MD5 keys of every peer that has a password.
  Result<bool, std::string> listen(const std::string& address, std::uint16_t port,
                                   const std::vector<PeerConfig>& peers);
  // The port actually bound (useful with port 0 in tests).
  std::uint16_t listen_port() const { return bound_port_; }
  void close_listener();

  void connect(std::size_t peer_index, const PeerConfig& peer) override;
  void cancel_connect(std::size_t peer_index) override;

 private:
  struct Pending;
  void accept_next();

  boost::asio::io_context& io_;
  NetworkEvents& events_;
  Logger log_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  std::uint16_t bound_port_ = 0;
  std::map<net::IpAddr, PeerConfig> peers_by_address_;  // for inbound socket options
  std::map<std::size_t, std::shared_ptr<Pending>> pending_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// Socket option helpers (also used by tests).  Each returns an error text naming the
// option and errno on failure.
Result<bool, std::string> set_tcp_md5(int fd, const net::IpAddr& peer, const std::string& key);
Result<bool, std::string> set_ttl(int fd, bool v6, int ttl);
Result<bool, std::string> set_min_ttl(int fd, bool v6, int min_ttl);

}  // namespace calico::bgp
