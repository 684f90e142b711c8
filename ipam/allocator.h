// ipam::Allocator: Calico's block IPAM over a datastore::Datastore, as libcalico-go's
// ipam.go and ipam_block_reader_writer.go do it (research doc calico-model.md 3.3-3.6), so
// that Calico's tools read what we write and we read what they write.
//
//   datastore::EtcdDatastore ds(config);
//   ipam::Allocator ipam(ds);
//   auto r = ipam.auto_assign({.num4 = 1, .handle_id = "k8s-pod-network.<cid>",
//                              .attrs = {{"node", "worker-1"}, {"pod", "web-1"}},
//                              .host = "worker-1"});
//   if (!r) { r.error().message == "no addresses available in pools [10.244.0.0/16]" }
//   ipam.release_by_handle("k8s-pod-network.<cid>");
//
// Correctness between processes rests only on the datastore: every mutation is a
// compare-and-swap on the object's stored revision (creates fail if the key exists), with
// at most `max_retries` attempts per object and jittered backoff between attempts.  No
// in-process lock is held; several Allocators (threads, processes, hosts) may run at once.
//
// Write order (each step a CAS, so a crash between steps leaves something `check` finds):
//   claim a block:   affinity `pending` -> create block (affinity host:H) -> affinity
//                    `confirmed`
//   allocate:        handle +n and block (n ordinals taken) in one transaction when the
//                    datastore supports write_all (etcd); otherwise handle +n -> block,
//                    the handle rolled back if the block write fails
//   release:         block (ordinals freed; empty unaffine blocks deleted) -> handle -n
//   release a block: affinity `pendingDeletion` -> block deleted (empty) or orphaned
//                    (affinity null) -> affinity deleted
// A write whose outcome is unknown (datastore unreachable after sending) is checked by
// re-reading: a block write landed if the stored block carries our allocation at the
// sequence number we wrote.
//
// Deviations from Calico, all on the safe side: the handle is incremented by the number of
// addresses obtained, not requested; a request that cannot be fully met releases what it
// got and fails (Calico returns a partial result that its CNI plugin then releases);
// pending affinities are confirmed without rewriting the block; handle and block are one
// transaction on etcd; the per-host block walk starts at a well-spread hash of the host
// name, not at Calico's exact PRNG start.
//
// Thread-safe: an Allocator holds no mutable state besides its options and the optional
// cache of cluster-wide settings (view_ttl), guarded by a mutex.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "datastore/datastore.h"
#include "ipam/block.h"
#include "ipam/pools.h"

