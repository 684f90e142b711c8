// An in-memory network for BGP speakers under test: NetworkIo implementations that
// connect speakers registered by address, with every delivery (connect result, accept,
// bytes, close) scheduled on a shared ManualTimers at delay 0, so nothing re-enters a
// speaker from inside its own call and a test controls time completely.
//
//   ManualTimers clock;
//   MemoryNetwork net(clock);
//   auto& io_a = net.add_host(ip("10.0.0.1"));   // NetworkIo for speaker A
//   Speaker a(cfg_a, clock, io_a, &sink_a);
//   io_a.attach(a);                               // where A's events go
//   ...
//   clock.advance(1s);                            // runs connects, OPENs, KEEPALIVEs...
//
// Knobs: a host can be made unreachable (connects fail, established links drop traffic
// silently, like a frozen or partitioned peer) and links can be cut (both ends see the
// connection close).  Raw bytes can be injected into a connection to test malformed input.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "bgp/speaker/io.h"
#include "common/timer.h"

namespace calico::testlib {

class MemoryNetwork {
 public:
  class Host;

  // One end of a link.
  class End final : public bgp::Connection {
   public:
    End(MemoryNetwork& net, bgp::ConnId id, Host& host, net::IpAddr local, net::IpAddr remote)
        : net_(net), id_(id), host_(host), local_(local), remote_(remote) {}
    ~End() override { close(); }
    bgp::ConnId id() const override { return id_; }
    void send(std::vector<std::uint8_t> bytes) override {
      if (closed_) {
        return;
      }
      sent_bytes_ += bytes.size();
      net_.deliver(id_, std::move(bytes));
    }
    void close() override {
      if (!closed_) {
        closed_ = true;
        net_.closed(id_);
      }
    }
    net::IpAddr local_address() const override { return local_; }
    net::IpAddr remote_address() const override { return remote_; }
    std::uint16_t remote_port() const override { return 179; }
    std::size_t sent_bytes() const { return sent_bytes_; }

   private:
    friend class MemoryNetwork;
    MemoryNetwork& net_;
    bgp::ConnId id_;
    Host& host_;
    net::IpAddr local_, remote_;
    bool closed_ = false;
    std::size_t sent_bytes_ = 0;
  };

  class Host final : public bgp::NetworkIo {
   public:
    Host(MemoryNetwork& net, net::IpAddr addr) : net_(net), addr_(addr) {}
    void attach(bgp::NetworkEvents& events) { events_ = &events; }
    void connect(std::size_t peer_index, const bgp::PeerConfig& peer) override {
      ++connects_;
      pending_.insert(peer_index);
      net_.connect(*this, peer_index, peer.address);
    }
    void cancel_connect(std::size_t peer_index) override { pending_.erase(peer_index); }
    void set_peers(const std::vector<bgp::PeerConfig>& peers) override {
      peers_ = peers;
      ++set_peers_calls_;
    }
    const net::IpAddr& address() const { return addr_; }
    int connects() const { return connects_; }
    // Outbound connects started and neither completed nor cancelled yet.
    const std::set<std::size_t>& pending_connects() const { return pending_; }
    // The peer set last given to set_peers() (what a real listener would key).
    const std::vector<bgp::PeerConfig>& peers() const { return peers_; }
    int set_peers_calls() const { return set_peers_calls_; }

   private:
    friend class MemoryNetwork;
    MemoryNetwork& net_;
    net::IpAddr addr_;
    bgp::NetworkEvents* events_ = nullptr;
    std::set<std::size_t> pending_;
    std::vector<bgp::PeerConfig> peers_;
    int connects_ = 0;
    int set_peers_calls_ = 0;
  };

  explicit MemoryNetwork(ManualTimers& clock) : clock_(clock) {}

