// Calico IPAM against a real etcd started by the test: 50 concurrent allocators (threads in
// this process, and threads in several ipam_worker processes) for 20 hosts; allocator
// processes SIGKILLed at random points and etcd restarted mid-run; pool exhaustion.
// Duplicates are found from the merged event logs (tests/lib/ipam_workload.h) and from the
// datastore itself (ipam::check).
#include <signal.h>

#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "datastore/etcd/etcd_datastore.h"
#include "ipam/allocator.h"
#include "ipam/check.h"
#include "tests/integration/ipam/ipam_consistency.h"
#include "tests/lib/etcd_server.h"
#include "tests/lib/ipam_workload.h"
#include "tests/lib/process.h"

namespace calico::ipam {
namespace {

using namespace std::chrono_literals;
using testlib::EtcdServer;
using testlib::WorkEvent;
using testlib::WorkloadAnalysis;

constexpr int kHosts = 20;

class IpamEtcdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = EtcdServer::start();
    ASSERT_TRUE(s) << s.error();
    etcd_ = std::move(*s);
    store_ = std::make_unique<datastore::etcd::EtcdDatastore>(config());
    for (int i = 0; i < kHosts; ++i) {
      hosts_.push_back("node-" + std::to_string(i));
      api::Node n;
      n.metadata.name = hosts_.back();
      ASSERT_TRUE(store_->create(n));
    }
  }

  datastore::etcd::EtcdConfig config() const {
    datastore::etcd::EtcdConfig c;
    c.endpoints = {etcd_->endpoint()};
    c.request_timeout = std::chrono::milliseconds(3000);
    return c;
  }

  void add_pool(const std::string& cidr, int block_size) {
    api::IPPool p;
    p.metadata.name = "pool-" + std::to_string(pools_++);
    p.spec.cidr = cidr;
    p.spec.block_size = block_size;
    p.spec.node_selector = "all()";
    ASSERT_TRUE(store_->create(p));
  }

  std::string hosts_csv() const {
    std::string out;
    for (const auto& h : hosts_) {
      out += (out.empty() ? "" : ",") + h;
    }
    return out;
  }

  std::unique_ptr<testlib::Process> start_worker(const std::string& prefix, int threads, int ops,
                                                 std::uint64_t seed, const std::string& log) {
    testlib::ProcessSpec spec;
    spec.argv = {CALICO_IPAM_WORKER,
                 "--etcd",
                 etcd_->endpoint(),
                 "--hosts",
                 hosts_csv(),
                 "--ops",
                 std::to_string(ops),
                 "--threads",
                 std::to_string(threads),
                 "--seed",
                 std::to_string(seed),
                 "--prefix",
                 prefix};
    spec.log_file = log;
    auto p = testlib::Process::start(spec);
    EXPECT_TRUE(p) << p.error();
    return p ? std::move(*p) : nullptr;
  }

  static std::vector<WorkEvent> read_events(const std::string& file, bool* done = nullptr) {
    std::vector<WorkEvent> out;
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) {
      if (auto e = testlib::parse_event(line)) {
        out.push_back(*e);
      } else if (line == "DONE" && done) {
        *done = true;
      }
    }
    return out;
  }

  void expect_consistent(const WorkloadAnalysis& a) { ipam::expect_consistent(*store_, a); }

  std::unique_ptr<EtcdServer> etcd_;
  std::unique_ptr<datastore::etcd::EtcdDatastore> store_;
  std::vector<std::string> hosts_;
  int pools_ = 0;
};

TEST_F(IpamEtcdTest, FiftyThreadsTwentyHostsNoDuplicatesAndCheckClean) {
  add_pool("10.64.0.0/16", 26);
  constexpr int kThreads = 50;
  std::mutex mu;
  std::vector<WorkEvent> events;
  std::vector<std::thread> threads;
  Allocator allocator(*store_);
  const auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      testlib::WorkloadConfig wc;
      wc.hosts = hosts_;
      wc.ops = 140;  // ~100 allocations and ~40 releases per allocator
      wc.seed = static_cast<std::uint64_t>(t) + 1;
      wc.prefix = "th" + std::to_string(t);
      std::vector<WorkEvent> mine;
      testlib::run_workload(allocator, wc, [&](const WorkEvent& e) { mine.push_back(e); });
      std::lock_guard l(mu);
      events.insert(events.end(), mine.begin(), mine.end());
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto a = testlib::analyse_events(events);
  std::cout << "[ figures  ] " << a.assigned << " allocations and " << a.released << " releases by "
            << kThreads << " threads in " << secs << " s\n";
  EXPECT_GE(a.assigned, 4500);
  EXPECT_EQ(a.errors, 0) << a.error_samples[0];
  expect_consistent(a);
}

TEST_F(IpamEtcdTest, FiftyAllocatorsInFiveProcesses) {
  add_pool("10.64.0.0/16", 26);
  testlib::TempDir dir("ipam-procs");
  std::vector<std::unique_ptr<testlib::Process>> procs;
  std::vector<std::string> logs;
  for (int p = 0; p < 5; ++p) {
    logs.push_back(dir.path() + "/worker-" + std::to_string(p) + ".log");
    procs.push_back(start_worker("p" + std::to_string(p), 10, 140,
                                 static_cast<std::uint64_t>(p) + 100, logs.back()));
    ASSERT_TRUE(procs.back());
  }
  for (auto& p : procs) {
    ASSERT_TRUE(testlib::wait_until([&] { return !p->running(); }, std::chrono::minutes(8), 50ms))
        << "worker did not finish: " << p->log_tail();
    EXPECT_EQ(p->stop(), 0) << p->log_tail();
  }
  std::vector<WorkEvent> events;
  for (const auto& l : logs) {
    bool done = false;
    auto ev = read_events(l, &done);
    EXPECT_TRUE(done) << l;
    events.insert(events.end(), ev.begin(), ev.end());
  }
  auto a = testlib::analyse_events(events);
  std::cout << "[ figures  ] " << a.assigned << " allocations and " << a.released
            << " releases by 5 processes x 10 threads\n";
  EXPECT_GE(a.assigned, 4500);
  EXPECT_EQ(a.errors, 0) << a.error_samples[0];
  expect_consistent(a);
}

