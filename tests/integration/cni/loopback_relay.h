// LoopbackRelay: makes a TCP service on the test's own loopback (etcd on 127.0.0.1:PORT)
// reachable on 127.0.0.1:PORT inside a network namespace the test created, so a plugin run
// with `ip netns exec <node>` reaches the datastore while its interfaces land in <node>.
//
// The listening socket is created inside the namespace (on a throwaway thread, see
// testlib::run_in_netns); one relay thread in the test's namespace accepts, connects to
// the real service and copies bytes both ways.  Traffic stays on loopbacks.  Stopped and
// joined by the destructor; every socket is closed.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "tests/lib/pod_net.h"

namespace calico::cni::it {

class LoopbackRelay {
 public:
  static Result<std::unique_ptr<LoopbackRelay>, std::string> start(const std::string& netns,
                                                                   int port) {
    std::unique_ptr<LoopbackRelay> relay(new LoopbackRelay(port));
    std::string why;
    auto ran = testlib::run_in_netns(netns, [&] {
      relay->listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      const int one = 1;
      ::setsockopt(relay->listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
      sockaddr_in a = loopback(port);
      if (relay->listen_fd_ < 0 ||
          ::bind(relay->listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
          ::listen(relay->listen_fd_, 64) != 0) {
        why = std::string("listen 127.0.0.1:") + std::to_string(port) + ": " + std::strerror(errno);
      }
    });
    if (!ran) {
      return fail(ran.error());
    }
    if (!why.empty()) {
      return fail(why);
    }
    if (::pipe2(relay->wake_.data(), O_CLOEXEC) != 0) {
      return fail(std::string("pipe: ") + std::strerror(errno));
    }
    relay->thread_ = std::thread([r = relay.get()] { r->loop(); });
    return relay;
  }

  ~LoopbackRelay() {
    if (thread_.joinable()) {
      const char c = 'x';
      (void)!::write(wake_[1], &c, 1);
      thread_.join();
    }
    for (int fd : {listen_fd_, wake_[0], wake_[1]}) {
      if (fd >= 0) {
        ::close(fd);
      }
    }
  }
  LoopbackRelay(const LoopbackRelay&) = delete;
  LoopbackRelay& operator=(const LoopbackRelay&) = delete;

 private:
  explicit LoopbackRelay(int port) : port_(port) {}

  static sockaddr_in loopback(int port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
  }

  struct Pair {
    int client = -1;
    int server = -1;
  };

  void loop() {
    std::vector<Pair> pairs;
    while (true) {
      std::vector<pollfd> fds = {{wake_[0], POLLIN, 0}, {listen_fd_, POLLIN, 0}};
      for (const auto& p : pairs) {
        fds.push_back({p.client, POLLIN, 0});
        fds.push_back({p.server, POLLIN, 0});
      }
      if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) {
        break;
      }
      if (fds[0].revents != 0) {
        break;
      }
      if ((fds[1].revents & POLLIN) != 0) {
        const int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c >= 0) {
          const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
          sockaddr_in a = loopback(port_);
          if (s >= 0 && ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0) {
            pairs.push_back({c, s});
          } else {
            ::close(c);
            if (s >= 0) {
              ::close(s);
            }
          }
        }
      }
      std::vector<Pair> alive;
      for (std::size_t i = 0; i < pairs.size(); ++i) {
        const short from_client = fds[2 + 2 * i].revents;
        const short from_server = fds[3 + 2 * i].revents;
        bool ok = true;
        if (from_client != 0) {
          ok = copy(pairs[i].client, pairs[i].server);
        }
        if (ok && from_server != 0) {
          ok = copy(pairs[i].server, pairs[i].client);
        }
        if (ok) {
          alive.push_back(pairs[i]);
        } else {
          ::close(pairs[i].client);
          ::close(pairs[i].server);
        }
      }
      pairs = std::move(alive);
    }
    for (const auto& p : pairs) {
      ::close(p.client);
      ::close(p.server);
    }
  }

  // One read and a full write; false when either side is done.
  static bool copy(int from, int to) {
    std::array<char, 65536> buf{};
    const ssize_t n = ::read(from, buf.data(), buf.size());
    if (n <= 0) {
      return false;
    }
    for (ssize_t done = 0; done < n;) {
      const ssize_t w = ::write(to, buf.data() + done, static_cast<std::size_t>(n - done));
      if (w <= 0) {
        return false;
      }
      done += w;
    }
    return true;
  }

  int port_;
  int listen_fd_ = -1;
  std::array<int, 2> wake_{-1, -1};
  std::thread thread_;
};

}  // namespace calico::cni::it
