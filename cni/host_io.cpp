// The real-system side of the CNI plugins (see host_io.h).
#include "cni/host_io.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "datastore/open/open.h"

namespace calico::cni {

Result<std::optional<std::string>, std::string> read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) {
      return std::optional<std::string>();
    }
    return fail("cannot read " + path + ": " + std::strerror(err));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return std::optional<std::string>(ss.str());
}

std::string system_hostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) {
    return {};
  }
  return buf;
}

Result<LockGuard, std::string> lock_file(const std::string& path,
                                         std::chrono::milliseconds timeout) {
  std::error_code ec;
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::filesystem::create_directories(parent, ec);
  }
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return fail("cannot open the IPAM lock file " + path + ": " + std::strerror(errno));
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    if (err != EWOULDBLOCK && err != EINTR) {
      ::close(fd);
      return fail("cannot lock " + path + ": " + std::strerror(err));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      ::close(fd);
      return fail("timed out after " + std::to_string(timeout.count()) +
                  " ms waiting for the IPAM lock " + path);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // Closing the descriptor releases the lock.
  return LockGuard(new int(fd), [](void* p) {
    auto* f = static_cast<int*>(p);
    ::close(*f);
    delete f;
  });
}

void append_log(const std::string& path, const std::string& line) {
  std::error_code ec;
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::filesystem::create_directories(parent, ec);
  }
  std::ofstream out(path, std::ios::app);
  out << line << '\n';
}

PluginIo system_io() {
  PluginIo io;
  io.getenv = [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    return v != nullptr ? std::optional<std::string>(v) : std::nullopt;
  };
  io.read_file = read_whole_file;
  io.hostname = system_hostname;
  io.open_datastore = datastore::open_datastore;
  io.lock = lock_file;
  io.now = [] { return std::chrono::system_clock::now(); };
  io.log = append_log;
  return io;
}

}  // namespace calico::cni
