#include "tests/lib/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace calico::testlib {
namespace {

// Base 36, left-padded with '0' to at least `width` digits.
std::string base36(unsigned long long v, std::size_t width = 1) {
  static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string out;
  do {
    out.insert(out.begin(), kDigits[v % 36]);
    v /= 36;
  } while (v != 0);
  if (out.size() < width) {
    out.insert(0, width - out.size(), '0');
  }
  return out;
}

// pid_max is at most 2^22 (4194304 = "2hv4g"), so five base-36 digits always suffice and
// the pid part has a fixed width: names from different test processes cannot collide.
constexpr std::size_t kPidDigits = 5;

// True if `cmd` names an executable: a path, or a file found on PATH.
bool executable_exists(const std::string& cmd) {
  if (cmd.find('/') != std::string::npos) {
    return ::access(cmd.c_str(), X_OK) == 0;
  }
  const char* path = std::getenv("PATH");  // NOLINT(concurrency-mt-unsafe): read only
  std::string_view rest = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    const auto colon = rest.find(':');
    std::string dir(rest.substr(0, colon));
    if (dir.empty()) {
      dir = ".";
    }
    if (::access((dir + "/" + cmd).c_str(), X_OK) == 0) {
      return true;
    }
    if (colon == std::string_view::npos) {
      return false;
    }
    rest.remove_prefix(colon + 1);
  }
}

}  // namespace

Result<std::unique_ptr<Process>, std::string> Process::start(const ProcessSpec& spec) {
  if (spec.argv.empty()) {
    return fail(std::string("Process::start: empty argv"));
  }
  if (!executable_exists(spec.argv[0])) {
    return fail("Process::start: " + spec.argv[0] + ": not found on PATH");
  }
  std::unique_ptr<Process> p(new Process());
  p->log_file_ = spec.log_file;
  if (p->log_file_.empty()) {
    p->log_file_ = "/tmp/calico-test-" + unique_name("p") + ".log";
    p->owns_log_ = true;  // removed with the Process
  }
  std::vector<std::string> argv;
  if (!spec.netns.empty()) {
    argv = {"ip", "netns", "exec", spec.netns};
  }
  argv.insert(argv.end(), spec.argv.begin(), spec.argv.end());
  std::vector<char*> cargv;
  cargv.reserve(argv.size() + 1);
  for (auto& a : argv) {
    cargv.push_back(a.data());
  }
  cargv.push_back(nullptr);

  const int log_fd = ::open(p->log_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return fail("cannot open log file " + p->log_file_ + ": " + std::strerror(errno));
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log_fd);
    return fail(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // Child: own process group (so the whole tree can be signalled), log redirected.
    ::setpgid(0, 0);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) {
      ::dup2(devnull, STDIN_FILENO);
    }
    for (const auto& [k, v] : spec.env) {
      ::setenv(k.c_str(), v.c_str(), 1);  // NOLINT(concurrency-mt-unsafe): forked child
    }
    ::execvp(cargv[0], cargv.data());
    std::fprintf(stderr, "execvp %s: %s\n", cargv[0], std::strerror(errno));
    ::_exit(127);
  }
  ::close(log_fd);
  ::setpgid(pid, pid);  // also from the parent, to avoid the race with the child
  p->pid_ = pid;
  return p;
}

Process::~Process() {
  if (pid_ > 0 && !reaped_) {
    stop(std::chrono::milliseconds(3000));
  }
  if (owns_log_) {
    ::unlink(log_file_.c_str());
  }
}

bool Process::running() {
  if (pid_ <= 0 || reaped_ || exited_) {
    return false;
  }
  // WNOWAIT: notice the exit but leave the zombie, so the process group id stays
  // reserved until reap() has killed anything the process left behind.
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    exited_ = true;  // not our child any more (cannot happen unless reaped elsewhere)
    return false;
  }
  if (info.si_pid == pid_) {
    exited_ = true;
    return false;
  }
  return true;
}

void Process::reap() {
  if (pid_ <= 0 || reaped_) {
    return;
  }
  // The leader is dead or about to be: kill the rest of its group (children it spawned
  // and did not wait for), then collect its status.  The group id cannot have been
  // reused because the leader has not been reaped yet.
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);
  int status = 0;
  pid_t r = -1;
  do {
    r = ::waitpid(pid_, &status, 0);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    status_ = status;
  }
  reaped_ = true;
  exited_ = true;
}

