#include "tests/lib/netns.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <sstream>
#include <thread>
#include <tuple>

#include "tests/lib/process.h"

namespace calico::testlib {
namespace {

bool run_ok(const std::vector<std::string>& argv, std::string& error) {
  const auto r = run_command(argv);
  if (r.exit_code != 0) {
    std::string cmd;
    for (const auto& a : argv) {
      cmd += (cmd.empty() ? "" : " ") + a;
    }
    error = cmd + ": " + r.output;
    return false;
  }
  return true;
}

}  // namespace

CommandResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  CommandResult result;
  if (argv.empty()) {
    return result;
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    result.output = std::string("pipe: ") + std::strerror(errno);
    return result;
  }
  std::vector<std::string> args = argv;
  std::vector<char*> cargv;
  for (auto& a : args) {
    cargv.push_back(a.data());
  }
  cargv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    result.output = std::string("fork: ") + std::strerror(errno);
    return result;
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    ::dup2(fds[1], STDOUT_FILENO);
    ::dup2(fds[1], STDERR_FILENO);
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) {
      ::dup2(devnull, STDIN_FILENO);
    }
    ::execvp(cargv[0], cargv.data());
    std::fprintf(stderr, "execvp %s: %s\n", cargv[0], std::strerror(errno));
    ::_exit(127);
  }
  ::close(fds[1]);
  ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::array<char, 4096> buf{};
  int status = 0;
  bool exited = false;
  while (true) {
    const ssize_t n = ::read(fds[0], buf.data(), buf.size());
    if (n > 0) {
      result.output.append(buf.data(), static_cast<std::size_t>(n));
      continue;
    }
    if (!exited && ::waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
    }
    if (n == 0 && exited) {
      break;
    }
    if (n == 0 && !exited) {
      // Writer closed but child not reaped yet: wait for it.
      ::waitpid(pid, &status, 0);
      exited = true;
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      ::close(fds[0]);
      result.output += "\n[timed out]";
      result.exit_code = -1;
      return result;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ::close(fds[0]);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

bool link_exists(const std::string& netns, const std::string& ifname) {
  std::vector<std::string> argv = {"ip"};
  if (!netns.empty()) {
    argv.insert(argv.end(), {"-n", netns});
  }
  argv.insert(argv.end(), {"link", "show", "dev", ifname});
  return run_command(argv).exit_code == 0;
}

bool netns_exists(const std::string& name) {
  return ::access(("/run/netns/" + name).c_str(), F_OK) == 0;
}

NetNs::NetNs() : name_(unique_name("cal")) {
  ok_ = run_ok({"ip", "netns", "add", name_}, error_) &&
        run_ok({"ip", "-n", name_, "link", "set", "lo", "up"}, error_);
}

NetNs::~NetNs() {
  if (!netns_exists(name_)) {
    return;
  }
  kill_all();
  run_command({"ip", "netns", "del", name_});
}

CommandResult NetNs::exec(const std::vector<std::string>& argv,
                          std::chrono::milliseconds timeout) const {
  std::vector<std::string> full = {"ip", "netns", "exec", name_};
  full.insert(full.end(), argv.begin(), argv.end());
  return run_command(full, timeout);
}

void NetNs::kill_all() {
  for (int round = 0; round < 10; ++round) {
    const auto r = run_command({"ip", "netns", "pids", name_});
    std::istringstream in(r.output);
    pid_t pid = 0;
    bool any = false;
    while (in >> pid) {
      if (pid > 1) {
        ::kill(pid, SIGKILL);
        any = true;
      }
    }
    if (!any) {
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

VethPair::VethPair(const NetNs* ns_a, const std::string& addr_a, const NetNs* ns_b,
                   const std::string& addr_b)
    : ns_a_(ns_a), name_a_(unique_name("va")), name_b_(unique_name("vb")) {
  std::vector<std::string> add = {"ip", "link", "add", name_a_};
  if (ns_a != nullptr) {
    add.insert(add.end(), {"netns", ns_a->name()});
  }
  add.insert(add.end(), {"type", "veth", "peer", "name", name_b_});
  if (ns_b != nullptr) {
    add.insert(add.end(), {"netns", ns_b->name()});
  }
  if (!run_ok(add, error_)) {
    return;
  }
  auto ip_in = [](const NetNs* ns) {
    std::vector<std::string> v = {"ip"};
    if (ns != nullptr) {
      v.insert(v.end(), {"-n", ns->name()});
    }
    return v;
  };
  for (const auto& [ns, name, addr] :
       {std::tuple{ns_a, name_a_, addr_a}, std::tuple{ns_b, name_b_, addr_b}}) {
    if (!addr.empty()) {
      auto cmd = ip_in(ns);
      if (addr.find(':') != std::string::npos) {
        cmd.insert(cmd.end(), {"-6", "addr", "add", addr, "dev", name, "nodad"});
      } else {
        cmd.insert(cmd.end(), {"addr", "add", addr, "dev", name});
      }
      if (!run_ok(cmd, error_)) {
        return;
      }
    }
    auto up = ip_in(ns);
    up.insert(up.end(), {"link", "set", name, "up"});
    if (!run_ok(up, error_)) {
      return;
    }
  }
  ok_ = true;
}

VethPair::~VethPair() {
  // Deleting one end removes both; the end may already be gone with its namespace.
  std::vector<std::string> del = {"ip"};
  if (ns_a_ != nullptr) {
    if (!netns_exists(ns_a_->name())) {
      return;
    }
    del.insert(del.end(), {"-n", ns_a_->name()});
  }
  del.insert(del.end(), {"link", "del", name_a_});
  run_command(del);
}

Bridge::Bridge(const NetNs& ns, const std::string& addr) : ns_(ns), name_(unique_name("br")) {
  if (!run_ok({"ip", "-n", ns.name(), "link", "add", name_, "type", "bridge"}, error_)) {
    return;
  }
  if (!addr.empty() &&
      !run_ok({"ip", "-n", ns.name(), "addr", "add", addr, "dev", name_}, error_)) {
    return;
  }
  ok_ = run_ok({"ip", "-n", ns.name(), "link", "set", name_, "up"}, error_);
}

Bridge::~Bridge() {
  if (!netns_exists(ns_.name())) {
    return;
  }
  for (const auto& p : ports_) {
    run_command({"ip", "-n", ns_.name(), "link", "del", p});
  }
  run_command({"ip", "-n", ns_.name(), "link", "del", name_});
}

bool Bridge::attach(const NetNs& host, const std::string& addr) {
  const std::string port = unique_name("bp");
  const std::string peer = unique_name("bh");
  if (!run_ok({"ip", "-n", ns_.name(), "link", "add", port, "type", "veth", "peer", "name", peer,
               "netns", host.name()},
              error_)) {
    return false;
  }
  ports_.push_back(port);
  return run_ok({"ip", "-n", ns_.name(), "link", "set", port, "master", name_}, error_) &&
         run_ok({"ip", "-n", ns_.name(), "link", "set", port, "up"}, error_) &&
         (addr.empty() ||
          run_ok({"ip", "-n", host.name(), "addr", "add", addr, "dev", peer}, error_)) &&
         run_ok({"ip", "-n", host.name(), "link", "set", peer, "up"}, error_);
}

}  // namespace calico::testlib
