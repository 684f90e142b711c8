// The seam between protocol logic and time: one-shot timers and a monotonic clock.
//
// Logic (the BGP speaker, reconcilers) asks a TimerService for timers and reads now();
// the real implementation is Boost.Asio steady timers on the daemon's event loop
// (bgp/io/asio_timers.h); tests use ManualTimers,
// which fires callbacks only when the test advances time, so timer-driven behaviour is
// deterministic and instantaneous.
//
// Thread affinity: a TimerService and its callbacks run on one thread (the event loop).
// A callback is never invoked after cancel() returned for its id.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <utility>

namespace calico {

using SteadyTime = std::chrono::steady_clock::time_point;

class TimerService {
 public:
  using TimerId = std::uint64_t;  // 0 is never a valid id
  virtual ~TimerService() = default;
  // Calls `fn` once after `delay` (0 = on the next loop turn).  Returns an id for cancel().
  virtual TimerId start(std::chrono::milliseconds delay, std::function<void()> fn) = 0;
  // Cancels a pending timer; unknown or already-fired ids are ignored.
  virtual void cancel(TimerId id) = 0;
  virtual SteadyTime now() const = 0;
};

// A deterministic TimerService for unit tests: time stands still until advance().
// Timers due at the same instant fire in start order.  Callbacks may start and cancel
// timers (also ones due in the same advance()).
class ManualTimers final : public TimerService {
 public:
  TimerId start(std::chrono::milliseconds delay, std::function<void()> fn) override {
    const TimerId id = ++next_id_;
    pending_.emplace(std::make_pair(now_ + delay, id), std::move(fn));
    return id;
  }
  void cancel(TimerId id) override {
    for (auto it = pending_.begin(); it != pending_.end(); ++it) {
      if (it->first.second == id) {
        pending_.erase(it);
        return;
      }
    }
  }
  SteadyTime now() const override { return now_; }

  // Moves time forward by `d`, firing every timer that falls due, in time order.
  // Returns the number of callbacks run.
  int advance(std::chrono::milliseconds d) {
    const SteadyTime end = now_ + d;
    int fired = 0;
    while (!pending_.empty() && pending_.begin()->first.first <= end) {
      auto node = pending_.extract(pending_.begin());
      now_ = node.key().first;
      node.mapped()();
      ++fired;
    }
    now_ = end;
    return fired;
  }
  std::size_t pending() const { return pending_.size(); }

 private:
  SteadyTime now_{std::chrono::hours(1)};
  TimerId next_id_ = 0;
  std::map<std::pair<SteadyTime, TimerId>, std::function<void()>> pending_;
};

}  // namespace calico
