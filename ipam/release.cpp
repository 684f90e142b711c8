// Allocator: releases and affinity releases (ipam/allocator.h; research doc 3.5-3.6).
#include <algorithm>
#include <map>
#include <utility>

#include "ipam/allocator.h"
#include "ipam/claim.h"
#include "ipam/handle.h"
#include "ipam/operation.h"

namespace calico::ipam {

using datastore::ErrorCode;

namespace {

bool retryable(ErrorCode c) {
  return c == ErrorCode::Conflict || c == ErrorCode::Unavailable || c == ErrorCode::NotFound;
}

// After a release left `b` empty: hand the block back if it is not the host's last block of
// its family (best effort; a concurrent allocation in it makes the release abort).
void maybe_free_block(Operation& op, const AllocatorOptions& opts, const Block& b) {
  if (!opts.free_empty_blocks || !b.empty() || !b.spec().affinity ||
      b.spec().affinity->rfind("host:", 0) != 0) {
    return;
  }
  const std::string host = b.spec().affinity->substr(5);
  auto affs = op.host_affinities(host, b.cidr().family());
  if (!affs) {
    return;
  }
  const auto others = std::count_if(affs->begin(), affs->end(), [&](const StoredAffinity& a) {
    return a.confirmed() && a.value.spec.cidr != b.spec().cidr;
  });
  if (others > 0) {
    (void)release_affinity_op(op, host, b.cidr(), true, b.spec().sequence_number);
  }
}

// Releases `reqs` (all in block `cidr`); appends to `summary`.
Result<void, IpamError> release_in_block(Operation& op, const AllocatorOptions& opts,
                                         const net::Cidr& cidr,
                                         const std::vector<ReleaseRequest>& reqs,
                                         ReleaseSummary& summary) {
  const std::string what = "releasing addresses in block " + cidr.to_string();
  struct Unknown {
    std::uint64_t sequence = 0;
    ReleaseResult result;
    std::map<net::IpAddr, std::string> holders;  // released address -> its handle
  };
  std::optional<Unknown> unknown;
  int attempts = 0;
  for (;;) {
    auto sb = op.get_block(cidr);
    if (!sb) {
      return fail(sb.error());
    }
    std::optional<ReleaseResult> done;
    if (unknown) {
      const bool landed =
          !*sb || ((*sb)->block.spec().sequence_number >= unknown->sequence &&
                   std::all_of(unknown->holders.begin(), unknown->holders.end(), [&](auto& kv) {
                     return (*sb)->block.handle_of(kv.first) != kv.second;
                   }));
      if (landed) {
        done = std::move(unknown->result);
      }
      unknown.reset();
    }
    if (!done) {
      if (!*sb) {
        for (const auto& r : reqs) {
          summary.not_allocated.push_back(r.ip);
        }
        return {};
      }
      Block& b = (*sb)->block;  // released in place; written below
      std::map<net::IpAddr, std::string> holders;
      for (const auto& r : reqs) {
        if (auto h = b.handle_of(r.ip)) {
          holders[r.ip] = *h;
        }
      }
      auto rel = b.release(reqs);
      if (!rel) {
        return fail(IpamError{IpamErrc::Mismatch, rel.error()});
      }
      if (!rel->released.empty()) {
        auto w = write_block(op, b, (*sb)->revision, true, (*sb)->meta);
        if (!w) {
          if (w.error().code == ErrorCode::Unavailable) {
            unknown = Unknown{b.spec().sequence_number, *rel, std::move(holders)};
          } else if (!retryable(w.error().code)) {
            return fail(op.store_error(w.error(), what));
          }
          if (auto r = op.retry(attempts, what); !r) {
            return fail(r.error());
          }
          continue;
        }
      }
      done = std::move(*rel);
    }
    for (const auto& [handle, n] : done->per_handle) {
      if (auto h = op.adjust_handle(handle, cidr.to_string(), -n); !h) {
        return fail(h.error());
      }
    }
    summary.released.insert(summary.released.end(), done->released.begin(), done->released.end());
    summary.not_allocated.insert(summary.not_allocated.end(), done->not_allocated.begin(),
                                 done->not_allocated.end());
    if (*sb) {
      maybe_free_block(op, opts, (*sb)->block);
    }
    return {};
  }
}

// Releases every address of `handle` in `cidr`; returns them.
Result<std::vector<net::IpAddr>, IpamError> release_handle_in_block(Operation& op,
                                                                    const AllocatorOptions& opts,
                                                                    const net::Cidr& cidr,
                                                                    const std::string& handle,
                                                                    int recorded) {
  auto sb = op.get_block(cidr);
  if (!sb) {
    return fail(sb.error());
  }
  std::vector<ReleaseRequest> reqs;
  if (*sb) {
    for (const auto& ip : (*sb)->block.addresses_of_handle(handle)) {
      reqs.push_back(ReleaseRequest{ip, handle, std::nullopt});
    }
  }
  ReleaseSummary summary;
  if (!reqs.empty()) {
    if (auto r = release_in_block(op, opts, cidr, reqs, summary); !r) {
      return fail(r.error());
    }
  }
  // Whatever the handle still records for this block is stale (an over-count left by a
  // write whose outcome was unknown): clear it so the handle can be deleted.
  const int stale = recorded - static_cast<int>(summary.released.size());
  if (stale > 0) {
    if (auto h = op.adjust_handle(handle, cidr.to_string(), -stale); !h) {
      return fail(h.error());
    }
  }
  return summary.released;
}

// The handle's per-block counts; HandleNotFound when it does not exist.
Result<std::map<std::string, int>, IpamError> handle_blocks(Operation& op, const std::string& id) {
  auto h = op.get(handle_key(id));
  if (!h) {
    return fail(h.error());
  }
  if (!*h) {
    return fail(IpamError{IpamErrc::HandleNotFound, "IPAM handle " + id + " does not exist"});
  }
  return std::get<api::IPAMHandle>((*h)->value).spec.block;
}

}  // namespace

Result<void, IpamError> release_affinity_op(Operation& op, const std::string& host,
                                            const net::Cidr& cidr, bool require_empty,
                                            std::optional<std::uint64_t> required_sequence) {
  const std::string what = "releasing block " + cidr.to_string() + " of " + host;
  int attempts = 0;
  for (;;) {
    auto aff = op.get_affinity(host, cidr);
    if (!aff) {
      return fail(aff.error());
    }
    if (!*aff) {
      return {};
    }
    auto sb = op.get_block(cidr);
    if (!sb) {
      return fail(sb.error());
    }
    bool retry = false;
    if (!*sb || !(*sb)->block.affine_to_host(host)) {
      // No block, or someone else's: the affinity is stale.  Remove it.
      auto d = op.remove(affinity_key(host, cidr), (*aff)->revision);
      if (d || d.error().code == ErrorCode::NotFound) {
        return {};
      }
      retry = true;
    } else if (required_sequence && (*sb)->block.spec().sequence_number != *required_sequence) {
      return fail(IpamError{IpamErrc::Mismatch,
                            what + ": the block changed (sequence number " +
                                std::to_string((*sb)->block.spec().sequence_number) +
                                ", expected " + std::to_string(*required_sequence) + ")"});
    } else if (require_empty && !(*sb)->block.empty()) {
      return fail(
          IpamError{IpamErrc::BlockNotEmpty, what + ": the block still has " +
                                                 std::to_string((*sb)->block.allocated_count()) +
                                                 " allocated addresses"});
    } else {
      std::string aff_rev = (*aff)->revision;
      if (!(*aff)->pending_deletion()) {
        auto p = op.set_affinity_state(**aff, kAffinityPendingDeletion);
        if (!p) {
          if (!retryable(p.error().code)) {
            return fail(op.store_error(p.error(), what));
          }
          retry = true;
        } else {
          aff_rev = p->revision;
        }
      }
      if (!retry) {
        Block b = (*sb)->block;
        Result<std::string, datastore::StoreError> w = std::string{};
        if (b.empty()) {
          auto d = op.remove(block_key(cidr), (*sb)->revision);
          w = d ? Result<std::string, datastore::StoreError>(std::string{})
                : Result<std::string, datastore::StoreError>(fail(d.error()));
        } else {
          api::IPAMBlockSpec spec = b.spec();
          spec.affinity.reset();
          spec.affinity_claim_time.clear();
          ++spec.sequence_number;
          auto orphan = Block::from_spec(std::move(spec));
          w = write_block(op, *orphan, (*sb)->revision, false, (*sb)->meta);
        }
        if (!w) {
          if (w.error().code != ErrorCode::Unavailable) {
            // The block moved on (an allocation): put the affinity back before retrying.
            StoredAffinity pd{(*aff)->value, aff_rev};
            pd.value.spec.state = kAffinityPendingDeletion;
            (void)op.set_affinity_state(pd, kAffinityConfirmed);
          }
          if (!retryable(w.error().code)) {
            return fail(op.store_error(w.error(), what));
          }
          retry = true;
        } else {
          auto d = op.remove(affinity_key(host, cidr), aff_rev);
          if (d || d.error().code == ErrorCode::NotFound) {
            return {};
          }
          retry = true;  // re-read: the block step is skipped when already done
        }
      }
    }
    if (!retry) {
      return {};
    }
    if (auto r = op.retry(attempts, what); !r) {
      return fail(r.error());
    }
  }
}

Result<ReleaseSummary, IpamError> Allocator::release_ips(
    const std::vector<ReleaseRequest>& reqs) const {
  Operation op(ds_, opts_);
  auto pools_objs = op.list({.kind = api::Kind::IPPool, .ns = "", .name_prefix = ""});
  if (!pools_objs) {
    return fail(pools_objs.error());
  }
  std::vector<api::IPPool> pools;
  for (auto& o : *pools_objs) {
    pools.push_back(std::move(std::get<api::IPPool>(o.value)));
  }
  std::map<net::Cidr, std::vector<ReleaseRequest>> by_block;
  std::vector<ReleaseRequest> unplaced;
  for (ReleaseRequest r : reqs) {
    if (r.handle) {
      r.handle = clean_handle_id(*r.handle);
    }
    if (const api::IPPool* p = pool_containing(pools, r.ip, true)) {
      by_block[block_of(*p, r.ip)].push_back(std::move(r));
    } else {
      unplaced.push_back(std::move(r));
    }
  }
  ReleaseSummary summary;
  if (!unplaced.empty()) {
    // Addresses in no pool (the pool was deleted): find their blocks directly.
    std::map<net::Family, std::vector<StoredBlock>> blocks;
    for (auto& r : unplaced) {
      auto f = r.ip.family();
      if (!blocks.contains(f)) {
        auto all = op.all_blocks(f);
        if (!all) {
          return fail(all.error());
        }
        blocks[f] = std::move(*all);
      }
      auto it = std::find_if(blocks[f].begin(), blocks[f].end(),
                             [&](const StoredBlock& sb) { return sb.block.contains(r.ip); });
      if (it == blocks[f].end()) {
        summary.not_allocated.push_back(r.ip);
      } else {
        by_block[it->block.cidr()].push_back(std::move(r));
      }
    }
  }
  for (const auto& [cidr, batch] : by_block) {
    if (auto r = release_in_block(op, opts_, cidr, batch, summary); !r) {
      return fail(r.error());
    }
  }
  return summary;
}

Result<std::vector<net::IpAddr>, IpamError> Allocator::release_by_handle(
    const std::string& handle_id) const {
  const std::string id = clean_handle_id(handle_id);
  Operation op(ds_, opts_);
  auto blocks = handle_blocks(op, id);
  if (!blocks) {
    return fail(blocks.error());
  }
  std::vector<net::IpAddr> released;
  for (const auto& [cidr_text, count] : *blocks) {
    auto cidr = net::Cidr::parse(cidr_text);
    if (!cidr) {
      (void)op.adjust_handle(id, cidr_text, -count);  // junk entry: drop it
      continue;
    }
    auto r = release_handle_in_block(op, opts_, *cidr, id, count);
    if (!r) {
      return fail(r.error());
    }
    released.insert(released.end(), r->begin(), r->end());
  }
  return released;
}

Result<std::vector<net::IpAddr>, IpamError> Allocator::ips_by_handle(
    const std::string& handle_id) const {
  const std::string id = clean_handle_id(handle_id);
  Operation op(ds_, opts_);
  auto blocks = handle_blocks(op, id);
  if (!blocks) {
    return fail(blocks.error());
  }
  std::vector<net::IpAddr> out;
  for (const auto& [cidr_text, count] : *blocks) {
    auto cidr = net::Cidr::parse(cidr_text);
    if (!cidr) {
      continue;
    }
    auto sb = op.get_block(*cidr);
    if (!sb) {
      return fail(sb.error());
    }
    if (*sb) {
      auto ips = (*sb)->block.addresses_of_handle(id);
      out.insert(out.end(), ips.begin(), ips.end());
    }
  }
  return out;
}

Result<void, IpamError> Allocator::release_affinity(
    const std::string& host, const net::Cidr& block, bool require_empty,
    std::optional<std::uint64_t> required_sequence) const {
  Operation op(ds_, opts_);
  return release_affinity_op(op, host, block.masked(), require_empty, required_sequence);
}

Result<std::vector<net::Cidr>, IpamError> Allocator::release_host_affinities(
    const std::string& host, bool require_empty) const {
  Operation op(ds_, opts_);
  auto affs = op.host_affinities(host, std::nullopt);
  if (!affs) {
    return fail(affs.error());
  }
  std::vector<net::Cidr> released;
  for (const auto& a : *affs) {
    auto cidr = net::Cidr::parse(a.value.spec.cidr);
    if (!cidr) {
      continue;
    }
    auto r = release_affinity_op(op, host, *cidr, require_empty, std::nullopt);
    if (r) {
      released.push_back(*cidr);
    } else if (r.error().code != IpamErrc::BlockNotEmpty) {
      return fail(r.error());
    }
  }
  return released;
}

}  // namespace calico::ipam
