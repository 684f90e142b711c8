#include "bgp/io/asio_network.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

namespace calico::bgp {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

std::atomic<ConnId> g_next_conn_id{0};

asio::ip::address to_asio(const net::IpAddr& ip) {
  if (ip.is_v4()) {
    return asio::ip::address_v4(ip.v4_host_order());
  }
  asio::ip::address_v6::bytes_type b;
  std::copy(ip.bytes().begin(), ip.bytes().end(), b.begin());
  return asio::ip::address_v6(b);
}

net::IpAddr from_asio(const asio::ip::address& a) {
  if (a.is_v4()) {
    return net::IpAddr::v4(a.to_v4().to_uint());
  }
  const auto v6 = a.to_v6();
  if (v6.is_v4_mapped()) {
    return net::IpAddr::v4(asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_uint());
  }
  std::array<std::uint8_t, 16> b{};
  const auto bytes = v6.to_bytes();
  std::copy(bytes.begin(), bytes.end(), b.begin());
  return net::IpAddr::v6(b);
}

std::string errno_text(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

// One TCP connection: a read loop feeding NetworkEvents and a write queue.  Owned through
// shared_ptr by the pending asynchronous operations and by its ConnectionHandle.
class ConnImpl : public std::enable_shared_from_this<ConnImpl> {
 public:
  ConnImpl(tcp::socket sock, NetworkEvents& events)
      : sock_(std::move(sock)),
        events_(events),
        id_(++g_next_conn_id),
        close_timer_(sock_.get_executor()) {
    boost::system::error_code ec;
    const auto l = sock_.local_endpoint(ec);
    if (!ec) {
      local_ = from_asio(l.address());
    }
    const auto r = sock_.remote_endpoint(ec);
    if (!ec) {
      remote_ = from_asio(r.address());
      remote_port_ = r.port();
    }
    sock_.set_option(tcp::no_delay(true), ec);
  }

  void start() { read(); }
  ConnId id() const { return id_; }

  void send(std::vector<std::uint8_t> bytes) {
    if (closed_) {
      return;
    }
    outq_.push_back(std::move(bytes));
    if (outq_.size() == 1) {
      write();
    }
  }

  // Stops delivering events; flushes what is queued (bounded by 2 s) and closes.
  void close() {
    if (closed_) {
      return;
    }
    closed_ = true;
    if (outq_.empty()) {
      shutdown();
      return;
    }
    close_timer_.expires_after(std::chrono::seconds(2));
    close_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) {
        self->shutdown();
      }
    });
  }

  net::IpAddr local_;
  net::IpAddr remote_;
  std::uint16_t remote_port_ = 0;

 private:
  void read() {
    sock_.async_read_some(
        asio::buffer(buf_),
        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
          if (self->closed_) {
            return;
          }
          if (ec) {
            self->fail(ec == asio::error::eof ? "connection closed by peer" : ec.message());
            return;
          }
          self->events_.on_bytes(self->id_, std::span<const std::uint8_t>(self->buf_.data(), n));
          if (!self->closed_) {
            self->read();
          }
        });
  }

  void write() {
    asio::async_write(
        sock_, asio::buffer(outq_.front()),
        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
          if (ec) {
            self->outq_.clear();
            if (!self->closed_) {
              self->fail("write: " + ec.message());
            } else {
              self->shutdown();
            }
            return;
          }
          self->outq_.pop_front();
          if (!self->outq_.empty()) {
            self->write();
          } else if (self->closed_) {
            self->shutdown();
          }
        });
  }

  // Invariant: outq_ is non-empty exactly while an async_write is in flight, and only the
  // write handler removes entries (the in-flight buffer must stay alive until then).
  void fail(const std::string& reason) {
    closed_ = true;
    shutdown();  // cancels a pending write; its handler drops the queue
    events_.on_closed(id_, reason);
  }

  void shutdown() {
    boost::system::error_code ec;
    close_timer_.cancel();
    if (sock_.is_open()) {
      sock_.shutdown(tcp::socket::shutdown_both, ec);
      sock_.close(ec);
    }
  }

  tcp::socket sock_;
  NetworkEvents& events_;
  ConnId id_;
  asio::steady_timer close_timer_;
  bool closed_ = false;
  std::deque<std::vector<std::uint8_t>> outq_;
  std::array<std::uint8_t, 65536> buf_{};
};

