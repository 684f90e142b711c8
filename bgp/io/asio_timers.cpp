#include "bgp/io/asio_timers.h"

namespace calico::bgp {

AsioTimers::~AsioTimers() {
  *alive_ = false;  // handlers still queued in the io_context must not touch us
  for (auto& [id, e] : timers_) {
    e.timer->cancel();
  }
}

TimerService::TimerId AsioTimers::start(std::chrono::milliseconds delay, std::function<void()> fn) {
  const TimerId id = ++next_id_;
  auto timer = std::make_unique<boost::asio::steady_timer>(io_, delay);
  timer->async_wait([this, id, alive = alive_](const boost::system::error_code& ec) {
    if (ec || !*alive) {
      return;
    }
    auto it = timers_.find(id);
    if (it == timers_.end()) {
      return;  // cancelled after it fired but before this handler ran
    }
    auto callback = std::move(it->second.fn);
    // The timer object may be destroyed now: this handler owns no reference to it.
    timers_.erase(it);
    callback();
  });
  timers_.emplace(id, Entry{std::move(timer), std::move(fn)});
  return id;
}

void AsioTimers::cancel(TimerId id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) {
    return;
  }
  it->second.timer->cancel();
  timers_.erase(it);
}

}  // namespace calico::bgp
