// ipam::Allocator and ipam::check over the in-memory store (same CAS contract as etcd):
// claims, affine blocks, borrowing, block limits, exhaustion, reservations, IPv6, specific
// addresses, releases, block freeing, crash repair, transient failures and concurrency.
#include "ipam/allocator.h"

#include <atomic>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "api/ipam_names.h"
#include "datastore/memory_store.h"
#include "ipam/check.h"

namespace calico::ipam {
namespace {

using datastore::Key;
using datastore::MemoryStore;

AutoAssignRequest request(const std::string& host, const std::string& handle, int n4 = 1,
                          int n6 = 0) {
  AutoAssignRequest r;
  r.num4 = n4;
  r.num6 = n6;
  r.handle_id = handle;
  r.attrs = {{"node", host}};
  r.host = host;
  return r;
}

AllocatorOptions fast() {
  AllocatorOptions o;
  o.sleep = [](std::chrono::milliseconds) {};
  return o;
}

// Every case runs twice: with handle + block written in one transaction (etcd, the
// in-memory store) and as two CAS writes (backends without transactions: Kubernetes).
class AllocatorTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override { store.set_write_all_supported(GetParam()); }

  void add_pool(const std::string& name, const std::string& cidr, int block_size,
                const std::string& node_selector = "") {
    api::IPPool p;
    p.metadata.name = name;
    p.spec.cidr = cidr;
    p.spec.block_size = block_size;
    p.spec.node_selector = node_selector.empty() ? "all()" : node_selector;
    ASSERT_TRUE(store.create(p)) << name;
  }
  void add_node(const std::string& name, std::map<std::string, std::string> labels = {}) {
    api::Node n;
    n.metadata.name = name;
    n.metadata.labels = std::move(labels);
    ASSERT_TRUE(store.create(n)) << name;
  }
  void set_config(bool strict, int max_blocks = 0, bool auto_alloc = true) {
    api::IPAMConfiguration c;
    c.metadata.name = "default";
    c.spec.strict_affinity = strict;
    c.spec.max_blocks_per_host = max_blocks;
    c.spec.auto_allocate_blocks = auto_alloc;
    ASSERT_TRUE(store.create(c));
  }
  Result<AutoAssignResult, IpamError> assign(const std::string& host, const std::string& handle,
                                             int n4 = 1, int n6 = 0) {
    return ipam.auto_assign(request(host, handle, n4, n6));
  }
  std::optional<api::IPAMBlockSpec> block(const std::string& cidr) {
    auto o = store.get({api::Kind::IPAMBlock, "", api::block_name(cidr)});
    if (!o) {
      return std::nullopt;
    }
    return std::get<api::IPAMBlock>(o->value).spec;
  }
  std::optional<api::BlockAffinitySpec> affinity(const std::string& host, const std::string& cidr) {
    auto o = store.get({api::Kind::BlockAffinity, host, api::affinity_name(host, cidr)});
    if (!o) {
      return std::nullopt;
    }
    return std::get<api::BlockAffinity>(o->value).spec;
  }
  std::optional<api::IPAMHandleSpec> handle(const std::string& id) {
    auto o = store.get({api::Kind::IPAMHandle, "", api::handle_name(id)});
    if (!o) {
      return std::nullopt;
    }
    return std::get<api::IPAMHandle>(o->value).spec;
  }
  // Consistency with every handle treated as live unless listed in `dead`.
  CheckReport consistency(const std::set<std::string>& dead = {}) {
    CheckOptions o;
    o.in_use = [dead](const std::string& h, const net::IpAddr&) { return !dead.contains(h); };
    o.node_exists = [](const std::string&) { return true; };
    auto r = check(store, o);
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : CheckReport{};
  }

