// Block claiming and block writes (ipam/claim.h).
#include "ipam/claim.h"

#include <utility>

#include "ipam/handle.h"

namespace calico::ipam {

using datastore::ErrorCode;
using datastore::Object;
using datastore::StoreError;

namespace {

api::BlockAffinity new_affinity(const std::string& host, const net::Cidr& cidr) {
  api::BlockAffinity a;
  const datastore::Key k = affinity_key(host, cidr);
  a.metadata.name = k.name;
  a.spec.state = kAffinityPending;
  a.spec.node = host;
  a.spec.type = "host";
  a.spec.cidr = cidr.to_string();
  a.spec.deleted = "false";
  return a;
}

bool holds(const Block& b, const std::vector<net::IpAddr>& ips, const std::string& handle) {
  for (const auto& ip : ips) {
    if (b.handle_of(ip) != handle) {
      return false;
    }
  }
  return true;
}

}  // namespace

const api::IPPool* pool_containing(const std::vector<api::IPPool>& pools, const net::IpAddr& ip,
                                   bool include_disabled) {
  for (const auto& p : pools) {
    auto c = net::Cidr::parse(p.spec.cidr);
    if (c && c->contains(ip) && (include_disabled || pool_enabled(p))) {
      return &p;
    }
  }
  return nullptr;
}

net::Cidr block_of(const api::IPPool& pool, const net::IpAddr& ip) {
  const int size = block_size(pool);
  return net::Cidr(ip.masked(size), size);
}

Result<std::string, StoreError> write_block(Operation& op, const Block& block,
                                            const std::string& revision,
                                            bool delete_if_empty_unaffine,
                                            const api::ObjectMeta& meta) {
  if (delete_if_empty_unaffine && block.empty() && !block.spec().affinity) {
    auto r = op.remove(block_key(block.cidr()), revision);
    if (!r) {
      return fail(r.error());
    }
    return std::string{};
  }
  api::IPAMBlock v;
  v.metadata = meta;
  v.metadata.name = block_key(block.cidr()).name;
  v.metadata.resource_version = revision;
  v.spec = block.spec();
  auto r = revision.empty() ? op.create(v) : op.update(v);
  if (!r) {
    return fail(r.error());
  }
  return r->revision;
}

Result<ClaimOutcome, IpamError> claim_block(Operation& op, const std::string& host,
                                            const net::Cidr& cidr) {
  const std::string what = "claiming block " + cidr.to_string() + " for " + host;
  int attempts = 0;
  for (;;) {
    auto aff = op.get_affinity(host, cidr);
    if (!aff) {
      return fail(aff.error());
    }
    bool again = false;
    if (!*aff) {
      auto c = op.create(new_affinity(host, cidr));
      if (!c && c.error().code != ErrorCode::AlreadyExists &&
          c.error().code != ErrorCode::Unavailable) {
        return fail(op.store_error(c.error(), what));
      }
      again = true;  // re-read: ours now (or a concurrent claim of the same host's)
    } else if ((*aff)->pending_deletion()) {
      return ClaimOutcome::Lost;  // being released (GC, reclaim): leave it alone
    }
    if (!again) {
      auto blk = op.get_block(cidr);
      if (!blk) {
        return fail(blk.error());
      }
      if (*blk && !(*blk)->block.affine_to_host(host)) {
        // Someone else's block: our affinity is stale (or lost the race).  Remove it.
        auto d = op.remove(affinity_key(host, cidr), (*aff)->revision);
        if (d || d.error().code == ErrorCode::NotFound) {
          return ClaimOutcome::Lost;
        }
        again = true;
      } else if (!*blk) {
        if ((*aff)->confirmed()) {
          // A confirmed affinity without its block (deleted underneath): claim afresh.
          auto p = op.set_affinity_state(**aff, kAffinityPending);
          if (!p && p.error().code != ErrorCode::Conflict &&
              p.error().code != ErrorCode::Unavailable && p.error().code != ErrorCode::NotFound) {
            return fail(op.store_error(p.error(), what));
          }
          again = true;
        } else {
          Block b = Block::create(cidr, host_affinity(host), op.now_rfc3339(), op.now_ns());
          auto w = write_block(op, b, "", false);
          if (!w && w.error().code != ErrorCode::AlreadyExists &&
              w.error().code != ErrorCode::Unavailable) {
            return fail(op.store_error(w.error(), what));
          }
          again = true;  // re-read: confirm if the block is ours
        }
      } else if ((*aff)->confirmed()) {
        return ClaimOutcome::Claimed;
      } else {
        auto c = op.set_affinity_state(**aff, kAffinityConfirmed);
        if (c) {
          return ClaimOutcome::Claimed;
        }
        if (c.error().code != ErrorCode::Conflict && c.error().code != ErrorCode::Unavailable &&
            c.error().code != ErrorCode::NotFound) {
          return fail(op.store_error(c.error(), what));
        }
        again = true;
      }
    }
    if (auto r = op.retry(attempts, what); !r) {
      return fail(r.error());
    }
  }
}

Result<std::vector<AssignedIp>, IpamError> assign_from_block(
    Operation& op, const net::Cidr& cidr, std::size_t n, const std::string& handle_id,
    const Attrs& attrs, const Reservations& reservations,
    const std::optional<std::string>& require_host, AllocCache* cache) {
  const ReservedFn reserved = [&](const net::IpAddr& ip) { return reservations.reserved(ip); };
  return assign_in_block(
      op, cidr, handle_id,
      [&](Block& b) -> Result<std::vector<net::IpAddr>, IpamError> {
        return b.assign(n, handle_id, attrs, reserved);
      },
      require_host, cache);
}

Result<std::vector<AssignedIp>, IpamError> assign_in_block(
    Operation& op, const net::Cidr& cidr, const std::string& handle_id, const BlockTake& take,
    const std::optional<std::string>& require_host, AllocCache* cache) {
  const std::string what = "allocating in block " + cidr.to_string();
  const std::string block_cidr = cidr.to_string();
  // Addresses this call has counted on the handle for this block.  A retry after a lost
  // CAS only adjusts the difference, instead of a rollback write and a re-increment write.
  int held = 0;
  auto nothing = [&]() -> Result<std::vector<AssignedIp>, IpamError> {
    if (held > 0) {
      (void)op.adjust_handle(handle_id, block_cidr, -held);
    }
    return std::vector<AssignedIp>{};
  };
  auto done = [&](const std::vector<net::IpAddr>& ips, const Block& b) {
    std::vector<AssignedIp> out;
    for (const auto& ip : ips) {
      out.push_back(AssignedIp{ip, b.cidr()});
    }
    return out;
  };
  struct Unknown {
    std::uint64_t sequence = 0;
    std::vector<net::IpAddr> ips;
  };
  std::optional<Unknown> unknown;  // a block write whose outcome we did not learn
  int attempts = 0;
  // With a transactional backend the handle is written together with the block; this is
  // the handle as last read (nullopt: believed absent).
  const bool atomic = op.supports_write_all();
  std::optional<std::pair<api::IPAMHandle, std::string>> handle_seen;
  std::optional<StoredBlock> hint =
      cache ? cache->block(cidr, op.options().view_ttl) : std::nullopt;
  for (;;) {
    const bool fresh = !hint;
    auto sb =
        hint ? Result<std::optional<StoredBlock>, IpamError>(std::move(hint)) : op.get_block(cidr);
    hint.reset();
    if (!sb) {
      (void)nothing();
      return fail(sb.error());
    }
    if (cache && fresh && *sb) {
      cache->set_block(**sb);  // e.g. a full block: the next allocations skip it unread
    }
    if (unknown && *sb && (*sb)->block.spec().sequence_number >= unknown->sequence &&
        holds((*sb)->block, unknown->ips, handle_id)) {
      return done(unknown->ips, (*sb)->block);  // the write landed
    }
    unknown.reset();
    if (!*sb || (require_host && !(*sb)->block.affine_to_host(*require_host))) {
      return nothing();  // gone, or no longer ours
    }
    Block b = (*sb)->block;
    auto taken = take(b);
    if (!taken) {
      (void)nothing();
      return fail(taken.error());
    }
    const std::vector<net::IpAddr>& ips = *taken;
    if (ips.empty()) {
      return nothing();  // full
    }
    const int count = static_cast<int>(ips.size());
    if (atomic) {
      // Handle and block in one transaction: they can never disagree, and it is one etcd
      // round trip and one raft entry instead of two.
      api::IPAMHandle h;
      if (handle_seen) {
        h = handle_seen->first;
        h.metadata.resource_version = handle_seen->second;
      } else {  // a new container's handle: assume absent and create it
        h.metadata.name = handle_key(handle_id).name;
        h.spec = new_handle(handle_id);
      }
      increment(h.spec, block_cidr, count);
      api::IPAMBlock v;
      v.metadata = (*sb)->meta;
      v.metadata.name = block_key(cidr).name;
      v.metadata.resource_version = (*sb)->revision;
      v.spec = b.spec();
      auto w = op.write_all({h, v});
      if (w && w->size() == 2) {
        if (cache) {
          cache->set_block(StoredBlock{b, (*w)[1].revision, (*sb)->meta});
        }
        return done(ips, b);
      }
      if (cache) {
        cache->forget_block(cidr);
      }
      const ErrorCode code = w ? ErrorCode::Internal : w.error().code;
      if (code == ErrorCode::Unavailable) {
        unknown = Unknown{b.spec().sequence_number, ips};
      } else if (code == ErrorCode::AlreadyExists || code == ErrorCode::NotFound ||
                 code == ErrorCode::Conflict) {
        // Learn the handle as it is now; the block is re-read too unless only the handle's
        // create failed (then the block read is still current).
        auto cur = op.get(handle_key(handle_id));
        if (!cur) {
          return fail(cur.error());
        }
        handle_seen.reset();
        if (*cur) {
          handle_seen.emplace(std::get<api::IPAMHandle>((*cur)->value), (*cur)->revision);
        }
        if (code == ErrorCode::AlreadyExists) {
          hint = *sb;
        }
      } else {
        return fail(op.store_error(w ? datastore::StoreError{} : w.error(), what));
      }
      if (auto r = op.retry(attempts, what); !r) {
        return fail(r.error());
      }
      continue;
    }
    if (count != held) {
      if (auto h = op.adjust_handle(handle_id, block_cidr, count - held); !h) {
        (void)nothing();
        return fail(h.error());
      }
      held = count;
    }
    auto w = write_block(op, b, (*sb)->revision, false, (*sb)->meta);
    if (w) {
      if (cache) {
        cache->set_block(StoredBlock{b, *w, (*sb)->meta});
      }
      return done(ips, b);
    }
    if (cache) {
      cache->forget_block(cidr);
    }
    const ErrorCode code = w.error().code;
    if (code == ErrorCode::Unavailable) {
      unknown = Unknown{b.spec().sequence_number, ips};
    } else if (code == ErrorCode::NotFound) {
      return nothing();  // block deleted underneath
    } else if (code != ErrorCode::Conflict) {
      (void)nothing();
      return fail(op.store_error(w.error(), what));
    }
    if (auto r = op.retry(attempts, what); !r) {
      (void)nothing();
      return fail(r.error());
    }
  }
}

}  // namespace calico::ipam
