// Network fixtures: namespaces, veths and bridges pass real traffic (only between
// addresses inside the namespaces the test made) and leave nothing behind.
#include "tests/lib/netns.h"

#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

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

TEST(NetNs, InterfacesAreGoneAfterDestructionAndRemoveIsIdempotent) {
  NetNs a;
  NetNs b;
  ASSERT_TRUE(a.ok() && b.ok());
  std::string end_a, end_b;
  {
    VethPair link(&a, "10.199.2.1/30", &b, "10.199.2.2/30");
    ASSERT_TRUE(link.ok()) << link.error();
    end_a = link.name_a();
    end_b = link.name_b();
    EXPECT_TRUE(link_exists(b.name(), end_b));
    EXPECT_FALSE(link_exists("", end_b));
    link.remove();
    EXPECT_FALSE(link_exists(a.name(), end_a));
    EXPECT_FALSE(link_exists(b.name(), end_b));
    link.remove();  // no-op; the destructor is one too
  }
  EXPECT_TRUE(netns_exists(a.name()));
  a.remove();
  a.remove();
  EXPECT_FALSE(netns_exists(a.name()));
  EXPECT_FALSE(a.ok());
}

TEST(NetNs, VethMayOutliveItsNamespaces) {
  auto a = std::make_unique<NetNs>();
  auto b = std::make_unique<NetNs>();
  ASSERT_TRUE(a->ok() && b->ok());
  const std::string b_name = b->name();
  VethPair link(a.get(), "10.199.3.1/30", b.get(), "10.199.3.2/30");
  ASSERT_TRUE(link.ok()) << link.error();
  a.reset();  // takes end a, and with it end b
  EXPECT_TRUE(wait_until([&] { return !link_exists(b_name, link.name_b()); },
                         std::chrono::milliseconds(3000)));
  b.reset();
  link.remove();  // must not touch the destroyed NetNs objects
  EXPECT_FALSE(netns_exists(b_name));
}

TEST(NetNs, ExecRunsInsideTheNamespaceOnly) {
  NetNs a;
  ASSERT_TRUE(a.ok()) << a.error();
  const auto links = a.exec({"ip", "-o", "link", "show"});
  ASSERT_EQ(links.exit_code, 0) << links.output;
  // A fresh namespace has only a loopback, and it is up.
  EXPECT_EQ(std::count(links.output.begin(), links.output.end(), '\n'), 1) << links.output;
  EXPECT_NE(links.output.find("lo:"), std::string::npos);
  EXPECT_NE(links.output.find("UP"), std::string::npos) << links.output;
  EXPECT_EQ(a.exec({"ping", "-c1", "-W1", "127.0.0.1"}).exit_code, 0);

  // A Process started with `netns` sees the same view.
  auto p = Process::start({{"ip", "-o", "link", "show"}, a.name(), {}, ""});
  ASSERT_TRUE(p) << p.error();
  ASSERT_TRUE(wait_until([&] { return !(*p)->running(); }, std::chrono::milliseconds(5000)));
  EXPECT_EQ((*p)->stop(), 0);
  EXPECT_EQ((*p)->log_tail(), links.output);
}

TEST(Bridge, DestructionRemovesBridgeAndPorts) {
  NetNs sw;
  NetNs h1;
  ASSERT_TRUE(sw.ok() && h1.ok());
  std::string bridge;
  {
    Bridge br(sw, "10.199.4.254/24");
    ASSERT_TRUE(br.ok()) << br.error();
    bridge = br.name();
    ASSERT_TRUE(br.attach(h1, "10.199.4.1/24")) << br.error();
    // The bridge's own address answers too.
    EXPECT_EQ(h1.exec({"ping", "-c1", "-W2", "10.199.4.254"}).exit_code, 0);
    EXPECT_TRUE(link_exists(sw.name(), bridge));
  }
  EXPECT_FALSE(link_exists(sw.name(), bridge));
  const auto left = h1.exec({"ip", "-o", "link", "show"});
  EXPECT_EQ(std::count(left.output.begin(), left.output.end(), '\n'), 1) << left.output;
}

TEST(RunCommand, BackgroundChildrenCannotHangItAndAreKilled) {
  // The background sleep keeps the output pipe open: run_command must still return at
  // its deadline, and the sleep must not survive it.
  const auto r = run_command({"sh", "-c", "sleep 30 & echo $!"}, std::chrono::milliseconds(500));
  EXPECT_EQ(r.exit_code, -1);
  const pid_t child = std::atoi(r.output.c_str());
  ASSERT_GT(child, 1) << r.output;
  EXPECT_TRUE(wait_until(
      [&] {
        std::ifstream stat("/proc/" + std::to_string(child) + "/stat");
        std::string line;
        std::getline(stat, line);
        return line.empty() || line.find(") Z") != std::string::npos;
      },
      std::chrono::milliseconds(3000)));
  // Output is captured in full, also when large.
  const auto big = run_command({"head", "-c", "200000", "/dev/zero"});
  EXPECT_EQ(big.exit_code, 0);
  EXPECT_EQ(big.output.size(), 200000u);
  EXPECT_EQ(run_command({}).exit_code, -1);
}

}  // namespace
}  // namespace calico::testlib
