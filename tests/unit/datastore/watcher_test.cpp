// The Watcher against a scriptable fake backend: initial list, exactly-once delivery across
// forced reconnects, resync diffs after compaction (objects deleted, modified, re-created
// and added while away), list retries, and prompt stop() in every state.
#include "datastore/watcher.h"

#include <atomic>
#include <condition_variable>
#include <mutex>

#include <gtest/gtest.h>

#include "tests/unit/datastore/watch_recorder.h"

namespace calico::datastore {
namespace {

using namespace std::chrono_literals;
using testing::WatchRecorder;

// An etcd-like source: a revisioned map plus an event log.  Knobs make streams break after
// N events, make the backend unreachable, fail lists, or compact the log.
class FakeSource final : public WatchSource {
 public:
  // Creates or modifies `name`; returns the new revision.
  std::int64_t put(const std::string& name, bool disabled = false) {
    const std::lock_guard<std::mutex> lock(mu_);
    auto v = testing::pool(name, "10.0.0.0/16");
    std::get<api::IPPool>(v).spec.disabled = disabled;
    const Key key{api::Kind::IPPool, "", name};
    const bool existed = objects_.count(key) != 0;
    Object o{key, v, std::to_string(++rev_)};
    objects_[key] = o;
    log_.push_back({{existed ? EventType::Modified : EventType::Added, o}, o.revision});
    cv_.notify_all();
    return rev_;
  }
  std::int64_t del(const std::string& name) {
    const std::lock_guard<std::mutex> lock(mu_);
    const Key key{api::Kind::IPPool, "", name};
    Object last = objects_.at(key);
    objects_.erase(key);
    last.revision = std::to_string(++rev_);
    log_.push_back({{EventType::Deleted, last}, last.revision});
    cv_.notify_all();
    return rev_;
  }
  // Appends a raw event to the log without touching the map (for odd histories).
  void append_raw(EventType type, const std::string& name) {
    const std::lock_guard<std::mutex> lock(mu_);
    Object o{
        {api::Kind::IPPool, "", name}, testing::pool(name, "10.0.0.0/16"), std::to_string(++rev_)};
    log_.push_back({{type, o}, o.revision});
    cv_.notify_all();
  }
  void compact() {
    const std::lock_guard<std::mutex> lock(mu_);
    compacted_ = rev_;
    cv_.notify_all();
  }
  void set_down(bool down) {
    const std::lock_guard<std::mutex> lock(mu_);
    down_ = down;
    cv_.notify_all();
  }
  void break_every(int n) {
    const std::lock_guard<std::mutex> lock(mu_);
    break_every_ = n;
  }
  void fail_lists(int n) {
    const std::lock_guard<std::mutex> lock(mu_);
    fail_lists_ = n;
  }
  std::vector<Object> items() {
    const std::lock_guard<std::mutex> lock(mu_);
    std::vector<Object> out;
    for (const auto& [k, o] : objects_) {
      out.push_back(o);
    }
    return out;
  }
  std::int64_t rev() {
    const std::lock_guard<std::mutex> lock(mu_);
    return rev_;
  }
  std::vector<std::string> stream_starts() {
    const std::lock_guard<std::mutex> lock(mu_);
    return stream_starts_;
  }
  int lists() {
    const std::lock_guard<std::mutex> lock(mu_);
    return lists_;
  }
  // "Added a@1,..." over the whole log (what a perfect consumer sees from revision 0).
  std::string log_summary() {
    const std::lock_guard<std::mutex> lock(mu_);
    std::vector<Event> evs;
    for (const auto& e : log_) {
      evs.push_back(e.event);
    }
    return WatchRecorder::describe(evs);
  }