  MemoryStore store;
  Allocator ipam{store, fast()};
};

TEST_P(AllocatorTest, FirstAssignClaimsABlockWithConfirmedAffinityAndCountsTheHandle) {
  add_pool("p", "10.0.0.0/24", 26);
  auto r = assign("h1", "k8s-pod-network.c1");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->ipv4.size(), 1U);
  const std::string blk = r->ipv4[0].block.to_string();
  EXPECT_EQ(r->ipv4[0].block.prefix_len(), 26);
  EXPECT_EQ(r->ipv4[0].to_string(), r->ipv4[0].ip.to_string() + "/26");
  auto b = block(blk);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->affinity, "host:h1");
  EXPECT_FALSE(b->affinity_claim_time.empty());
  auto a = affinity("h1", blk);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->state, "confirmed");
  auto h = handle("k8s-pod-network.c1");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->block.at(blk), 1);
  EXPECT_TRUE(r->ipv4[0].block.contains(r->ipv4[0].ip));

  // Same host: same block, next address.  Another host: another block.
  auto r2 = assign("h1", "k8s-pod-network.c2");
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->ipv4[0].block, r->ipv4[0].block);
  EXPECT_NE(r2->ipv4[0].ip, r->ipv4[0].ip);
  auto r3 = assign("h2", "k8s-pod-network.c3");
  ASSERT_TRUE(r3);
  EXPECT_NE(r3->ipv4[0].block, r->ipv4[0].block);
  EXPECT_TRUE(consistency().clean()) << consistency().to_text();
}

TEST_P(AllocatorTest, BlockBoundariesAreCrossedByClaimingTheNextBlock) {
  add_pool("p", "10.0.0.0/24", 28);  // 16 blocks of 16
  auto r = assign("h1", "big", 40);
  ASSERT_TRUE(r) << r.error().message;
  std::set<net::IpAddr> ips;
  std::set<net::Cidr> blocks;
  for (const auto& a : r->ipv4) {
    ips.insert(a.ip);
    blocks.insert(a.block);
    EXPECT_TRUE(a.block.contains(a.ip));
  }
  EXPECT_EQ(ips.size(), 40U);
  EXPECT_EQ(blocks.size(), 3U);  // 16 + 16 + 8
  EXPECT_EQ(handle("big")->block.size(), 3U);
  for (const auto& c : blocks) {
    EXPECT_EQ(affinity("h1", c.to_string())->state, "confirmed");
  }
  auto released = ipam.release_by_handle("big");
  ASSERT_TRUE(released);
  EXPECT_EQ(released->size(), 40U);
  EXPECT_FALSE(handle("big"));
  // Emptied blocks are handed back except the host's last one.
  std::size_t left = 0;
  for (const auto& c : blocks) {
    left += affinity("h1", c.to_string()) ? 1 : 0;
  }
  EXPECT_EQ(left, 1U);
  EXPECT_TRUE(consistency().clean()) << consistency().to_text();
}

TEST_P(AllocatorTest, ExhaustedPoolFailsClearlyAndCorruptsNothing) {
  add_pool("tiny", "10.9.0.0/28", 30);  // 4 blocks x 4 addresses
  std::set<net::IpAddr> got;
  int failures = 0;
  std::string last_error;
  for (int i = 0; i < 24; ++i) {
    auto r = assign("h" + std::to_string(i % 3), "c" + std::to_string(i));
    if (r) {
      got.insert(r->ipv4[0].ip);
    } else {
      ++failures;
      last_error = r.error().message;
      EXPECT_EQ(r.error().code, IpamErrc::NoAddresses);
    }
  }
  EXPECT_EQ(got.size(), 16U);
  EXPECT_EQ(failures, 8);
  EXPECT_NE(last_error.find("no addresses available in pools [10.9.0.0/28]"), std::string::npos)
      << last_error;
  // A multi-address request that cannot be met leaves nothing behind.
  EXPECT_FALSE(assign("h9", "multi", 2));
  EXPECT_FALSE(handle("multi"));
  EXPECT_TRUE(consistency().clean()) << consistency().to_text();
  // Releasing one makes exactly one available again.
  auto rel = ipam.release_by_handle("c0");
  ASSERT_TRUE(rel);
  ASSERT_EQ(rel->size(), 1U);
  auto again = assign("h0", "again");
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->ipv4[0].ip, (*rel)[0]);
}

