// Process fixture: output capture, stop by PID with escalation, process groups, pause,
// and the small harness helpers (polling, ports, names, temp dirs).
#include "tests/lib/process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <string>

#include <gtest/gtest.h>

namespace calico::testlib {
namespace {

TEST(Process, CapturesOutputAndExitStatus) {
  auto p = Process::start({{"sh", "-c", "echo hello; exit 3"}, "", {}, ""});
  ASSERT_TRUE(p) << p.error();
  ASSERT_TRUE(wait_until([&] { return !(*p)->running(); }, std::chrono::milliseconds(5000)));
  EXPECT_EQ((*p)->stop(), 3);
  EXPECT_EQ((*p)->log_tail(), "hello\n");
}

TEST(Process, StopEscalatesToSigkillAndReaps) {
  auto p = Process::start(
      {{"sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.1; done"}, "", {}, ""});
  ASSERT_TRUE(p) << p.error();
  const pid_t pid = (*p)->pid();
  EXPECT_TRUE((*p)->running());
  // Wait until the trap is installed, else SIGTERM may land first.
  ASSERT_TRUE(
      wait_until([&] { return (*p)->log_tail() == "ready\n"; }, std::chrono::milliseconds(5000)));
  EXPECT_EQ((*p)->stop(std::chrono::milliseconds(300)), -SIGKILL);
  EXPECT_NE(::kill(pid, 0), 0);
}

TEST(Process, EnvironmentIsPassed) {
  auto p = Process::start({{"sh", "-c", "echo $CALICO_X"}, "", {{"CALICO_X", "42"}}, ""});
  ASSERT_TRUE(p);
  ASSERT_TRUE(wait_until([&] { return !(*p)->running(); }, std::chrono::milliseconds(5000)));
  EXPECT_EQ((*p)->log_tail(), "42\n");
}

TEST(Harness, UniqueNamesFitInterfaceNames) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const auto n = unique_name("cal");
    EXPECT_LE(n.size(), 15u);
    EXPECT_TRUE(seen.insert(n).second);
  }
}

TEST(Harness, FreePortIsBindableAndTempDirIsRemoved) {
  const int port = free_tcp_port();
  EXPECT_GT(port, 1024);
  EXPECT_FALSE(tcp_port_open("127.0.0.1", port));
  std::string path;
  {
    TempDir d;
    path = d.path();
    ASSERT_FALSE(path.empty());
    EXPECT_EQ(::access(path.c_str(), F_OK), 0);
  }
  EXPECT_NE(::access(path.c_str(), F_OK), 0);
}

// Reads the state letter from /proc/<pid>/stat ('T' = stopped), or '?' if gone.
char proc_state(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(f, line);
  const auto paren = line.rfind(')');
  return paren == std::string::npos || paren + 2 >= line.size() ? '?' : line[paren + 2];
}

bool pid_gone(pid_t pid) {
  // An orphan is reaped by init shortly after it dies: poll.
  return wait_until([pid] { return ::kill(pid, 0) != 0 || proc_state(pid) == 'Z'; },
                    std::chrono::milliseconds(3000));
}

TEST(Process, PauseFreezesAndResumeThaws) {
  auto p = Process::start({{"sleep", "30"}, "", {}, ""});
  ASSERT_TRUE(p) << p.error();
  const pid_t pid = (*p)->pid();
  ASSERT_TRUE(wait_until([&] { return proc_state(pid) == 'S'; }, std::chrono::milliseconds(3000)));
  (*p)->pause();
  EXPECT_TRUE(wait_until([&] { return proc_state(pid) == 'T'; }, std::chrono::milliseconds(3000)));
  EXPECT_TRUE((*p)->running());
  (*p)->resume();
  EXPECT_TRUE(wait_until([&] { return proc_state(pid) != 'T'; }, std::chrono::milliseconds(3000)));
  // A paused process still stops promptly (SIGCONT is sent with SIGTERM).
  (*p)->pause();
  EXPECT_EQ((*p)->stop(std::chrono::milliseconds(2000)), -SIGTERM);
  EXPECT_NE(::kill(pid, 0), 0);
}

