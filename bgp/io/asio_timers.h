// TimerService on a Boost.Asio io_context (steady clock).  Single-threaded: start(),
// cancel() and the callbacks all run on the io_context's thread.
#pragma once

#include <map>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "common/timer.h"

namespace calico::bgp {

class AsioTimers final : public TimerService {
 public:
  explicit AsioTimers(boost::asio::io_context& io) : io_(io) {}
  AsioTimers(const AsioTimers&) = delete;
  AsioTimers& operator=(const AsioTimers&) = delete;
  ~AsioTimers() override;

  TimerId start(std::chrono::milliseconds delay, std::function<void()> fn) override;
  void cancel(TimerId id) override;
  SteadyTime now() const override { return std::chrono::steady_clock::now(); }

 private:
  struct Entry {
    std::unique_ptr<boost::asio::steady_timer> timer;
    std::function<void()> fn;
  };
  boost::asio::io_context& io_;
  TimerId next_id_ = 0;
  std::map<TimerId, Entry> timers_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace calico::bgp