  Host& add_host(net::IpAddr addr) {
    hosts_.push_back(std::make_unique<Host>(*this, addr));
    return *hosts_.back();
  }
  // Unreachable: connects to it time out (fail after 1 s), and bytes to and from it are
  // dropped silently (a frozen process or a partition: only hold timers notice).
  void set_reachable(const net::IpAddr& addr, bool on) {
    if (on) {
      unreachable_.erase(addr);
    } else {
      unreachable_.insert(addr);
    }
  }
  // Closes every link between the two hosts; both ends see on_closed (a reset).
  void cut(const net::IpAddr& a, const net::IpAddr& b) {
    std::vector<bgp::ConnId> ids;
    for (auto& [id, l] : links_) {
      if (l.end && !l.end->closed_ &&
          ((l.end->local_ == a && l.end->remote_ == b) ||
           (l.end->local_ == b && l.end->remote_ == a))) {
        ids.push_back(id);
      }
    }
    for (auto id : ids) {
      notify_closed(id, "connection reset");
    }
  }
  // Delivers raw bytes to the host at `to` on its live connection from `from`.
  bool inject(const net::IpAddr& from, const net::IpAddr& to, std::vector<std::uint8_t> bytes) {
    for (auto& [id, l] : links_) {
      if (l.end && !l.end->closed_ && l.end->local_ == from && l.end->remote_ == to) {
        deliver(id, std::move(bytes));
        return true;
      }
    }
    return false;
  }
  std::size_t live_links() const {
    std::size_t n = 0;
    for (const auto& [id, l] : links_) {
      n += (l.end && !l.end->closed_) ? 1 : 0;
    }
    return n / 2;
  }

 private:
  struct Link {
    End* end = nullptr;    // our end (owned by the speaker once handed over)
    bgp::ConnId peer = 0;  // the other end's id
    Host* host = nullptr;  // host owning `end`
  };

  void connect(Host& from, std::size_t peer_index, const net::IpAddr& to) {
    Host* target = nullptr;
    for (auto& h : hosts_) {
      if (h->addr_ == to) {
        target = h.get();
      }
    }
    const bool reachable =
        target != nullptr && unreachable_.count(to) == 0 && unreachable_.count(from.addr_) == 0;
    if (!reachable) {
      clock_.start(std::chrono::milliseconds(1000), [&from, peer_index] {
        if (from.pending_.erase(peer_index) != 0 && from.events_ != nullptr) {
          from.events_->on_connect_failed(peer_index, "connection timed out");
        }
      });
      return;
    }
    clock_.start(std::chrono::milliseconds(0), [this, &from, target, peer_index] {
      if (from.pending_.erase(peer_index) == 0) {
        return;  // cancelled meanwhile
      }
      const bgp::ConnId ia = ++next_id_;
      const bgp::ConnId ib = ++next_id_;
      auto a = std::make_unique<End>(*this, ia, from, from.addr_, target->addr_);
      auto b = std::make_unique<End>(*this, ib, *target, target->addr_, from.addr_);
      links_[ia] = {a.get(), ib, &from};
      links_[ib] = {b.get(), ia, target};
      if (target->events_ != nullptr) {
        target->events_->on_accepted(std::move(b));
      }
      if (from.events_ != nullptr) {
        from.events_->on_connected(peer_index, std::move(a));
      }
    });
  }

  void deliver(bgp::ConnId from, std::vector<std::uint8_t> bytes) {
    auto it = links_.find(from);
    if (it == links_.end()) {
      return;
    }
    const bgp::ConnId to = it->second.peer;
    const auto src = it->second.end ? it->second.end->local_ : net::IpAddr();
    const auto dst = it->second.end ? it->second.end->remote_ : net::IpAddr();
    if (unreachable_.count(src) != 0 || unreachable_.count(dst) != 0) {
      return;  // silently lost
    }
    clock_.start(std::chrono::milliseconds(0), [this, to, b = std::move(bytes)] {
      auto t = links_.find(to);
      if (t == links_.end() || t->second.end == nullptr || t->second.end->closed_) {
        return;
      }
      if (t->second.host->events_ != nullptr) {
        t->second.host->events_->on_bytes(to, b);
      }
    });
  }

  // `id` closed its end: the other end learns it (FIN) unless already closed.
  void closed(bgp::ConnId id) {
    auto it = links_.find(id);
    if (it == links_.end()) {
      return;
    }
    it->second.end = nullptr;  // the End is being destroyed or is closed
    const bgp::ConnId other = it->second.peer;
    clock_.start(std::chrono::milliseconds(0),
                 [this, other] { notify_closed(other, "connection closed by peer"); });
  }

  void notify_closed(bgp::ConnId id, const std::string& reason) {
    auto t = links_.find(id);
    if (t == links_.end() || t->second.end == nullptr || t->second.end->closed_) {
      return;
    }
    t->second.end->closed_ = true;
    t->second.end = nullptr;
    if (t->second.host->events_ != nullptr) {
      t->second.host->events_->on_closed(id, reason);
    }
  }

  ManualTimers& clock_;
  std::vector<std::unique_ptr<Host>> hosts_;
  std::map<bgp::ConnId, Link> links_;
  std::set<net::IpAddr> unreachable_;
  bgp::ConnId next_id_ = 0;
};

}  // namespace calico::testlib
