// ipam::Operation (internal to ipam/): the context of one Allocator call: its deadline and
// retry budget, datastore access with retries on transient errors, and typed reads and
// writes of the IPAM objects.  One Operation per call; not shared between threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/backoff.h"
#include "datastore/datastore.h"
#include "ipam/allocator.h"

namespace calico::ipam {

inline constexpr const char* kAffinityPending = "pending";
inline constexpr const char* kAffinityConfirmed = "confirmed";
inline constexpr const char* kAffinityPendingDeletion = "pendingDeletion";

struct StoredBlock {
  Block block;
  std::string revision;
  // The stored object's metadata (uid, creationTimestamp): written back unchanged so the
  // backend need not re-read the object to preserve it.
  api::ObjectMeta meta;
};

struct StoredAffinity {
  api::BlockAffinity value;
  std::string revision;
  // "" (old data) counts as confirmed.
  bool confirmed() const {
    return value.spec.state == kAffinityConfirmed || value.spec.state.empty();
  }
  bool pending() const { return value.spec.state == kAffinityPending; }
  bool pending_deletion() const { return value.spec.state == kAffinityPendingDeletion; }
};

// Cluster-wide inputs an allocation needs, read once per call.
struct ClusterView {
  api::IPAMConfigurationSpec config;
  std::vector<api::IPPool> pools;  // every pool, enabled or not
  Reservations reservations;
  bool auto_allocate() const { return config.auto_allocate_blocks.value_or(true); }
};

// What an Allocator with view_ttl > 0 remembers between calls.  Only hints: every write
// made from it is a CAS on the remembered revision.
class AllocCache {
 public:
  std::optional<ClusterView> view(std::chrono::milliseconds ttl);
  void set_view(const ClusterView& v);
  std::optional<std::vector<StoredAffinity>> affinities(const std::string& host,
                                                        std::chrono::milliseconds ttl);
  void set_affinities(const std::string& host, std::vector<StoredAffinity> affs);
  void forget_affinities(const std::string& host);
  // A block as this allocator last wrote or read it, if that was less than `ttl` ago.  It
  // serves as the CAS base (a stale one just loses the CAS) and, when full, lets the next
  // allocation skip the block without reading it.
  std::optional<StoredBlock> block(const net::Cidr& cidr, std::chrono::milliseconds ttl);
  void set_block(const StoredBlock& b);
  void forget_block(const net::Cidr& cidr);
  // Forgets the host's affinities and every block hint affine to it; true if there was
  // anything to forget.  Hints may say "full" about blocks freed since: before claiming a
  // new block or reporting exhaustion, the allocator looks again without them.
  bool forget_host(const std::string& host_key, const std::string& host);

 private:
  using Time = std::chrono::steady_clock::time_point;
  std::mutex mu_;
  std::optional<ClusterView> view_;
  Time view_at_;
  std::map<std::string, std::pair<std::vector<StoredAffinity>, Time>> affinities_;
  std::map<net::Cidr, std::pair<StoredBlock, Time>> blocks_;
};

datastore::Key block_key(const net::Cidr& cidr);
datastore::Key affinity_key(const std::string& host, const net::Cidr& cidr);
datastore::Key handle_key(const std::string& handle_id);
std::string host_affinity(const std::string& host);  // "host:<host>"

class Operation {
 public:
  Operation(datastore::Datastore& ds, const AllocatorOptions& opts);
  const AllocatorOptions& options() const { return opts_; }

  // Called before every retry: fails once the attempt budget or the deadline is spent,
  // else sleeps a jittered backoff.  `what` names the object for the error message.
  Result<void, IpamError> retry(int& attempts, const std::string& what);

  // Reads, retried on Unavailable until the deadline.  NotFound (and soft-deleted objects)
  // give nullopt.
  Result<std::optional<datastore::Object>, IpamError> get(const datastore::Key& key);
  Result<std::vector<datastore::Object>, IpamError> list(const datastore::ListOptions& opts);

  // Single write attempts; the caller decides what a Conflict or Unavailable means.
  Result<datastore::Object, datastore::StoreError> create(const api::AnyResource& value);
  Result<datastore::Object, datastore::StoreError> update(const api::AnyResource& value);
  Result<datastore::Object, datastore::StoreError> remove(const datastore::Key& key,
                                                          const std::string& revision);
  // Several writes in one transaction, when the backend can (etcd, the in-memory store).
  bool supports_write_all() const { return ds_.supports_write_all(); }
  Result<std::vector<datastore::Object>, datastore::StoreError> write_all(
      const std::vector<api::AnyResource>& values);

  // Typed reads.  A stored block that fails Block::from_spec is a Corrupt error.
  Result<std::optional<StoredBlock>, IpamError> get_block(const net::Cidr& cidr);
  Result<std::optional<StoredAffinity>, IpamError> get_affinity(const std::string& host,
                                                                const net::Cidr& cidr);
  // The host's affinities of one family (all states).
  Result<std::vector<StoredAffinity>, IpamError> host_affinities(const std::string& host,
                                                                 std::optional<net::Family> family);
  // Every stored block of a family (undecodable or inconsistent ones are skipped: `check`
  // reports them; allocation must not touch them).
  Result<std::vector<StoredBlock>, IpamError> all_blocks(net::Family family);
  Result<ClusterView, IpamError> cluster_view();
  Result<std::map<std::string, std::string>, IpamError> node_labels(const std::string& host);

  // Handle reference count += delta for `block_cidr` (CAS loop; the handle is created when
  // absent and deleted when it holds nothing).  A decrement below zero clamps at zero.
  Result<void, IpamError> adjust_handle(const std::string& handle_id, const std::string& block_cidr,
                                        int delta);

  // Writes an affinity in a new state (CAS on `aff.revision`); returns the stored object.
  Result<datastore::Object, datastore::StoreError> set_affinity_state(const StoredAffinity& aff,
                                                                      const std::string& state);

  std::string now_rfc3339() const;
  std::uint64_t now_ns() const;
  IpamError store_error(const datastore::StoreError& e, const std::string& context) const;

 private:
  datastore::Datastore& ds_;
  const AllocatorOptions& opts_;
  std::chrono::steady_clock::time_point deadline_;
  Backoff backoff_;
};

}  // namespace calico::ipam