TEST_F(IpamEtcdTest, SigkilledAllocatorsAndAnEtcdRestartLeaveNoDuplicatesAndRepairableLeaks) {
  add_pool("10.64.0.0/20", 28);  // small blocks: many claims, so kills land inside them
  testlib::TempDir dir("ipam-kill");
  std::mt19937 rng(20261123);
  struct Worker {
    std::unique_ptr<testlib::Process> proc;
    std::string log;
  };
  std::vector<Worker> workers;
  int next = 0;
  auto spawn = [&] {
    const std::string log = dir.path() + "/w" + std::to_string(next) + ".log";
    workers.push_back({start_worker("k" + std::to_string(next), 4, 150,
                                    static_cast<std::uint64_t>(next) + 500, log),
                       log});
    ++next;
  };
  for (int i = 0; i < 6; ++i) {
    spawn();
  }
  int kills = 0;
  for (int round = 0; round < 10; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200 + rng() % 600));
    if (round == 5) {
      etcd_->stop();  // etcd down for a moment: allocators retry with backoff
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      ASSERT_TRUE(etcd_->restart());
      continue;
    }
    std::vector<std::size_t> running;
    for (std::size_t i = 0; i < workers.size(); ++i) {
      if (workers[i].proc && workers[i].proc->running()) {
        running.push_back(i);
      }
    }
    if (running.empty()) {
      break;
    }
    workers[running[rng() % running.size()]].proc->kill_hard();
    ++kills;
    spawn();
  }
  for (auto& w : workers) {
    ASSERT_TRUE(
        testlib::wait_until([&] { return !w.proc->running(); }, std::chrono::minutes(8), 50ms))
        << w.proc->log_tail();
    w.proc->stop();
  }
  std::vector<WorkEvent> events;
  for (const auto& w : workers) {
    auto ev = read_events(w.log);
    events.insert(events.end(), ev.begin(), ev.end());
  }
  auto a = testlib::analyse_events(events);
  std::cout << "[ figures  ] " << kills << " allocator processes killed, 1 etcd restart, "
            << a.assigned << " allocations, " << a.released << " releases, " << a.in_flight.size()
            << " steps cut short, " << a.errors << " failed steps\n";
  EXPECT_GE(kills, 5);
  EXPECT_TRUE(a.overlaps.empty()) << a.overlaps[0];
  // Whatever the kills left half done, check reports and repair cleans; the live handles
  // keep their addresses throughout.
  std::set<std::string> live;
  for (const auto& [h, ip] : a.live) {
    live.insert(h);
  }
  CheckOptions o;
  o.in_use = [&](const std::string& h, const net::IpAddr&) { return live.contains(h); };
  auto rep = check(*store_, o);
  ASSERT_TRUE(rep) << rep.error().message;
  std::cout << "[ figures  ] check before repair: " << rep->problems.size() << " problems\n";
  EXPECT_EQ(rep->count(ProblemKind::DuplicateAllocation), 0U);
  EXPECT_EQ(rep->count(ProblemKind::CorruptBlock), 0U);
  Allocator allocator(*store_);
  auto fixed = repair(*store_, allocator, *rep);
  ASSERT_TRUE(fixed) << fixed.error().message;
  for (const auto& s : fixed->skipped) {
    ADD_FAILURE() << "repair skipped: " << s;
  }
  auto after = check(*store_, o);
  ASSERT_TRUE(after);
  EXPECT_TRUE(after->clean()) << after->to_text();
  // Failed steps (etcd down) must not count as live, so the logs and the store agree.
  WorkloadAnalysis live_only = a;
  live_only.overlaps.clear();
  expect_consistent(live_only);
}

TEST_F(IpamEtcdTest, ExhaustedTinyPoolGivesAClearErrorAndStaysConsistent) {
  add_pool("10.99.0.0/28", 30);  // 16 addresses in 4 blocks
  Allocator allocator(*store_);
  std::mutex mu;
  std::vector<std::string> errors;
  std::set<std::string> got;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 3; ++i) {
        AutoAssignRequest req;
        req.num4 = 1;
        req.handle_id = "ex-" + std::to_string(t) + "-" + std::to_string(i);
        req.host = hosts_[static_cast<std::size_t>(t % 4)];
        auto r = allocator.auto_assign(req);
        std::lock_guard l(mu);
        if (r) {
          EXPECT_TRUE(got.insert(r->ipv4[0].ip.to_string()).second) << "duplicate";
        } else {
          errors.push_back(r.error().message);
        }
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_EQ(got.size(), 16U);
  ASSERT_EQ(errors.size(), 8U);
  for (const auto& e : errors) {
    EXPECT_NE(e.find("no addresses available in pools [10.99.0.0/28]"), std::string::npos) << e;
  }
  CheckOptions o;
  o.in_use = [](const std::string&, const net::IpAddr&) { return true; };
  auto rep = check(*store_, o);
  ASSERT_TRUE(rep);
  EXPECT_TRUE(rep->clean()) << rep->to_text();
  EXPECT_EQ(rep->allocations, 16U);
}

}  // namespace
}  // namespace calico::ipam