TEST_P(AllocatorTest, StrictAffinityNeverBorrowsAndTheBlockLimitIsEnforced) {
  add_pool("p", "10.0.0.0/24", 30);
  set_config(/*strict=*/true, /*max_blocks=*/1);
  ASSERT_TRUE(assign("h1", "a", 4));
  auto r = assign("h1", "b");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, IpamErrc::BlockLimit) << r.error().message;
  EXPECT_NE(r.error().message.find("limit of 1 blocks"), std::string::npos);
  EXPECT_FALSE(handle("b"));
  EXPECT_TRUE(assign("h2", "c"));
}

TEST_P(AllocatorTest, BorrowsFromOtherHostsBlocksOnlyWithoutStrictAffinity) {
  add_pool("p", "10.0.0.0/29", 30);  // two blocks
  ASSERT_TRUE(assign("h1", "a", 1));
  ASSERT_TRUE(assign("h2", "b", 1));
  auto r = assign("h3", "c", 2);  // no block left to claim: borrow
  ASSERT_TRUE(r) << r.error().message;
  for (const auto& a : r->ipv4) {
    auto b = block(a.block.to_string());
    EXPECT_NE(b->affinity, "host:h3");
  }
  EXPECT_FALSE(affinity("h3", r->ipv4[0].block.to_string()));
  EXPECT_TRUE(consistency().clean()) << consistency().to_text();
}

TEST_P(AllocatorTest, ReservationsAreSkippedButStayInTheQueue) {
  add_pool("p", "10.0.0.0/28", 28);
  api::IPReservation res;
  res.metadata.name = "r";
  res.spec.reserved_cidrs = {"10.0.0.0/30", "10.0.0.9"};
  ASSERT_TRUE(store.create(res));
  auto r = assign("h1", "a", 11);
  ASSERT_TRUE(r) << r.error().message;
  for (const auto& a : r->ipv4) {
    EXPECT_FALSE(net::Cidr::parse("10.0.0.0/30")->contains(a.ip)) << a.ip.to_string();
    EXPECT_NE(a.ip.to_string(), "10.0.0.9");
  }
  EXPECT_FALSE(assign("h1", "b", 1));  // the other 5 are reserved
  // Specific assignment of a reserved address is allowed, as in Calico.
  EXPECT_TRUE(ipam.assign_ip({.ip = *net::IpAddr::parse("10.0.0.9"),
                              .handle_id = "x",
                              .attrs = {},
                              .host = "h1",
                              .use = IntendedUse::Workload}));
}

TEST_P(AllocatorTest, DualStackAndIpv6Blocks) {
  add_pool("v4", "10.0.0.0/24", 26);
  add_pool("v6", "fd00:10::/120", 122);
  auto r = assign("h1", "ds", 1, 2);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->ipv4.size(), 1U);
  ASSERT_EQ(r->ipv6.size(), 2U);
  EXPECT_TRUE(r->ipv6[0].ip.is_v6());
  EXPECT_EQ(r->ipv6[0].block.prefix_len(), 122);
  EXPECT_EQ(handle("ds")->block.size(), 2U);
  EXPECT_TRUE(consistency().clean()) << consistency().to_text();
  // No IPv6 pool usable: the IPv4 address obtained first is released again.
  auto bad_req = request("h1", "bad", 1, 1);
  bad_req.ipv6_pools = {"fd99::/120"};
  auto bad = ipam.auto_assign(bad_req);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, IpamErrc::NoQualifiedPool);
  EXPECT_FALSE(handle("bad"));
  EXPECT_TRUE(consistency().clean()) << consistency().to_text();
}

