// netlink::NftCommitter: the socket and one-datagram nftables transactions over
// NETLINK_NETFILTER (libmnl socket, libnftnl objects).  read_table() lives in nft_read.cpp.
// Contract in nft_committer.h.
#include "netlink/nft_committer.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <ctime>
#include <functional>
#include <optional>
#include <tuple>
#include <vector>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "netlink/netns_thread.h"
#include "netlink/nft_encode.h"
#include "netlink/nft_ptr.h"
#include "netlink/nl_socket.h"

namespace calico::netlink {
namespace {

using policy::NftBatch;
using policy::NftKey;
using policy::NftPlan;
using policy::NftType;
using policy::NftValue;
using policy::NftVerdict;

constexpr int kReceiveBufferBytes = 16 << 20;  // error/ack replies of the largest batch
constexpr std::size_t kReceiveChunkBytes = 128 << 10;
constexpr int kReceiveTimeoutSeconds = 10;
constexpr std::size_t kElementsInErrors = 3;

// One NLMSG_ERROR reply.
struct KernelError {
  std::uint32_t seq = 0;
  int error = 0;  // positive errno; 0 = ack
  std::string message;
  std::optional<std::uint32_t> offset;  // NLMSGERR_ATTR_OFFS
};

std::optional<KernelError> parse_error(const nlmsghdr* hdr) {
  if (hdr->nlmsg_type != NLMSG_ERROR || hdr->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) {
    return std::nullopt;
  }
  const auto* data = static_cast<const std::uint8_t*>(mnl_nlmsg_get_payload(hdr));
  const std::size_t datalen = hdr->nlmsg_len - NLMSG_HDRLEN;
  nlmsgerr err{};
  std::memcpy(&err, data, sizeof(err));
  KernelError out;
  out.seq = hdr->nlmsg_seq;
  out.error = -err.error;
  if ((hdr->nlmsg_flags & NLM_F_ACK_TLVS) == 0) {
    return out;
  }
  std::size_t off = sizeof(nlmsgerr);
  if ((hdr->nlmsg_flags & NLM_F_CAPPED) == 0 && err.msg.nlmsg_len > sizeof(nlmsghdr)) {
    off += err.msg.nlmsg_len - sizeof(nlmsghdr);
  }
  off = NLMSG_ALIGN(off);
  while (off + sizeof(nlattr) <= datalen) {
    nlattr attr{};
    std::memcpy(&attr, data + off, sizeof(attr));
    if (attr.nla_len < sizeof(nlattr) || off + attr.nla_len > datalen) {
      break;
    }
    const std::uint8_t* payload = data + off + NLA_HDRLEN;
    const std::size_t len = attr.nla_len - NLA_HDRLEN;
    if (attr.nla_type == NLMSGERR_ATTR_MSG && len > 0) {
      const auto* text = reinterpret_cast<const char*>(payload);
      out.message.assign(text, ::strnlen(text, len));
    } else if (attr.nla_type == NLMSGERR_ATTR_OFFS && len >= sizeof(std::uint32_t)) {
      std::uint32_t v = 0;
      std::memcpy(&v, payload, sizeof(v));
      out.offset = v;
    }
    off += NLA_ALIGN(attr.nla_len);
  }
  return out;
}

// The op (narrowed to the failing element when known) in nft syntax.
std::string describe_op(const NftBatch& batch, const NftEncodedBatch& enc, const KernelError& e) {
  if (e.seq == enc.begin_seq || e.seq == enc.end_seq) {
    return "transaction of " + std::to_string(batch.ops.size()) + " ops on table inet " +
           batch.table;
  }
  auto it =
      std::lower_bound(enc.messages.begin(), enc.messages.end(), e.seq,
                       [](const NftEncodedMessage& m, std::uint32_t seq) { return m.seq < seq; });
  if (it == enc.messages.end() || it->seq != e.seq) {
    return "message " + std::to_string(e.seq) + " of the transaction";
  }
  const policy::NftOp& op = batch.ops[it->op];
  // Element ops: keep only the failing element (from the attribute offset) or a few.
  auto narrow = [&](auto elements_of) {
    auto copy = op;
    auto& elements = elements_of(copy);
    const std::size_t total = elements.size();
    std::optional<std::size_t> index;
    if (e.offset) {
      for (const auto& [offset, logical] : it->elements) {
        if (offset <= *e.offset) {
          index = logical;
        }
      }
    }
    if (index && *index < total) {
      elements = {elements[*index]};
      return policy::format_op(batch.table, copy);
    }
    if (total > kElementsInErrors) {
      elements.resize(kElementsInErrors);
      return policy::format_op(batch.table, copy) + " (first " + std::to_string(kElementsInErrors) +
             " of " + std::to_string(total) + " elements)";
    }
    return policy::format_op(batch.table, copy);
  };
  if (std::holds_alternative<policy::NftSetElements>(op)) {
    return narrow(
        [](policy::NftOp & o) -> auto& { return std::get<policy::NftSetElements>(o).elements; });
  }
  if (std::holds_alternative<policy::NftMapElements>(op)) {
    return narrow(
        [](policy::NftOp & o) -> auto& { return std::get<policy::NftMapElements>(o).elements; });
  }
  return policy::format_op(batch.table, op);
}

std::string error_text(const KernelError& e) {
  std::string text = errno_text(e.error);
  if (!e.message.empty()) {
    text += "; kernel: " + e.message;
  }
  return text;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Socket

Result<void, std::string> NftCommitter::connect_here() {
  MnlSocketPtr sock(mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC));
  if (!sock) {
    return fail("socket(NETLINK_NETFILTER): " + errno_text(errno));
  }
  if (mnl_socket_bind(sock.get(), 0, MNL_SOCKET_AUTOPID) < 0) {
    return fail("bind(NETLINK_NETFILTER): " + errno_text(errno));
  }
  const int fd = mnl_socket_get_fd(sock.get());
  const int one = 1;
  // Best effort: without them errors are still reported, only less precisely.
  (void)::setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
  (void)::setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
  const int rcvbuf = kReceiveBufferBytes;
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0) {
    (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  }
  timeval timeout{};
  timeout.tv_sec = kReceiveTimeoutSeconds;
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)) != 0) {
    return fail("setsockopt(SO_RCVTIMEO): " + errno_text(errno));
  }
  socklen_t len = sizeof(sndbuf_);
  (void)::getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf_, &len);
  portid_ = mnl_socket_get_portid(sock.get());
  seq_ = static_cast<std::uint32_t>(::time(nullptr));
  sock_ = sock.release();
  return {};
}

