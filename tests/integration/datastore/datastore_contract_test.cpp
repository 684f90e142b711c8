// The Datastore contract, one suite run against both real backends: etcd v3 (a real etcd
// started by the test) and the Kubernetes datastore (a real kube-apiserver over its own
// etcd, with our CRDs installed).  Typed CAS errors, concurrent CAS, the IPAM kinds' CAS
// and deletes, list filters, watch exactly-once across a server restart and a hard kill,
// compaction -> Gone -> resync, and a backend that is down at start.
#include <atomic>
#include <condition_variable>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "datastore/etcd/etcd_datastore.h"
#include "datastore/kdd/kube_config.h"
#include "datastore/kube/kdd_datastore.h"
#include "tests/lib/etcd_server.h"
#include "tests/lib/kube_apiserver.h"
#include "tests/unit/datastore/watch_recorder.h"

namespace calico::datastore {
namespace {

using testing::WatchRecorder;

// One backend under test, started fresh for each test.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual Datastore& store() = 0;
  virtual std::string endpoint() const = 0;  // what error messages must name
  virtual void stop() = 0;
  virtual void kill() = 0;
  virtual Result<void, std::string> restart() = 0;
  // Makes every revision up to now unavailable to watches (etcd compaction; for the API
  // server also a restart, so its watch cache forgets the history as well).
  virtual Result<void, std::string> forget_history() = 0;
};

class EtcdBackend final : public Backend {
 public:
  static Result<std::unique_ptr<Backend>, std::string> start() {
    auto s = testlib::EtcdServer::start();
    if (!s) {
      return fail(s.error());
    }
    auto b = std::make_unique<EtcdBackend>();
    b->etcd_ = std::move(*s);
    etcd::EtcdConfig c;
    c.endpoints = {b->etcd_->endpoint()};
    c.request_timeout = std::chrono::milliseconds(2000);
    b->store_ = std::make_unique<etcd::EtcdDatastore>(c);
    return std::unique_ptr<Backend>(std::move(b));
  }
  Datastore& store() override { return *store_; }
  std::string endpoint() const override { return etcd_->endpoint(); }
  void stop() override { etcd_->stop(); }
  void kill() override { etcd_->kill(); }
  Result<void, std::string> restart() override { return etcd_->restart(); }
  Result<void, std::string> forget_history() override {
    auto rev = etcd_->current_revision();
    if (!rev) {
      return fail(rev.error());
    }
    return etcd_->compact_to(*rev);
  }

 private:
  std::unique_ptr<testlib::EtcdServer> etcd_;
  std::unique_ptr<etcd::EtcdDatastore> store_;
};

class KubeBackend final : public Backend {
 public:
  static Result<std::unique_ptr<Backend>, std::string> start() {
    auto s = testlib::KubeApiServer::start();
    if (!s) {
      return fail(s.error());
    }
    auto b = std::make_unique<KubeBackend>();
    b->api_ = std::move(*s);
    if (auto c = b->api_->install_crds(CALICO_MANIFESTS_DIR "/crds"); !c) {
      return fail(c.error());
    }
    for (const char* ns : {"shop", "default"}) {
      if (auto n = b->api_->create_namespace(ns); !n) {
        return fail(n.error());
      }
    }
    kube::KddOptions o;
    o.client.request_timeout = std::chrono::milliseconds(3000);
    o.client.max_attempts = 2;
    b->store_ = std::make_unique<kube::KddDatastore>(b->api_->admin_config(), o);
    return std::unique_ptr<Backend>(std::move(b));
  }
  Datastore& store() override { return *store_; }
  std::string endpoint() const override { return api_->url(); }
  void stop() override { api_->stop(); }
  void kill() override { api_->kill(); }
  Result<void, std::string> restart() override { return api_->restart(); }
  Result<void, std::string> forget_history() override {
    auto rev = api_->etcd().current_revision();
    if (!rev) {
      return fail(rev.error());
    }
    if (auto c = api_->etcd().compact_to(*rev); !c) {
      return c;
    }
    return api_->restart();
  }

 private:
  std::unique_ptr<testlib::KubeApiServer> api_;
  std::unique_ptr<kube::KddDatastore> store_;
};

using BackendFactory = Result<std::unique_ptr<Backend>, std::string> (*)();

class DatastoreContract : public ::testing::TestWithParam<std::pair<const char*, BackendFactory>> {
 protected:
  void SetUp() override {
    auto b = GetParam().second();
    ASSERT_TRUE(b) << b.error();
    backend_ = std::move(*b);
  }
  Datastore& store() { return backend_->store(); }

