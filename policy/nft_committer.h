// NftCommitter: the seam between the policy dataplane logic and the kernel's nftables.
//
// The real adapter is netlink::NftCommitter (netlink/nft_committer.h, libnftnl/libmnl);
// logic code depends only on this interface, so it can be driven by a fake in tests.
//
// Contract:
//   - commit(batch): applies every op of the batch to the table batch.table as ONE kernel
//     transaction: all of it or nothing.  On failure the error names the op (and the
//     element, for element ops) the kernel refused, in nft syntax, with the errno text:
//     "add rule inet calico fw-x jump nope ...: No such file or directory".
//   - read_table(name): the table as the kernel has it, for a start-up resync:
//     diff(read_table(name), want).  An absent table is a plan with table_exists = false.
//     Sets and maps come back with their elements in canonical form; rules come back as
//     (handle, fingerprint) only (NftRule::kernel_fingerprint), which is what diff() needs.
//   - delete_table(name): removes the table and everything in it; absent is success.
// Only the named table is ever read or written: tables we do not own are never touched.
//
// Thread affinity: one thread at a time.  Errors are values (no exceptions).
#pragma once

#include <string>

#include "common/result.h"
#include "policy/nft_model.h"

namespace calico::policy {

class NftCommitter {
 public:
  virtual ~NftCommitter() = default;

  virtual Result<void, std::string> commit(const NftBatch& batch) = 0;
  virtual Result<NftPlan, std::string> read_table(const std::string& name) = 0;
  virtual Result<void, std::string> delete_table(const std::string& name) = 0;
};

}  // namespace calico::policy