  Result<ListResult, StoreError> list(const ListOptions&) override {
    const std::lock_guard<std::mutex> lock(mu_);
    ++lists_;
    if (down_ || fail_lists_ > 0) {
      fail_lists_ = std::max(0, fail_lists_ - 1);
      return fail(StoreError{ErrorCode::Unavailable, "fake: connection refused"});
    }
    ListResult r;
    for (const auto& [k, o] : objects_) {
      r.items.push_back(o);
    }
    r.revision = std::to_string(rev_);
    return r;
  }

  StoreError stream(const ListOptions&, const std::string& after_revision,
                    const std::function<void()>& on_ready,
                    const std::function<bool(const SourceEvent&)>& sink,
                    std::stop_token stop) override {
    std::unique_lock<std::mutex> lock(mu_);
    stream_starts_.push_back(after_revision);
    if (down_) {
      return {ErrorCode::Unavailable, "fake: connection refused"};
    }
    std::int64_t next = std::stoll(after_revision);
    if (next < compacted_) {
      return {ErrorCode::Gone, "fake: compacted"};
    }
    lock.unlock();
    on_ready();
    lock.lock();
    int sent = 0;
    while (!stop.stop_requested()) {
      if (down_) {
        return {ErrorCode::Unavailable, "fake: connection reset"};
      }
      if (next < compacted_) {
        return {ErrorCode::Gone, "fake: compacted"};
      }
      if (next < rev_) {
        const SourceEvent ev = log_[static_cast<std::size_t>(next)];  // revision next+1
        next = std::stoll(ev.revision);
        lock.unlock();
        const bool more = sink(ev);
        lock.lock();
        if (!more) {
          return {ErrorCode::Internal, "stopped"};
        }
        if (break_every_ > 0 && ++sent == break_every_) {
          return {ErrorCode::Unavailable, "fake: stream broken"};
        }
        continue;
      }
      cv_.wait(lock, stop, [&] { return rev_ > next || down_ || compacted_ > next; });
    }
    return {ErrorCode::Internal, "stopped"};
  }

 private:
  std::mutex mu_;
  std::condition_variable_any cv_;
  std::map<Key, Object> objects_;
  std::vector<SourceEvent> log_;  // log_[i] has revision i + 1
  std::int64_t rev_ = 0;
  std::int64_t compacted_ = 0;
  bool down_ = false;
  int break_every_ = 0;
  int fail_lists_ = 0;
  int lists_ = 0;
  std::vector<std::string> stream_starts_;
};

WatchOptions fast(std::string from = "", std::vector<Object> known = {}) {
  return {{api::Kind::IPPool, "", ""}, std::move(from), std::move(known), 1ms, 5ms};
}

TEST(Watcher, ListsThenStreams) {
  FakeSource src;
  src.put("a");
  src.put("b");
  WatchRecorder rec;
  Watcher w(src, fast(), rec.callbacks());
  ASSERT_TRUE(rec.wait_for_status(WatchStatus::InSync));
  src.put("c");
  src.del("a");
  ASSERT_TRUE(rec.wait_for_events(4));
  const auto batches = rec.batch_summaries();
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0], "Added a@1,Added b@2");  // the initial list is one batch
  EXPECT_EQ(rec.summary(), "Added a@1,Added b@2,Added c@3,Deleted a@4");
  EXPECT_EQ(src.stream_starts().at(0), "2");  // streams from the list revision
}

