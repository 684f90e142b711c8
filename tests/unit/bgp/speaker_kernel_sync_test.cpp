// KernelSync: only differences reach the kernel, failures are retried, and a restart
// with routes already installed causes no flap (no delete, no rewrite of valid routes).
#include <gtest/gtest.h>

#include "bgp/speaker/kernel_sync.h"
#include "tests/lib/fake_route_sink.h"

namespace calico::bgp {
namespace {

net::Cidr cidr(const char* s) {
  return *net::Cidr::parse(s);
}
net::IpAddr ip(const char* s) {
  return *net::IpAddr::parse(s);
}

Route via(const char* dst, std::vector<const char*> gws) {
  Route r;
  r.dst = cidr(dst);
  for (auto g : gws) {
    r.next_hops.push_back({ip(g), 0, false, 1});
  }
  r.table = 254;
  r.protocol = 201;
  return r;
}

TEST(SpeakerKernelSync, InstallsReplacesAndDeletesOnlyDifferences) {
  testlib::FakeRouteSink sink;
  KernelSync ks(sink, 254, 201);
  ASSERT_TRUE(ks.load_existing());
  ks.mark_converged();
  ks.set_desired(cidr("10.1.0.0/26"), via("10.1.0.0/26", {"10.0.0.2"}));
  ks.set_desired(cidr("10.2.0.0/26"), via("10.2.0.0/26", {"10.0.0.3", "10.0.0.2"}));
  auto r = ks.flush();
  EXPECT_EQ(r.replaced, 2u);
  EXPECT_TRUE(r.errors.empty());
  ASSERT_NE(sink.find(cidr("10.2.0.0/26")), nullptr);
  EXPECT_EQ(sink.find(cidr("10.2.0.0/26"))->next_hops.size(), 2u);
  // Next hops are normalised (sorted), so the same set in another order is no change.
  sink.clear_applied();
  ks.set_desired(cidr("10.2.0.0/26"), via("10.2.0.0/26", {"10.0.0.2", "10.0.0.3"}));
  EXPECT_EQ(ks.flush().replaced, 0u);
  EXPECT_TRUE(sink.applied().empty());
  // ECMP shrinks to one path: one replace.
  ks.set_desired(cidr("10.2.0.0/26"), via("10.2.0.0/26", {"10.0.0.3"}));
  EXPECT_EQ(ks.flush().replaced, 1u);
  EXPECT_EQ(sink.find(cidr("10.2.0.0/26"))->next_hops.size(), 1u);
  ks.set_desired(cidr("10.1.0.0/26"), std::nullopt);
  EXPECT_EQ(ks.flush().deleted, 1u);
  EXPECT_EQ(sink.find(cidr("10.1.0.0/26")), nullptr);
  EXPECT_EQ(ks.installed(), 1u);
}

TEST(SpeakerKernelSync, RestartKeepsValidRoutesWithoutAnyKernelWrite) {
  testlib::FakeRouteSink sink;
  sink.preinstall(via("10.1.0.0/26", {"10.0.0.2"}));
  sink.preinstall(via("10.9.0.0/26", {"10.0.0.9"}));  // stale: nobody will want it
  Route other = via("10.7.0.0/24", {"10.0.0.7"});
  other.protocol = 4;  // static, not ours
  sink.preinstall(other);
  KernelSync ks(sink, 254, 201);
  auto loaded = ks.load_existing();
  ASSERT_TRUE(loaded);
  EXPECT_EQ(*loaded, 2u);
  // Before convergence nothing is deleted, and a route learned again identical to the
  // installed one is not rewritten.
  ks.set_desired(cidr("10.1.0.0/26"), via("10.1.0.0/26", {"10.0.0.2"}));
  auto r = ks.flush();
  EXPECT_EQ(r.replaced, 0u);
  EXPECT_EQ(r.deleted, 0u);
  EXPECT_TRUE(sink.applied().empty());
  EXPECT_NE(sink.find(cidr("10.9.0.0/26")), nullptr);
  // Nothing more to do until convergence (a caller that flushes while dirty() must not
  // spin on the protected stale route).
  EXPECT_FALSE(ks.dirty());
  ks.mark_converged();
  EXPECT_TRUE(ks.dirty());
  r = ks.flush();
  EXPECT_EQ(r.deleted, 1u);
  EXPECT_EQ(sink.find(cidr("10.9.0.0/26")), nullptr);
  EXPECT_NE(sink.find(cidr("10.1.0.0/26")), nullptr);
  EXPECT_NE(sink.find(cidr("10.7.0.0/24")), nullptr);  // another protocol's route
  ASSERT_EQ(sink.applied().size(), 1u);
  EXPECT_EQ(sink.applied()[0].op, RouteChange::Op::Delete);
}

TEST(SpeakerKernelSync, FailedChangesStayDirtyAndAreRetried) {
  testlib::FakeRouteSink sink;
  KernelSync ks(sink, 254, 201);
  ks.mark_converged();
  sink.fail_prefix(cidr("10.3.0.0/26"));
  ks.set_desired(cidr("10.3.0.0/26"), via("10.3.0.0/26", {"10.0.0.3"}));
  ks.set_desired(cidr("10.4.0.0/26"), via("10.4.0.0/26", {"10.0.0.4"}));
  auto r = ks.flush();
  EXPECT_EQ(r.replaced, 1u);  // the other route still lands
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].dst, cidr("10.3.0.0/26"));
  EXPECT_TRUE(ks.dirty());
  EXPECT_EQ(ks.errors_total(), 1u);
  sink.fail_prefix(cidr("10.3.0.0/26"), false);
  r = ks.flush();
  EXPECT_EQ(r.replaced, 1u);
  EXPECT_FALSE(ks.dirty());
  EXPECT_NE(sink.find(cidr("10.3.0.0/26")), nullptr);
}

