#include "lab/sys.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace calico::lab {
namespace {

using namespace std::chrono_literals;

std::vector<std::string> merged_env(const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> all;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string kv = *e;
    const auto eq = kv.find('=');
    if (eq != std::string::npos) {
      all[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
  }
  for (const auto& [k, v] : extra) {
    all[k] = v;
  }
  std::vector<std::string> out;
  for (const auto& [k, v] : all) {
    out.push_back(k + "=" + v);
  }
  return out;
}

std::vector<char*> cstrings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) {
    out.push_back(s.data());
  }
  out.push_back(nullptr);
  return out;
}

std::string joined(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) {
    s += (s.empty() ? "" : " ") + a;
  }
  return s;
}

char proc_state(int pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(')');
  return close == std::string::npos || close + 2 >= stat.size() ? '\0' : stat[close + 2];
}

}  // namespace

std::string canonical_program(const std::string& name) {
  const std::string path = find_program(name);
  if (path.empty()) {
    return "";
  }
  std::error_code ec;
  const auto real = std::filesystem::canonical(path, ec);
  return ec ? path : real.string();
}

std::string find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    return ::access(name.c_str(), X_OK) == 0 ? name : "";
  }
  std::string path = ::getenv("PATH") != nullptr ? ::getenv("PATH") : "";
  path += ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/frr";
  std::stringstream ss(path);
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (dir.empty()) {
      continue;
    }
    const std::string candidate = dir + "/" + name;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return "";
}

CmdResult run(const std::vector<std::string>& argv_in, std::chrono::milliseconds timeout,
              const std::string& input, const std::map<std::string, std::string>& env) {
  CmdResult r;
  if (argv_in.empty()) {
    r.err = "empty command";
    return r;
  }
  std::vector<std::string> argv = argv_in;
  const std::string exe = find_program(argv[0]);
  if (exe.empty()) {
    r.err = argv[0] + ": not found on PATH";
    return r;
  }
  std::array<int, 2> in{-1, -1};
  std::array<int, 2> out{-1, -1};
  std::array<int, 2> err{-1, -1};
  if (::pipe2(in.data(), O_CLOEXEC) != 0 || ::pipe2(out.data(), O_CLOEXEC) != 0 ||
      ::pipe2(err.data(), O_CLOEXEC) != 0) {
    r.err = std::string("pipe: ") + std::strerror(errno);
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) {
      if (fd >= 0) {
        ::close(fd);
      }
    }
    return r;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  auto envs = merged_env(env);
  auto cargv = cstrings(argv);
  auto cenv = cstrings(envs);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, exe.c_str(), &fa, nullptr, cargv.data(), cenv.data());
  posix_spawn_file_actions_destroy(&fa);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  if (rc != 0) {
    r.err = exe + ": " + std::strerror(rc);
    ::close(in[1]);
    ::close(out[0]);
    ::close(err[0]);
    return r;
  }
  std::size_t written = 0;
  int in_fd = in[1];
  if (input.empty()) {
    ::close(in_fd);
    in_fd = -1;
  } else {
    ::fcntl(in_fd, F_SETFL, O_NONBLOCK);
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool out_open = true;
  bool err_open = true;
  bool timed_out = false;
  while (out_open || err_open) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    std::vector<pollfd> fds;
    fds.push_back({out_open ? out[0] : -1, POLLIN, 0});
    fds.push_back({err_open ? err[0] : -1, POLLIN, 0});
    fds.push_back({in_fd, POLLOUT, 0});
    if (::poll(fds.data(), fds.size(), static_cast<int>(std::min<long>(left.count(), 200))) < 0 &&
        errno != EINTR) {
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[static_cast<std::size_t>(i)].revents == 0) {
        continue;
      }
      std::array<char, 8192> buf{};
      const ssize_t n = ::read(i == 0 ? out[0] : err[0], buf.data(), buf.size());
      if (n > 0) {
        (i == 0 ? r.out : r.err).append(buf.data(), static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        (i == 0 ? out_open : err_open) = false;
      }
    }
    if (in_fd >= 0 && fds[2].revents != 0) {
      const ssize_t n = ::write(in_fd, input.data() + written, input.size() - written);
      if (n > 0) {
        written += static_cast<std::size_t>(n);
      }
      if (n < 0 || written == input.size()) {
        ::close(in_fd);
        in_fd = -1;
      }
    }
  }
  if (in_fd >= 0) {
    ::close(in_fd);
  }
  ::close(out[0]);
  ::close(err[0]);
  if (timed_out) {
    ::kill(pid, SIGKILL);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    r.exit_code = -1;
    r.err += "\n" + joined(argv) + ": timed out after " + std::to_string(timeout.count()) + " ms";
  } else {
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  return r;
}

