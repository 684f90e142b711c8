// Pool selection, block enumeration, reservations and the block cap: the pure decisions of
// Calico's AutoAssign before any datastore write (research doc calico-model.md 3.2-3.3).
//
//   auto pools = select_pools(all_pools, {.family = V4, .node_labels = node.labels,
//                                         .use = IntendedUse::Workload});
//   for (const api::IPPool* p : *pools) {
//     BlockWalk walk(*p, "worker-1");              // this host's fixed starting block
//     for (std::size_t i = 0; i < walk.count(); ++i) { net::Cidr block = walk.at(i); ... }
//   }
//
// Deviation: Calico starts each host's walk at a pseudo-random block from Go's math/rand
// seeded with the 32-bit FNV-1 hash of the hostname; we start at fnv1(hostname) mod the
// number of blocks.  Both give every host its own fixed start; the exact start differs
// (it is not stored anywhere, so compatibility does not depend on it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/resources/ippool.h"
#include "api/resources/ipreservation.h"
#include "common/net/ip.h"
#include "common/result.h"

namespace calico::ipam {

enum class IntendedUse : std::uint8_t { Workload, Tunnel, LoadBalancer };
std::string_view to_string(IntendedUse use);

struct PoolRequest {
  net::Family family = net::Family::V4;
  std::map<std::string, std::string> node_labels;
  std::map<std::string, std::string> namespace_labels;  // of the pod's namespace
  // Pools the caller named (CNI ipv4_pools / annotations), as CIDRs or pool names; used as
  // given (their node and namespace selectors are ignored, Manual pools allowed).
  std::vector<std::string> requested;
  IntendedUse use = IntendedUse::Workload;
};

// True unless the pool is disabled or being deleted.
bool pool_enabled(const api::IPPool& pool);

// The pools to allocate from, in name order.  Errors: a requested pool that does not exist,
// is of the other family or is disabled; no pool qualifies ("no IPv4 pools usable by this
// node for Workload addresses").
Result<std::vector<const api::IPPool*>, std::string> select_pools(
    const std::vector<api::IPPool>& pools, const PoolRequest& request);

// True if the pool's nodeSelector (empty = all) selects a node with these labels.
bool selects_node(const api::IPPool& pool, const std::map<std::string, std::string>& labels);

// The pool's block size (spec or the family default).
int block_size(const api::IPPool& pool);

// The block-sized CIDRs of a pool, walked from a per-host start with wrap-around.
class BlockWalk {
 public:
  BlockWalk(const api::IPPool& pool, const std::string& host);
  std::size_t count() const { return count_; }
  net::Cidr at(std::size_t i) const;  // i in [0, count)
  // Where `block` (a block-sized CIDR inside the pool) comes in the walk: at(position(b)) == b.
  std::size_t position(const net::Cidr& block) const;

 private:
  net::Cidr pool_;
  int block_size_ = 26;
  std::size_t count_ = 0;
  std::size_t start_ = 0;
};

// 32-bit FNV-1 (not 1a), as Calico hashes host names.
std::uint32_t fnv1_32(const std::string& data);

// Addresses no allocation may use: the CIDRs of every IPReservation.
class Reservations {
 public:
  Reservations() = default;
  // Errors name the reservation and the bad CIDR.
  static Result<Reservations, std::string> from(const std::vector<api::IPReservation>& all);
  bool reserved(const net::IpAddr& ip) const;
  bool covers(const net::Cidr& block) const;  // every address of the block is reserved
  bool empty() const { return cidrs_.empty(); }

 private:
  std::vector<net::Cidr> cidrs_;
};

// How many blocks a host may own: min of the request's and the configuration's limits,
// where 0 or unset means "not set"; 20 if neither is set.
std::size_t block_cap(std::optional<int> request_max, std::optional<int> config_max);

}  // namespace calico::ipam
