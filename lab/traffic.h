// Traffic for the lab's pods: the servers a pod listens with (`calico-lab serve`) and the
// probe that tells whether one pod reaches another.
//
//   serve({{"tcp", 80}, {"udp", 53}}, "demo/web-1", stop_flag);   // blocks until *stop
//   auto r = probe("lab-demo.client-1", "10.65.0.2", 80, "tcp", 1000ms);
//   r.connected                                                   // false: r.detail says why
//
// The servers echo what they receive (TCP: per connection; UDP: per datagram).  A TCP
// request that starts like HTTP ("GET ", "HEAD ") is answered as HTTP/1.0 with one line
// naming the pod, so curl/wget from another pod work too.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "common/result.h"
#include "lab/state.h"

namespace calico::lab {

// Listens in the calling thread's network namespace on every listener (all addresses) and
// serves until *stop becomes true.  Fails when a socket cannot be bound.
// `on_listening` runs once every socket is bound.
Result<void, std::string> serve(const std::vector<Listener>& listeners, const std::string& identity,
                                const std::atomic<bool>& stop,
                                const std::function<void()>& on_listening);

struct ProbeResult {
  bool connected = false;
  std::string detail;  // "connected", "refused", "timed out after 1000 ms", ...
};

// From inside network namespace `netns` to ip:port over tcp or udp.  TCP: connect, one echo
// roundtrip.  UDP: one datagram and its echo.  Both bounded by `timeout`.
ProbeResult probe(const std::string& netns, const std::string& ip, int port,
                  const std::string& protocol, std::chrono::milliseconds timeout);

}  // namespace calico::lab
