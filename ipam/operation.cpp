// ipam::Operation (ipam/operation.h).
#include "ipam/operation.h"

#include <thread>
#include <utility>

#include "api/ipam_names.h"
#include "datastore/memory_store.h"
#include "ipam/handle.h"

namespace calico::ipam {

using datastore::ErrorCode;
using datastore::Key;
using datastore::Object;
using datastore::StoreError;

namespace {

bool soft_deleted(const api::AnyResource& r) {
  if (const auto* b = std::get_if<api::IPAMBlock>(&r)) {
    return b->spec.deleted;
  }
  if (const auto* h = std::get_if<api::IPAMHandle>(&r)) {
    return h->spec.deleted;
  }
  if (const auto* a = std::get_if<api::BlockAffinity>(&r)) {
    return a->spec.deleted == "true";
  }
  return false;
}

Result<StoredBlock, IpamError> to_block(const Object& o) {
  auto b = Block::from_spec(std::get<api::IPAMBlock>(o.value).spec);
  if (!b) {
    return fail(IpamError{IpamErrc::Corrupt, b.error()});
  }
  return StoredBlock{std::move(*b), o.revision, std::get<api::IPAMBlock>(o.value).metadata};
}

}  // namespace

std::optional<ClusterView> AllocCache::view(std::chrono::milliseconds ttl) {
  std::lock_guard l(mu_);
  if (view_ && std::chrono::steady_clock::now() - view_at_ < ttl) {
    return view_;
  }
  return std::nullopt;
}

void AllocCache::set_view(const ClusterView& v) {
  std::lock_guard l(mu_);
  view_ = v;
  view_at_ = std::chrono::steady_clock::now();
}

std::optional<std::vector<StoredAffinity>> AllocCache::affinities(const std::string& host,
                                                                  std::chrono::milliseconds ttl) {
  std::lock_guard l(mu_);
  auto it = affinities_.find(host);
  if (it == affinities_.end() || std::chrono::steady_clock::now() - it->second.second >= ttl) {
    return std::nullopt;
  }
  return it->second.first;
}

void AllocCache::set_affinities(const std::string& host, std::vector<StoredAffinity> affs) {
  std::lock_guard l(mu_);
  if (affinities_.size() > 4096) {
    affinities_.clear();
  }
  affinities_[host] = {std::move(affs), std::chrono::steady_clock::now()};
}

void AllocCache::forget_affinities(const std::string& host) {
  std::lock_guard l(mu_);
  affinities_.erase(host);
}

std::optional<StoredBlock> AllocCache::block(const net::Cidr& cidr, std::chrono::milliseconds ttl) {
  std::lock_guard l(mu_);
  auto it = blocks_.find(cidr);
  if (it == blocks_.end() || std::chrono::steady_clock::now() - it->second.second > ttl) {
    return std::nullopt;
  }
  return it->second.first;
}

void AllocCache::set_block(const StoredBlock& b) {
  std::lock_guard l(mu_);
  if (blocks_.size() > 4096) {
    blocks_.clear();
  }
  blocks_.insert_or_assign(b.block.cidr(), std::make_pair(b, std::chrono::steady_clock::now()));
}

bool AllocCache::forget_host(const std::string& host_key, const std::string& host) {
  std::lock_guard l(mu_);
  bool any = affinities_.erase(host_key) > 0;
  for (auto it = blocks_.begin(); it != blocks_.end();) {
    if (it->second.first.block.affine_to_host(host)) {
      it = blocks_.erase(it);
      any = true;
    } else {
      ++it;
    }
  }
  return any;
}

void AllocCache::forget_block(const net::Cidr& cidr) {
  std::lock_guard l(mu_);
  blocks_.erase(cidr);
}

datastore::Key block_key(const net::Cidr& cidr) {
  return Key{api::Kind::IPAMBlock, "", api::block_name(cidr.to_string())};
}

datastore::Key affinity_key(const std::string& host, const net::Cidr& cidr) {
  return Key{api::Kind::BlockAffinity, host, api::affinity_name(host, cidr.to_string())};
}

datastore::Key handle_key(const std::string& handle_id) {
  return Key{api::Kind::IPAMHandle, "", api::handle_name(handle_id)};
}

std::string host_affinity(const std::string& host) {
  return "host:" + host;
}

Operation::Operation(datastore::Datastore& ds, const AllocatorOptions& opts)
    : ds_(ds),
      opts_(opts),
      deadline_(std::chrono::steady_clock::now() + opts.timeout),
      backoff_(opts.backoff_initial, opts.backoff_max) {}

Result<void, IpamError> Operation::retry(int& attempts, const std::string& what) {
  ++attempts;
  if (attempts >= opts_.max_retries) {
    return fail(IpamError{IpamErrc::Contention, "gave up on " + what + " after " +
                                                    std::to_string(attempts) + " attempts"});
  }
  const auto delay = backoff_.next();
  if (std::chrono::steady_clock::now() + delay >= deadline_) {
    return fail(IpamError{
        IpamErrc::Timeout,
        "timed out after " + std::to_string(opts_.timeout.count()) + " ms working on " + what});
  }
  if (opts_.sleep) {
    opts_.sleep(delay);
  } else {
    std::this_thread::sleep_for(delay);
  }
  return {};
}

IpamError Operation::store_error(const StoreError& e, const std::string& context) const {
  return IpamError{IpamErrc::Datastore, context + ": " + e.to_string()};
}

Result<std::optional<Object>, IpamError> Operation::get(const Key& key) {
  int attempts = 0;
  for (;;) {
    auto r = ds_.get(key);
    if (r) {
      if (soft_deleted(r->value)) {
        return std::optional<Object>{};
      }
      return std::optional<Object>(std::move(*r));
    }
    if (r.error().code == ErrorCode::NotFound) {
      return std::optional<Object>{};
    }
    if (r.error().code != ErrorCode::Unavailable) {
      return fail(store_error(r.error(), "reading " + key.to_string()));
    }
    if (auto w = retry(attempts, "reading " + key.to_string() + " (" + r.error().message + ")");
        !w) {
      return fail(w.error());
    }
  }
}

Result<std::vector<Object>, IpamError> Operation::list(const datastore::ListOptions& opts) {
  int attempts = 0;
  const std::string what = "listing " + std::string(api::info(opts.kind).name) +
                           (opts.ns.empty() ? "" : " of " + opts.ns);
  for (;;) {
    auto r = ds_.list(opts);
    if (r) {
      std::vector<Object> out;
      out.reserve(r->items.size());
      for (auto& o : r->items) {
        if (!soft_deleted(o.value)) {
          out.push_back(std::move(o));
        }
      }
      return out;
    }
    if (r.error().code != ErrorCode::Unavailable) {
      return fail(store_error(r.error(), what));
    }
    if (auto w = retry(attempts, what + " (" + r.error().message + ")"); !w) {
      return fail(w.error());
    }
  }
}

Result<Object, StoreError> Operation::create(const api::AnyResource& value) {
  return ds_.create(value);
}

Result<Object, StoreError> Operation::update(const api::AnyResource& value) {
  return ds_.update(value);
}

Result<std::vector<Object>, StoreError> Operation::write_all(
    const std::vector<api::AnyResource>& values) {
  return ds_.write_all(values);
}

Result<Object, StoreError> Operation::remove(const Key& key, const std::string& revision) {
  return ds_.remove(key, revision);
}

Result<std::optional<StoredBlock>, IpamError> Operation::get_block(const net::Cidr& cidr) {
  auto o = get(block_key(cidr));
  if (!o) {
    return fail(o.error());
  }
  if (!*o) {
    return std::optional<StoredBlock>{};
  }
  auto b = to_block(**o);
  if (!b) {
    return fail(b.error());
  }
  return std::optional<StoredBlock>(std::move(*b));
}

Result<std::optional<StoredAffinity>, IpamError> Operation::get_affinity(const std::string& host,
                                                                         const net::Cidr& cidr) {
  auto o = get(affinity_key(host, cidr));
  if (!o) {
    return fail(o.error());
  }
  if (!*o) {
    return std::optional<StoredAffinity>{};
  }
  return std::optional<StoredAffinity>(
      StoredAffinity{std::get<api::BlockAffinity>((*o)->value), (*o)->revision});
}

Result<std::vector<StoredAffinity>, IpamError> Operation::host_affinities(
    const std::string& host, std::optional<net::Family> family) {
  auto objs = list({.kind = api::Kind::BlockAffinity, .ns = host, .name_prefix = ""});
  if (!objs) {
    return fail(objs.error());
  }
  std::vector<StoredAffinity> out;
  for (auto& o : *objs) {
    auto& a = std::get<api::BlockAffinity>(o.value);
    auto cidr = net::Cidr::parse(a.spec.cidr);
    if (a.spec.node != host || !cidr || (family && cidr->family() != *family)) {
      continue;
    }
    if (!a.spec.type.empty() && a.spec.type != "host") {
      continue;
    }
    out.push_back(StoredAffinity{std::move(a), o.revision});
  }
  return out;
}

Result<std::vector<StoredBlock>, IpamError> Operation::all_blocks(net::Family family) {
  auto objs = list({.kind = api::Kind::IPAMBlock, .ns = "", .name_prefix = ""});
  if (!objs) {
    return fail(objs.error());
  }
  std::vector<StoredBlock> out;
  for (const auto& o : *objs) {
    auto b = to_block(o);
    if (b && b->block.cidr().family() == family) {
      out.push_back(std::move(*b));
    }
  }
  return out;
}

Result<ClusterView, IpamError> Operation::cluster_view() {
  ClusterView view;
  auto cfg = get(Key{api::Kind::IPAMConfiguration, "", "default"});
  if (!cfg) {
    return fail(cfg.error());
  }
  if (*cfg) {
    view.config = std::get<api::IPAMConfiguration>((*cfg)->value).spec;
  }
  auto pools = list({.kind = api::Kind::IPPool, .ns = "", .name_prefix = ""});
  if (!pools) {
    return fail(pools.error());
  }
  for (auto& o : *pools) {
    view.pools.push_back(std::move(std::get<api::IPPool>(o.value)));
  }
  auto res = list({.kind = api::Kind::IPReservation, .ns = "", .name_prefix = ""});
  if (!res) {
    return fail(res.error());
  }
  std::vector<api::IPReservation> all;
  for (auto& o : *res) {
    all.push_back(std::move(std::get<api::IPReservation>(o.value)));
  }
  auto r = Reservations::from(all);
  if (!r) {
    return fail(IpamError{IpamErrc::Corrupt, r.error()});
  }
  view.reservations = std::move(*r);
  return view;
}

Result<std::map<std::string, std::string>, IpamError> Operation::node_labels(
    const std::string& host) {
  auto o = get(Key{api::Kind::Node, "", host});
  if (!o) {
    return fail(o.error());
  }
  if (!*o) {
    return fail(IpamError{IpamErrc::InvalidArgument,
                          "node " + host + " does not exist (its labels are needed to choose " +
                              "among IP pools with a nodeSelector)"});
  }
  return std::get<api::Node>((*o)->value).metadata.labels;
}

Result<void, IpamError> Operation::adjust_handle(const std::string& handle_id,
                                                 const std::string& block_cidr, int delta) {
  const Key key = handle_key(handle_id);
  int attempts = 0;
  if (delta > 0) {
    // Allocation handles are nearly always new (one per container): try the create first
    // and save a read.
    api::IPAMHandle fresh;
    fresh.metadata.name = key.name;
    fresh.spec = new_handle(handle_id);
    increment(fresh.spec, block_cidr, delta);
    auto c = create(fresh);
    if (c) {
      return {};
    }
    if (c.error().code != ErrorCode::AlreadyExists && c.error().code != ErrorCode::Unavailable) {
      return fail(store_error(c.error(), "creating IPAMHandle " + handle_id));
    }
    if (c.error().code == ErrorCode::Unavailable) {
      // Unknown outcome: if a handle holding exactly this now exists, take it as ours.
      auto now = get(key);
      if (now && *now && std::get<api::IPAMHandle>((**now).value).spec.block == fresh.spec.block) {
        return {};
      }
    }
  }
  for (;;) {
    auto cur = get(key);
    if (!cur) {
      return fail(cur.error());
    }
    api::IPAMHandle want;
    std::string rev;
    if (*cur) {
      want = std::get<api::IPAMHandle>((*cur)->value);
      rev = (*cur)->revision;
    } else {
      if (delta <= 0) {
        return {};  // nothing to decrement (already released): `check` reports mismatches
      }
      want.metadata.name = key.name;
      want.spec = new_handle(handle_id);
    }
    if (delta > 0) {
      increment(want.spec, block_cidr, delta);
    } else if (!decrement(want.spec, block_cidr, -delta)) {
      want.spec.block.erase(block_cidr);  // held fewer: clamp at zero
    }
    Result<Object, StoreError> w = fail(StoreError{});
    if (!*cur) {
      w = create(want);
    } else if (handle_empty(want.spec)) {
      w = remove(key, rev);
    } else {
      want.metadata.resource_version = rev;
      w = update(want);
    }
    if (w) {
      return {};
    }
    const ErrorCode code = w.error().code;
    if (code == ErrorCode::Unavailable) {
      // Outcome unknown: it landed if the stored handle now is what we wrote.
      auto now = get(key);
      if (now) {
        const bool gone = !*now;
        if ((handle_empty(want.spec) && gone) ||
            (!gone && std::get<api::IPAMHandle>((*now)->value).spec.block == want.spec.block &&
             (*now)->revision != rev)) {
          return {};
        }
      }
    } else if (code != ErrorCode::Conflict && code != ErrorCode::AlreadyExists &&
               code != ErrorCode::NotFound) {
      return fail(store_error(w.error(), "writing IPAMHandle " + handle_id));
    }
    if (auto r = retry(attempts, "IPAMHandle " + handle_id); !r) {
      return fail(r.error());
    }
  }
}

Result<Object, StoreError> Operation::set_affinity_state(const StoredAffinity& aff,
                                                         const std::string& state) {
  api::BlockAffinity v = aff.value;
  v.spec.state = state;
  v.metadata.resource_version = aff.revision;
  return update(v);
}

std::string Operation::now_rfc3339() const {
  return datastore::to_rfc3339(opts_.now ? opts_.now() : std::chrono::system_clock::now());
}

std::uint64_t Operation::now_ns() const {
  const auto t = opts_.now ? opts_.now() : std::chrono::system_clock::now();
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

}  // namespace calico::ipam
