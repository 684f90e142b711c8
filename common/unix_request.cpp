#include "common/unix_request.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace calico {

Result<std::string, std::string> unix_request(const std::string& path, const std::string& request,
                                              std::chrono::milliseconds timeout) {
  sockaddr_un addr{};
  if (path.size() >= sizeof(addr.sun_path)) {
    return fail("control socket path too long: " + path);
  }
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return fail(std::string("socket: ") + std::strerror(errno));
  }
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const std::string e = std::strerror(errno);
    ::close(fd);
    return fail("cannot connect to " + path + ": " + e + " (is calico-bgp running?)");
  }
  const std::string line = request + "\n";
  if (::send(fd, line.data(), line.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(line.size())) {
    const std::string e = std::strerror(errno);
    ::close(fd);
    return fail("send to " + path + ": " + e);
  }
  std::string reply;
  std::array<char, 8192> buf{};
  constexpr std::size_t kMaxReply = 256U << 20;
  while (reply.size() < kMaxReply) {
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n == 0) {
      break;
    }
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      const std::string e = std::strerror(errno);
      ::close(fd);
      return fail("read from " + path + ": " + e);
    }
    reply.append(buf.data(), static_cast<std::size_t>(n));
  }
  ::close(fd);
  return reply;
}

}  // namespace calico
