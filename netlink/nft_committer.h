// netlink::NftCommitter: policy::NftCommitter over NETLINK_NETFILTER with libnftnl/libmnl.
//
// open(netns): creates the netlink socket inside the `ip netns` namespace NAME
// (/run/netns/NAME) on a short-lived helper thread (run_in_netns, netlink/netns_thread.h),
// like NetlinkSocket::open, so no caller thread ever changes namespace; "" uses the
// caller's namespace.  The socket keeps its namespace for life.
//
// commit(batch): encodes the batch (netlink/nft_encode.h) and sends it as ONE datagram
//   NFNL_MSG_BATCH_BEGIN ... NFNL_MSG_BATCH_END: the kernel applies all of it or none.
//   The kernel processes a netlink datagram synchronously inside sendmsg(), so once the
//   send returns every reply is already queued: they are drained without blocking (the
//   batch end also asks for an ack, which kernels >= 6.10 send for a committed batch).
//   Each error is mapped back by sequence number to its op and, through the extended
//   ack's attribute offset, to the set element:
//     "add element inet calico s { 10.0.0.1 }: File exists"
//   A failure in the kernel's commit phase (reported on the batch-begin message) names the
//   batch.  An empty batch is a no-op.
//
// read_table(name) (nft_read.cpp): table, chains, sets/maps with elements, and rules of
//   the one table, consistent with one ruleset generation (retried if the generation
//   moves while dumping).  Rules are not decoded into matches: each comes back as its handle and
//   the fingerprint carried in its "cal:" comment (see policy/nft_model.h), which is what diff()
//   compares.  Sets whose key type we do not model come back with an empty key so diff() deletes or
//   rebuilds them.  Anonymous sets are skipped.
//
// delete_table(name): one transaction deleting the table; an absent table is success.
//
// Thread affinity: one thread at a time.  Errors are values.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "common/result.h"
#include "policy/nft_committer.h"

struct mnl_socket;

namespace calico::netlink {

class NftCommitter final : public policy::NftCommitter {
 public:
  static Result<std::unique_ptr<NftCommitter>, std::string> open(const std::string& netns = "");
  ~NftCommitter() override;
  NftCommitter(const NftCommitter&) = delete;
  NftCommitter& operator=(const NftCommitter&) = delete;

  Result<void, std::string> commit(const policy::NftBatch& batch) override;
  Result<policy::NftPlan, std::string> read_table(const std::string& name) override;
  Result<void, std::string> delete_table(const std::string& name) override;

  const std::string& netns() const { return netns_; }

 private:
  // A kernel error: errno value and the message naming the failing op/element.
  using Failure = std::pair<int, std::string>;

  NftCommitter() = default;
  Result<void, std::string> connect_here();
  Result<void, Failure> send_batch(const policy::NftBatch& batch);
  Result<void, std::string> grow_send_buffer(std::size_t bytes);
  class Reader;

  mnl_socket* sock_ = nullptr;  // owned
  std::uint32_t portid_ = 0;
  std::uint32_t seq_ = 0;
  int sndbuf_ = 0;  // bytes the kernel granted
  std::string netns_;
};

}  // namespace calico::netlink
