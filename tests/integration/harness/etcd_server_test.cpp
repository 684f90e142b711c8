// Etcd fixture against the real etcd binary: serves, restarts on the same port with the
// same data, pauses, compacts, and leaves no process or directory behind.
#include "tests/lib/etcd_server.h"

#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "tests/lib/http.h"

namespace calico::testlib {
namespace {

std::string put_body(const std::string& key, const std::string& value) {
  return R"({"key":")" + base64_encode(key) + R"(","value":")" + base64_encode(value) + R"("})";
}

TEST(EtcdServer, StartsServesAndStopsByPid) {
  pid_t pid = -1;
  {
    auto etcd = EtcdServer::start();
    ASSERT_TRUE(etcd) << etcd.error();
    pid = (*etcd)->pid();
    ASSERT_GT(pid, 0);
    auto rev = (*etcd)->current_revision();
    ASSERT_TRUE(rev) << rev.error();
    auto put = http_request((*etcd)->endpoint() + "/v3/kv/put", put_body("/k", "v"));
    ASSERT_TRUE(put) << put.error();
    EXPECT_EQ(put->status, 200);
    auto rev2 = (*etcd)->current_revision();
    ASSERT_TRUE(rev2);
    EXPECT_EQ(*rev2, *rev + 1);
  }
  // Destructor stopped it: the PID no longer exists (it was reaped, so kill fails).
  EXPECT_NE(::kill(pid, 0), 0);
}

TEST(EtcdServer, RestartKeepsDataAndPort) {
  auto etcd = EtcdServer::start();
  ASSERT_TRUE(etcd) << etcd.error();
  auto& e = **etcd;
  const int port = e.client_port();
  ASSERT_TRUE(http_request(e.endpoint() + "/v3/kv/put", put_body("/persist", "1")));
  const auto rev = *e.current_revision();
  e.stop();
  EXPECT_FALSE(e.current_revision());
  auto r = e.restart();
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(e.client_port(), port);
  EXPECT_EQ(*e.current_revision(), rev);
}

TEST(EtcdServer, PauseMakesItUnresponsiveUntilResume) {
  auto etcd = EtcdServer::start();
  ASSERT_TRUE(etcd) << etcd.error();
  auto& e = **etcd;
  e.pause();
  EXPECT_FALSE(e.current_revision());
  e.resume();
  EXPECT_TRUE(wait_until([&] { return static_cast<bool>(e.current_revision()); },
                         std::chrono::milliseconds(5000)));
}

TEST(EtcdServer, CompactionMakesOldRevisionsGone) {
  auto etcd = EtcdServer::start();
  ASSERT_TRUE(etcd) << etcd.error();
  auto& e = **etcd;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(http_request(e.endpoint() + "/v3/kv/put", put_body("/c", std::to_string(i))));
  }
  const auto rev = *e.current_revision();
  ASSERT_TRUE(e.compact_to(rev));
  auto old = http_request(e.endpoint() + "/v3/kv/range", R"({"key":")" + base64_encode("/c") +
                                                             R"(","revision":")" +
                                                             std::to_string(rev - 1) + R"("})");
  ASSERT_TRUE(old) << old.error();
  EXPECT_NE(old->body.find("compacted"), std::string::npos) << old->body;
}

TEST(EtcdServer, KillHardThenRestart) {
  auto etcd = EtcdServer::start();
  ASSERT_TRUE(etcd) << etcd.error();
  auto& e = **etcd;
  const pid_t pid = e.pid();
  e.kill();
  EXPECT_NE(::kill(pid, 0), 0);
  ASSERT_TRUE(e.restart());
  EXPECT_TRUE(e.current_revision());
}

TEST(EtcdServer, TwoServersSideBySideAndDataDirRemoved) {
  std::string dir_a;
  {
    auto a = EtcdServer::start();
    auto b = EtcdServer::start();
    ASSERT_TRUE(a) << a.error();
    ASSERT_TRUE(b) << b.error();
    EXPECT_NE((*a)->client_port(), (*b)->client_port());
    EXPECT_NE((*a)->pid(), (*b)->pid());
    ASSERT_TRUE(http_request((*a)->endpoint() + "/v3/kv/put", put_body("/only-a", "1")));
    // Separate stores: b did not see a's write.
    EXPECT_EQ(*(*b)->current_revision(), 1);
    EXPECT_EQ(*(*a)->current_revision(), 2);
    dir_a = (*a)->data_dir();
    EXPECT_EQ(::access(dir_a.c_str(), F_OK), 0);
  }
  EXPECT_NE(::access(dir_a.c_str(), F_OK), 0);
}

TEST(EtcdServer, StopIsIdempotentAndDestructorCopesWithAStoppedServer) {
  auto etcd = EtcdServer::start();
  ASSERT_TRUE(etcd) << etcd.error();
  const pid_t pid = (*etcd)->pid();
  (*etcd)->stop();
  (*etcd)->stop();
  (*etcd)->kill();
  EXPECT_NE(::kill(pid, 0), 0);
  EXPECT_FALSE(tcp_port_open("127.0.0.1", (*etcd)->client_port()));
}

}  // namespace
}  // namespace calico::testlib