int Process::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) {
    return 0;
  }
  if (!reaped_ && running()) {
    // Signal the group (the process and anything it spawned); SIGCONT first in case it
    // was paused, else SIGTERM stays pending.
    ::kill(-pid_, SIGCONT);
    ::kill(-pid_, SIGTERM);
    wait_until([this] { return !running(); }, grace, std::chrono::milliseconds(10));
  }
  reap();  // SIGKILL if it is still alive after the grace period
  if (WIFEXITED(status_)) {
    return WEXITSTATUS(status_);
  }
  if (WIFSIGNALED(status_)) {
    return -WTERMSIG(status_);
  }
  return 0;
}

void Process::kill_hard() {
  reap();
}

void Process::pause() {
  if (pid_ > 0 && !reaped_) {
    ::kill(-pid_, SIGSTOP);
  }
}

void Process::resume() {
  if (pid_ > 0 && !reaped_) {
    ::kill(-pid_, SIGCONT);
  }
}

std::string Process::log_tail(std::size_t max_bytes) const {
  std::ifstream f(log_file_, std::ios::binary);
  if (!f) {
    return "";
  }
  std::stringstream ss;
  ss << f.rdbuf();
  std::string s = ss.str();
  if (s.size() > max_bytes) {
    s = s.substr(s.size() - max_bytes);
  }
  return s;
}

bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout,
                std::chrono::milliseconds poll) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (pred()) {
      return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(poll);
  }
}

int free_tcp_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return -1;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

bool tcp_port_open(const std::string& host, int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return false;
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return false;
  }
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

std::string unique_name(std::string_view prefix) {
  static std::atomic<unsigned> counter{0};
  return std::string(prefix) + base36(static_cast<unsigned long long>(::getpid()), kPidDigits) +
         base36(counter.fetch_add(1));
}

ExecResult run_with_input(const std::vector<std::string>& argv,
                          const std::map<std::string, std::string>& env, const std::string& input,
                          bool clear_env, std::chrono::milliseconds timeout) {
  ExecResult res;
  if (argv.empty()) {
    res.err = "run_with_input: empty argv";
    return res;
  }
  TempDir dir("calico-exec");
  const std::string in_path = dir.path() + "/stdin";
  const std::string out_path = dir.path() + "/stdout";
  const std::string err_path = dir.path() + "/stderr";
  {
    std::ofstream in(in_path, std::ios::binary);
    in << input;
  }
  std::vector<std::string> env_strings;
  if (!clear_env) {
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string kv = *e;
      if (!env.contains(kv.substr(0, kv.find('=')))) {
        env_strings.push_back(kv);
      }
    }
  }
  for (const auto& [k, v] : env) {
    env_strings.push_back(k + "=" + v);
  }
  std::vector<char*> cargv;
  for (const auto& a : argv) {
    cargv.push_back(const_cast<char*>(a.c_str()));
  }
  cargv.push_back(nullptr);
  std::vector<char*> cenv;
  for (const auto& e : env_strings) {
    cenv.push_back(const_cast<char*>(e.c_str()));
  }
  cenv.push_back(nullptr);

  const pid_t pid = ::fork();
  if (pid < 0) {
    res.err = std::string("fork: ") + std::strerror(errno);
    return res;
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    const int in = ::open(in_path.c_str(), O_RDONLY);
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || out < 0 || err < 0) {
      ::_exit(126);
    }
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::execve(cargv[0], cargv.data(), cenv.data());
    ::_exit(127);
  }
  ::setpgid(pid, pid);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (true) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      res.timed_out = true;
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  res.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  auto slurp = [](const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::ostringstream ss;
    ss << f.rdbuf();
    return ss.str();
  };
  res.out = slurp(out_path);
  res.err = slurp(err_path);
  return res;
}

TempDir::TempDir(std::string_view prefix) {
  std::string templ = "/tmp/" + std::string(prefix) + "-XXXXXX";
  if (::mkdtemp(templ.data()) != nullptr) {
    path_ = templ;
  }
}

TempDir::~TempDir() {
  if (!path_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool is_root() {
  return ::geteuid() == 0;
}

}  // namespace calico::testlib