namespace calico::ipam {

enum class IpamErrc : std::uint8_t {
  InvalidArgument,   // bad request (no handle, bad CIDR, negative count)
  NoQualifiedPool,   // no enabled pool of the family selects this node / namespace / use
  NoAddresses,       // every usable pool is full
  BlockLimit,        // the host owns maxBlocksPerHost blocks and they are full
  NotInPool,         // AssignIP: the address is in no enabled pool
  AlreadyAllocated,  // AssignIP: the address is taken
  StrictAffinity,    // AssignIP: the block belongs to another host and strictAffinity is on
  HandleNotFound,    // release_by_handle: no such handle (CNI DEL treats it as success)
  Mismatch,          // release: handle or sequence number differs from what the block holds
  BlockNotEmpty,     // release_affinity(require_empty) of a block with allocations
  Corrupt,           // a stored object fails its consistency check; nothing was written
  Datastore,         // the datastore failed (after retries): unreachable, invalid, ...
  Contention,        // `max_retries` CAS conflicts in a row
  Timeout,           // the operation's deadline passed
};
std::string_view to_string(IpamErrc code);

struct IpamError {
  IpamErrc code = IpamErrc::Datastore;
  std::string message;  // names the addresses, pools, blocks or objects concerned
};

class AllocCache;  // ipam/operation.h

struct AllocatorOptions {
  int max_retries = 100;  // CAS attempts per object (Calico's datastoreRetries)
  std::chrono::milliseconds backoff_initial{2};
  std::chrono::milliseconds backoff_max{1000};
  // Whole-operation deadline (Calico's CNI allows 90 s).
  std::chrono::milliseconds timeout{90000};
  // Release a host's affinity to a block that a release left empty, unless it is the
  // host's last block of that family.
  bool free_empty_blocks = true;
  // How long the pools, reservations and IPAMConfiguration read by one call may be reused
  // by later calls of the same Allocator.  0 (default): read them on every call, as
  // Calico's CNI plugin does.  A long-running allocator can set a few seconds: a pool
  // change is then seen that much later; addresses stay safe (every write is a CAS).  The
  // same setting lets the Allocator remember each host's affinities for that long and the
  // blocks it last wrote (a write from a stale copy fails its CAS and re-reads).
  std::chrono::milliseconds view_ttl{0};
  // Test hooks: the clock (claim times, sequence numbers) and sleeping between retries.
  std::function<std::chrono::system_clock::time_point()> now;
  std::function<void(std::chrono::milliseconds)> sleep;
};

// One assigned address; `block` gives the prefix length Calico returns (10.244.3.66/26).
struct AssignedIp {
  net::IpAddr ip;
  net::Cidr block;
  std::string to_string() const;  // "10.244.3.66/26"
};

struct AutoAssignRequest {
  int num4 = 0;
  int num6 = 0;
  std::string handle_id;
  Attrs attrs;  // secondary attributes: node, pod, namespace, timestamp...
  std::string host;
  // Pools (names or CIDRs) the caller asks for; used as given (selectors ignored).
  std::vector<std::string> ipv4_pools;
  std::vector<std::string> ipv6_pools;
  std::optional<int> max_blocks_per_host;
  IntendedUse use = IntendedUse::Workload;
  std::map<std::string, std::string> namespace_labels;  // for pools' namespaceSelector
};

struct AutoAssignResult {
  std::vector<AssignedIp> ipv4;
  std::vector<AssignedIp> ipv6;
};

struct AssignIpRequest {
  net::IpAddr ip;
  std::string handle_id;
  Attrs attrs;
  std::string host;
  IntendedUse use = IntendedUse::Workload;
};

struct ReleaseSummary {
  std::vector<net::IpAddr> released;
  std::vector<net::IpAddr> not_allocated;  // already free, or in no block: not an error
};

class Allocator {
 public:
  explicit Allocator(datastore::Datastore& ds, AllocatorOptions options = {});

  // Allocates num4 IPv4 then num6 IPv6 addresses for `host` under one handle.  All or
  // nothing: on any error, addresses this call obtained are released again.
  Result<AutoAssignResult, IpamError> auto_assign(const AutoAssignRequest& req) const;
  // Allocates exactly req.ip (claiming its block for req.host if the block does not exist).
  Result<AssignedIp, IpamError> assign_ip(const AssignIpRequest& req) const;

  // Releases addresses (idempotent: free addresses are reported in not_allocated).  With a
  // handle or sequence number, the release of that address's block fails (Mismatch) rather
  // than free an address that was reallocated to someone else.
  Result<ReleaseSummary, IpamError> release_ips(const std::vector<ReleaseRequest>& reqs) const;
  // Releases every address of the handle and deletes the handle.  HandleNotFound if the
  // handle does not exist.
  Result<std::vector<net::IpAddr>, IpamError> release_by_handle(const std::string& handle_id) const;
  // The addresses a handle holds.
  Result<std::vector<net::IpAddr>, IpamError> ips_by_handle(const std::string& handle_id) const;

  // Releases `host`'s affinity to `block`: the block is deleted if empty, else orphaned
  // (affinity null; its addresses stay allocated).  With require_empty, a non-empty block
  // is refused (BlockNotEmpty); with required_sequence, the release aborts (Mismatch) if the
  // block has been written since.  A missing affinity is success.
  Result<void, IpamError> release_affinity(
      const std::string& host, const net::Cidr& block, bool require_empty,
      std::optional<std::uint64_t> required_sequence = {}) const;
  // Releases every affinity of `host` (node removal); returns the blocks released.
  Result<std::vector<net::Cidr>, IpamError> release_host_affinities(const std::string& host,
                                                                    bool require_empty) const;

  const AllocatorOptions& options() const { return opts_; }

 private:
  datastore::Datastore& ds_;
  AllocatorOptions opts_;
  std::shared_ptr<AllocCache> cache_;  // used only when view_ttl > 0
};

}  // namespace calico::ipam
