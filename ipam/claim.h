// Block claiming and block writes shared by assignment and release (internal to ipam/).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ipam/operation.h"

namespace calico::ipam {

enum class ClaimOutcome : std::uint8_t {
  Claimed,  // the block exists, is affine to the host, and the affinity is confirmed
  Lost,     // another host owns the block, or the affinity is being deleted: pick another
};

// Claims `cidr` for `host`: affinity pending -> create the block -> affinity confirmed.
// Also repairs a claim a crashed process left half done (pending affinity without block,
// or a block affine to the host without a confirmed affinity).
Result<ClaimOutcome, IpamError> claim_block(Operation& op, const std::string& host,
                                            const net::Cidr& cidr);

// Takes addresses in a block for a handle: mutates the block and returns the addresses
// taken (none: the block is full), or an error that ends the call.
using BlockTake = std::function<Result<std::vector<net::IpAddr>, IpamError>(Block&)>;

// The CAS loop of every allocation in an existing block: read the block (with a cache,
// the first attempt starts from the remembered copy; a stale copy fails its CAS), `take`,
// count the addresses on the handle, write the block; on a lost CAS, again from a fresh
// read.  With `require_host`, only while the block is still affine to that host.  Returns
// what it got (empty when the block is full, gone or no longer ours).
Result<std::vector<AssignedIp>, IpamError> assign_in_block(
    Operation& op, const net::Cidr& cidr, const std::string& handle_id, const BlockTake& take,
    const std::optional<std::string>& require_host, AllocCache* cache);

// assign_in_block taking up to `n` addresses from the head of the free queue, skipping
// reserved ones.
Result<std::vector<AssignedIp>, IpamError> assign_from_block(
    Operation& op, const net::Cidr& cidr, std::size_t n, const std::string& handle_id,
    const Attrs& attrs, const Reservations& reservations,
    const std::optional<std::string>& require_host, AllocCache* cache = nullptr);

// Writes a modified block (CAS on `revision`); an empty unaffine block is deleted instead
// when `delete_if_empty_unaffine`.  Returns the new revision ("" when deleted).  A write
// whose outcome is unknown is resolved by re-reading with `landed`.  `meta` is the stored
// object's metadata (StoredBlock::meta), kept as it is.
Result<std::string, datastore::StoreError> write_block(Operation& op, const Block& block,
                                                       const std::string& revision,
                                                       bool delete_if_empty_unaffine,
                                                       const api::ObjectMeta& meta = {});

// Releases `host`'s affinity to `cidr` (research doc 3.6): affinity pendingDeletion ->
// block deleted when empty, else orphaned -> affinity deleted.  See
// Allocator::release_affinity for the options.
Result<void, IpamError> release_affinity_op(Operation& op, const std::string& host,
                                            const net::Cidr& cidr, bool require_empty,
                                            std::optional<std::uint64_t> required_sequence);

// The enabled pool that contains `ip` (or, with include_disabled, any pool).
const api::IPPool* pool_containing(const std::vector<api::IPPool>& pools, const net::IpAddr& ip,
                                   bool include_disabled);
// The block-sized CIDR of `pool` holding `ip`.
net::Cidr block_of(const api::IPPool& pool, const net::IpAddr& ip);

}  // namespace calico::ipam
