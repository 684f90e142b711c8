// MemoryStore: an in-process Datastore with the real contract, for unit tests of the
// layers above the interface (IPAM, felix, calicoctl) and as the reference the real
// backends are tested against.
//
// Semantics match etcd: one global revision incremented per write; each object's
// revision is the revision of its last write; create fails AlreadyExists; update/delete
// with a revision are compare-and-swap (Conflict when stale); list returns the collection
// revision; watch from a revision replays history in order; compact(rev) forgets history
// up to rev, after which a watch from an older revision gets Gone and resyncs.
// Writes are validated (api::validate) and rejected with ErrorCode::Invalid; defaults are
// the caller's job (the typed client / calicoctl apply them before writing).
//
// Failure injection for tests: fail_next_writes(n, code), break_watches().
// Thread-safe; watch callbacks never run under the store's lock.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>

#include "datastore/watcher.h"

namespace calico::datastore {

class MemoryStore final : public Datastore, private WatchSource {
 public:
  MemoryStore() = default;

  Result<Object, StoreError> get(const Key& key) override;
  Result<ListResult, StoreError> list(const ListOptions& opts) override;
  Result<Object, StoreError> create(const api::AnyResource& value) override;
  Result<Object, StoreError> update(const api::AnyResource& value) override;
  Result<Object, StoreError> remove(const Key& key, const std::string& revision = "") override;
  std::unique_ptr<Watch> watch(const WatchOptions& opts, WatchCallbacks callbacks) override;
  bool supports_write_all() const override { return write_all_supported_; }
  Result<std::vector<Object>, StoreError> write_all(
      const std::vector<api::AnyResource>& values) override;

  // ---- test hooks ----
  std::int64_t revision() const;
  // Forgets history at or below `revision` (like etcd compaction).
  void compact(std::int64_t revision);
  // The next `n` writes fail with `code` and change nothing.
  void fail_next_writes(int n, ErrorCode code = ErrorCode::Unavailable);
  // Every open watch stream ends with Unavailable (the watchers then reconnect).
  void break_watches();
  // Pretend not to support write_all (like the Kubernetes backend), to test callers' other
  // path.
  void set_write_all_supported(bool on) { write_all_supported_ = on; }
  // History longer than this is compacted automatically (default 100000 events).
  void set_history_limit(std::size_t limit);

 private:
  std::atomic<bool> write_all_supported_{true};
  struct Entry {
    api::AnyResource value;
    std::int64_t mod_revision = 0;
  };
  struct HistoryEntry {
    std::int64_t revision = 0;
    Event event;
  };

  StoreError stream(const ListOptions& opts, const std::string& after_revision,
                    const std::function<void()>& on_ready,
                    const std::function<bool(const SourceEvent&)>& sink,
                    std::stop_token stop) override;

  Result<void, StoreError> check_write_locked(const api::AnyResource& value);
  Object make_object(const Key& key, const Entry& e) const;
  void record_locked(EventType type, Object obj);

  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  std::map<Key, Entry> data_;
  std::deque<HistoryEntry> history_;
  std::int64_t revision_ = 0;
  std::int64_t compacted_ = 0;
  std::uint64_t break_epoch_ = 0;
  int fail_writes_ = 0;
  ErrorCode fail_code_ = ErrorCode::Unavailable;
  std::size_t history_limit_ = 100000;
};

// True if `key` is selected by `opts` (kind, namespace/host scope, name prefix).
bool matches(const ListOptions& opts, const Key& key);

// A random RFC 4122 version-4 UUID and an RFC 3339 UTC timestamp, as servers set them.
std::string new_uid();
std::string now_rfc3339();
std::string to_rfc3339(std::chrono::system_clock::time_point when);  // whole seconds, UTC

}  // namespace calico::datastore
