// datastore::Datastore — the one interface every component uses to read and write
// resources, whatever the backend (etcd v3, Kubernetes CRDs, or the in-memory store used
// by unit tests).
//
// Objects are api::AnyResource values addressed by Key.  Every stored object carries an
// opaque revision string (etcd mod_revision, Kubernetes resourceVersion); writes that
// pass a revision are compare-and-swap and fail with StoreError::Conflict when the stored
// object has moved on.  Lists return a collection revision from which a watch can start.
//
// Thread safety: implementations are safe to call from several threads.  Watch callbacks
// run on the watch's own thread, one batch at a time, in revision order.
//
// Errors are values (StoreError); no method throws.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/resources.h"
#include "common/result.h"

namespace calico::datastore {

// Addresses one object.  `ns` is the namespace for namespaced kinds.  For BlockAffinity
// it holds the owning host (the affinity's scope: etcd keys are per host), and `name` is
// Calico's mangled "<host>-<cidr>" name; use affinity_key().
struct Key {
  api::Kind kind = api::Kind::IPPool;
  std::string ns;
  std::string name;

  std::string to_string() const;  // "IPPool(pool-a)", "WorkloadEndpoint(ns/name)"
  auto operator<=>(const Key&) const = default;
};

Key key_of(const api::AnyResource& r);  // from kind, metadata and (BlockAffinity) spec.node

struct Object {
  Key key;
  api::AnyResource value;
  std::string revision;  // opaque; also written to value's metadata.resourceVersion
};

enum class ErrorCode {
  NotFound,       // get/update/delete of an absent key
  AlreadyExists,  // create of a present key
  Conflict,       // revision mismatch on update/delete (CAS failed)
  Gone,           // watch/list revision compacted away: relist needed
  Invalid,        // the object failed validation or could not be encoded/decoded
  Unavailable,    // backend unreachable (connection refused, timeout); retryable
  Unauthorized,   // TLS/auth failure
  Internal,       // anything else
};

struct StoreError {
  ErrorCode code = ErrorCode::Internal;
  std::string message;  // says what and where: "etcd http://127.0.0.1:2379: connection refused"
  std::string to_string() const;
};

std::string_view to_string(ErrorCode code);

struct ListOptions {
  api::Kind kind = api::Kind::IPPool;
  std::string ns;           // namespaced kinds: empty = all namespaces; BlockAffinity: host
  std::string name_prefix;  // optional
};

struct ListResult {
  std::vector<Object> items;  // sorted by key
  std::string revision;       // collection revision: watch from here sees every later change
  // Stored values that could not be decoded (corrupt or foreign data) are reported here,
  // not silently dropped, and do not fail the list.
  std::vector<StoreError> undecodable;
};

enum class EventType { Added, Modified, Deleted };

struct Event {
  EventType type = EventType::Added;
  Object object;  // for Deleted: the last known value (from the backend, or the resync cache)
};

// What a watcher tells its consumer besides events.
enum class WatchStatus {
  InSync,        // initial list (or a resync) delivered; consumer state is complete
  Resyncing,     // connection lost or revision compacted; a list + diff is under way
  Reconnecting,  // backend unreachable; retrying with backoff (events resume afterwards)
  Stopped,       // watch stopped (by the caller, or a non-retryable error)
};

struct WatchOptions {
  ListOptions list;
  // Start point.  Empty: list first and deliver every existing object as Added, then
  // InSync, then changes.  Non-empty: deliver changes after this revision (if it was
  // compacted, resync: list + diff against what the consumer has been told).
  std::string from_revision;
  // With from_revision: the objects the consumer already holds at that revision (usually
  // the items of the list that returned it).  A resync diffs against these, so objects
  // deleted while the revision was compacted away arrive as Deleted.
  std::vector<Object> known;
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{5000};
};

struct WatchCallbacks {
  // A batch of events, applied as a unit: after a resync the whole diff arrives in one
  // batch, so a consumer never sees a torn state.  Events within a batch are in order.
  std::function<void(const std::vector<Event>&)> on_events;
  std::function<void(WatchStatus, const std::string& detail)> on_status;
};

// A running watch; destroying it stops the watch and joins its thread.
class Watch {
 public:
  virtual ~Watch() = default;
  virtual void stop() = 0;
};

class Datastore {
 public:
  virtual ~Datastore() = default;

  virtual Result<Object, StoreError> get(const Key& key) = 0;
  virtual Result<ListResult, StoreError> list(const ListOptions& opts) = 0;
  // Fails with AlreadyExists if the key is present.  Returns the stored object with its
  // revision (and server-set metadata such as uid/creationTimestamp).
  virtual Result<Object, StoreError> create(const api::AnyResource& value) = 0;
  // Compare-and-swap on metadata.resourceVersion when set (Conflict if stale); an empty
  // resourceVersion is an unconditional update of an existing key (NotFound if absent).
  virtual Result<Object, StoreError> update(const api::AnyResource& value) = 0;
  // Deletes; with a revision, only if it still matches (Conflict otherwise).  Returns the
  // deleted object.
  virtual Result<Object, StoreError> remove(const Key& key, const std::string& revision = "") = 0;
  virtual std::unique_ptr<Watch> watch(const WatchOptions& opts, WatchCallbacks callbacks) = 0;

  // Optional: several writes applied atomically, all or none (etcd: one transaction).  Each
  // value is a create when its resourceVersion is empty, else a compare-and-swap update on
  // it.  On failure nothing is written and the error is that of the first value whose
  // precondition failed, as create/update would report it (AlreadyExists, NotFound,
  // Conflict), naming its key.  Backends without multi-object transactions (Kubernetes)
  // keep the default: supports_write_all() false, write_all fails with Internal.
  virtual bool supports_write_all() const { return false; }

  // Brings data written by older Calico releases for `host` up to what host-scoped
  // queries expect; returns how many objects it rewrote.  Kubernetes: stamps the
  // hostname-hash / affinity-type / ip-version labels on the host's BlockAffinities
  // (Calico's UpgradeHost), without which a host-scoped list does not see them.  Run once
  // per host at start-up (calico-node).  Other backends: nothing to do.
  virtual Result<std::size_t, StoreError> upgrade_host(const std::string& host) {
    (void)host;
    return std::size_t{0};
  }
  virtual Result<std::vector<Object>, StoreError> write_all(
      const std::vector<api::AnyResource>& values);
};

}  // namespace calico::datastore