TEST(Watcher, EveryEventExactlyOnceInOrderAcrossForcedReconnects) {
  FakeSource src;
  src.break_every(3);  // every stream dies after 3 events
  WatchRecorder rec;
  Watcher w(src, fast("0"), rec.callbacks());
  for (int i = 0; i < 10; ++i) {
    src.put("p" + std::to_string(i));
  }
  for (int i = 0; i < 10; i += 2) {
    src.put("p" + std::to_string(i), true);
  }
  for (int i = 0; i < 10; i += 3) {
    src.del("p" + std::to_string(i));
  }
  ASSERT_TRUE(rec.wait_for_events(19)) << rec.summary();
  ASSERT_TRUE(rec.wait_for([&] { return rec.event_count() == 19u; }, 100ms));
  EXPECT_EQ(rec.summary(), src.log_summary());
  EXPECT_EQ(rec.duplicate_events(), 0u);
  EXPECT_TRUE(rec.revisions_strictly_increasing());
  // Each reconnect resumed exactly after the last delivered revision.
  const auto starts = src.stream_starts();
  ASSERT_GE(starts.size(), 7u);
  for (std::size_t i = 1; i < 7; ++i) {
    EXPECT_EQ(starts[i], std::to_string(3 * i)) << i;
  }
  EXPECT_GE(rec.status_count(WatchStatus::Reconnecting), 6);
  EXPECT_GE(rec.status_count(WatchStatus::InSync), 6);  // reported after each reconnect
  std::map<Key, Object> expected;
  for (const auto& o : src.items()) {
    expected[o.key] = o;
  }
  EXPECT_EQ(rec.state().size(), expected.size());
}

TEST(Watcher, CompactionWhileAwayResyncsWithOneDiffBatch) {
  FakeSource src;
  src.put("keep");   // 1
  src.put("mod");    // 2
  src.put("gone");   // 3
  src.put("again");  // 4
  WatchRecorder rec;
  Watcher w(src, fast(), rec.callbacks());
  ASSERT_TRUE(rec.wait_for_status(WatchStatus::InSync));
  src.set_down(true);
  ASSERT_TRUE(rec.wait_for_status(WatchStatus::Reconnecting));
  src.put("mod", true);  // 5
  src.del("gone");       // 6
  src.del("again");      // 7
  src.put("again");      // 8: deleted and re-created -> Modified for the consumer
  src.put("new");        // 9
  src.put("brief");      // 10: added and deleted while away -> never seen
  src.del("brief");      // 11
  src.compact();
  src.set_down(false);
  ASSERT_TRUE(rec.wait_for_status_after(WatchStatus::Resyncing, WatchStatus::InSync));
  EXPECT_EQ(rec.batch_summaries().back(),
            "Deleted gone@3,Modified again@8,Modified mod@5,Added new@9");
  EXPECT_EQ(rec.state_names(), "again,keep,mod,new");
  EXPECT_TRUE(rec.state_value_disabled("mod"));
  // After the resync the stream resumes from the list revision: nothing is replayed.
  src.put("after");  // 12
  ASSERT_TRUE(
      rec.wait_for([&] { return rec.summary().find("Added after@12") != std::string::npos; }));
  EXPECT_EQ(rec.duplicate_events(), 0u);
  EXPECT_EQ(src.stream_starts().back(), "11");
}

TEST(Watcher, StartFromACompactedRevisionDiffsAgainstKnownObjects) {
  FakeSource src;
  src.put("a");
  src.put("b");
  const auto known = src.items();
  WatchRecorder rec;
  rec.seed(known);
  src.del("a");
  src.put("c");
  src.compact();
  Watcher w(src, fast("2", known), rec.callbacks());
  ASSERT_TRUE(rec.wait_for_status(WatchStatus::InSync));
  EXPECT_EQ(rec.status_count(WatchStatus::Resyncing), 1);
  EXPECT_EQ(rec.batch_summaries().back(), "Deleted a@1,Added c@4");
  EXPECT_EQ(rec.state_names(), "b,c");
}

TEST(Watcher, ModifiedForAnUnknownKeyIsReportedAsAdded) {
  FakeSource src;
  WatchRecorder rec;
  Watcher w(src, fast("0"), rec.callbacks());
  src.append_raw(EventType::Modified, "x");
  ASSERT_TRUE(rec.wait_for_events(1));
  EXPECT_EQ(rec.summary(), "Added x@1");
}

