// NetlinkSocket: rtnetlink socket creation inside a named network namespace, raw datagram
// send/receive, and the request/reply loop used by dumps and lookups.  See nl_socket.h for
// the thread-affinity and error contract.
#include "netlink/nl_socket.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <linux/netlink.h>
#include <netlink/netlink.h>

#include "netlink/netns_thread.h"
#include "netlink/nl_ptr.h"

namespace calico::netlink {
namespace {

constexpr int kReceiveBufferBytes = 4 << 20;  // acks of a full batch fit many times over
constexpr int kSendBufferBytes = 1 << 20;
constexpr std::size_t kReceiveChunkBytes = 64 << 10;  // > the largest dump datagram (32 KiB)
constexpr int kReceiveTimeoutSeconds = 10;

constexpr std::size_t align4(std::size_t n) {
  return (n + 3U) & ~std::size_t{3};
}

void set_int_option(int fd, int level, int option, int value) {
  // Best effort: an older kernel without the option still works, only less efficiently.
  (void)::setsockopt(fd, level, option, &value, sizeof(value));
}

int get_int_option(int fd, int level, int option) {
  int value = 0;
  socklen_t len = sizeof(value);
  if (::getsockopt(fd, level, option, &value, &len) != 0) {
    return 0;
  }
  return value;
}

// Grows a socket buffer: the *FORCE variant ignores net.core.[rw]mem_max (needs
// CAP_NET_ADMIN); without it the kernel caps the plain option at the sysctl.
void grow_buffer(int fd, int force_option, int option, int bytes) {
  if (::setsockopt(fd, SOL_SOCKET, force_option, &bytes, sizeof(bytes)) != 0) {
    set_int_option(fd, SOL_SOCKET, option, bytes);
  }
}

}  // namespace

std::string errno_text(int errno_value) {
  const char* text = ::strerrordesc_np(errno_value);
  return text != nullptr ? std::string(text) : "errno " + std::to_string(errno_value);
}

bool parse_ack(const nlmsghdr& hdr, NlAck& out) {
  if (hdr.nlmsg_type != NLMSG_ERROR) {
    return false;
  }
  const int datalen = nlmsg_datalen(&hdr);
  if (datalen < static_cast<int>(sizeof(nlmsgerr))) {
    return false;
  }
  const auto* data = static_cast<const std::uint8_t*>(nlmsg_data(&hdr));
  nlmsgerr err{};
  std::memcpy(&err, data, sizeof(err));
  out.seq = hdr.nlmsg_seq;
  out.error = -err.error;
  out.ext_msg.clear();
  if ((hdr.nlmsg_flags & NLM_F_ACK_TLVS) == 0) {
    return true;
  }
  // Layout: nlmsgerr, then (unless NLM_F_CAPPED) the rest of the request, then TLVs.
  std::size_t offset = sizeof(nlmsgerr);
  if ((hdr.nlmsg_flags & NLM_F_CAPPED) == 0 && err.msg.nlmsg_len > sizeof(nlmsghdr)) {
    offset += err.msg.nlmsg_len - sizeof(nlmsghdr);
  }
  offset = align4(offset);
  if (offset >= static_cast<std::size_t>(datalen)) {
    return true;
  }
  const auto* head = reinterpret_cast<const nlattr*>(data + offset);
  const nlattr* msg = nla_find(head, datalen - static_cast<int>(offset), NLMSGERR_ATTR_MSG);
  if (msg != nullptr && nla_len(msg) > 0) {
    const auto* text = static_cast<const char*>(nla_data(msg));
    out.ext_msg.assign(text, ::strnlen(text, static_cast<std::size_t>(nla_len(msg))));
  }
  return true;
}

Result<void, std::string> NetlinkSocket::connect_here() {
  NlSockPtr sock(nl_socket_alloc());
  if (!sock) {
    return fail(std::string("nl_socket_alloc: out of memory"));
  }
  nl_socket_disable_auto_ack(sock.get());
  const int err = nl_connect(sock.get(), NETLINK_ROUTE);
  if (err < 0) {
    return fail(std::string("nl_connect(NETLINK_ROUTE): ") + nl_geterror(err));
  }
  const int fd = nl_socket_get_fd(sock.get());
  set_int_option(fd, SOL_NETLINK, NETLINK_CAP_ACK, 1);
  set_int_option(fd, SOL_NETLINK, NETLINK_EXT_ACK, 1);
  set_int_option(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, 1);
  // nl_connect() shrank both buffers to 32 KiB; pipelined batches need more.
  grow_buffer(fd, SO_RCVBUFFORCE, SO_RCVBUF, kReceiveBufferBytes);
  grow_buffer(fd, SO_SNDBUFFORCE, SO_SNDBUF, kSendBufferBytes);
  timeval timeout{};
  timeout.tv_sec = kReceiveTimeoutSeconds;
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)) != 0) {
    return fail("setsockopt(SO_RCVTIMEO): " + errno_text(errno));
  }
  rcvbuf_ = get_int_option(fd, SOL_SOCKET, SO_RCVBUF);
  sndbuf_ = get_int_option(fd, SOL_SOCKET, SO_SNDBUF);
  fd_ = fd;
  sock_ = sock.release();
  return {};
}

