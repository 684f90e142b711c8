// The MemoryStore contract: CRUD, CAS, list revisions, watch ordering, compaction ->
// resync, injected failures.  The same expectations are checked against real etcd in
// tests/integration/datastore/.
#include "datastore/memory_store.h"

#include <atomic>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "tests/unit/datastore/watch_recorder.h"
#include "tests/unit/datastore/write_all_contract.h"

namespace calico::datastore {
namespace {

using testing::WatchRecorder;

TEST(MemoryStore, CreateGetUpdateDelete) {
  MemoryStore s;
  auto created = s.create(testing::pool("a", "10.0.0.0/16"));
  ASSERT_TRUE(created) << created.error().to_string();
  EXPECT_EQ(created->revision, "1");
  EXPECT_FALSE(api::meta_of(created->value).uid.empty());
  EXPECT_EQ(s.create(testing::pool("a", "10.0.0.0/16")).error().code, ErrorCode::AlreadyExists);

  auto got = s.get({api::Kind::IPPool, "", "a"});
  ASSERT_TRUE(got);
  EXPECT_EQ(std::get<api::IPPool>(got->value).spec.cidr, "10.0.0.0/16");
  EXPECT_EQ(api::meta_of(got->value).resource_version, "1");

  auto v = got->value;
  std::get<api::IPPool>(v).spec.cidr = "10.1.0.0/16";
  auto updated = s.update(v);
  ASSERT_TRUE(updated);
  EXPECT_EQ(updated->revision, "2");
  EXPECT_EQ(api::meta_of(updated->value).uid, api::meta_of(created->value).uid);

  EXPECT_EQ(s.remove({api::Kind::IPPool, "", "a"}, "1").error().code, ErrorCode::Conflict);
  ASSERT_TRUE(s.remove({api::Kind::IPPool, "", "a"}, "2"));
  EXPECT_EQ(s.get({api::Kind::IPPool, "", "a"}).error().code, ErrorCode::NotFound);
  EXPECT_EQ(s.remove({api::Kind::IPPool, "", "a"}).error().code, ErrorCode::NotFound);
}

TEST(MemoryStore, StaleUpdateIsATypedConflictAndChangesNothing) {
  MemoryStore s;
  auto a = *s.create(testing::pool("a", "10.0.0.0/16"));
  auto v1 = a.value;
  std::get<api::IPPool>(v1).spec.disabled = true;
  ASSERT_TRUE(s.update(v1));
  auto stale = a.value;  // still carries resourceVersion "1"
  std::get<api::IPPool>(stale).spec.nat_outgoing = true;
  auto r = s.update(stale);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::Conflict);
  EXPECT_FALSE(std::get<api::IPPool>(s.get(a.key)->value).spec.nat_outgoing);
}

TEST(MemoryStore, InvalidObjectsAreRejectedAndNotStored) {
  MemoryStore s;
  auto r = s.create(testing::pool("bad", "10.0.0.0/33"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::Invalid);
  EXPECT_NE(r.error().message.find("spec.cidr"), std::string::npos);
  EXPECT_EQ(s.revision(), 0);
}

TEST(MemoryStore, ListFiltersByKindNamespaceAndPrefix) {
  MemoryStore s;
  ASSERT_TRUE(s.create(testing::pool("p1", "10.0.0.0/16")));
  ASSERT_TRUE(s.create(testing::pool("p2", "10.1.0.0/16")));
  ASSERT_TRUE(s.create(testing::netset("ns1", "a")));
  ASSERT_TRUE(s.create(testing::netset("ns2", "a")));
  auto pools = s.list({api::Kind::IPPool, "", ""});
  ASSERT_TRUE(pools);
  EXPECT_EQ(pools->items.size(), 2u);
  EXPECT_EQ(pools->revision, "4");
  EXPECT_EQ(s.list({api::Kind::IPPool, "", "p2"})->items.size(), 1u);
  EXPECT_EQ(s.list({api::Kind::NetworkSet, "ns1", ""})->items.size(), 1u);
  EXPECT_EQ(s.list({api::Kind::NetworkSet, "", ""})->items.size(), 2u);
}

TEST(MemoryStore, InjectedWriteFailuresChangeNothing) {
  MemoryStore s;
  s.fail_next_writes(1, ErrorCode::Unavailable);
  EXPECT_EQ(s.create(testing::pool("a", "10.0.0.0/16")).error().code, ErrorCode::Unavailable);
  EXPECT_EQ(s.revision(), 0);
  EXPECT_TRUE(s.create(testing::pool("a", "10.0.0.0/16")));
}

TEST(MemoryStore, ConcurrentCasIncrementsNeverLoseAnUpdate) {
  MemoryStore s;
  ASSERT_TRUE(s.create(testing::pool("ctr", "10.0.0.0/16")));
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50;
  std::atomic<int> conflicts{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        for (int attempt = 0; attempt < 1000; ++attempt) {
          auto cur = *s.get({api::Kind::IPPool, "", "ctr"});
          auto& pool = std::get<api::IPPool>(cur.value);
          pool.metadata.labels["n"] = std::to_string(
              std::stoi(pool.metadata.labels["n"].empty() ? "0" : pool.metadata.labels["n"]) + 1);
          if (s.update(cur.value)) {
            break;
          }
          ++conflicts;
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  auto final_obj = *s.get({api::Kind::IPPool, "", "ctr"});
  EXPECT_EQ(api::meta_of(final_obj.value).labels.at("n"), std::to_string(kThreads * kPerThread));
}

TEST(MemoryStoreWatch, ListsThenStreamsInOrder) {
  MemoryStore s;
  ASSERT_TRUE(s.create(testing::pool("a", "10.0.0.0/16")));
  WatchRecorder rec;
  auto w = s.watch({{api::Kind::IPPool, "", ""},
                    "",
                    {},
                    std::chrono::milliseconds(1),
                    std::chrono::milliseconds(20)},
                   rec.callbacks());
  ASSERT_TRUE(rec.wait_for_status(WatchStatus::InSync));
  ASSERT_TRUE(s.create(testing::pool("b", "10.1.0.0/16")));
  ASSERT_TRUE(s.remove({api::Kind::IPPool, "", "a"}));
  ASSERT_TRUE(rec.wait_for_events(3));
  EXPECT_EQ(rec.summary(), "Added a@1,Added b@2,Deleted a@3");
  EXPECT_EQ(rec.state_names(), "b");
}

TEST(MemoryStoreWatch, ReconnectDeliversEveryEventExactlyOnce) {
  MemoryStore s;
  WatchRecorder rec;
  auto w = s.watch({{api::Kind::IPPool, "", ""},
                    "",
                    {},
                    std::chrono::milliseconds(1),
                    std::chrono::milliseconds(20)},
                   rec.callbacks());
  ASSERT_TRUE(rec.wait_for_status(WatchStatus::InSync));
  int breaks = 0;
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(
        s.create(testing::pool("p" + std::to_string(i), "10." + std::to_string(i) + ".0.0/16")));
    if (i % 5 == 0) {
      // Break only a live stream, then wait until the watcher is streaming again, so the
      // test does not depend on thread timing.
      ASSERT_TRUE(rec.wait_for_events(static_cast<std::size_t>(i) + 1));
      s.break_watches();
      ++breaks;
      ASSERT_TRUE(rec.wait_for_status(WatchStatus::Reconnecting, breaks));
      ASSERT_TRUE(rec.wait_for_status(WatchStatus::InSync, breaks + 1));
    }
  }
  ASSERT_TRUE(rec.wait_for_events(20));
  EXPECT_EQ(rec.event_count(), 20u);
  EXPECT_TRUE(rec.revisions_strictly_increasing());
  EXPECT_EQ(rec.status_count(WatchStatus::Reconnecting), breaks);
  EXPECT_EQ(rec.duplicate_events(), 0u);
}

TEST(MemoryStoreWatch, CompactionLeadsToResyncEndingInTheRightState) {
  MemoryStore s;
  ASSERT_TRUE(s.create(testing::pool("keep", "10.0.0.0/16")));
  ASSERT_TRUE(s.create(testing::pool("gone", "10.1.0.0/16")));
  auto list = *s.list({api::Kind::IPPool, "", ""});
  WatchRecorder rec;
  rec.seed(list.items);  // the consumer already knows keep and gone at this revision
  // While "disconnected": delete one, modify one, add one, then compact everything.
  ASSERT_TRUE(s.remove({api::Kind::IPPool, "", "gone"}));
  auto keep = *s.get({api::Kind::IPPool, "", "keep"});
  std::get<api::IPPool>(keep.value).spec.disabled = true;
  ASSERT_TRUE(s.update(keep.value));
  ASSERT_TRUE(s.create(testing::pool("new", "10.2.0.0/16")));
  s.compact(s.revision());
  WatchOptions opts{{api::Kind::IPPool, "", ""},
                    list.revision,
                    list.items,
                    std::chrono::milliseconds(1),
                    std::chrono::milliseconds(20)};
  auto w = s.watch(opts, rec.callbacks());
  ASSERT_TRUE(rec.wait_for_status(WatchStatus::InSync));
  EXPECT_EQ(rec.status_count(WatchStatus::Resyncing), 1);
  // One batch with exactly the diff: gone deleted, keep modified, new added.
  EXPECT_EQ(rec.batch_summaries().back(), "Deleted gone@2,Modified keep@4,Added new@5");
  EXPECT_EQ(rec.state_names(), "keep,new");
  EXPECT_TRUE(rec.state_value_disabled("keep"));
}

TEST(MemoryStoreWatch, StopIsPrompt) {
  MemoryStore s;
  WatchRecorder rec;
  auto w = s.watch({{api::Kind::IPPool, "", ""},
                    "",
                    {},
                    std::chrono::milliseconds(1),
                    std::chrono::milliseconds(20)},
                   rec.callbacks());
  ASSERT_TRUE(rec.wait_for_status(WatchStatus::InSync));
  const auto t0 = std::chrono::steady_clock::now();
  w->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(500));
  EXPECT_EQ(rec.status_count(WatchStatus::Stopped), 1);
}

}  // namespace
}  // namespace calico::datastore

namespace calico::datastore {
namespace {

TEST(MemoryStore, WriteAllIsAtomic) {
  MemoryStore s;
  testing::check_write_all_contract(s);
  // An injected failure fails the whole transaction.
  s.fail_next_writes(1);
  auto r =
      s.write_all({testing::write_all_handle("wa-z1", 1), testing::write_all_handle("wa-z2", 1)});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::Unavailable);
  EXPECT_FALSE(s.get({api::Kind::IPAMHandle, "", "wa-z1"}));
}

}  // namespace
}  // namespace calico::datastore
