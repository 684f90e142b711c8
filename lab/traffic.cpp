#include "lab/traffic.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <map>

#include "netlink/netns_thread.h"

namespace calico::lab {
namespace {

using Clock = std::chrono::steady_clock;

std::string errno_text(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

int open_listener(const Listener& l, std::string& error) {
  const bool tcp = l.protocol == "tcp";
  const int s =
      ::socket(AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (s < 0) {
    error = errno_text("socket");
    return -1;
  }
  const int one = 1;
  ::setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(l.port));
  if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || (tcp && ::listen(s, 64) != 0)) {
    error = errno_text(l.protocol + " port " + std::to_string(l.port));
    ::close(s);
    return -1;
  }
  return s;
}

struct Conn {
  std::string in;
  bool http_checked = false;
};

int ms_left(Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

}  // namespace

Result<void, std::string> serve(const std::vector<Listener>& listeners, const std::string& identity,
                                const std::atomic<bool>& stop,
                                const std::function<void()>& on_listening) {
  struct Socket {
    int fd;
    bool tcp_listener;
    bool udp;
  };
  std::vector<Socket> socks;
  for (const auto& l : listeners) {
    std::string error;
    const int fd = open_listener(l, error);
    if (fd < 0) {
      for (const auto& s : socks) {
        ::close(s.fd);
      }
      return fail(error);
    }
    socks.push_back({fd, l.protocol == "tcp", l.protocol == "udp"});
  }
  if (on_listening) {
    on_listening();
  }
  std::map<int, Conn> conns;
  const std::string http_body = identity + "\n";
  while (!stop) {
    std::vector<pollfd> fds;
    for (const auto& s : socks) {
      fds.push_back({s.fd, POLLIN, 0});
    }
    for (const auto& [fd, c] : conns) {
      fds.push_back({fd, POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), 200) <= 0) {
      continue;
    }
    std::vector<int> closed;
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].revents == 0) {
        continue;
      }
      std::array<char, 4096> buf{};
      if (i < socks.size() && socks[i].tcp_listener) {
        const int c = ::accept4(fds[i].fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (c >= 0 && conns.size() < 1000) {
          conns[c] = Conn{};
        } else if (c >= 0) {
          ::close(c);
        }
      } else if (i < socks.size()) {  // UDP: echo the datagram
        sockaddr_storage from{};
        socklen_t len = sizeof from;
        const ssize_t n = ::recvfrom(fds[i].fd, buf.data(), buf.size(), 0,
                                     reinterpret_cast<sockaddr*>(&from), &len);
        if (n > 0) {
          (void)::sendto(fds[i].fd, buf.data(), static_cast<std::size_t>(n), 0,
                         reinterpret_cast<sockaddr*>(&from), len);
        }
      } else {
        const int fd = fds[i].fd;
        const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
        if (n <= 0) {
          if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            closed.push_back(fd);
          }
          continue;
        }
        Conn& c = conns[fd];
        c.in.append(buf.data(), static_cast<std::size_t>(n));
        if (!c.http_checked && c.in.size() >= 5) {
          c.http_checked = true;
          if (c.in.rfind("GET ", 0) == 0 || c.in.rfind("HEAD ", 0) == 0) {
            const std::string resp =
                "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
                "Content-Length: " +
                std::to_string(http_body.size()) + "\r\nConnection: close\r\n\r\n" + http_body;
            (void)::send(fd, resp.data(), resp.size(), MSG_NOSIGNAL);
            closed.push_back(fd);
            continue;
          }
        }
        (void)::send(fd, c.in.data(), c.in.size(), MSG_NOSIGNAL);
        c.in.clear();
      }
    }
    for (int fd : closed) {
      ::close(fd);
      conns.erase(fd);
    }
  }
  for (const auto& [fd, c] : conns) {
    ::close(fd);
  }
  for (const auto& s : socks) {
    ::close(s.fd);
  }
  return {};
}

ProbeResult probe(const std::string& netns, const std::string& ip, int port,
                  const std::string& protocol, std::chrono::milliseconds timeout) {
  ProbeResult out;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::inet_pton(AF_INET, ip.c_str(), &a.sin_addr) != 1) {
    out.detail = "'" + ip + "' is not an IPv4 address";
    return out;
  }
  const bool tcp = protocol == "tcp";
  auto fd = netlink::run_in_netns(netns, [&]() -> Result<int, std::string> {
    const int s =
        ::socket(AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s < 0) {
      return fail(errno_text("socket"));
    }
    return s;
  });
  if (!fd) {
    out.detail = fd.error();
    return out;
  }
  const int s = *fd;
  const auto deadline = Clock::now() + timeout;
  const std::string timed_out = "timed out after " + std::to_string(timeout.count()) + " ms";
  auto finish = [&](bool ok, std::string detail) {
    ::close(s);
    out.connected = ok;
    out.detail = std::move(detail);
    return out;
  };
  if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 && errno != EINPROGRESS) {
    return finish(false, std::strerror(errno));
  }
  if (tcp) {
    pollfd p{s, POLLOUT, 0};
    if (::poll(&p, 1, ms_left(deadline)) != 1) {
      return finish(false, timed_out);
    }
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      return finish(false, err == ECONNREFUSED ? "refused" : std::strerror(err));
    }
  }
  const std::string msg = "calico-lab probe\n";
  if (::send(s, msg.data(), msg.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(msg.size())) {
    return finish(false, errno == ECONNREFUSED ? "refused" : errno_text("send"));
  }
  std::string got;
  while (got.size() < msg.size()) {
    pollfd p{s, POLLIN, 0};
    if (::poll(&p, 1, ms_left(deadline)) != 1) {
      return finish(false, got.empty() ? (tcp ? "connected, but no echo: " + timed_out : timed_out)
                                       : "partial echo");
    }
    std::array<char, 512> buf{};
    const ssize_t n = ::recv(s, buf.data(), buf.size(), 0);
    if (n < 0) {
      return finish(false, errno == ECONNREFUSED ? "refused" : errno_text("recv"));
    }
    if (n == 0) {
      return finish(false, "closed by the server");
    }
    got.append(buf.data(), static_cast<std::size_t>(n));
  }
  return finish(got == msg, got == msg ? "connected" : "unexpected reply");
}

}  // namespace calico::lab