Result<std::unique_ptr<NetlinkSocket>, std::string> NetlinkSocket::open(const std::string& netns) {
  std::unique_ptr<NetlinkSocket> sock(new NetlinkSocket());
  sock->netns_ = netns;
  sock->rx_.resize(kReceiveChunkBytes);
  // The socket is created on run_in_netns's helper thread and keeps that namespace.
  if (auto connected = run_in_netns(netns, [&] { return sock->connect_here(); }); !connected) {
    return fail(connected.error());
  }
  return sock;
}

NetlinkSocket::~NetlinkSocket() {
  if (sock_ != nullptr) {
    nl_socket_free(sock_);  // closes fd_
  }
}

Result<void, int> NetlinkSocket::send(std::span<const std::uint8_t> bytes) {
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  for (;;) {
    const ssize_t n = ::sendto(fd_, bytes.data(), bytes.size(), 0,
                               reinterpret_cast<const sockaddr*>(&kernel), sizeof(kernel));
    if (n >= 0) {
      return {};
    }
    if (errno != EINTR) {
      return fail(errno);
    }
  }
}

Result<std::span<std::uint8_t>, int> NetlinkSocket::receive() {
  for (;;) {
    iovec iov{rx_.data(), rx_.size()};
    sockaddr_nl from{};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof(from);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    const ssize_t n = ::recvmsg(fd_, &msg, 0);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail(errno == EWOULDBLOCK ? EAGAIN : errno);
    }
    if ((msg.msg_flags & MSG_TRUNC) != 0) {
      return fail(EMSGSIZE);
    }
    if (from.nl_pid != 0) {
      continue;  // not from the kernel
    }
    return std::span<std::uint8_t>(rx_.data(), static_cast<std::size_t>(n));
  }
}

Result<void, NlError> NetlinkSocket::request(std::vector<std::uint8_t> message,
                                             const MessageFn& on_message) {
  CALICO_CHECK(message.size() >= sizeof(nlmsghdr));
  auto* req = reinterpret_cast<nlmsghdr*>(message.data());
  const bool dump = (req->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
  const std::uint32_t seq = next_seq();
  req->nlmsg_seq = seq;
  req->nlmsg_pid = 0;
  req->nlmsg_flags |= NLM_F_REQUEST;
  if (!dump) {
    req->nlmsg_flags |= NLM_F_ACK;  // the ack ends the exchange
  }
  if (auto sent = send(message); !sent) {
    return fail(NlError{sent.error(), "send: " + errno_text(sent.error())});
  }
  bool interrupted = false;
  for (;;) {
    auto rx = receive();
    if (!rx) {
      const int e = rx.error();
      return fail(NlError{e, (e == EAGAIN ? std::string("timed out") : errno_text(e)) +
                                 " while waiting for the kernel's reply"});
    }
    int remaining = static_cast<int>(rx->size());
    for (auto* hdr = reinterpret_cast<nlmsghdr*>(rx->data()); nlmsg_ok(hdr, remaining);
         hdr = nlmsg_next(hdr, &remaining)) {
      if (hdr->nlmsg_seq != seq) {
        continue;  // a late reply to an abandoned earlier request
      }
      if ((hdr->nlmsg_flags & NLM_F_DUMP_INTR) != 0) {
        interrupted = true;
      }
      if (hdr->nlmsg_type == NLMSG_DONE) {
        int status = 0;
        if (nlmsg_datalen(hdr) >= static_cast<int>(sizeof(status))) {
          std::memcpy(&status, nlmsg_data(hdr), sizeof(status));
        }
        if (status < 0) {
          return fail(NlError{-status, errno_text(-status)});
        }
        if (interrupted) {
          return fail(NlError{EAGAIN, "dump interrupted by a concurrent change"});
        }
        return {};
      }
      if (hdr->nlmsg_type == NLMSG_ERROR) {
        NlAck ack;
        if (!parse_ack(*hdr, ack)) {
          return fail(NlError{EPROTO, "truncated netlink error message"});
        }
        if (ack.error == 0) {
          if (!dump) {
            return {};
          }
          continue;
        }
        std::string text = errno_text(ack.error);
        if (!ack.ext_msg.empty()) {
          text += "; kernel: " + ack.ext_msg;
        }
        return fail(NlError{ack.error, std::move(text)});
      }
      if (hdr->nlmsg_type < NLMSG_MIN_TYPE) {
        continue;  // NOOP / OVERRUN
      }
      on_message(*hdr);
    }
  }
}

}  // namespace calico::netlink