class ConnectionHandle final : public Connection {
 public:
  explicit ConnectionHandle(std::shared_ptr<ConnImpl> impl) : impl_(std::move(impl)) {}
  ConnectionHandle(const ConnectionHandle&) = delete;
  ConnectionHandle& operator=(const ConnectionHandle&) = delete;
  ~ConnectionHandle() override { impl_->close(); }
  ConnId id() const override { return impl_->id(); }
  void send(std::vector<std::uint8_t> bytes) override { impl_->send(std::move(bytes)); }
  void close() override { impl_->close(); }
  net::IpAddr local_address() const override { return impl_->local_; }
  net::IpAddr remote_address() const override { return impl_->remote_; }
  std::uint16_t remote_port() const override { return impl_->remote_port_; }

 private:
  std::shared_ptr<ConnImpl> impl_;
};

// TTL and GTSM for a peer's socket (peer.multihop_ttl is resolved by the config parser:
// 1 for eBGP, 64 for iBGP unless configured).
Result<bool, std::string> apply_ttl_options(int fd, bool v6, const PeerConfig& peer) {
  if (peer.ttl_security_hops > 0) {
    // RFC 5082 §3: send with TTL 255, accept only TTL >= 256 - hops.
    auto r = set_ttl(fd, v6, 255);
    if (!r) {
      return r;
    }
    return set_min_ttl(fd, v6, 256 - peer.ttl_security_hops);
  }
  return set_ttl(fd, v6, peer.multihop_ttl > 0 ? peer.multihop_ttl : 64);
}

}  // namespace

Result<bool, std::string> set_tcp_md5(int fd, const net::IpAddr& peer, const std::string& key) {
  tcp_md5sig sig{};
  if (key.size() > TCP_MD5SIG_MAXKEYLEN) {
    return fail(std::string("TCP MD5 key longer than 80 bytes"));
  }
  if (peer.is_v4()) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&sig.tcpm_addr);
    sin->sin_family = AF_INET;
    std::memcpy(&sin->sin_addr, peer.bytes().data(), 4);
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&sig.tcpm_addr);
    sin6->sin6_family = AF_INET6;
    std::memcpy(&sin6->sin6_addr, peer.bytes().data(), 16);
  }
  // Key length 0 deletes the key (Linux tcp_v4/v6_parse_md5_keys); ENOENT = there was none.
  sig.tcpm_keylen = static_cast<std::uint16_t>(key.size());
  std::memcpy(sig.tcpm_key, key.data(), key.size());
  if (::setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &sig, sizeof(sig)) != 0 &&
      !(key.empty() && errno == ENOENT)) {
    return fail(errno_text("setsockopt(TCP_MD5SIG)") + " for " + peer.to_string());
  }
  // A listening IPv6 socket also receives IPv4 peers as v4-mapped addresses.
  return true;
}

Result<bool, std::string> set_ttl(int fd, bool v6, int ttl) {
  const int rc = v6 ? ::setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof(ttl))
                    : ::setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
  if (rc != 0) {
    return fail(errno_text(v6 ? "setsockopt(IPV6_UNICAST_HOPS)" : "setsockopt(IP_TTL)"));
  }
  return true;
}

Result<bool, std::string> set_min_ttl(int fd, bool v6, int min_ttl) {
  const int rc = v6 ? ::setsockopt(fd, IPPROTO_IPV6, IPV6_MINHOPCOUNT, &min_ttl, sizeof(min_ttl))
                    : ::setsockopt(fd, IPPROTO_IP, IP_MINTTL, &min_ttl, sizeof(min_ttl));
  if (rc != 0) {
    return fail(errno_text(v6 ? "setsockopt(IPV6_MINHOPCOUNT)" : "setsockopt(IP_MINTTL)"));
  }
  return true;
}

