#include "common/backoff.h"

#include <algorithm>
#include <random>

namespace calico {

Backoff::Backoff(Millis initial, Millis max, std::function<double()> rand01)
    : initial_(initial), max_(max), ceiling_(initial), rand01_(std::move(rand01)) {
  if (!rand01_) {
    rand01_ = [] {
      thread_local std::mt19937_64 rng{std::random_device{}()};
      return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    };
  }
}

Backoff::Millis Backoff::next() {
  const Millis ceiling = ceiling_;
  ceiling_ = std::min(max_, ceiling_ * 2);
  ++attempts_;
  const double half = static_cast<double>(ceiling.count()) / 2.0;
  return Millis(static_cast<Millis::rep>(half + half * rand01_()));
}

}  // namespace calico
