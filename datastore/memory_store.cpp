#include "datastore/memory_store.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>
#include <set>

#include "api/document.h"

namespace calico::datastore {
namespace {

std::optional<std::int64_t> parse_revision(const std::string& s) {
  std::int64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) {
    return std::nullopt;
  }
  return v;
}

StoreError err(ErrorCode code, std::string message) {
  return StoreError{code, std::move(message)};
}

// The compare of a compare-and-swap: `want` must name the stored entry's revision.
Result<void, StoreError> check_revision(const Key& key, std::int64_t stored,
                                        const std::string& want) {
  const auto want_rev = parse_revision(want);
  if (!want_rev) {
    return fail(err(ErrorCode::Invalid, "resourceVersion \"" + want + "\" is not a revision"));
  }
  if (*want_rev != stored) {
    return fail(err(ErrorCode::Conflict, key.to_string() + ": resourceVersion " + want +
                                             " is stale (current " + std::to_string(stored) + ")"));
  }
  return {};
}

}  // namespace

bool matches(const ListOptions& opts, const Key& key) {
  if (key.kind != opts.kind) {
    return false;
  }
  if (!opts.ns.empty() && key.ns != opts.ns) {
    return false;
  }
  return key.name.compare(0, opts.name_prefix.size(), opts.name_prefix) == 0;
}

std::string new_uid() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const std::uint64_t a = rng();
  const std::uint64_t b = rng();
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0x0fff),
                static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3fff)),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

std::string now_rfc3339() {
  return to_rfc3339(std::chrono::system_clock::now());
}