TEST(Process, StopKillsChildrenOfTheProcess) {
  auto p = Process::start({{"sh", "-c", "sleep 60 & echo $!; wait"}, "", {}, ""});
  ASSERT_TRUE(p) << p.error();
  ASSERT_TRUE(
      wait_until([&] { return !(*p)->log_tail().empty(); }, std::chrono::milliseconds(3000)));
  const pid_t child = std::stoi((*p)->log_tail());
  ASSERT_GT(child, 1);
  EXPECT_EQ(::kill(child, 0), 0);
  (*p)->stop(std::chrono::milliseconds(2000));
  EXPECT_TRUE(pid_gone(child));
}

TEST(Process, ChildrenLeftBehindByAnExitedProcessAreKilledOnStop) {
  auto p = Process::start({{"sh", "-c", "sleep 60 >/dev/null 2>&1 & echo $!"}, "", {}, ""});
  ASSERT_TRUE(p) << p.error();
  ASSERT_TRUE(wait_until([&] { return !(*p)->running(); }, std::chrono::milliseconds(5000)));
  const pid_t orphan = std::stoi((*p)->log_tail());
  ASSERT_GT(orphan, 1);
  EXPECT_EQ(::kill(orphan, 0), 0);  // still alive: its leader exited normally
  EXPECT_EQ((*p)->stop(), 0);
  EXPECT_TRUE(pid_gone(orphan));
  EXPECT_EQ((*p)->stop(), 0);  // idempotent
}

TEST(Process, MissingBinaryIsAnErrorAndDefaultLogIsRemoved) {
  auto missing = Process::start({{"calico-no-such-binary"}, "", {}, ""});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("not found on PATH"), std::string::npos) << missing.error();
  EXPECT_FALSE(Process::start({{}, "", {}, ""}));

  std::string log;
  {
    auto p = Process::start({{"true"}, "", {}, ""});
    ASSERT_TRUE(p) << p.error();
    log = (*p)->log_file();
    EXPECT_EQ(::access(log.c_str(), F_OK), 0);
  }
  EXPECT_NE(::access(log.c_str(), F_OK), 0);
}

TEST(Process, KillHardReapsAtOnce) {
  auto p = Process::start({{"sh", "-c", "trap '' TERM; sleep 60"}, "", {}, ""});
  ASSERT_TRUE(p) << p.error();
  const pid_t pid = (*p)->pid();
  (*p)->kill_hard();
  EXPECT_FALSE((*p)->running());
  EXPECT_NE(::kill(pid, 0), 0);
  EXPECT_EQ((*p)->stop(), -SIGKILL);
}

TEST(Harness, WaitUntilIsBounded) {
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(wait_until([] { return false; }, std::chrono::milliseconds(100)));
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, std::chrono::milliseconds(100));
  EXPECT_LT(took, std::chrono::milliseconds(2000));
  int calls = 0;
  EXPECT_TRUE(wait_until([&] { return ++calls == 3; }, std::chrono::milliseconds(2000),
                         std::chrono::milliseconds(1)));
  EXPECT_EQ(calls, 3);
}

TEST(Harness, UniqueNamesHaveAFixedWidthPidPart) {
  // prefix + 5 pid digits + counter: "cal" names of two processes cannot collide.
  const auto a = unique_name("cal");
  const auto b = unique_name("cal");
  EXPECT_EQ(a.substr(0, 8), b.substr(0, 8));
  EXPECT_GE(a.size(), 9u);
  EXPECT_LE(unique_name("abcde").size(), 15u);
}

TEST(Harness, TcpPortOpenSeesAListener) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  EXPECT_TRUE(tcp_port_open("127.0.0.1", ntohs(addr.sin_port)));
  ::close(fd);
  EXPECT_FALSE(tcp_port_open("127.0.0.1", ntohs(addr.sin_port)));
  EXPECT_FALSE(tcp_port_open("not-an-address", 80));
}

TEST(Harness, TempDirRemovesNestedContent) {
  std::string path;
  {
    TempDir d("calico-harness");
    path = d.path();
    ASSERT_EQ(::mkdir((path + "/a").c_str(), 0755), 0);
    std::ofstream(path + "/a/f") << "x";
  }
  EXPECT_NE(::access(path.c_str(), F_OK), 0);
}

}  // namespace
}  // namespace calico::testlib