  static WatchOptions all_pools(std::chrono::milliseconds backoff = std::chrono::milliseconds(50)) {
    WatchOptions o;
    o.list = {api::Kind::IPPool, "", ""};
    o.initial_backoff = backoff;
    o.max_backoff = backoff * 2;
    return o;
  }

  std::unique_ptr<Backend> backend_;
};

// Holds a watch's thread inside its first Reconnecting callback until open(): while held
// the watcher cannot reconnect, so a test decides exactly what happens meanwhile.
class ReconnectGate {
 public:
  WatchCallbacks wrap(WatchCallbacks cbs) {
    cbs.on_status = [this, inner = cbs.on_status](WatchStatus st, const std::string& detail) {
      inner(st, detail);
      if (st == WatchStatus::Reconnecting) {
        std::unique_lock<std::mutex> l(mu_);
        held_ = true;
        cv_.notify_all();
        cv_.wait(l, [this] { return open_; });
      }
    };
    return cbs;
  }
  bool wait_held() {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, std::chrono::seconds(20), [this] { return held_; });
  }
  void open() {
    {
      const std::lock_guard<std::mutex> l(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }
  // Opens the gate when it goes out of scope (declare it after the watch).
  auto releaser() {
    return std::unique_ptr<ReconnectGate, void (*)(ReconnectGate*)>(
        this, [](ReconnectGate* g) { g->open(); });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false;
  bool open_ = false;
};

std::string pool_cidr(int i) {
  return "10." + std::to_string(i) + ".0.0/16";
}

TEST_P(DatastoreContract, TypedErrorsForConflictsAndMissingKeys) {
  auto a = *store().create(testing::pool("a", "10.1.0.0/16"));
  EXPECT_EQ(store().create(testing::pool("a", "10.1.0.0/16")).error().code,
            ErrorCode::AlreadyExists);
  auto v = a.value;
  std::get<api::IPPool>(v).spec.disabled = true;
  ASSERT_TRUE(store().update(v));
  auto stale = a.value;  // resourceVersion of the first write
  std::get<api::IPPool>(stale).spec.nat_outgoing = true;
  auto r = store().update(stale);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::Conflict);
  EXPECT_FALSE(std::get<api::IPPool>(store().get(a.key)->value).spec.nat_outgoing);
  EXPECT_EQ(store().remove(a.key, a.revision).error().code, ErrorCode::Conflict);
  EXPECT_TRUE(store().get(a.key));  // a failed CAS delete deletes nothing
  EXPECT_EQ(store().get({api::Kind::IPPool, "", "nope"}).error().code, ErrorCode::NotFound);
  EXPECT_EQ(store().remove({api::Kind::IPPool, "", "nope"}).error().code, ErrorCode::NotFound);
  auto nope = testing::pool("nope", "10.9.0.0/16");
  EXPECT_EQ(store().update(nope).error().code, ErrorCode::NotFound);
  auto bad = store().create(testing::pool("bad", "10.0.0.0/33"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::Invalid);
  EXPECT_EQ(store().get({api::Kind::IPPool, "", "bad"}).error().code, ErrorCode::NotFound);
  // An unconditional update (no resourceVersion) of an existing key succeeds.
  auto unconditional = testing::pool("a", "10.1.0.0/16");
  api::meta_of(unconditional).labels["via"] = "unconditional";
  ASSERT_TRUE(store().update(unconditional));
  auto removed = store().remove(a.key);
  ASSERT_TRUE(removed) << removed.error().to_string();
  EXPECT_EQ(api::meta_of(removed->value).labels.at("via"), "unconditional");
  EXPECT_EQ(store().get(a.key).error().code, ErrorCode::NotFound);
}

TEST_P(DatastoreContract, ListsFilterByNamespaceAndNamePrefix) {
  ASSERT_TRUE(store().create(testing::netset("shop", "web-a")));
  ASSERT_TRUE(store().create(testing::netset("shop", "web-b")));
  ASSERT_TRUE(store().create(testing::netset("shop", "db")));
  ASSERT_TRUE(store().create(testing::netset("default", "web-c")));
  auto all = store().list({api::Kind::NetworkSet, "", ""});
  ASSERT_TRUE(all) << all.error().to_string();
  EXPECT_EQ(all->items.size(), 4u);
  EXPECT_FALSE(all->revision.empty());
  auto shop = store().list({api::Kind::NetworkSet, "shop", ""});
  ASSERT_TRUE(shop);
  EXPECT_EQ(shop->items.size(), 3u);
  auto web = store().list({api::Kind::NetworkSet, "shop", "web-"});
  ASSERT_TRUE(web);
  ASSERT_EQ(web->items.size(), 2u);
  EXPECT_EQ(web->items[0].key.name, "web-a");
  EXPECT_EQ(web->items[1].key.name, "web-b");
  EXPECT_EQ(store().get({api::Kind::NetworkSet, "default", "db"}).error().code,
            ErrorCode::NotFound);
}

TEST_P(DatastoreContract, ConcurrentCasIncrementsNeverLoseAnUpdate) {
  ASSERT_TRUE(store().create(testing::pool("ctr", "10.1.0.0/16")));
  constexpr int kThreads = 4;
  constexpr int kPerThread = 12;
  std::atomic<int> conflicts{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        for (int attempt = 0; attempt < 200; ++attempt) {
          auto cur = store().get({api::Kind::IPPool, "", "ctr"});
          ASSERT_TRUE(cur) << cur.error().to_string();
          auto& labels = api::meta_of(cur->value).labels;
          labels["n"] = std::to_string((labels.count("n") ? std::stoi(labels["n"]) : 0) + 1);
          auto w = store().update(cur->value);
          if (w) {
            break;
          }
          ASSERT_EQ(w.error().code, ErrorCode::Conflict) << w.error().to_string();
          ++conflicts;
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  auto final_obj = store().get({api::Kind::IPPool, "", "ctr"});
  ASSERT_TRUE(final_obj);
  EXPECT_EQ(api::meta_of(final_obj->value).labels.at("n"), std::to_string(kThreads * kPerThread));
  RecordProperty("cas_conflicts", conflicts.load());
}

TEST_P(DatastoreContract, IpamKindsCasAndDeleteLikeAnyOther) {
  api::IPAMBlock block;
  block.metadata.name = "10-244-3-64-30";
  block.spec.cidr = "10.244.3.64/30";
  block.spec.affinity = "host:worker-1";
  block.spec.allocations = {0, std::nullopt, std::nullopt, std::nullopt};
  block.spec.unallocated = {1, 2, 3};
  block.spec.attributes.push_back({"k8s-pod-network.abc", {{"node", "worker-1"}}, {}, ""});
  auto b = store().create(block);
  ASSERT_TRUE(b) << b.error().to_string();

  api::BlockAffinity aff;
  aff.metadata.name = "worker-1-10-244-3-64-30";
  aff.spec = {"confirmed", "worker-1", "host", "10.244.3.64/30", "false"};
  ASSERT_TRUE(store().create(aff));
  aff.metadata.name = "worker-2-10-244-3-68-30";
  aff.spec = {"confirmed", "worker-2", "host", "10.244.3.68/30", "false"};
  ASSERT_TRUE(store().create(aff));
  auto affs = store().list({api::Kind::BlockAffinity, "", ""});
  ASSERT_TRUE(affs) << affs.error().to_string();
  EXPECT_EQ(affs->items.size(), 2u);
  auto mine = store().list({api::Kind::BlockAffinity, "worker-1", ""});
  ASSERT_TRUE(mine) << mine.error().to_string();
  ASSERT_EQ(mine->items.size(), 1u);
  EXPECT_EQ(std::get<api::BlockAffinity>(mine->items[0].value).spec.node, "worker-1");
  EXPECT_EQ(mine->items[0].key.ns, "worker-1");
  EXPECT_TRUE(store().get(mine->items[0].key));

  // CAS on the block, as IPAM does it.
  auto cur = *store().get({api::Kind::IPAMBlock, "", "10-244-3-64-30"});
  auto next = std::get<api::IPAMBlock>(cur.value);
  next.spec.allocations[1] = 0;
  next.spec.unallocated = {2, 3};
  auto written = store().update(next);
  ASSERT_TRUE(written) << written.error().to_string();
  EXPECT_EQ(store().update(next).error().code, ErrorCode::Conflict);
  // A stale delete fails and deletes nothing; a current one deletes.
  EXPECT_EQ(store().remove(cur.key, cur.revision).error().code, ErrorCode::Conflict);
  EXPECT_TRUE(store().get(cur.key));
  ASSERT_TRUE(store().remove(cur.key, written->revision));
  EXPECT_EQ(store().get(cur.key).error().code, ErrorCode::NotFound);
  EXPECT_EQ(store().list({api::Kind::IPAMBlock, "", ""})->items.size(), 0u);
  // And the key can be created again.
  ASSERT_TRUE(store().create(block));

  api::IPAMHandle handle;
  handle.metadata.name = "k8s-pod-network.abc";
  handle.spec.handle_id = "k8s-pod-network.abc";
  handle.spec.block["10.244.3.64/30"] = 1;
  auto h = store().create(handle);
  ASSERT_TRUE(h) << h.error().to_string();
  ASSERT_TRUE(store().remove(h->key));
  EXPECT_EQ(store().remove(h->key).error().code, ErrorCode::NotFound);
}

TEST_P(DatastoreContract, WatchDeliversEveryEventOnceAcrossServerRestart) {
  WatchRecorder rec;
  ReconnectGate gate;
  auto w = store().watch(all_pools(), gate.wrap(rec.callbacks()));
  auto release = gate.releaser();
  ASSERT_TRUE(rec.wait_for_status(WatchStatus::InSync));
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(store().create(testing::pool("p" + std::to_string(i), pool_cidr(i))));
  }
  ASSERT_TRUE(rec.wait_for_events(10));
  backend_->stop();
  ASSERT_TRUE(gate.wait_held());
  ASSERT_TRUE(backend_->restart());
  // Back in sync (resumed from its revision, or resynced if the server lost its watch
  // history in the restart) before the next writes, so every later event is live.
  gate.open();
  ASSERT_TRUE(rec.wait_for_status(WatchStatus::InSync, 2, std::chrono::milliseconds(30000)))
      << rec.summary();
  // (A restarted API server answers the resumed watch, then says Gone at once.)
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  if (rec.status_count(WatchStatus::Resyncing) > 0) {
    ASSERT_TRUE(rec.wait_for_status(WatchStatus::InSync, 3, std::chrono::milliseconds(30000)))
        << rec.summary();
  }
  for (int i = 10; i < 20; ++i) {
    auto c = store().create(testing::pool("p" + std::to_string(i), pool_cidr(i)));
    ASSERT_TRUE(c) << c.error().to_string();
  }
  ASSERT_TRUE(store().remove({api::Kind::IPPool, "", "p0"}));
  ASSERT_TRUE(rec.wait_for_events(21, std::chrono::milliseconds(30000))) << rec.summary();
  EXPECT_EQ(rec.event_count(), 21u) << rec.summary();
  EXPECT_EQ(rec.duplicate_events(), 0u);
  EXPECT_TRUE(rec.revisions_strictly_increasing()) << rec.summary();
  EXPECT_EQ(rec.state().size(), 19u);
}

TEST_P(DatastoreContract, WatchSurvivesTheServerKilledHard) {
  WatchRecorder rec;
  auto w = store().watch(all_pools(), rec.callbacks());
  ASSERT_TRUE(rec.wait_for_status(WatchStatus::InSync));
  ASSERT_TRUE(store().create(testing::pool("before", pool_cidr(1))));
  ASSERT_TRUE(rec.wait_for_events(1));
  backend_->kill();
  ASSERT_TRUE(rec.wait_for_status(WatchStatus::Reconnecting));
  ASSERT_TRUE(backend_->restart());
  ASSERT_TRUE(store().create(testing::pool("after", pool_cidr(2))));
  ASSERT_TRUE(rec.wait_for_events(2, std::chrono::milliseconds(30000))) << rec.summary();
  EXPECT_EQ(rec.state_names(), "after,before");
}

TEST_P(DatastoreContract, ForgottenHistoryWhileDisconnectedResyncsToTheRightState) {
  ASSERT_TRUE(store().create(testing::pool("keep", pool_cidr(1))));
  ASSERT_TRUE(store().create(testing::pool("gone", pool_cidr(2))));
  WatchRecorder rec;
  // The watcher is held inside its Reconnecting callback (its own thread) until the
  // changes and the compaction are done, so it cannot come back in between, however fast
  // the server restarts.  (An API server restart alone already loses the watch history.)
  ReconnectGate gate;
  auto w = store().watch(all_pools(), gate.wrap(rec.callbacks()));
  auto release = gate.releaser();  // before the watch is destroyed, on any exit
  ASSERT_TRUE(rec.wait_for_status(WatchStatus::InSync));
  ASSERT_TRUE(rec.wait_for_events(2));
  backend_->stop();
  ASSERT_TRUE(gate.wait_held());
  ASSERT_TRUE(backend_->restart());
  ASSERT_TRUE(store().remove({api::Kind::IPPool, "", "gone"}));
  auto keep = *store().get({api::Kind::IPPool, "", "keep"});
  std::get<api::IPPool>(keep.value).spec.disabled = true;
  ASSERT_TRUE(store().update(keep.value));
  ASSERT_TRUE(store().create(testing::pool("new", pool_cidr(3))));
  ASSERT_TRUE(backend_->forget_history());
  gate.open();
  ASSERT_TRUE(rec.wait_for_status_after(WatchStatus::Resyncing, WatchStatus::InSync,
                                        std::chrono::milliseconds(40000)))
      << rec.summary();
  EXPECT_EQ(rec.state_names(), "keep,new");
  EXPECT_TRUE(rec.state_value_disabled("keep"));
  const auto batches = rec.batch_summaries();
  ASSERT_FALSE(batches.empty());
  EXPECT_NE(batches.back().find("Deleted gone"), std::string::npos) << batches.back();
  EXPECT_NE(batches.back().find("Modified keep"), std::string::npos) << batches.back();
  EXPECT_NE(batches.back().find("Added new"), std::string::npos) << batches.back();
}

TEST_P(DatastoreContract, WatchFromACompactedRevisionGetsGoneAndResyncsAgainstKnownObjects) {
  ASSERT_TRUE(store().create(testing::pool("keep", pool_cidr(1))));
  ASSERT_TRUE(store().create(testing::pool("gone", pool_cidr(2))));
  auto list = *store().list({api::Kind::IPPool, "", ""});
  ASSERT_TRUE(store().remove({api::Kind::IPPool, "", "gone"}));
  ASSERT_TRUE(store().create(testing::pool("new", pool_cidr(3))));
  ASSERT_TRUE(backend_->forget_history());
  WatchRecorder rec;
  rec.seed(list.items);
  auto opts = all_pools();
  opts.from_revision = list.revision;
  opts.known = list.items;
  auto w = store().watch(opts, rec.callbacks());
  ASSERT_TRUE(rec.wait_for_status(WatchStatus::InSync, 1, std::chrono::milliseconds(20000)))
      << rec.summary();
  EXPECT_EQ(rec.status_count(WatchStatus::Resyncing), 1);
  EXPECT_EQ(rec.state_names(), "keep,new");
}

TEST_P(DatastoreContract, DownAtStartIsAClearErrorAndTheWatchRetriesUntilItComesUp) {
  const std::string endpoint = backend_->endpoint();
  backend_->stop();
  auto listed = store().list({api::Kind::IPPool, "", ""});
  ASSERT_FALSE(listed);
  EXPECT_EQ(listed.error().code, ErrorCode::Unavailable);
  EXPECT_NE(listed.error().message.find(endpoint), std::string::npos) << listed.error().message;
  WatchRecorder rec;
  auto w = store().watch(all_pools(), rec.callbacks());
  ASSERT_TRUE(rec.wait_for_status(WatchStatus::Reconnecting, 2));
  EXPECT_EQ(rec.status_count(WatchStatus::InSync), 0);
  ASSERT_TRUE(backend_->restart());
  ASSERT_TRUE(rec.wait_for_status(WatchStatus::InSync, 1, std::chrono::milliseconds(20000)));
  ASSERT_TRUE(store().create(testing::pool("late", pool_cidr(1))));
  ASSERT_TRUE(rec.wait_for_events(1));
}

INSTANTIATE_TEST_SUITE_P(
    Backends, DatastoreContract,
    ::testing::Values(std::pair<const char*, BackendFactory>{"etcd", &EtcdBackend::start},
                      std::pair<const char*, BackendFactory>{"kubernetes", &KubeBackend::start}),
    [](const auto& p) { return std::string(p.param.first); });

}  // namespace
}  // namespace calico::datastore