struct AsioNetwork::Pending {
  explicit Pending(asio::io_context& io) : sock(io) {}
  tcp::socket sock;
  bool cancelled = false;
};

AsioNetwork::AsioNetwork(asio::io_context& io, NetworkEvents& events)
    : io_(io), events_(events), log_(Logger("bgp")) {}

AsioNetwork::~AsioNetwork() {
  *alive_ = false;
  close_listener();
  for (auto& [i, p] : pending_) {
    p->cancelled = true;
    boost::system::error_code ec;
    p->sock.close(ec);
  }
}

Result<bool, std::string> AsioNetwork::listen(const std::string& address, std::uint16_t port,
                                              const std::vector<PeerConfig>& peers) {
  peers_by_address_.clear();
  for (const auto& p : peers) {
    peers_by_address_[p.address] = p;
  }
  if (address.empty()) {
    return true;
  }
  const auto ip = net::IpAddr::parse(address);
  if (!ip) {
    return fail("listen address \"" + address + "\" is not an IP address");
  }
  boost::system::error_code ec;
  auto acc = std::make_unique<tcp::acceptor>(io_);
  const tcp::endpoint ep(to_asio(*ip), port);
  acc->open(ep.protocol(), ec);
  if (ec) {
    return fail("listen " + address + ": open: " + ec.message());
  }
  acc->set_option(tcp::acceptor::reuse_address(true), ec);
  if (ip->is_v6()) {
    // "::" accepts IPv4 peers too (as v4-mapped addresses).
    acc->set_option(asio::ip::v6_only(false), ec);
  }
  close_listener();
  listen_v6_ = ip->is_v6();
  if (auto errors = sync_listener_keys(acc->native_handle()); !errors.empty()) {
    listener_keys_.clear();
    return fail(errors.front());
  }
  acc->bind(ep, ec);
  if (ec) {
    listener_keys_.clear();
    return fail("listen " + address + " port " + std::to_string(port) + ": bind: " + ec.message());
  }
  acc->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    listener_keys_.clear();
    return fail("listen " + address + ": listen: " + ec.message());
  }
  bound_port_ = acc->local_endpoint(ec).port();
  acceptor_ = std::move(acc);
  accept_next();
  return true;
}

void AsioNetwork::close_listener() {
  if (acceptor_) {
    boost::system::error_code ec;
    acceptor_->close(ec);
    acceptor_.reset();
  }
  listener_keys_.clear();
}

void AsioNetwork::set_peers(const std::vector<PeerConfig>& peers) {
  peers_by_address_.clear();
  for (const auto& p : peers) {
    peers_by_address_[p.address] = p;
  }
  if (!acceptor_) {
    return;  // listen() installs the keys
  }
  for (const auto& e : sync_listener_keys(acceptor_->native_handle())) {
    log_.warn("cannot update the listener's TCP MD5 keys", {kv("error", e)});
  }
}

std::vector<std::string> AsioNetwork::sync_listener_keys(int fd) {
  std::vector<std::string> errors;
  // The key address as the listening socket sees the peer.
  std::map<net::IpAddr, std::string> want;
  for (const auto& [addr, p] : peers_by_address_) {
    if (p.password.empty()) {
      continue;
    }
    if (listen_v6_ && addr.is_v4()) {
      // On a dual-stack socket an IPv4 peer appears as ::ffff:a.b.c.d.
      std::array<std::uint8_t, 16> mapped{};
      mapped[10] = 0xff;
      mapped[11] = 0xff;
      std::copy(addr.bytes().begin(), addr.bytes().begin() + 4, mapped.begin() + 12);
      want[net::IpAddr::v6(mapped)] = p.password;
    } else if (listen_v6_ == addr.is_v6()) {
      want[addr] = p.password;
    }
  }
  for (auto it = listener_keys_.begin(); it != listener_keys_.end();) {
    if (want.count(it->first) != 0) {
      ++it;
      continue;
    }
    if (auto r = set_tcp_md5(fd, it->first, ""); !r) {
      errors.push_back(r.error());
      ++it;  // still installed as far as we know
      continue;
    }
    it = listener_keys_.erase(it);
  }
  for (const auto& [addr, key] : want) {
    auto it = listener_keys_.find(addr);
    if (it != listener_keys_.end() && it->second == key) {
      continue;
    }
    if (auto r = set_tcp_md5(fd, addr, key); !r) {
      errors.push_back(r.error());
      continue;
    }
    listener_keys_[addr] = key;
  }
  return errors;
}

