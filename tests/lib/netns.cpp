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
  ::setpgid(pid, pid);  // also from the parent, so the group exists before we signal it
  ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::array<char, 4096> buf{};
  bool eof = false;
  bool exited = false;
  bool timed_out = false;
  while (!(eof && exited)) {
    if (!eof) {
      const ssize_t n = ::read(fds[0], buf.data(), buf.size());
      if (n > 0) {
        result.output.append(buf.data(), static_cast<std::size_t>(n));
        continue;
      }
      eof = n == 0 || (errno != EAGAIN && errno != EINTR);
    }
    if (!exited) {
      // WNOWAIT: leave the zombie so the group id stays ours until the final kill below.
      siginfo_t info{};
      exited = ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0 ||
               info.si_pid == pid;
    }
    if (eof && exited) {
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ::close(fds[0]);
  // Nothing the command started may outlive it (e.g. a background child holding the pipe).
  ::kill(-pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    result.output += "\n[timed out]";
    result.exit_code = -1;
    return result;
  }
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

NetNs::NetNs() {
  // A name can only be taken by a namespace left behind by a crashed earlier run with a
  // recycled pid: try a few fresh names rather than touching somebody else's namespace.
  for (int attempt = 0; attempt < 3 && !ok_; ++attempt) {
    name_ = unique_name("cal");
    if (netns_exists(name_)) {
      error_ = "namespace " + name_ + " already exists";
      continue;
    }
    if (!run_ok({"ip", "netns", "add", name_}, error_)) {
      return;
    }
    created_ = true;
    ok_ = run_ok({"ip", "-n", name_, "link", "set", "lo", "up"}, error_);
    if (ok_) {
      error_.clear();
    }
  }
}

NetNs::~NetNs() {
  remove();
}

void NetNs::remove() {
  if (!created_) {
    return;
  }
  created_ = false;
  ok_ = false;
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
  if (!netns_exists(name_)) {
    return;
  }
  for (int round = 0; round < 50; ++round) {
    const auto r = run_command({"ip", "netns", "pids", name_});
    std::istringstream in(r.output);
    pid_t pid = 0;
    bool any = false;
    while (in >> pid) {
      if (pid > 1 && pid != ::getpid()) {
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

namespace {

// "ip" or "ip -n <ns>".
std::vector<std::string> ip_in(const std::string& ns) {
  std::vector<std::string> v = {"ip"};
  if (!ns.empty()) {
    v.insert(v.end(), {"-n", ns});
  }
  return v;
}

// `ip ... <args>` inside `ns` ("" = host namespace).
std::vector<std::string> ip_cmd(const std::string& ns, std::initializer_list<std::string> args) {
  auto v = ip_in(ns);
  v.insert(v.end(), args);
  return v;
}

bool add_address(const std::string& ns, const std::string& dev, const std::string& addr,
                 std::string& error) {
  if (addr.find(':') != std::string::npos) {
    // nodad: the address is usable at once (no duplicate address detection delay).
    return run_ok(ip_cmd(ns, {"-6", "addr", "add", addr, "dev", dev, "nodad"}), error);
  }
  return run_ok(ip_cmd(ns, {"addr", "add", addr, "dev", dev}), error);
}

}  // namespace

VethPair::VethPair(const NetNs* ns_a, const std::string& addr_a, const NetNs* ns_b,
                   const std::string& addr_b)
    : ns_a_(ns_a != nullptr ? ns_a->name() : ""),
      name_a_(unique_name("va")),
      name_b_(unique_name("vb")) {
  const std::string ns_b_name = ns_b != nullptr ? ns_b->name() : "";
  // Created directly inside the namespaces, so no end ever appears in the host namespace
  // unless asked for.
  std::vector<std::string> add =
      ip_cmd(ns_a_, {"link", "add", name_a_, "type", "veth", "peer", "name", name_b_});
  if (!ns_b_name.empty()) {
    add.insert(add.end(), {"netns", ns_b_name});
  }
  if (!run_ok(add, error_)) {
    return;
  }
  created_ = true;
  for (const auto& [ns, name, addr] :
       {std::tuple{ns_a_, name_a_, addr_a}, std::tuple{ns_b_name, name_b_, addr_b}}) {
    if (!addr.empty() && !add_address(ns, name, addr, error_)) {
      return;
    }
    if (!run_ok(ip_cmd(ns, {"link", "set", name, "up"}), error_)) {
      return;
    }
  }
  ok_ = true;
}

VethPair::~VethPair() {
  remove();
}

void VethPair::remove() {
  if (!created_) {
    return;
  }
  created_ = false;
  ok_ = false;
  // Deleting one end removes both; the end may already be gone with its namespace.
  if (!ns_a_.empty() && !netns_exists(ns_a_)) {
    return;
  }
  if (link_exists(ns_a_, name_a_)) {
    run_command(ip_cmd(ns_a_, {"link", "del", name_a_}));
  }
}

Bridge::Bridge(const NetNs& ns, const std::string& addr)
    : ns_(ns.name()), name_(unique_name("br")) {
  if (!run_ok(ip_cmd(ns_, {"link", "add", name_, "type", "bridge"}), error_)) {
    return;
  }
  created_ = true;
  if (!addr.empty() && !add_address(ns_, name_, addr, error_)) {
    return;
  }
  ok_ = run_ok(ip_cmd(ns_, {"link", "set", name_, "up"}), error_);
}

Bridge::~Bridge() {
  remove();
}

void Bridge::remove() {
  if (!created_) {
    return;
  }
  created_ = false;
  ok_ = false;
  std::vector<std::string> ports;
  ports.swap(ports_);
  if (!netns_exists(ns_)) {
    return;  // everything went with the namespace
  }
  for (const auto& p : ports) {
    if (link_exists(ns_, p)) {
      run_command(ip_cmd(ns_, {"link", "del", p}));
    }
  }
  run_command(ip_cmd(ns_, {"link", "del", name_}));
}

bool Bridge::attach(const NetNs& host, const std::string& addr) {
  if (!created_) {
    error_ = "bridge " + name_ + " does not exist";
    return false;
  }
  const std::string port = unique_name("bp");
  const std::string peer = unique_name("bh");
  if (!run_ok(ip_cmd(ns_, {"link", "add", port, "type", "veth", "peer", "name", peer, "netns",
                           host.name()}),
              error_)) {
    return false;
  }
  ports_.push_back(port);
  return run_ok(ip_cmd(ns_, {"link", "set", port, "master", name_}), error_) &&
         run_ok(ip_cmd(ns_, {"link", "set", port, "up"}), error_) &&
         (addr.empty() || add_address(host.name(), peer, addr, error_)) &&
         run_ok(ip_cmd(host.name(), {"link", "set", peer, "up"}), error_);
}

}  // namespace calico::testlib