Result<std::string, std::string> run_ok(const std::vector<std::string>& argv,
                                        std::chrono::milliseconds timeout) {
  auto r = run(argv, timeout);
  if (r.exit_code != 0) {
    std::string text = r.text();
    while (!text.empty() && text.back() == '\n') {
      text.pop_back();
    }
    return fail(joined(argv) + ": " +
                (r.exit_code < 0 ? text : "exit " + std::to_string(r.exit_code) + ": " + text));
  }
  return r.out;
}

Result<ProcessRef, std::string> spawn_daemon(const std::vector<std::string>& argv_in,
                                             const std::string& netns,
                                             const std::map<std::string, std::string>& env,
                                             const std::string& log) {
  const std::string exe = canonical_program(argv_in.at(0));
  if (exe.empty()) {
    return fail(argv_in[0] + ": not found");
  }
  std::vector<std::string> argv;
  std::string spawn_exe = exe;
  if (!netns.empty()) {
    spawn_exe = find_program("ip");
    argv = {spawn_exe, "netns", "exec", netns};
  }
  argv.push_back(exe);
  argv.insert(argv.end(), argv_in.begin() + 1, argv_in.end());
  const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return fail("opening " + log + ": " + std::strerror(errno));
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, log_fd, 1);
  posix_spawn_file_actions_adddup2(&fa, log_fd, 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
  auto envs = merged_env(env);
  auto cargv = cstrings(argv);
  auto cenv = cstrings(envs);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, spawn_exe.c_str(), &fa, &attr, cargv.data(), cenv.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  ::close(log_fd);
  if (rc != 0) {
    return fail("starting " + exe + ": " + std::strerror(rc));
  }
  ProcessRef p{pid, exe};
  // `ip netns exec` replaces itself with the daemon; wait until it has (or failed).
  for (int i = 0; i < 100; ++i) {
    std::error_code ec;
    const auto target = std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec);
    if (!ec && target == exe) {
      return p;
    }
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      return fail(joined(argv) + " exited at once (status " + std::to_string(status) + "); see " +
                  log);
    }
    std::this_thread::sleep_for(20ms);
  }
  return p;
}

Result<ProcessRef, std::string> adopt_pid_file(const std::string& pid_file, const std::string& exe,
                                               std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string text = read_file(pid_file);
    const int pid = std::atoi(text.c_str());
    if (pid > 0) {
      ProcessRef p{pid, canonical_program(exe)};
      if (alive(p)) {
        return p;
      }
    }
    std::this_thread::sleep_for(50ms);
  }
  return fail("no live " + exe + " in " + pid_file + " after " + std::to_string(timeout.count()) +
              " ms");
}

bool alive(const ProcessRef& p) {
  if (p.pid <= 0 || p.exe.empty()) {
    return false;
  }
  std::error_code ec;
  const auto target = std::filesystem::read_symlink("/proc/" + std::to_string(p.pid) + "/exe", ec);
  // A binary replaced while it runs (a rebuild) shows as "<path> (deleted)": still ours.
  if (ec || (target != p.exe && target.string() != p.exe + " (deleted)")) {
    return false;
  }
  const char state = proc_state(p.pid);
  return state != 'Z' && state != 'X' && state != '\0';
}

bool binary_replaced(const ProcessRef& p) {
  std::error_code ec;
  const auto target = std::filesystem::read_symlink("/proc/" + std::to_string(p.pid) + "/exe", ec);
  return alive(p) && !ec && target.string() == p.exe + " (deleted)";
}

void stop(const ProcessRef& p, std::chrono::milliseconds grace) {
  if (!alive(p)) {
    (void)::waitpid(p.pid, nullptr, WNOHANG);
    return;
  }
  ::kill(p.pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    (void)::waitpid(p.pid, nullptr, WNOHANG);  // ours when this process started it
    if (!alive(p)) {
      return;
    }
    std::this_thread::sleep_for(50ms);
  }
  if (alive(p)) {
    ::kill(p.pid, SIGKILL);
    for (int i = 0; i < 100 && alive(p); ++i) {
      (void)::waitpid(p.pid, nullptr, WNOHANG);
      std::this_thread::sleep_for(20ms);
    }
  }
}

bool netns_exists(const std::string& name) {
  return ::access(("/run/netns/" + name).c_str(), F_OK) == 0;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

Result<void, std::string> write_file(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << content;
    if (!f) {
      return fail("writing " + tmp + ": " + std::strerror(errno));
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return fail("renaming " + tmp + ": " + std::strerror(errno));
  }
  return {};
}

}  // namespace calico::lab