Result<std::unique_ptr<NftCommitter>, std::string> NftCommitter::open(const std::string& netns) {
  std::unique_ptr<NftCommitter> c(new NftCommitter());
  c->netns_ = netns;
  // The socket is created on run_in_netns's helper thread and keeps that namespace.
  if (auto connected = run_in_netns(netns, [&] { return c->connect_here(); }); !connected) {
    return fail(connected.error());
  }
  return c;
}

NftCommitter::~NftCommitter() {
  if (sock_ != nullptr) {
    (void)mnl_socket_close(sock_);
  }
}

Result<void, std::string> NftCommitter::grow_send_buffer(std::size_t bytes) {
  // netlink refuses a datagram larger than the send buffer (minus a little).
  const std::size_t needed = bytes + (64 << 10);
  if (needed > INT_MAX / 2) {
    return fail("transaction of " + std::to_string(bytes) + " bytes is too large");
  }
  if (needed <= static_cast<std::size_t>(sndbuf_)) {
    return {};
  }
  const int fd = mnl_socket_get_fd(sock_);
  const int want = static_cast<int>(needed);
  if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &want, sizeof(want)) != 0 &&
      ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof(want)) != 0) {
    return fail("setsockopt(SO_SNDBUF): " + errno_text(errno));
  }
  socklen_t len = sizeof(sndbuf_);
  (void)::getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf_, &len);
  return {};
}

