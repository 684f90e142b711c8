// Allocator: AutoAssign and AssignIP (ipam/allocator.h; research doc 3.3-3.4).
#include <algorithm>
#include <chrono>
#include <mutex>
#include <set>
#include <utility>

#include "ipam/allocator.h"
#include "ipam/claim.h"
#include "ipam/operation.h"

namespace calico::ipam {

using datastore::ErrorCode;

namespace {

// An empty block another host claimed at least this long ago may be taken over.
constexpr std::chrono::seconds kEmptyBlockMinReclaimAge{60};
// New-block claims tried per family before giving up (each loses only to a concurrent claim).
constexpr int kMaxClaimAttempts = 100;
// CIDRs of the host's walk probed with single reads before listing every block.
constexpr std::size_t kProbes = 8;

std::string family_name(net::Family f) {
  return f == net::Family::V4 ? "IPv4" : "IPv6";
}

bool has_selector(const std::string& sel) {
  return !sel.empty() && sel != "all()";
}

std::string pool_list(const std::vector<const api::IPPool*>& pools) {
  std::string out = "[";
  for (std::size_t i = 0; i < pools.size(); ++i) {
    out += (i ? ", " : "") + pools[i]->spec.cidr;
  }
  return out + "]";
}

const api::IPPool* pool_of_block(const std::vector<const api::IPPool*>& pools,
                                 const net::Cidr& block) {
  for (const api::IPPool* p : pools) {
    auto c = net::Cidr::parse(p->spec.cidr);
    if (c && c->contains(block) && block_size(*p) == block.prefix_len()) {
      return p;
    }
  }
  return nullptr;
}

// Seconds since an RFC 3339 UTC time; a very large age when absent or unparseable.
std::chrono::seconds age_of(const std::string& rfc3339, std::chrono::system_clock::time_point now) {
  std::tm tm{};
  if (rfc3339.empty() || !strptime(rfc3339.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) {
    return std::chrono::hours(24 * 365);
  }
  const auto t = std::chrono::system_clock::from_time_t(timegm(&tm));
  return std::chrono::duration_cast<std::chrono::seconds>(now - t);
}

// One family of one AutoAssign call.
class FamilyAssign {
 public:
  FamilyAssign(Operation& op, const AllocatorOptions& opts, const ClusterView& view,
               const AutoAssignRequest& req, net::Family family, AllocCache* cache)
      : op_(op), opts_(opts), view_(view), req_(req), family_(family), cache_(cache) {}

  Result<void, IpamError> run(std::size_t num, std::vector<AssignedIp>& out);

 private:
  Result<std::vector<const api::IPPool*>, IpamError> choose_pools();
  Result<void, IpamError> from_affine_blocks(std::size_t& remaining, std::vector<AssignedIp>& out,
                                             std::size_t& owned);
  Result<std::optional<net::Cidr>, IpamError> find_usable_block();
  Result<void, IpamError> borrow(std::size_t& remaining, std::vector<AssignedIp>& out);
  Result<void, IpamError> take(const net::Cidr& cidr, std::size_t& remaining,
                               std::vector<AssignedIp>& out,
                               const std::optional<std::string>& host);

  Operation& op_;
  const AllocatorOptions& opts_;
  const ClusterView& view_;
  const AutoAssignRequest& req_;
  net::Family family_;
  AllocCache* cache_;
  std::vector<const api::IPPool*> pools_;
  std::optional<std::map<std::string, std::string>> node_labels_;
};

Result<std::vector<const api::IPPool*>, IpamError> FamilyAssign::choose_pools() {
  PoolRequest pr;
  pr.family = family_;
  pr.requested = family_ == net::Family::V4 ? req_.ipv4_pools : req_.ipv6_pools;
  pr.use = req_.use;
  pr.namespace_labels = req_.namespace_labels;
  // The Node is only read when a candidate pool selects nodes by label.
  const bool need_labels = pr.requested.empty() &&
                           std::any_of(view_.pools.begin(), view_.pools.end(),
                                       [](auto& p) { return has_selector(p.spec.node_selector); });
  if (need_labels && req_.use != IntendedUse::LoadBalancer) {
    auto labels = op_.node_labels(req_.host);
    if (!labels) {
      return fail(labels.error());
    }
    node_labels_ = *labels;
    pr.node_labels = *labels;
  }
  auto pools = select_pools(view_.pools, pr);
  if (!pools) {
    return fail(IpamError{IpamErrc::NoQualifiedPool, pools.error()});
  }
  return *pools;
}

Result<void, IpamError> FamilyAssign::take(const net::Cidr& cidr, std::size_t& remaining,
                                           std::vector<AssignedIp>& out,
                                           const std::optional<std::string>& host) {
  auto got = assign_from_block(op_, cidr, remaining, req_.handle_id, req_.attrs, view_.reservations,
                               host, cache_);
  if (!got) {
    return fail(got.error());
  }
  remaining -= got->size();
  out.insert(out.end(), got->begin(), got->end());
  return {};
}

Result<void, IpamError> FamilyAssign::from_affine_blocks(std::size_t& remaining,
                                                         std::vector<AssignedIp>& out,
                                                         std::size_t& owned) {
  std::optional<std::vector<StoredAffinity>> cached;
  if (cache_) {
    cached = cache_->affinities(req_.host + "/" + family_name(family_), opts_.view_ttl);
  }
  if (!cached) {
    auto affs = op_.host_affinities(req_.host, family_);
    if (!affs) {
      return fail(affs.error());
    }
    cached = std::move(*affs);
    if (cache_) {
      cache_->set_affinities(req_.host + "/" + family_name(family_), *cached);
    }
  }
  for (const auto& aff : *cached) {
    if (remaining == 0) {
      break;
    }
    auto cidr = net::Cidr::parse(aff.value.spec.cidr);
    if (!cidr || aff.pending_deletion()) {
      continue;
    }
    if (!pool_of_block(pools_, *cidr)) {
      // Not in a pool we may use now.  If its pool is gone, disabled or no longer selects
      // this node, hand the block back when it is empty (best effort).
      const api::IPPool* p = pool_containing(view_.pools, cidr->addr(), true);
      // (node_labels_ is loaded whenever a pool has a nodeSelector and no pool was requested.)
      const bool still_ours =
          p && pool_enabled(*p) &&
          selects_node(*p, node_labels_.value_or(std::map<std::string, std::string>{}));
      if (!still_ours && req_.ipv4_pools.empty() && req_.ipv6_pools.empty()) {
        (void)release_affinity_op(op_, req_.host, *cidr, true, std::nullopt);
      }
      continue;
    }
    ++owned;
    if (view_.reservations.covers(*cidr)) {
      continue;
    }
    if (!aff.confirmed()) {
      auto c = claim_block(op_, req_.host, *cidr);  // repair a half-done claim
      if (!c) {
        return fail(c.error());
      }
      if (*c == ClaimOutcome::Lost) {
        --owned;
        continue;
      }
    }
    if (auto t = take(*cidr, remaining, out, req_.host); !t) {
      return fail(t.error());
    }
  }
  return {};
}

Result<std::optional<net::Cidr>, IpamError> FamilyAssign::find_usable_block() {
  const ReservedFn is_reserved = [&](const net::IpAddr& ip) {
    return view_.reservations.reserved(ip);
  };
  // Cheap path first: probe the first few CIDRs of this host's walk one by one.  In a pool
  // that is not nearly full one of them is free, which saves Calico's LIST of every block
  // (O(blocks) per claim, a known scale problem).
  for (const api::IPPool* pool : pools_) {
    BlockWalk walk(*pool, req_.host);
    for (std::size_t i = 0; i < std::min<std::size_t>(walk.count(), kProbes); ++i) {
      const net::Cidr cidr = walk.at(i);
      if (view_.reservations.covers(cidr)) {
        continue;
      }
      auto sb = op_.get_block(cidr);
      if (!sb) {
        if (sb.error().code == IpamErrc::Corrupt) {
          continue;
        }
        return fail(sb.error());
      }
      if (!*sb ||
          ((*sb)->block.affine_to_host(req_.host) && (*sb)->block.free_count(is_reserved) > 0)) {
        return std::optional<net::Cidr>(cidr);
      }
    }
  }
  auto blocks = op_.all_blocks(family_);
  if (!blocks) {
    return fail(blocks.error());
  }
  std::map<net::Cidr, const StoredBlock*> by_cidr;
  for (const auto& b : *blocks) {
    by_cidr[b.block.cidr()] = &b;
  }
  const ReservedFn reserved = [&](const net::IpAddr& ip) {
    return view_.reservations.reserved(ip);
  };
  const auto now = opts_.now ? opts_.now() : std::chrono::system_clock::now();
  std::vector<const StoredBlock*> reclaimable;
  for (const api::IPPool* pool : pools_) {
    BlockWalk walk(*pool, req_.host);
    // Among the first (existing blocks + 1) non-reserved CIDRs of the walk one has no block;
    // the bound also stops huge IPv6 pools from being walked end to end.
    const std::size_t limit = std::min(walk.count(), by_cidr.size() + 1 + 65536);
    for (std::size_t i = 0; i < limit; ++i) {
      const net::Cidr cidr = walk.at(i);
      if (view_.reservations.covers(cidr)) {
        continue;
      }
      auto it = by_cidr.find(cidr);
      if (it == by_cidr.end()) {
        return std::optional<net::Cidr>(cidr);
      }
      const Block& b = it->second->block;
      if (b.affine_to_host(req_.host) && b.free_count(reserved) > 0) {
        return std::optional<net::Cidr>(cidr);  // ours already (a concurrent claim)
      }
      if (b.empty() && b.spec().affinity &&
          age_of(b.spec().affinity_claim_time, now) >= kEmptyBlockMinReclaimAge) {
        reclaimable.push_back(it->second);
      }
    }
  }
  // Nothing free: take over an empty block another host has held for a while.  The
  // release requires the block's sequence number, so two reclaimers cannot both win.
  for (const StoredBlock* sb : reclaimable) {
    const std::string& aff = *sb->block.spec().affinity;
    if (aff.rfind("host:", 0) != 0) {
      continue;  // virtual owners (load balancer) keep their blocks
    }
    auto r = release_affinity_op(op_, aff.substr(5), sb->block.cidr(), true,
                                 sb->block.spec().sequence_number);
    if (r) {
      return std::optional<net::Cidr>(sb->block.cidr());
    }
    if (r.error().code == IpamErrc::Datastore || r.error().code == IpamErrc::Timeout) {
      return fail(r.error());
    }
  }
  return std::optional<net::Cidr>{};
}

Result<void, IpamError> FamilyAssign::borrow(std::size_t& remaining, std::vector<AssignedIp>& out) {
  auto blocks = op_.all_blocks(family_);
  if (!blocks) {
    return fail(blocks.error());
  }
  const ReservedFn reserved = [&](const net::IpAddr& ip) {
    return view_.reservations.reserved(ip);
  };
  for (const api::IPPool* pool : pools_) {
    BlockWalk walk(*pool, req_.host);
    auto pool_cidr = net::Cidr::parse(pool->spec.cidr);
    // Existing blocks of this pool with room, in this host's walk order.
    std::vector<std::pair<std::size_t, net::Cidr>> order;
    for (const auto& sb : *blocks) {
      const Block& b = sb.block;
      if (pool_cidr && pool_cidr->contains(b.cidr()) &&
          b.cidr().prefix_len() == block_size(*pool) && b.free_count(reserved) > 0) {
        order.emplace_back(walk.position(b.cidr()), b.cidr());
      }
    }
    std::sort(order.begin(), order.end());
    for (const auto& [pos, cidr] : order) {
      if (remaining == 0) {
        return {};
      }
      if (auto t = take(cidr, remaining, out, std::nullopt); !t) {
        return fail(t.error());
      }
    }
  }
  return {};
}

Result<void, IpamError> FamilyAssign::run(std::size_t num, std::vector<AssignedIp>& out) {
  auto pools = choose_pools();
  if (!pools) {
    return fail(pools.error());
  }
  pools_ = std::move(*pools);
  std::size_t remaining = num;
  std::size_t owned = 0;
  if (auto a = from_affine_blocks(remaining, out, owned); !a) {
    return fail(a.error());
  }
  // Cached hints may call a block full that has been freed since: look again without them
  // before claiming a new block (or failing).
  if (remaining > 0 && cache_ &&
      cache_->forget_host(req_.host + "/" + family_name(family_), req_.host)) {
    owned = 0;
    if (auto a = from_affine_blocks(remaining, out, owned); !a) {
      return fail(a.error());
    }
  }
  const std::size_t cap = block_cap(req_.max_blocks_per_host, view_.config.max_blocks_per_host);
  bool hit_cap = false;
  for (int claims = 0; remaining > 0 && claims < kMaxClaimAttempts; ++claims) {
    if (owned >= cap) {
      hit_cap = true;
      break;
    }
    if (!view_.auto_allocate()) {
      break;
    }
    auto cidr = find_usable_block();
    if (!cidr) {
      return fail(cidr.error());
    }
    if (!*cidr) {
      break;  // no free block left in the pools
    }
    auto c = claim_block(op_, req_.host, **cidr);
    if (!c) {
      return fail(c.error());
    }
    if (*c == ClaimOutcome::Lost) {
      continue;  // another host won this block: look again
    }
    ++owned;
    if (cache_) {
      cache_->forget_affinities(req_.host + "/" + family_name(family_));
    }
    if (auto t = take(**cidr, remaining, out, req_.host); !t) {
      return fail(t.error());
    }
  }
  if (remaining > 0 && !view_.config.strict_affinity) {
    if (auto b = borrow(remaining, out); !b) {
      return fail(b.error());
    }
  }
  if (remaining == 0) {
    return {};
  }
  const std::string got = "assigned " + std::to_string(num - remaining) + " of " +
                          std::to_string(num) + " requested " + family_name(family_) + " addresses";
  if (hit_cap) {
    return fail(IpamError{IpamErrc::BlockLimit, "limit of " + std::to_string(cap) +
                                                    " blocks reached for node " + req_.host +
                                                    " and its blocks are full (" + got + ")"});
  }
  return fail(IpamError{IpamErrc::NoAddresses,
                        "no addresses available in pools " + pool_list(pools_) + " (" + got + ")"});
}

std::vector<ReleaseRequest> release_requests(const std::vector<AssignedIp>& ips,
                                             const std::string& handle) {
  std::vector<ReleaseRequest> out;
  for (const auto& a : ips) {
    out.push_back(ReleaseRequest{a.ip, handle, std::nullopt});
  }
  return out;
}

}  // namespace

std::string_view to_string(IpamErrc code) {
  switch (code) {
    case IpamErrc::InvalidArgument:
      return "invalid argument";
    case IpamErrc::NoQualifiedPool:
      return "no qualified pool";
    case IpamErrc::NoAddresses:
      return "no addresses available";
    case IpamErrc::BlockLimit:
      return "block limit reached";
    case IpamErrc::NotInPool:
      return "not in a pool";
    case IpamErrc::AlreadyAllocated:
      return "already allocated";
    case IpamErrc::StrictAffinity:
      return "strict affinity";
    case IpamErrc::HandleNotFound:
      return "handle not found";
    case IpamErrc::Mismatch:
      return "mismatch";
    case IpamErrc::BlockNotEmpty:
      return "block not empty";
    case IpamErrc::Corrupt:
      return "corrupt object";
    case IpamErrc::Datastore:
      return "datastore error";
    case IpamErrc::Contention:
      return "contention";
    case IpamErrc::Timeout:
      return "timeout";
  }
  return "?";
}

std::string AssignedIp::to_string() const {
  return ip.to_string() + "/" + std::to_string(block.prefix_len());
}

Allocator::Allocator(datastore::Datastore& ds, AllocatorOptions options)
    : ds_(ds), opts_(std::move(options)), cache_(std::make_shared<AllocCache>()) {}

Result<AutoAssignResult, IpamError> Allocator::auto_assign(const AutoAssignRequest& req) const {
  if (req.handle_id.empty() || req.host.empty() || req.num4 < 0 || req.num6 < 0) {
    return fail(IpamError{IpamErrc::InvalidArgument,
                          "auto-assign needs a handle id, a host and non-negative counts"});
  }
  Operation op(ds_, opts_);
  AllocCache* cache = opts_.view_ttl.count() > 0 ? cache_.get() : nullptr;
  auto view = [&]() -> Result<ClusterView, IpamError> {
    if (cache) {
      if (auto v = cache->view(opts_.view_ttl)) {
        return *v;
      }
    }
    auto v = op.cluster_view();
    if (v && cache) {
      cache->set_view(*v);
    }
    return v;
  }();
  if (!view) {
    return fail(view.error());
  }
  AutoAssignResult result;
  Result<void, IpamError> status;
  if (req.num4 > 0) {
    FamilyAssign fa(op, opts_, *view, req, net::Family::V4, cache);
    status = fa.run(static_cast<std::size_t>(req.num4), result.ipv4);
  }
  if (status && req.num6 > 0) {
    FamilyAssign fa(op, opts_, *view, req, net::Family::V6, cache);
    status = fa.run(static_cast<std::size_t>(req.num6), result.ipv6);
  }
  if (status) {
    return result;
  }
  // All or nothing: give back what this call obtained (only ours: the handle must match).
  std::vector<AssignedIp> got = result.ipv4;
  got.insert(got.end(), result.ipv6.begin(), result.ipv6.end());
  if (!got.empty()) {
    auto r = release_ips(release_requests(got, req.handle_id));
    if (!r) {
      status.error().message += "; releasing the " + std::to_string(got.size()) +
                                " addresses already assigned also failed: " + r.error().message;
    }
  }
  return fail(status.error());
}

Result<AssignedIp, IpamError> Allocator::assign_ip(const AssignIpRequest& req) const {
  if (req.handle_id.empty() || req.host.empty()) {
    return fail(IpamError{IpamErrc::InvalidArgument, "assign-ip needs a handle id and a host"});
  }
  Operation op(ds_, opts_);
  auto view = op.cluster_view();
  if (!view) {
    return fail(view.error());
  }
  const api::IPPool* pool = pool_containing(view->pools, req.ip, false);
  if (!pool) {
    return fail(
        IpamError{IpamErrc::NotInPool, req.ip.to_string() + " is not in any enabled IP pool"});
  }
  auto usable = select_pools({*pool}, PoolRequest{.family = req.ip.family(),
                                                  .node_labels = {},
                                                  .namespace_labels = {},
                                                  .requested = {pool->metadata.name},
                                                  .use = req.use});
  if (!usable) {
    return fail(IpamError{IpamErrc::NotInPool, req.ip.to_string() + ": " + usable.error()});
  }
  const net::Cidr cidr = block_of(*pool, req.ip);
  const std::string what = "assigning " + req.ip.to_string();
  const BlockTake take = [&](Block& b) -> Result<std::vector<net::IpAddr>, IpamError> {
    if (view->config.strict_affinity && !b.affine_to_host(req.host)) {
      return fail(IpamError{IpamErrc::StrictAffinity, req.ip.to_string() + " is in block " +
                                                          cidr.to_string() + " which belongs to " +
                                                          b.spec().affinity.value_or("no host") +
                                                          ", and strictAffinity is on"});
    }
    if (auto a = b.assign_ip(req.ip, req.handle_id, req.attrs); !a) {
      return fail(IpamError{IpamErrc::AlreadyAllocated, a.error()});
    }
    return std::vector<net::IpAddr>{req.ip};
  };
  int attempts = 0;
  for (;;) {
    auto got = assign_in_block(op, cidr, req.handle_id, take, std::nullopt, nullptr);
    if (!got) {
      return fail(got.error());
    }
    if (!got->empty()) {
      return got->front();
    }
    // The block does not exist: claim it for this host, then try again.
    auto c = claim_block(op, req.host, cidr);
    if (!c) {
      return fail(c.error());
    }
    if (auto r = op.retry(attempts, what); !r) {
      return fail(r.error());
    }
  }
}

}  // namespace calico::ipam
