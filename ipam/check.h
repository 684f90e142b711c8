// ipam::check / ipam::repair: IPAM consistency and garbage collection (research doc
// calico-model.md 3.8-3.9), over a datastore::Datastore.
//
//   auto report = ipam::check(ds, {});            // read-only
//   std::cout << report->to_text();              // "Check complete; found 3 problems."
//   auto fixed = ipam::repair(ds, allocator, *report);
//
// check() reads every block, handle, affinity, node, pool and workload endpoint once and
// reports:
//   leaked allocation      an allocation no workload / node tunnel uses (CheckOptions::in_use
//                          decides; by default: a WorkloadEndpoint lists the IP, or a
//                          Node's tunnel address is the IP, or the handle is a tunnel handle
//                          of an existing node)
//   in use, not allocated  a workload IP inside a pool with no allocation
//   duplicate allocation   one address in two blocks (overlapping blocks)
//   orphaned handle        a handle no allocation references
//   missing handle         allocations whose handle object does not exist
//   handle mismatch        a handle whose per-block counts differ from the blocks
//   corrupt block          a block failing its consistency check (never repaired)
//   deleted node affinity  an affinity whose node does not exist
//   stale affinity         an affinity whose block is missing or owned by another host, or
//                          left pending / pendingDeletion
//   unclaimed block        a block affine to a host with no affinity object
// repair() fixes what is safe: releases leaked allocations with their handle and sequence
// number (so an address reallocated since the check is not freed), deletes orphaned
// handles and rewrites mismatched ones with a CAS on the revision the check saw, releases
// affinities of deleted nodes (their non-empty blocks become orphans; allocations stay),
// removes stale affinities and re-creates missing ones.  Run it when no allocation is in
// flight (Calico locks the datastore for this) or accept that an in-flight claim can look
// like a stale affinity.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "datastore/datastore.h"
#include "ipam/allocator.h"

namespace calico::ipam {

enum class ProblemKind : std::uint8_t {
  LeakedAllocation,
  InUseNotAllocated,
  DuplicateAllocation,
  OrphanedHandle,
  MissingHandle,
  HandleMismatch,
  CorruptBlock,
  DeletedNodeAffinity,
  StaleAffinity,
  UnclaimedBlock,
};
std::string_view to_string(ProblemKind kind);

struct Problem {
  ProblemKind kind = ProblemKind::LeakedAllocation;
  std::string detail;  // one line for humans
  std::optional<net::IpAddr> ip;
  std::string handle;
  std::optional<std::uint64_t> sequence;  // of a leaked allocation
  std::string host;
  std::optional<net::Cidr> block;
  std::string revision;  // of the handle / affinity as the check saw it
};

struct CheckReport {
  std::size_t blocks = 0;
  std::size_t allocations = 0;
  std::size_t handles = 0;
  std::size_t affinities = 0;
  std::size_t in_use_ips = 0;
  std::vector<Problem> problems;

  bool clean() const { return problems.empty(); }
  std::size_t count(ProblemKind kind) const;
  std::string to_text() const;
};

struct CheckOptions {
  // Overrides "is this allocation in use" (tests; controllers with their own view).
  std::function<bool(const std::string& handle, const net::IpAddr& ip)> in_use;
  // Overrides "does this node exist" (default: a Node object of that name exists).
  std::function<bool(const std::string& node)> node_exists;
};

Result<CheckReport, IpamError> check(datastore::Datastore& ds, const CheckOptions& opts = {});

struct RepairSummary {
  std::size_t released_ips = 0;
  std::size_t handles_deleted = 0;
  std::size_t handles_rewritten = 0;
  std::size_t affinities_released = 0;
  std::size_t affinities_created = 0;
  std::vector<std::string> skipped;  // problems left alone, and why
};

Result<RepairSummary, IpamError> repair(datastore::Datastore& ds, const Allocator& allocator,
                                        const CheckReport& report);

}  // namespace calico::ipam