std::string to_rfc3339(std::chrono::system_clock::time_point when) {
  const auto t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::int64_t MemoryStore::revision() const {
  const std::lock_guard<std::mutex> lock(mu_);
  return revision_;
}

void MemoryStore::compact(std::int64_t revision) {
  const std::lock_guard<std::mutex> lock(mu_);
  compacted_ = std::max(compacted_, std::min(revision, revision_));
  while (!history_.empty() && history_.front().revision <= compacted_) {
    history_.pop_front();
  }
  cv_.notify_all();
}

void MemoryStore::fail_next_writes(int n, ErrorCode code) {
  const std::lock_guard<std::mutex> lock(mu_);
  fail_writes_ = n;
  fail_code_ = code;
}

void MemoryStore::break_watches() {
  const std::lock_guard<std::mutex> lock(mu_);
  ++break_epoch_;
  cv_.notify_all();
}

void MemoryStore::set_history_limit(std::size_t limit) {
  const std::lock_guard<std::mutex> lock(mu_);
  history_limit_ = limit;
}

Object MemoryStore::make_object(const Key& key, const Entry& e) const {
  Object o{key, e.value, std::to_string(e.mod_revision)};
  api::meta_of(o.value).resource_version = o.revision;
  return o;
}

void MemoryStore::record_locked(EventType type, Object obj) {
  history_.push_back({revision_, Event{type, std::move(obj)}});
  while (history_.size() > history_limit_) {
    compacted_ = history_.front().revision;
    history_.pop_front();
  }
  cv_.notify_all();
}

Result<void, StoreError> MemoryStore::check_write_locked(const api::AnyResource& value) {
  if (fail_writes_ > 0) {
    --fail_writes_;
    return fail(err(fail_code_, "injected failure"));
  }
  if (auto v = api::validate(value); !v) {
    return fail(err(ErrorCode::Invalid, v.error().to_string_all()));
  }
  return {};
}

Result<Object, StoreError> MemoryStore::get(const Key& key) {
  const std::lock_guard<std::mutex> lock(mu_);
  auto it = data_.find(key);
  if (it == data_.end()) {
    return fail(err(ErrorCode::NotFound, key.to_string() + " does not exist"));
  }
  return make_object(key, it->second);
}

Result<ListResult, StoreError> MemoryStore::list(const ListOptions& opts) {
  const std::lock_guard<std::mutex> lock(mu_);
  ListResult out;
  out.revision = std::to_string(revision_);
  for (const auto& [key, entry] : data_) {
    if (matches(opts, key)) {
      out.items.push_back(make_object(key, entry));
    }
  }
  return out;
}

Result<Object, StoreError> MemoryStore::create(const api::AnyResource& value) {
  const std::lock_guard<std::mutex> lock(mu_);
  if (auto c = check_write_locked(value); !c) {
    return fail(c.error());
  }
  const Key key = key_of(value);
  if (data_.count(key) != 0) {
    return fail(err(ErrorCode::AlreadyExists, key.to_string() + " already exists"));
  }
  Entry e{value, ++revision_};
  auto& meta = api::meta_of(e.value);
  meta.resource_version.clear();
  if (meta.uid.empty()) {
    meta.uid = new_uid();
  }
  if (meta.creation_timestamp.empty()) {
    meta.creation_timestamp = now_rfc3339();
  }
  auto [it, inserted] = data_.emplace(key, std::move(e));
  Object obj = make_object(key, it->second);
  record_locked(EventType::Added, obj);
  return obj;
}

Result<Object, StoreError> MemoryStore::update(const api::AnyResource& value) {
  const std::lock_guard<std::mutex> lock(mu_);
  if (auto c = check_write_locked(value); !c) {
    return fail(c.error());
  }
  const Key key = key_of(value);
  auto it = data_.find(key);
  if (it == data_.end()) {
    return fail(err(ErrorCode::NotFound, key.to_string() + " does not exist"));
  }
  const std::string& want = api::meta_of(value).resource_version;
  if (!want.empty()) {
    if (auto c = check_revision(key, it->second.mod_revision, want); !c) {
      return fail(c.error());
    }
  }
  Entry e{value, ++revision_};
  auto& meta = api::meta_of(e.value);
  const auto& old_meta = api::meta_of(it->second.value);
  meta.resource_version.clear();
  meta.uid = old_meta.uid;  // server-owned
  meta.creation_timestamp = old_meta.creation_timestamp;
  it->second = std::move(e);
  Object obj = make_object(key, it->second);
  record_locked(EventType::Modified, obj);
  return obj;
}

Result<std::vector<Object>, StoreError> MemoryStore::write_all(
    const std::vector<api::AnyResource>& values) {
  const std::lock_guard<std::mutex> lock(mu_);
  if (fail_writes_ > 0) {  // one injected failure fails the whole transaction
    --fail_writes_;
    return fail(err(fail_code_, "injected failure"));
  }
  std::set<Key> seen;
  for (const auto& value : values) {
    if (auto v = api::validate(value); !v) {
      return fail(err(ErrorCode::Invalid, v.error().to_string_all()));
    }
    const Key key = key_of(value);
    if (!seen.insert(key).second) {
      return fail(err(ErrorCode::Invalid, key.to_string() + " appears twice in one transaction"));
    }
    auto it = data_.find(key);
    const std::string& want = api::meta_of(value).resource_version;
    if (want.empty()) {
      if (it != data_.end()) {
        return fail(err(ErrorCode::AlreadyExists, key.to_string() + " already exists"));
      }
      continue;
    }
    if (it == data_.end()) {
      return fail(err(ErrorCode::NotFound, key.to_string() + " does not exist"));
    }
    if (auto c = check_revision(key, it->second.mod_revision, want); !c) {
      return fail(c.error());
    }
  }
  // One revision for the whole transaction, as etcd.
  ++revision_;
  std::vector<Object> out;
  for (const auto& value : values) {
    const Key key = key_of(value);
    Entry e{value, revision_};
    auto& meta = api::meta_of(e.value);
    meta.resource_version.clear();
    auto it = data_.find(key);
    const bool created = it == data_.end();
    if (created) {
      if (meta.uid.empty()) {
        meta.uid = new_uid();
      }
      if (meta.creation_timestamp.empty()) {
        meta.creation_timestamp = now_rfc3339();
      }
      it = data_.emplace(key, std::move(e)).first;
    } else {
      meta.uid = api::meta_of(it->second.value).uid;
      meta.creation_timestamp = api::meta_of(it->second.value).creation_timestamp;
      it->second = std::move(e);
    }
    out.push_back(make_object(key, it->second));
    record_locked(created ? EventType::Added : EventType::Modified, out.back());
  }
  return out;
}

Result<Object, StoreError> MemoryStore::remove(const Key& key, const std::string& revision) {
  const std::lock_guard<std::mutex> lock(mu_);
  if (fail_writes_ > 0) {
    --fail_writes_;
    return fail(err(fail_code_, "injected failure"));
  }
  auto it = data_.find(key);
  if (it == data_.end()) {
    return fail(err(ErrorCode::NotFound, key.to_string() + " does not exist"));
  }
  if (!revision.empty()) {
    const auto want = parse_revision(revision);
    if (!want || *want != it->second.mod_revision) {
      return fail(err(ErrorCode::Conflict, key.to_string() + ": revision " + revision +
                                               " is stale (current " +
                                               std::to_string(it->second.mod_revision) + ")"));
    }
  }
  Object last = make_object(key, it->second);
  data_.erase(it);
  ++revision_;
  Object event_obj = last;
  event_obj.revision = std::to_string(revision_);
  record_locked(EventType::Deleted, event_obj);
  return last;
}

std::unique_ptr<Watch> MemoryStore::watch(const WatchOptions& opts, WatchCallbacks callbacks) {
  return std::make_unique<Watcher>(static_cast<WatchSource&>(*this), opts, std::move(callbacks));
}

StoreError MemoryStore::stream(const ListOptions& opts, const std::string& after_revision,
                               const std::function<void()>& on_ready,
                               const std::function<bool(const SourceEvent&)>& sink,
                               std::stop_token stop) {
  const auto after = parse_revision(after_revision);
  if (!after) {
    return err(ErrorCode::Internal, "bad watch revision \"" + after_revision + "\"");
  }
  std::int64_t next = *after;  // deliver events with revision > next
  std::unique_lock<std::mutex> lock(mu_);
  const std::uint64_t epoch = break_epoch_;
  if (next < compacted_) {
    return err(ErrorCode::Gone, "revision " + after_revision +
                                    " has been compacted (compacted up to " +
                                    std::to_string(compacted_) + ")");
  }
  lock.unlock();
  on_ready();
  lock.lock();
  while (!stop.stop_requested()) {
    if (break_epoch_ != epoch) {
      return err(ErrorCode::Unavailable, "watch stream broken (injected)");
    }
    if (next < compacted_) {
      return err(ErrorCode::Gone, "revision " + std::to_string(next) + " has been compacted");
    }
    std::vector<SourceEvent> pending;
    // History is ordered by revision: start at the first entry after `next`.
    auto it =
        std::upper_bound(history_.begin(), history_.end(), next,
                         [](std::int64_t rev, const HistoryEntry& h) { return rev < h.revision; });
    for (; it != history_.end(); ++it) {
      if (matches(opts, it->event.object.key)) {
        pending.push_back({it->event, std::to_string(it->revision)});
      }
    }
    if (!history_.empty()) {
      next = std::max(next, history_.back().revision);
    }
    if (!pending.empty()) {
      lock.unlock();
      for (const auto& ev : pending) {
        if (stop.stop_requested() || !sink(ev)) {
          return err(ErrorCode::Internal, "stopped");
        }
      }
      lock.lock();
      continue;
    }
    const std::int64_t seen = revision_;
    cv_.wait(lock, stop,
             [&] { return revision_ != seen || break_epoch_ != epoch || compacted_ > next; });
  }
  return err(ErrorCode::Internal, "stopped");
}

}  // namespace calico::datastore