void AsioNetwork::accept_next() {
  acceptor_->async_accept([this, alive = alive_](const boost::system::error_code& ec,
                                                 tcp::socket sock) {
    if (!*alive || !acceptor_) {
      return;
    }
    if (ec) {
      if (ec == asio::error::operation_aborted) {
        return;
      }
      log_.warn("accept failed", {kv("error", ec.message())});
    } else {
      boost::system::error_code e2;
      const auto remote = sock.remote_endpoint(e2);
      if (!e2) {
        const auto addr = from_asio(remote.address());
        auto it = peers_by_address_.find(addr);
        if (it != peers_by_address_.end()) {
          auto ttl = apply_ttl_options(sock.native_handle(), remote.address().is_v6(), it->second);
          if (!ttl) {
            log_.warn("socket option failed",
                      {kv("peer", addr.to_string()), kv("error", ttl.error())});
          }
        }
        auto impl = std::make_shared<ConnImpl>(std::move(sock), events_);
        impl->start();
        events_.on_accepted(std::make_unique<ConnectionHandle>(impl));
      }
    }
    if (*alive && acceptor_) {
      accept_next();
    }
  });
}

void AsioNetwork::connect(std::size_t peer_index, const PeerConfig& peer) {
  cancel_connect(peer_index);
  auto pending = std::make_shared<Pending>(io_);
  pending_[peer_index] = pending;
  const tcp::endpoint remote(to_asio(peer.address), peer.port);
  boost::system::error_code ec;
  auto failed = [&](const std::string& why) {
    // Report asynchronously (the speaker must not be re-entered from connect()), unless
    // cancel_connect() comes first: a removed peer hears nothing more.
    asio::post(io_, [this, alive = alive_, peer_index, pending, why] {
      if (!*alive || pending->cancelled) {
        return;
      }
      pending_.erase(peer_index);
      events_.on_connect_failed(peer_index, why);
    });
  };
  pending->sock.open(remote.protocol(), ec);
  if (ec) {
    failed("socket: " + ec.message());
    return;
  }
  const int fd = pending->sock.native_handle();
  if (peer.source_address) {
    pending->sock.bind(tcp::endpoint(to_asio(*peer.source_address), 0), ec);
    if (ec) {
      failed("bind " + peer.source_address->to_string() + ": " + ec.message());
      return;
    }
  }
  if (!peer.password.empty()) {
    auto r = set_tcp_md5(fd, peer.address, peer.password);
    if (!r) {
      failed(r.error());
      return;
    }
  }
  auto ttl = apply_ttl_options(fd, remote.address().is_v6(), peer);
  if (!ttl) {
    failed(ttl.error());
    return;
  }
  pending->sock.async_connect(
      remote, [this, alive = alive_, peer_index, pending](const boost::system::error_code& cec) {
        if (!*alive || pending->cancelled) {
          return;
        }
        pending_.erase(peer_index);
        if (cec) {
          events_.on_connect_failed(peer_index, cec.message());
          return;
        }
        auto impl = std::make_shared<ConnImpl>(std::move(pending->sock), events_);
        impl->start();
        events_.on_connected(peer_index, std::make_unique<ConnectionHandle>(impl));
      });
}

void AsioNetwork::cancel_connect(std::size_t peer_index) {
  auto it = pending_.find(peer_index);
  if (it == pending_.end()) {
    return;
  }
  it->second->cancelled = true;
  boost::system::error_code ec;
  it->second->sock.close(ec);
  pending_.erase(it);
}

}  // namespace calico::bgp