TEST(SpeakerKernelSync, BlackholeForOwnBlock) {
  testlib::FakeRouteSink sink;
  KernelSync ks(sink, 254, 201);
  Route bh;
  bh.type = RouteType::Blackhole;
  ks.set_desired(cidr("10.65.1.0/26"), bh);
  ks.flush();
  const Route* r = sink.find(cidr("10.65.1.0/26"));
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->type, RouteType::Blackhole);
  EXPECT_EQ(r->protocol, 201);
}

TEST(SpeakerKernelSync, DumpFailureIsReported) {
  testlib::FakeRouteSink sink;
  sink.set_dump_fails(true);
  KernelSync ks(sink, 254, 201);
  auto r = ks.load_existing();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("injected"), std::string::npos);
}

}  // namespace
}  // namespace calico::bgp

namespace calico::bgp {
namespace {

TEST(SpeakerKernelSync, RoutesProgrammedInThisRunAreDeletedBeforeConvergence) {
  testlib::FakeRouteSink sink;
  sink.preinstall(via("10.9.0.0/26", {"10.0.0.9"}));
  KernelSync ks(sink, 254, 201);
  ASSERT_TRUE(ks.load_existing());
  ks.set_desired(cidr("10.1.0.0/26"), via("10.1.0.0/26", {"10.0.0.2"}));
  ks.flush();
  ASSERT_NE(sink.find(cidr("10.1.0.0/26")), nullptr);
  // Learned and withdrawn again before convergence: removed at once; the inherited
  // route stays until convergence.
  ks.set_desired(cidr("10.1.0.0/26"), std::nullopt);
  EXPECT_EQ(ks.flush().deleted, 1u);
  EXPECT_EQ(sink.find(cidr("10.1.0.0/26")), nullptr);
  EXPECT_NE(sink.find(cidr("10.9.0.0/26")), nullptr);
  // An inherited route rewritten in this run is ours again: deleted when unwanted.
  ks.set_desired(cidr("10.9.0.0/26"), via("10.9.0.0/26", {"10.0.0.8"}));
  ks.flush();
  ks.set_desired(cidr("10.9.0.0/26"), std::nullopt);
  EXPECT_EQ(ks.flush().deleted, 1u);
}

}  // namespace
}  // namespace calico::bgp

namespace calico::bgp {
namespace {

TEST(SpeakerKernelSync, KernelResolvedIfindexIsNotADifference) {
  testlib::FakeRouteSink sink;
  Route installed = via("10.1.0.0/26", {"10.0.0.2"});
  installed.next_hops[0].ifindex = 7;  // what the kernel reports after resolving the gateway
  sink.preinstall(installed);
  KernelSync ks(sink, 254, 201);
  ASSERT_TRUE(ks.load_existing());
  ks.mark_converged();
  ks.set_desired(cidr("10.1.0.0/26"), via("10.1.0.0/26", {"10.0.0.2"}));
  EXPECT_EQ(ks.flush().replaced, 0u);
  EXPECT_TRUE(sink.applied().empty());
}

}  // namespace
}  // namespace calico::bgp