// ---------------------------------------------------------------------------------------
// Transactions

Result<void, NftCommitter::Failure> NftCommitter::send_batch(const NftBatch& batch) {
  NftEncodedBatch enc = encode_batch(batch, seq_ + 1);
  seq_ = enc.end_seq;
  // Ask the kernel to ack the batch end: a positive "processed" signal.
  auto* end = reinterpret_cast<nlmsghdr*>(enc.bytes.data() + enc.bytes.size() -
                                          NLMSG_ALIGN(sizeof(nlmsghdr) + sizeof(nfgenmsg)));
  CALICO_CHECK(end->nlmsg_seq == enc.end_seq);
  end->nlmsg_flags |= NLM_F_ACK;
  if (auto grown = grow_send_buffer(enc.bytes.size()); !grown) {
    return fail(Failure{EMSGSIZE, grown.error()});
  }
  if (mnl_socket_sendto(sock_, enc.bytes.data(), enc.bytes.size()) < 0) {
    const int e = errno;
    return fail(Failure{e, "sending the transaction (" + std::to_string(enc.bytes.size()) +
                               " bytes): " + errno_text(e)});
  }
  // The kernel ran the whole batch inside sendmsg(), so every reply is queued by now:
  // drain without blocking.  Kernels >= 6.10 ack the batch end of a committed batch.
  std::vector<std::uint8_t> buf(kReceiveChunkBytes);
  std::vector<KernelError> errors;
  const int fd = mnl_socket_get_fd(sock_);
  for (;;) {
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        break;
      }
      const int e = errno;
      return fail(Failure{e, "reading the kernel's verdict on the transaction: " + errno_text(e) +
                                 " (outcome unknown; resync)"});
    }
    int remaining = static_cast<int>(n);
    for (auto* hdr = reinterpret_cast<nlmsghdr*>(buf.data()); mnl_nlmsg_ok(hdr, remaining);
         hdr = mnl_nlmsg_next(hdr, &remaining)) {
      auto err = parse_error(hdr);
      if (err && err->error != 0 && err->seq >= enc.begin_seq && err->seq <= enc.end_seq) {
        errors.push_back(std::move(*err));
      }
    }
  }
  if (errors.empty()) {
    return {};
  }
  std::sort(errors.begin(), errors.end(),
            [](const KernelError& a, const KernelError& b) { return a.seq < b.seq; });
  // The batch-begin seq carries commit-phase failures; an op's own error is more precise.
  const KernelError& first =
      errors.size() > 1 && errors[0].seq == enc.begin_seq ? errors[1] : errors[0];
  std::string text = describe_op(batch, enc, first) + ": " + error_text(first);
  if (errors.size() > 1) {
    text += " (" + std::to_string(errors.size() - 1) + " more errors in the transaction)";
  }
  return fail(Failure{first.error, std::move(text)});
}

Result<void, std::string> NftCommitter::commit(const NftBatch& batch) {
  if (batch.ops.empty()) {
    return {};
  }
  if (batch.table.empty() || batch.table.size() > 255) {
    return fail("invalid table name '" + batch.table + "'");
  }
  auto sent = send_batch(batch);
  if (!sent) {
    return fail(std::move(sent.error().second));
  }
  return {};
}

Result<void, std::string> NftCommitter::delete_table(const std::string& name) {
  NftBatch batch;
  batch.table = name;
  batch.ops.emplace_back(policy::NftDeleteTable{});
  auto sent = send_batch(batch);
  if (!sent && sent.error().first != ENOENT) {
    return fail(std::move(sent.error().second));
  }
  return {};
}

}  // namespace calico::netlink