TEST_P(AllocatorTest, PoolsByNodeSelectorAndByRequest) {
  add_pool("rack1", "10.1.0.0/24", 26, "rack == '1'");
  add_pool("rack2", "10.2.0.0/24", 26, "rack == '2'");
  add_node("n1", {{"rack", "1"}});
  add_node("n2", {{"rack", "2"}});
  auto a = assign("n1", "a");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_TRUE(net::Cidr::parse("10.1.0.0/24")->contains(a->ipv4[0].ip));
  auto b = assign("n2", "b");
  ASSERT_TRUE(b);
  EXPECT_TRUE(net::Cidr::parse("10.2.0.0/24")->contains(b->ipv4[0].ip));
  auto c_req = request("n1", "c");
  c_req.ipv4_pools = {"rack2"};
  auto c = ipam.auto_assign(c_req);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_TRUE(net::Cidr::parse("10.2.0.0/24")->contains(c->ipv4[0].ip));
  auto d = assign("ghost", "d");
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message.find("node ghost does not exist"), std::string::npos);
  auto e_req = request("n1", "e");
  e_req.ipv4_pools = {"10.7.0.0/16"};
  auto e = ipam.auto_assign(e_req);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, IpamErrc::NoQualifiedPool);
}

TEST_P(AllocatorTest, AssignSpecificAddress) {
  add_pool("p", "10.0.0.0/24", 26);
  const auto ip = *net::IpAddr::parse("10.0.0.77");
  auto a = ipam.assign_ip(
      {.ip = ip, .handle_id = "a", .attrs = {}, .host = "h1", .use = IntendedUse::Workload});
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->to_string(), "10.0.0.77/26");
  EXPECT_EQ(block("10.0.0.64/26")->affinity, "host:h1");
  auto again = ipam.assign_ip(
      {.ip = ip, .handle_id = "b", .attrs = {}, .host = "h1", .use = IntendedUse::Workload});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, IpamErrc::AlreadyAllocated);
  EXPECT_NE(again.error().message.find("10.0.0.77"), std::string::npos);
  auto out = ipam.assign_ip({.ip = *net::IpAddr::parse("192.168.1.1"),
                             .handle_id = "c",
                             .attrs = {},
                             .host = "h1",
                             .use = IntendedUse::Workload});
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, IpamErrc::NotInPool);
  EXPECT_FALSE(handle("b"));
  EXPECT_FALSE(handle("c"));
  // Auto-assign on h1 now uses that block and never hands out .77.
  auto r = assign("h1", "d", 63);
  ASSERT_TRUE(r) << r.error().message;
  for (const auto& x : r->ipv4) {
    EXPECT_NE(x.ip, ip);
  }
  EXPECT_TRUE(consistency().clean()) << consistency().to_text();
}

TEST_P(AllocatorTest, ReleaseIsIdempotentAndChecksHandleAndSequence) {
  add_pool("p", "10.0.0.0/24", 26);
  auto r = assign("h1", "a", 2);
  ASSERT_TRUE(r);
  const auto ip = r->ipv4[0].ip;
  auto wrong = ipam.release_ips({{ip, std::string("someone-else"), std::nullopt}});
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, IpamErrc::Mismatch);
  auto ok = ipam.release_ips({{ip, std::string("a"), std::nullopt}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->released.size(), 1U);
  auto twice = ipam.release_ips({{ip, std::nullopt, std::nullopt},
                                 {*net::IpAddr::parse("172.16.0.1"), std::nullopt, std::nullopt}});
  ASSERT_TRUE(twice);
  EXPECT_TRUE(twice->released.empty());
  EXPECT_EQ(twice->not_allocated.size(), 2U);
  EXPECT_EQ(handle("a")->block.begin()->second, 1);
  ASSERT_TRUE(ipam.release_by_handle("a"));
  auto gone = ipam.release_by_handle("a");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, IpamErrc::HandleNotFound);
  EXPECT_TRUE(consistency().clean()) << consistency().to_text();
}

