// NetlinkSocket: an rtnetlink (NETLINK_ROUTE) socket bound to one network namespace.
//
// Owns a libnl nl_sock.  open("NAME") creates the socket inside the `ip netns` namespace
// /run/netns/NAME: a short-lived helper thread enters the namespace (setns), creates and
// connects the socket and exits (run_in_netns, netlink/netns_thread.h), so no caller
// thread ever changes namespace; the socket stays bound to NAME for its whole life.
// open("") uses the caller's namespace.
//
// The socket is configured for pipelined requests: NETLINK_CAP_ACK (acks carry only the
// request header), NETLINK_EXT_ACK (kernel error strings), NETLINK_GET_STRICT_CHK (the
// kernel filters dumps by table/protocol), a large receive buffer, and a receive timeout
// so a lost reply cannot block forever.
//
// Two ways to talk:
//   - request(): one request, replies streamed to a callback until the ack (NLM_F_ACK is
//     set here) or NLMSG_DONE for dumps.  Used for dumps and lookups.
//   - send() + receive(): raw datagrams for callers that pipeline many requests and map
//     acks back by sequence number (NetlinkRouteSink::apply).
//
// Thread affinity: one thread at a time.  Errors are values: errno plus, when the kernel
// sent one, its extended-ack message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"

struct nl_sock;
struct nlmsghdr;

namespace calico::netlink {

struct NlError {
  int errno_value = 0;
  std::string message;  // strerror text, plus "; kernel: <extack>" when present
};

// One NLMSG_ERROR message: error == 0 is a positive ack.
struct NlAck {
  std::uint32_t seq = 0;
  int error = 0;        // errno value (positive), 0 = success
  std::string ext_msg;  // NLMSGERR_ATTR_MSG, empty if none
};

// Decodes an NLMSG_ERROR message; false if it is not one or is truncated.
bool parse_ack(const nlmsghdr& hdr, NlAck& out);
// Thread-safe strerror.
std::string errno_text(int errno_value);

class NetlinkSocket {
 public:
  // netns: "" = the calling thread's namespace, else a name under /run/netns.
  static Result<std::unique_ptr<NetlinkSocket>, std::string> open(const std::string& netns);
  ~NetlinkSocket();
  NetlinkSocket(const NetlinkSocket&) = delete;
  NetlinkSocket& operator=(const NetlinkSocket&) = delete;

  const std::string& netns() const { return netns_; }  // "" = opener's namespace
  // Receive buffer the kernel actually granted (bytes); bounds how many acks may queue.
  int receive_buffer() const { return rcvbuf_; }
  // Send buffer the kernel granted (bytes); a datagram must stay below it.
  int send_buffer() const { return sndbuf_; }

  std::uint32_t next_seq() { return ++seq_; }

  // Sends `bytes` (one or more complete netlink messages) as one datagram; errno on error.
  Result<void, int> send(std::span<const std::uint8_t> bytes);
  // Receives one datagram; the span stays valid until the next receive().  errno on
  // error: EAGAIN = timed out, ENOBUFS = the receive queue overflowed (replies lost).
  Result<std::span<std::uint8_t>, int> receive();

  // Sends one request (message bytes from nlmsg; seq, pid and flags are filled in here)
  // and passes each reply message to on_message.  Returns when the request is acked, the
  // dump ends, or an error arrives.  A dump interrupted by a concurrent change
  // (NLM_F_DUMP_INTR) fails with EAGAIN so the caller can retry.
  using MessageFn = std::function<void(nlmsghdr& msg)>;
  Result<void, NlError> request(std::vector<std::uint8_t> message, const MessageFn& on_message);

 private:
  NetlinkSocket() = default;
  // Creates, connects and configures sock_ in the calling thread's network namespace.
  Result<void, std::string> connect_here();
  nl_sock* sock_ = nullptr;  // owned; freed by the destructor
  int fd_ = -1;              // nl_socket_get_fd(sock_)
  int rcvbuf_ = 0;
  int sndbuf_ = 0;
  std::uint32_t seq_ = 0;
  std::string netns_;
  std::vector<std::uint8_t> rx_;  // receive buffer
};

}  // namespace calico::netlink