TEST(Watcher, ListFailuresAreRetriedWithBackoffUntilTheBackendAnswers) {
  FakeSource src;
  src.put("a");
  src.fail_lists(3);
  WatchRecorder rec;
  Watcher w(src, fast(), rec.callbacks());
  ASSERT_TRUE(rec.wait_for_status(WatchStatus::InSync));
  EXPECT_EQ(rec.status_count(WatchStatus::Reconnecting), 3);
  EXPECT_EQ(src.lists(), 4);
  EXPECT_EQ(rec.summary(), "Added a@1");
}

TEST(Watcher, StopIsPromptWhileStreaming) {
  FakeSource src;
  WatchRecorder rec;
  Watcher w(src, fast(), rec.callbacks());
  ASSERT_TRUE(rec.wait_for_status(WatchStatus::InSync));
  const auto t0 = std::chrono::steady_clock::now();
  w.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 500ms);
  EXPECT_EQ(rec.status_count(WatchStatus::Stopped), 1);
}

TEST(Watcher, StopIsPromptDuringALongBackoff) {
  FakeSource src;
  src.set_down(true);
  WatchRecorder rec;
  WatchOptions o = fast();
  o.initial_backoff = 60s;
  o.max_backoff = 60s;
  auto w = std::make_unique<Watcher>(src, o, rec.callbacks());
  ASSERT_TRUE(rec.wait_for_status(WatchStatus::Reconnecting));
  const auto t0 = std::chrono::steady_clock::now();
  w.reset();  // destructor stops and joins
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 500ms);
  EXPECT_EQ(rec.status_count(WatchStatus::Stopped), 1);
}

TEST(Watcher, StopFromInsideACallbackEndsTheWatchOnce) {
  FakeSource src;
  std::atomic<Watch*> self{nullptr};
  WatchRecorder rec;
  auto cbs = rec.callbacks();
  auto record = cbs.on_events;
  cbs.on_events = [&](const std::vector<Event>& batch) {
    record(batch);
    if (Watch* w = self.load(); w != nullptr) {
      w->stop();
    }
  };
  auto w = std::make_unique<Watcher>(src, fast(), cbs);
  ASSERT_TRUE(rec.wait_for_status(WatchStatus::InSync));
  self.store(w.get());
  src.put("a");
  src.put("b");
  ASSERT_TRUE(rec.wait_for_status(WatchStatus::Stopped));
  w->stop();  // idempotent, from another thread
  w.reset();
  EXPECT_EQ(rec.status_count(WatchStatus::Stopped), 1);
  EXPECT_EQ(rec.summary(), "Added a@1");  // nothing delivered after stop()
}

TEST(Watcher, ConcurrentStopsAreSafe) {
  FakeSource src;
  WatchRecorder rec;
  Watcher w(src, fast(), rec.callbacks());
  ASSERT_TRUE(rec.wait_for_status(WatchStatus::InSync));
  std::thread t1([&] { w.stop(); });
  std::thread t2([&] { w.stop(); });
  t1.join();
  t2.join();
  EXPECT_EQ(rec.status_count(WatchStatus::Stopped), 1);
}

TEST(DiffAndReplace, ProducesDeletesThenUpsertsInKeyOrder) {
  auto obj = [](const std::string& name, const std::string& rev) {
    return Object{{api::Kind::IPPool, "", name}, testing::pool(name, "10.0.0.0/16"), rev};
  };
  std::map<Key, Object> known;
  for (const auto& o : {obj("a", "1"), obj("b", "2"), obj("c", "3")}) {
    known[o.key] = o;
  }
  const auto diff = diff_and_replace(known, {obj("b", "2"), obj("c", "7"), obj("d", "8")});
  EXPECT_EQ(WatchRecorder::describe(diff), "Deleted a@1,Modified c@7,Added d@8");
  EXPECT_EQ(known.size(), 3u);
  EXPECT_EQ(known.at({api::Kind::IPPool, "", "c"}).revision, "7");
  EXPECT_TRUE(diff_and_replace(known, {obj("b", "2"), obj("c", "7"), obj("d", "8")}).empty());
}

}  // namespace
}  // namespace calico::datastore
