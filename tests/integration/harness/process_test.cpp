#include "tests/lib/process.h"

#include <signal.h>
#include <unistd.h>

#include <set>

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

}  // namespace
}  // namespace calico::testlib
