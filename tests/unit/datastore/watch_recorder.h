// Test helpers for datastore tests: resource builders and a WatchRecorder that applies
// watch batches to a consumer-side state and lets tests wait (bounded) for progress.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "datastore/datastore.h"

namespace calico::datastore::testing {

inline api::AnyResource pool(const std::string& name, const std::string& cidr) {
  api::IPPool p;
  p.metadata.name = name;
  p.spec.cidr = cidr;
  return p;
}

inline api::AnyResource netset(const std::string& ns, const std::string& name) {
  api::NetworkSet s;
  s.metadata.name = name;
  s.metadata.ns = ns;
  s.spec.nets = {"192.0.2.0/24"};
  return s;
}

class WatchRecorder {
 public:
  // "Added a@1,Deleted b@3"
  static std::string describe(const std::vector<Event>& evs) {
    std::string out;
    for (const auto& e : evs) {
      const char* t = e.type == EventType::Added      ? "Added"
                      : e.type == EventType::Modified ? "Modified"
                                                      : "Deleted";
      out += (out.empty() ? "" : ",") + std::string(t) + " " + e.object.key.name + "@" +
             e.object.revision;
    }
    return out;
  }

  WatchCallbacks callbacks() {
    return {[this](const std::vector<Event>& batch) { on_events(batch); },
            [this](WatchStatus s, const std::string&) {
              const std::lock_guard<std::mutex> lock(mu_);
              statuses_.push_back(s);
              cv_.notify_all();
            }};
  }

  // Pretends the consumer already holds these objects (watch started from a revision).
  void seed(const std::vector<Object>& objs) {
    const std::lock_guard<std::mutex> lock(mu_);
    for (const auto& o : objs) {
      state_[o.key] = o;
    }
  }

  bool wait_for_status(WatchStatus s, int count = 1,
                       std::chrono::milliseconds timeout = std::chrono::milliseconds(10000)) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return count_locked(s) >= count; });
  }
  // Waits until `then` is reported after a `first` (e.g. InSync after Resyncing).
  bool wait_for_status_after(WatchStatus first, WatchStatus then,
                             std::chrono::milliseconds timeout = std::chrono::milliseconds(10000)) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] {
      auto it = std::find(statuses_.begin(), statuses_.end(), first);
      return it != statuses_.end() && std::find(it, statuses_.end(), then) != statuses_.end();
    });
  }
  bool wait_for_events(std::size_t n,
                       std::chrono::milliseconds timeout = std::chrono::milliseconds(10000)) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return events_.size() >= n; });
  }
  // Waits until `pred` holds; `pred` runs without the recorder's lock held, so it may call
  // the recorder's accessors.
  bool wait_for(const std::function<bool()>& pred,
                std::chrono::milliseconds timeout = std::chrono::milliseconds(10000)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
      if (std::chrono::steady_clock::now() >= deadline) {
        return false;
      }
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(5));
    }
    return true;
  }

  int status_count(WatchStatus s) {
    const std::lock_guard<std::mutex> lock(mu_);
    return count_locked(s);
  }
  std::size_t event_count() {
    const std::lock_guard<std::mutex> lock(mu_);
    return events_.size();
  }
  // "Added a@1,Deleted b@3" over every event so far.
  std::string summary() {
    const std::lock_guard<std::mutex> lock(mu_);
    return describe(events_);
  }
  std::vector<std::string> batch_summaries() {
    const std::lock_guard<std::mutex> lock(mu_);
    return batches_;
  }
  // Names in the consumer state, comma-separated, sorted.
  std::string state_names() {
    const std::lock_guard<std::mutex> lock(mu_);
    std::string out;
    for (const auto& [k, o] : state_) {
      out += (out.empty() ? "" : ",") + k.name;
    }
    return out;
  }
  std::map<Key, Object> state() {
    const std::lock_guard<std::mutex> lock(mu_);
    return state_;
  }
  bool state_value_disabled(const std::string& name) {
    const std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [k, o] : state_) {
      if (k.name == name) {
        return std::get<api::IPPool>(o.value).spec.disabled;
      }
    }
    return false;
  }
  bool revisions_strictly_increasing() {
    const std::lock_guard<std::mutex> lock(mu_);
    long long last = -1;
    for (const auto& e : events_) {
      const long long r = std::stoll(e.object.revision);
      if (r <= last) {
        return false;
      }
      last = r;
    }
    return true;
  }
  // Keys whose events were delivered more than once with the same revision.
  std::size_t duplicate_events() {
    const std::lock_guard<std::mutex> lock(mu_);
    // A resync's Deleted carries the last revision the consumer saw, so the event type is
    // part of the identity.
    std::map<std::tuple<EventType, Key, std::string>, int> seen;
    std::size_t dups = 0;
    for (const auto& e : events_) {
      if (++seen[{e.type, e.object.key, e.object.revision}] > 1) {
        ++dups;
      }
    }
    return dups;
  }

 private:
  int count_locked(WatchStatus s) const {
    return static_cast<int>(std::count(statuses_.begin(), statuses_.end(), s));
  }
  void on_events(const std::vector<Event>& batch) {
    const std::lock_guard<std::mutex> lock(mu_);
    for (const auto& e : batch) {
      events_.push_back(e);
      if (e.type == EventType::Deleted) {
        state_.erase(e.object.key);
      } else {
        state_[e.object.key] = e.object;
      }
    }
    batches_.push_back(describe(batch));
    cv_.notify_all();
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Event> events_;
  std::vector<std::string> batches_;
  std::vector<WatchStatus> statuses_;
  std::map<Key, Object> state_;
};

}  // namespace calico::datastore::testing
