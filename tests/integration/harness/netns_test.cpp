#include "tests/lib/netns.h"

#include <signal.h>

#include <gtest/gtest.h>

#include "tests/lib/process.h"

namespace calico::testlib {
namespace {

TEST(NetNs, TwoHostsOnAVethReachEachOther) {
  std::string ns_a_name, veth_name;
  {
    NetNs a;
    NetNs b;
    ASSERT_TRUE(a.ok()) << a.error();
    ASSERT_TRUE(b.ok()) << b.error();
    ns_a_name = a.name();
    VethPair link(&a, "10.199.0.1/30", &b, "10.199.0.2/30");
    ASSERT_TRUE(link.ok()) << link.error();
    veth_name = link.name_a();
    EXPECT_TRUE(link_exists(a.name(), link.name_a()));
    EXPECT_FALSE(link_exists("", link.name_a()));  // never in the host namespace
    const auto ping = a.exec({"ping", "-c1", "-W2", "10.199.0.2"});
    EXPECT_EQ(ping.exit_code, 0) << ping.output;
    // An address nobody has is not reachable.
    EXPECT_NE(a.exec({"ping", "-c1", "-W1", "10.199.0.3"}).exit_code, 0);
  }
  EXPECT_FALSE(netns_exists(ns_a_name));
}

TEST(NetNs, Ipv6OnVeth) {
  NetNs a;
  NetNs b;
  ASSERT_TRUE(a.ok() && b.ok());
  VethPair link(&a, "fd99::1/64", &b, "fd99::2/64");
  ASSERT_TRUE(link.ok()) << link.error();
  const auto ping = a.exec({"ping", "-6", "-c1", "-W2", "fd99::2"});
  EXPECT_EQ(ping.exit_code, 0) << ping.output;
}

TEST(NetNs, DestructionKillsProcessesLeftInside) {
  pid_t pid = -1;
  std::string name;
  {
    NetNs a;
    ASSERT_TRUE(a.ok()) << a.error();
    name = a.name();
    auto p = Process::start({{"sleep", "60"}, a.name(), {}, ""});
    ASSERT_TRUE(p) << p.error();
    pid = (*p)->pid();
    ASSERT_TRUE(wait_until(
        [&] {
          return run_command({"ip", "netns", "pids", name}).output.find_first_of("0123456789") !=
                 std::string::npos;
        },
        std::chrono::milliseconds(3000)));
    // The Process destructor also stops it by PID; destroy the namespace first to prove
    // the namespace fixture cleans up on its own.
    a.kill_all();
    EXPECT_TRUE(wait_until([&] { return !(*p)->running(); }, std::chrono::milliseconds(3000)));
  }
  EXPECT_FALSE(netns_exists(name));
  EXPECT_NE(::kill(pid, 0), 0);
}

TEST(Bridge, ThreeHostsOnOneBridge) {
  NetNs sw;
  NetNs h1;
  NetNs h2;
  NetNs h3;
  ASSERT_TRUE(sw.ok() && h1.ok() && h2.ok() && h3.ok());
  Bridge br(sw);
  ASSERT_TRUE(br.ok()) << br.error();
  ASSERT_TRUE(br.attach(h1, "10.199.1.1/24")) << br.error();
  ASSERT_TRUE(br.attach(h2, "10.199.1.2/24")) << br.error();
  ASSERT_TRUE(br.attach(h3, "10.199.1.3/24")) << br.error();
  EXPECT_EQ(h1.exec({"ping", "-c1", "-W2", "10.199.1.2"}).exit_code, 0);
  EXPECT_EQ(h1.exec({"ping", "-c1", "-W2", "10.199.1.3"}).exit_code, 0);
  EXPECT_EQ(h3.exec({"ping", "-c1", "-W2", "10.199.1.2"}).exit_code, 0);
}

TEST(RunCommand, CapturesOutputExitCodeAndTimesOut) {
  auto r = run_command({"sh", "-c", "echo out; echo err >&2; exit 4"});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_NE(r.output.find("out"), std::string::npos);
  EXPECT_NE(r.output.find("err"), std::string::npos);
  auto slow = run_command({"sleep", "10"}, std::chrono::milliseconds(200));
  EXPECT_EQ(slow.exit_code, -1);
  EXPECT_EQ(run_command({"/nonexistent-binary"}).exit_code, 127);
}

}  // namespace
}  // namespace calico::testlib
