// Watcher: the backend-independent machinery behind Datastore::watch().
//
// A backend supplies a WatchSource (list + a blocking event stream from a revision); the
// Watcher runs one thread that
//   * lists first when no start revision is given (Added events, then InSync);
//   * streams events in revision order, delivering each exactly once;
//   * on a broken stream (Unavailable) reports Reconnecting and resumes from the last
//     delivered revision after a capped, jittered backoff;
//   * on Gone (start revision compacted away) reports Resyncing, lists again and delivers
//     the diff against what the consumer has already been told, as ONE batch, then InSync:
//     the consumer's state ends exactly equal to the store's, with no duplicates and no
//     torn intermediate state.
// stop() is prompt: the stream gets a stop_token and backoff waits on a condition variable.
// stop() may be called from any thread, also concurrently and from inside a callback (the
// watch then ends after the callback returns, and Stopped is reported once); destroying
// the Watcher from inside its own callback is a programmer error (checked).
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <stop_token>
#include <thread>

#include "common/backoff.h"
#include "common/log.h"
#include "datastore/datastore.h"

namespace calico::datastore {

// An event as a backend reports it; `revision` is the store revision at which it happened
// (a numeric string for etcd and the memory store; opaque to the Watcher, which only
// hands it back to stream()).
// A bookmark (Kubernetes BOOKMARK, or an event the backend filtered out) only moves the
// revision on: nothing is delivered, but a reconnect resumes after it.
struct SourceEvent {
  Event event;
  std::string revision;
  bool bookmark = false;
};

class WatchSource {
 public:
  virtual ~WatchSource() = default;
  virtual Result<ListResult, StoreError> list(const ListOptions& opts) = 0;
  // Blocks, calling `on_ready` once the stream is established and `sink` for every event
  // after `after_revision` (exclusive), in order,
  // until the stream ends, `stop` is requested, or `sink` returns false.  Returns why it
  // ended: Gone (revision compacted: relist), Unavailable (connection lost: resume), or
  // anything else (treated like Unavailable).  On stop it returns any error; the Watcher
  // ignores it.
  virtual StoreError stream(const ListOptions& opts, const std::string& after_revision,
                            const std::function<void()>& on_ready,
                            const std::function<bool(const SourceEvent&)>& sink,
                            std::stop_token stop) = 0;
};

class Watcher final : public Watch {
 public:
  // `source` must outlive the Watcher.
  Watcher(WatchSource& source, WatchOptions opts, WatchCallbacks callbacks);
  ~Watcher() override;
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  void stop() override;

 private:
  void run(const std::stop_token& stop);
  void stream_loop(const std::stop_token& stop);
  bool resync(const std::stop_token& stop);         // false if stopped
  bool sleep_backoff(const std::stop_token& stop);  // false if stopped
  void deliver(const std::vector<Event>& batch);
  void status(WatchStatus s, const std::string& detail);

  WatchSource& source_;
  WatchOptions opts_;
  WatchCallbacks callbacks_;
  Backoff backoff_;
  Logger log_;
  std::string revision_;                   // last delivered revision (watch thread only)
  std::map<Key, Object> known_;            // what the consumer has been told (watch thread only)
  bool reconnecting_ = false;              // last status was Reconnecting (watch thread only)
  std::mutex mu_;                          // for cv_ (backoff sleeps)
  std::mutex join_mu_;                     // serialises joins in stop()
  std::atomic<std::thread::id> run_id_{};  // the watch thread, once running
  std::condition_variable_any cv_;
  std::jthread thread_;  // started after everything above is initialised
  std::stop_source stop_source_;
};

// Computes the events that turn `known` into `listed` (Added/Modified/Deleted, keys in
// order), and replaces `known` with `listed`.  Modified means the revision differs.
std::vector<Event> diff_and_replace(std::map<Key, Object>& known,
                                    const std::vector<Object>& listed);

}  // namespace calico::datastore