TEST_P(AllocatorTest, NodeRemovalOrphansNonEmptyBlocksThatAreDeletedWhenEmptied) {
  add_pool("p", "10.0.0.0/24", 26);
  auto r = assign("h1", "a", 1);
  ASSERT_TRUE(r);
  ASSERT_TRUE(assign("h1", "b", 64));  // fills the first block, claims a second
  auto released = ipam.release_host_affinities("h1", false);
  ASSERT_TRUE(released) << released.error().message;
  EXPECT_EQ(released->size(), 2U);
  const std::string blk = r->ipv4[0].block.to_string();
  EXPECT_FALSE(affinity("h1", blk));
  ASSERT_TRUE(block(blk));
  EXPECT_FALSE(block(blk)->affinity);  // orphan: addresses stay allocated
  ASSERT_TRUE(ipam.release_by_handle("a"));
  ASSERT_TRUE(ipam.release_by_handle("b"));
  EXPECT_FALSE(block(blk));  // empty orphan deleted
  EXPECT_TRUE(consistency().clean()) << consistency().to_text();
}

TEST_P(AllocatorTest, HalfDoneClaimsAndStaleAffinitiesAreRepaired) {
  add_pool("p", "10.0.0.0/26", 26);  // one block only
  // A process died after writing the pending affinity.
  api::BlockAffinity a;
  a.metadata.name = api::affinity_name("h1", "10.0.0.0/26");
  a.spec = {"pending", "h1", "host", "10.0.0.0/26", "false"};
  ASSERT_TRUE(store.create(a));
  auto r = assign("h1", "x");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(affinity("h1", "10.0.0.0/26")->state, "confirmed");
  EXPECT_EQ(block("10.0.0.0/26")->affinity, "host:h1");
  // h2 has a stale pending affinity to h1's block: its claim removes it and borrows.
  a.metadata.name = api::affinity_name("h2", "10.0.0.0/26");
  a.spec.node = "h2";
  ASSERT_TRUE(store.create(a));
  auto r2 = assign("h2", "y");
  ASSERT_TRUE(r2) << r2.error().message;
  EXPECT_FALSE(affinity("h2", "10.0.0.0/26"));
}

TEST_P(AllocatorTest, TransientDatastoreFailuresAreRetried) {
  add_pool("p", "10.0.0.0/24", 26);
  store.fail_next_writes(3, datastore::ErrorCode::Unavailable);
  auto r = assign("h1", "a");
  ASSERT_TRUE(r) << r.error().message;
  store.fail_next_writes(2, datastore::ErrorCode::Conflict);
  ASSERT_TRUE(ipam.release_by_handle("a"));
  EXPECT_TRUE(consistency().clean()) << consistency().to_text();
  // A datastore that keeps failing ends in a clear error, not a hang.
  store.fail_next_writes(1000, datastore::ErrorCode::Unavailable);
  auto f = assign("h1", "b");
  ASSERT_FALSE(f);
  EXPECT_TRUE(f.error().code == IpamErrc::Contention || f.error().code == IpamErrc::Timeout)
      << f.error().message;
  store.fail_next_writes(0);
  EXPECT_TRUE(consistency().clean()) << consistency().to_text();
}

TEST_P(AllocatorTest, AStaleCacheNeverWinsOverTheStore) {
  add_pool("p", "10.0.0.0/26", 26);  // one block
  AllocatorOptions o = fast();
  o.view_ttl = std::chrono::milliseconds(60000);
  Allocator cached(store, o);
  ASSERT_TRUE(cached.auto_assign(request("h1", "a")));
  // Behind the cache's back the block stops being h1's (node removal orphans it).
  ASSERT_TRUE(ipam.release_host_affinities("h1", false));
  auto b = cached.auto_assign(request("h1", "b"));
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_FALSE(block("10.0.0.0/26")->affinity);  // still an orphan: borrowed, not re-owned
  EXPECT_FALSE(affinity("h1", "10.0.0.0/26"));
  EXPECT_TRUE(consistency().clean()) << consistency().to_text();
}

