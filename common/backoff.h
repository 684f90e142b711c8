// Capped exponential backoff with full jitter, used for reconnects and CAS retries.
//
// Pure: the caller supplies the random source (so tests are deterministic) and does the
// sleeping.  next() returns the delay before the next attempt and doubles the ceiling up
// to max; reset() after a success.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace calico {

class Backoff {
 public:
  using Millis = std::chrono::milliseconds;
  // rand01 returns a uniformly distributed value in [0, 1); default is a thread-local PRNG.
  Backoff(Millis initial, Millis max, std::function<double()> rand01 = {});

  // Delay before the next attempt: uniform in [ceiling/2, ceiling], ceiling doubling
  // from `initial` up to `max`.
  Millis next();
  void reset() {
    ceiling_ = initial_;
    attempts_ = 0;
  }
  int attempts() const { return attempts_; }

 private:
  Millis initial_;
  Millis max_;
  Millis ceiling_;
  int attempts_ = 0;
  std::function<double()> rand01_;
};

}  // namespace calico
