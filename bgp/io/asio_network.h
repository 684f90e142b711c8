// NetworkIo over Boost.Asio: the BGP listener, outbound connects and per-connection
// read/write loops, with the socket options BGP sessions need:
//   - TCP MD5 signatures (RFC 2385) per peer address, on the listening socket and on the
//     connecting socket (Linux TCP_MD5SIG);
//   - the TTL of outgoing packets (1 for directly connected eBGP, 64 otherwise, or the
//     configured multihop value), and GTSM (RFC 5082: send 255, IP_MINTTL = 256 - hops);
//   - binding outbound sessions to a configured source address.
// The per-peer listener state (MD5 keys, TTL options for accepted connections) follows
// the speaker's peer set through set_peers(), so peers can be added and removed live.
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
  // installs the MD5 keys of every peer that has a password (`peers` replaces the set
  // given to set_peers() so far).  A key that cannot be installed is an error here.
  Result<bool, std::string> listen(const std::string& address, std::uint16_t port,
                                   const std::vector<PeerConfig>& peers);
  // The port actually bound (useful with port 0 in tests).
  std::uint16_t listen_port() const { return bound_port_; }
  void close_listener();

  void connect(std::size_t peer_index, const PeerConfig& peer) override;
  void cancel_connect(std::size_t peer_index) override;
  // Installs, replaces and removes the listener's MD5 keys to match `peers` (failures are
  // logged; such a peer's inbound connections are then dropped by the kernel) and
  // updates the TTL options applied to accepted connections.
  void set_peers(const std::vector<PeerConfig>& peers) override;
  // Key address -> password currently installed on the listening socket (for tests).
  const std::map<net::IpAddr, std::string>& listener_keys() const { return listener_keys_; }

 private:
  struct Pending;
  void accept_next();
  // Brings the MD5 keys on the listening socket `fd` in line with peers_by_address_
  // (listener_keys_ records what is installed); returns the errors.
  std::vector<std::string> sync_listener_keys(int fd);

  boost::asio::io_context& io_;
  NetworkEvents& events_;
  Logger log_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  bool listen_v6_ = false;
  std::uint16_t bound_port_ = 0;
  std::map<net::IpAddr, PeerConfig> peers_by_address_;  // for inbound socket options
  std::map<net::IpAddr, std::string> listener_keys_;    // installed on acceptor_
  std::map<std::size_t, std::shared_ptr<Pending>> pending_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// Socket option helpers (also used by tests).  Each returns an error text naming the
// option and errno on failure.
// An empty key removes the peer's key (a missing key is not an error then).
Result<bool, std::string> set_tcp_md5(int fd, const net::IpAddr& peer, const std::string& key);
Result<bool, std::string> set_ttl(int fd, bool v6, int ttl);
Result<bool, std::string> set_min_ttl(int fd, bool v6, int min_ttl);

}  // namespace calico::bgp
