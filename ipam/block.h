// ipam::Block: the pure operations on one IPAMBlock, as Calico's ipam_block.go does them
// (research doc calico-model.md section 3), so that blocks we write are blocks Calico reads
// and the other way round.
//
//   Block b = Block::create(*net::Cidr::parse("10.244.3.64/26"), "host:worker-1", now, seq);
//   auto ips = b.assign(1, "k8s-pod-network.abc", {{"pod", "web-1"}}, no_reservations);
//   auto freed = b.release({ips[0]});          // freed.per_handle["k8s-pod-network.abc"] == 1
//   store.cas_write(b.spec(), revision);       // the caller owns the datastore round trip
//
// Semantics (Calico <= 3.32, no IP cooldown):
//   - ordinal o is address base+o; allocations[o] indexes `attributes` (null = free);
//     `unallocated` is a FIFO of free ordinals: assign pops from the head (skipping, and
//     leaving in place, reserved addresses), release appends to the tail;
//   - identical attribute objects ({handle_id, secondary}) are shared by ordinals; an
//     attribute no longer referenced is removed and the indices compacted;
//   - every mutation counts as one write: sequenceNumber is incremented, and an allocated
//     ordinal records the sequence number it was allocated at
//     (sequenceNumberForAllocation), which a release may check;
//   - no address is reserved inside a block (ordinal 0 and the last ordinal are usable).
// from_spec() checks a stored block's consistency so that a corrupted or foreign object is
// reported instead of being "repaired" into a duplicate allocation.
//
// Plain value type; no I/O; safe to copy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/resources/ipam_block.h"
#include "common/net/ip.h"
#include "common/result.h"

namespace calico::ipam {

using Attrs = std::map<std::string, std::string>;
// True for an address that must not be handed out (IPReservations).
using ReservedFn = std::function<bool(const net::IpAddr&)>;

// One address to release; a handle or sequence number, when given, must match what the
// block holds or the whole release fails (Calico's ErrorBadHandle / ErrorBadSequenceNumber).
struct ReleaseRequest {
  net::IpAddr ip;
  std::optional<std::string> handle;
  std::optional<std::uint64_t> sequence_number;
};

struct ReleaseResult {
  std::map<std::string, int> per_handle;  // handle -> addresses freed (for the handle CAS)
  std::vector<net::IpAddr> released;
  std::vector<net::IpAddr> not_allocated;  // already free: reported, not an error
};

class Block {
 public:
  // A new block: every ordinal free, in order.  `affinity` "host:<node>" or
  // "virtual:<name>" (nullopt: unaffine), `claim_time` RFC 3339, `sequence` the creation
  // time in Unix nanoseconds as Calico seeds it.
  static Block create(const net::Cidr& cidr, std::optional<std::string> affinity,
                      std::string claim_time, std::uint64_t sequence);
  // A stored block, checked: the CIDR parses and is masked, allocations has 2^(bits-len)
  // entries, attribute indices are in range, unallocated holds distinct free ordinals and
  // every free ordinal is in it.  The error names the block and what is wrong.
  static Result<Block, std::string> from_spec(api::IPAMBlockSpec spec);

  const api::IPAMBlockSpec& spec() const { return spec_; }
  const net::Cidr& cidr() const { return cidr_; }
  std::size_t size() const { return spec_.allocations.size(); }
  std::size_t allocated_count() const;
  bool empty() const { return allocated_count() == 0; }
  // Free ordinals that are not reserved.
  std::size_t free_count(const ReservedFn& reserved) const;
  // "host:worker-1" -> true for host "worker-1".
  bool affine_to_host(const std::string& host) const;

  bool contains(const net::IpAddr& ip) const { return cidr_.contains(ip); }
  net::IpAddr address(std::size_t ordinal) const;
  std::optional<std::size_t> ordinal(const net::IpAddr& ip) const;
  // The handle holding `ip`, if allocated.
  std::optional<std::string> handle_of(const net::IpAddr& ip) const;
  std::vector<net::IpAddr> addresses_of_handle(const std::string& handle) const;

  // Allocates up to `n` addresses from the head of `unallocated`, skipping reserved ones;
  // returns what it got (fewer when the block runs out).  Nothing changes if it got none.
  std::vector<net::IpAddr> assign(std::size_t n, const std::string& handle, const Attrs& attrs,
                                  const ReservedFn& reserved);
  // Allocates exactly `ip`.  Errors: outside the block; already allocated (naming the
  // holder's handle).
  Result<void, std::string> assign_ip(const net::IpAddr& ip, const std::string& handle,
                                      const Attrs& attrs);
  // Releases the addresses of this block in `requests` (addresses of other blocks are an
  // error).  All or nothing: a handle or sequence-number mismatch fails the whole call.
  Result<ReleaseResult, std::string> release(const std::vector<ReleaseRequest>& requests);
  // Releases every address `handle` holds here; the count freed.
  std::size_t release_handle(const std::string& handle);

 private:
  Block() = default;
  int attribute_index(const std::string& handle, const Attrs& attrs);
  void compact_attributes();
  void take(std::size_t ordinal, int attr);

  api::IPAMBlockSpec spec_;
  net::Cidr cidr_;
};

}  // namespace calico::ipam
