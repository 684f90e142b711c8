// Calico IPAM on the Kubernetes datastore, against a real kube-apiserver started by the
// test: 50 concurrent allocators for 20 Kubernetes Nodes (blocks, affinities and handles as
// custom resources, CAS on resourceVersion, two-step deletes), then the datastore itself
// is checked: no duplicate address, `check` clean with exactly the live handles in use,
// and every live handle still holds its address.  Also: an API server restart in the
// middle of a run loses nothing and duplicates nothing.
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "datastore/kdd/kube_config.h"
#include "datastore/kube/kdd_datastore.h"
#include "ipam/allocator.h"
#include "ipam/check.h"
#include "tests/integration/ipam/ipam_consistency.h"
#include "tests/lib/ipam_workload.h"
#include "tests/lib/kube_apiserver.h"

namespace calico::ipam {
namespace {

using testlib::WorkEvent;
using testlib::WorkloadAnalysis;

constexpr int kHosts = 20;

class IpamKddTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = testlib::KubeApiServer::start();
    ASSERT_TRUE(s) << s.error();
    api_ = std::move(*s);
    auto c = api_->install_crds(CALICO_MANIFESTS_DIR "/crds");
    ASSERT_TRUE(c) << c.error();
    for (int i = 0; i < kHosts; ++i) {
      hosts_.push_back("kdd-node-" + std::to_string(i));
      auto r = api_->request(
          "POST", "/api/v1/nodes",
          R"({"apiVersion":"v1","kind":"Node","metadata":{"name":")" + hosts_.back() + R"("}})");
      ASSERT_TRUE(r && r->status == 201) << (r ? r->body : r.error());
    }
    datastore::kube::KddOptions o;
    o.client.request_timeout = std::chrono::milliseconds(10000);
    o.client.qps = 0;  // 50 allocators in one client: measure the server, not our pacing
    store_ = std::make_unique<datastore::kube::KddDatastore>(api_->admin_config(), o);
    api::IPPool p;
    p.metadata.name = "kdd-pool";
    p.spec.cidr = "10.66.0.0/16";
    p.spec.block_size = 26;
    p.spec.node_selector = "all()";
    auto created = store_->create(p);
    ASSERT_TRUE(created) << created.error().to_string();
  }

  void expect_consistent(const WorkloadAnalysis& a) { ipam::expect_consistent(*store_, a); }

  // `threads` allocators, each running `ops` steps; returns the merged events.
  std::vector<WorkEvent> run(int threads, int ops, int seed_base) {
    std::mutex mu;
    std::vector<WorkEvent> events;
    std::vector<std::thread> ts;
    Allocator allocator(*store_);
    for (int t = 0; t < threads; ++t) {
      ts.emplace_back([&, t] {
        testlib::WorkloadConfig wc;
        wc.hosts = hosts_;
        wc.ops = ops;
        wc.seed = static_cast<std::uint64_t>(t + seed_base);
        wc.prefix = "kdd" + std::to_string(seed_base) + "-" + std::to_string(t);
        std::vector<WorkEvent> mine;
        testlib::run_workload(allocator, wc, [&](const WorkEvent& e) { mine.push_back(e); });
        const std::lock_guard<std::mutex> l(mu);
        events.insert(events.end(), mine.begin(), mine.end());
      });
    }
    for (auto& th : ts) {
      th.join();
    }
    return events;
  }

  std::unique_ptr<testlib::KubeApiServer> api_;
  std::unique_ptr<datastore::kube::KddDatastore> store_;
  std::vector<std::string> hosts_;
};

TEST_F(IpamKddTest, FiftyAllocatorsTwentyNodesNoDuplicatesAndCheckClean) {
  constexpr int kThreads = 50;
  const auto start = std::chrono::steady_clock::now();
  auto events = run(kThreads, 30, 1);
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto a = testlib::analyse_events(events);
  std::cout << "[ figures  ] " << a.assigned << " allocations and " << a.released << " releases by "
            << kThreads << " allocators on the Kubernetes datastore in " << secs << " s ("
            << store_->client().requests_sent() << " API requests)\n";
  EXPECT_GE(a.assigned, 900);
  EXPECT_EQ(a.errors, 0) << a.error_samples[0];
  expect_consistent(a);
  // Every block has a confirmed affinity stamped with Calico's host labels.
  auto affs = store_->list({api::Kind::BlockAffinity, "", ""});
  ASSERT_TRUE(affs);
  EXPECT_FALSE(affs->items.empty());
  std::size_t hosts_seen = 0;
  for (const auto& h : hosts_) {
    auto mine = store_->list({api::Kind::BlockAffinity, h, ""});
    ASSERT_TRUE(mine) << mine.error().to_string();
    hosts_seen += mine->items.empty() ? 0 : 1;
    for (const auto& o : mine->items) {
      EXPECT_EQ(std::get<api::BlockAffinity>(o.value).spec.node, h);
    }
  }
  EXPECT_EQ(hosts_seen, static_cast<std::size_t>(kHosts));
}

TEST_F(IpamKddTest, AnApiServerRestartMidRunLosesAndDuplicatesNothing) {
  std::vector<WorkEvent> events;
  std::thread runner([&] { events = run(10, 30, 100); });
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  auto restarted = api_->restart();
  runner.join();
  ASSERT_TRUE(restarted) << restarted.error();
  auto a = testlib::analyse_events(events);
  std::cout << "[ figures  ] across a restart: " << a.assigned << " allocations, " << a.errors
            << " failed operations (API server unavailable)\n";
  EXPECT_GE(a.assigned, 100);
  // Operations may fail while the server is down, but nothing may be duplicated, and
  // whatever a failed operation left behind is what `check` reports as a leak.
  ipam::expect_consistent(*store_, a, /*clean=*/false);
}

}  // namespace
}  // namespace calico::ipam