TEST_P(AllocatorTest, ConcurrentAllocatorsNeverHandOutAnAddressTwice) {
  add_pool("p", "10.0.0.0/22", 27);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 60;
  std::mutex mu;
  std::set<net::IpAddr> live;
  std::atomic<int> duplicates{0};
  std::atomic<int> errors{0};
  std::set<std::string> released_handles;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Half the allocators remember pools, affinities and blocks between calls.
      AllocatorOptions opts = fast();
      if (t % 2 == 1) {
        opts.view_ttl = std::chrono::milliseconds(60000);
      }
      Allocator mine(store, opts);
      for (int i = 0; i < kPerThread; ++i) {
        const std::string h = "t" + std::to_string(t) + "-" + std::to_string(i);
        auto r = mine.auto_assign(request("host" + std::to_string(t % 3), h));
        if (!r) {
          ++errors;
          ADD_FAILURE() << "auto_assign " << h << ": " << r.error().message;
          continue;
        }
        {
          std::lock_guard l(mu);
          if (!live.insert(r->ipv4[0].ip).second) {
            ++duplicates;
          }
        }
        if (i % 3 == 0) {
          std::lock_guard l(mu);
          live.erase(r->ipv4[0].ip);
          released_handles.insert(h);
        }
        if (i % 3 == 0) {
          if (auto rel = mine.release_by_handle(h); !rel) {
            ++errors;
            ADD_FAILURE() << "release " << h << ": " << rel.error().message;
          }
        }
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_EQ(duplicates.load(), 0);
  EXPECT_EQ(errors.load(), 0);
  auto rep = consistency(released_handles);
  EXPECT_TRUE(rep.clean()) << rep.to_text();
  EXPECT_EQ(rep.allocations, live.size());
}

TEST_P(AllocatorTest, CheckFindsAndRepairFixesLeaksOrphansAndDeletedNodes) {
  add_pool("p", "10.0.0.0/24", 26);
  add_node("h1");
  add_node("h2");
  ASSERT_TRUE(assign("h1", "live"));
  ASSERT_TRUE(assign("h1", "leak"));
  ASSERT_TRUE(assign("h2", "gone-node"));
  // An orphaned handle, and a handle whose count is wrong.
  api::IPAMHandle orphan;
  orphan.metadata.name = "orphan";
  orphan.spec = {"orphan", {{"10.0.0.0/26", 1}}, false};
  ASSERT_TRUE(store.create(orphan));
  auto live = store.get({api::Kind::IPAMHandle, "", "live"});
  auto lv = std::get<api::IPAMHandle>(live->value);
  lv.spec.block.begin()->second = 5;
  ASSERT_TRUE(store.update(lv));
  // Node h2 is deleted.
  ASSERT_TRUE(store.remove({api::Kind::Node, "", "h2"}));
  CheckOptions o;
  o.in_use = [](const std::string& h, const net::IpAddr&) { return h != "leak"; };
  auto rep = check(store, o);
  ASSERT_TRUE(rep);
  EXPECT_EQ(rep->count(ProblemKind::LeakedAllocation), 1U) << rep->to_text();
  EXPECT_EQ(rep->count(ProblemKind::OrphanedHandle), 1U);
  EXPECT_EQ(rep->count(ProblemKind::HandleMismatch), 1U);
  EXPECT_EQ(rep->count(ProblemKind::DeletedNodeAffinity), 1U);
  EXPECT_NE(rep->to_text().find("Check complete; found 4 problems."), std::string::npos)
      << rep->to_text();
  auto fixed = repair(store, ipam, *rep);
  ASSERT_TRUE(fixed) << fixed.error().message;
  EXPECT_EQ(fixed->released_ips, 1U);
  EXPECT_EQ(fixed->handles_deleted, 1U);
  EXPECT_EQ(fixed->handles_rewritten, 1U);
  EXPECT_EQ(fixed->affinities_released, 1U);
  auto after = check(store, o);
  ASSERT_TRUE(after);
  EXPECT_TRUE(after->clean()) << after->to_text();
  EXPECT_EQ(handle("live")->block.begin()->second, 1);
}

INSTANTIATE_TEST_SUITE_P(Writes, AllocatorTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& i) {
                           return i.param ? std::string("Transaction") : std::string("TwoWrites");
                         });

}  // namespace
}  // namespace calico::ipam
