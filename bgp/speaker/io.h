// The seams between the pure BGP speaker and the network (implemented with Boost.Asio in
// bgp/io/, and in memory by tests).
//
// Ownership and flow:
//   - The speaker asks NetworkIo to open an outbound TCP connection to a peer
//     (connect()).  The I/O layer reports the outcome with Speaker::on_connected() or
//     Speaker::on_connect_failed().  Inbound connections accepted by the listener are
//     offered with Speaker::on_accepted(), which may refuse them (unknown peer).
//   - A Connection is owned by the speaker once handed over.  Bytes read from it are
//     delivered with Speaker::on_bytes(conn id, ...); the end of the stream or an error
//     with Speaker::on_closed(conn id, reason).  After close() the I/O layer delivers
//     nothing more for that connection.
//   - Peer indices are slots that the speaker never reuses (a removed peer's slot stays
//     empty), so a late connect outcome for a removed peer finds no peer and is dropped.
//
// Thread affinity: everything runs on the one event-loop thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "bgp/speaker/config.h"
#include "common/net/ip.h"

namespace calico::bgp {

using ConnId = std::uint64_t;  // assigned by the I/O layer, never reused, 0 = none

class Connection {
 public:
  virtual ~Connection() = default;
  virtual ConnId id() const = 0;
  // Queues bytes for sending; never blocks.  Errors surface as on_closed().
  virtual void send(std::vector<std::uint8_t> bytes) = 0;
  // Flushes queued bytes (best effort, bounded) and closes the socket.
  virtual void close() = 0;
  virtual net::IpAddr local_address() const = 0;
  virtual net::IpAddr remote_address() const = 0;
  virtual std::uint16_t remote_port() const = 0;
};

class NetworkIo {
 public:
  virtual ~NetworkIo() = default;
  // Starts an outbound connection to `peer` (bound to peer.source_address when set, with
  // TCP MD5 and TTL options applied).  Exactly one of Speaker::on_connected /
  // on_connect_failed follows, unless cancel_connect() is called first.
  virtual void connect(std::size_t peer_index, const PeerConfig& peer) = 0;
  virtual void cancel_connect(std::size_t peer_index) = 0;
  // The current peer set, so per-peer listener state follows it (TCP MD5 keys on the
  // listening socket, TTL/GTSM options for accepted connections).  The speaker calls it
  // from start() and from every set_peers(), before starting the sessions of new peers
  // (a new peer's inbound connection must find its key).  Failures are the I/O layer's to
  // log: an inbound connection that cannot be keyed simply never arrives.
  virtual void set_peers(const std::vector<PeerConfig>& peers) { static_cast<void>(peers); }
};

// What the I/O layer reports (implemented by the Speaker).
class NetworkEvents {
 public:
  virtual ~NetworkEvents() = default;
  virtual void on_connected(std::size_t peer_index, std::unique_ptr<Connection> conn) = 0;
  virtual void on_connect_failed(std::size_t peer_index, const std::string& reason) = 0;
  // An inbound connection; the speaker keeps it or lets it drop (closing it).
  virtual void on_accepted(std::unique_ptr<Connection> conn) = 0;
  virtual void on_bytes(ConnId conn, std::span<const std::uint8_t> bytes) = 0;
  virtual void on_closed(ConnId conn, const std::string& reason) = 0;
};

}  // namespace calico::bgp
