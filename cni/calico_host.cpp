// Delegate IPAM plugin execution and the calico plugin's real-system I/O (see
// calico_host.h).
#include "cni/calico_host.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "cni/host_io.h"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX, not in a header

namespace calico::cni {
namespace {

constexpr std::chrono::milliseconds kDelegateTimeout{
    120'000};  // calico-ipam waits 90 s for its lock

std::string errno_text(int e) {
  const char* text = ::strerrordesc_np(e);
  return text != nullptr ? text : "errno " + std::to_string(e);
}

void close_fd(int& fd) {
  if (fd >= 0) {
    ::close(fd);
    fd = -1;
  }
}

}  // namespace

Result<std::string, std::string> find_plugin(const std::string& type, const std::string& cni_path) {
  if (type.empty() || type.find('/') != std::string::npos) {
    return fail("invalid plugin type '" + type + "'");
  }
  std::size_t start = 0;
  while (start <= cni_path.size()) {
    const std::size_t colon = cni_path.find(':', start);
    const std::string dir =
        cni_path.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    start = colon == std::string::npos ? cni_path.size() + 1 : colon + 1;
    if (dir.empty()) {
      continue;
    }
    std::string candidate = dir;
    candidate += '/';
    candidate += type;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return fail("failed to find plugin \"" + type + "\" in path [" + cni_path + "]");
}

Result<DelegateOutput, std::string> run_plugin_binary(const std::string& binary,
                                                      std::string_view input,
                                                      const std::vector<std::string>& env,
                                                      std::chrono::milliseconds timeout) {
  std::array<int, 2> in{-1, -1};
  std::array<int, 2> out{-1, -1};
  std::array<int, 2> err{-1, -1};
  if (::pipe2(in.data(), O_CLOEXEC) != 0 || ::pipe2(out.data(), O_CLOEXEC) != 0 ||
      ::pipe2(err.data(), O_CLOEXEC) != 0) {
    const int e = errno;
    for (auto* p : {&in, &out, &err}) {
      close_fd((*p)[0]);
      close_fd((*p)[1]);
    }
    return fail("running " + binary + ": pipe: " + errno_text(e));
  }
  // Everything the child needs is prepared before fork (only async-signal-safe calls after).
  std::vector<char*> envp;
  envp.reserve(env.size() + 1);
  for (const auto& e : env) {
    envp.push_back(const_cast<char*>(e.c_str()));  // execve does not modify them
  }
  envp.push_back(nullptr);
  std::array<char*, 2> argv{const_cast<char*>(binary.c_str()), nullptr};
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int e = errno;
    for (auto* p : {&in, &out, &err}) {
      close_fd((*p)[0]);
      close_fd((*p)[1]);
    }
    return fail("running " + binary + ": fork: " + errno_text(e));
  }
  if (pid == 0) {
    ::dup2(in[0], STDIN_FILENO);
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(err[1], STDERR_FILENO);
    ::execve(binary.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  close_fd(in[0]);
  close_fd(out[1]);
  close_fd(err[1]);
  ::signal(SIGPIPE, SIG_IGN);  // a plugin that exits without reading stdin must not kill us

  DelegateOutput result;
  std::size_t written = 0;
  if (input.empty()) {
    close_fd(in[1]);
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  while (out[0] >= 0 || err[0] >= 0) {
    std::array<pollfd, 3> fds{};
    nfds_t n = 0;
    for (int fd : {out[0], err[0]}) {
      if (fd >= 0) {
        fds[n++] = pollfd{fd, POLLIN, 0};
      }
    }
    if (in[1] >= 0) {
      fds[n++] = pollfd{in[1], POLLOUT, 0};
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    if (::poll(fds.data(), n, static_cast<int>(left.count())) < 0 && errno != EINTR) {
      break;
    }
    for (nfds_t i = 0; i < n; ++i) {
      if (fds[i].revents == 0) {
        continue;
      }
      if (fds[i].fd == in[1]) {
        const ssize_t w = ::write(in[1], input.data() + written, input.size() - written);
        if (w > 0) {
          written += static_cast<std::size_t>(w);
        }
        if (w < 0 || written == input.size()) {
          close_fd(in[1]);
        }
        continue;
      }
      std::array<char, 4096> buf{};
      const ssize_t r = ::read(fds[i].fd, buf.data(), buf.size());
      if (r <= 0) {
        close_fd(fds[i].fd == out[0] ? out[0] : err[0]);
        continue;
      }
      (fds[i].fd == out[0] ? result.stdout_text : result.stderr_text)
          .append(buf.data(), static_cast<std::size_t>(r));
    }
  }
  close_fd(in[1]);
  close_fd(out[0]);
  close_fd(err[0]);
  if (timed_out) {
    ::kill(pid, SIGKILL);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    return fail(binary + " did not finish within " + std::to_string(timeout.count()) + " ms");
  }
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
    if (result.exit_code == 127 && result.stdout_text.empty() && result.stderr_text.empty()) {
      return fail("running " + binary + ": exec failed");
    }
  } else {
    result.exit_code = 128 + WTERMSIG(status);
    result.stderr_text += "killed by signal " + std::to_string(WTERMSIG(status));
  }
  return result;
}

Result<DelegateOutput, std::string> exec_delegate(const std::string& type,
                                                  const std::string& command,
                                                  std::string_view stdin_bytes,
                                                  const std::map<std::string, std::string>& env) {
  const char* path = std::getenv("CNI_PATH");  // NOLINT(concurrency-mt-unsafe): read only
  auto binary = find_plugin(type, path != nullptr ? path : "");
  if (!binary) {
    return fail(binary.error());
  }
  std::map<std::string, std::string> vars;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string kv = *e;
    const auto eq = kv.find('=');
    if (eq != std::string::npos) {
      vars[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
  }
  vars["CNI_COMMAND"] = command;
  for (const auto& [k, v] : env) {
    vars[k] = v;
  }
  std::vector<std::string> list;
  list.reserve(vars.size());
  for (const auto& [k, v] : vars) {
    std::string kv = k;
    kv += '=';
    kv += v;
    list.push_back(std::move(kv));
  }
  return run_plugin_binary(*binary, stdin_bytes, list, kDelegateTimeout);
}

CalicoPluginIo calico_system_io(WorkloadDataplane& dataplane) {
  CalicoPluginIo io;
  io.base = system_io();
  io.delegate = exec_delegate;
  io.dataplane = &dataplane;
  return io;
}

}  // namespace calico::cni
