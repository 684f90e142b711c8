// The etcd backend's own behaviour against a real etcd started by the test
// (tests/lib/etcd_server.h): Calico's key layout, endpoint failover, undecodable values,
// the IPAM keys, write_all.  The contract shared with the Kubernetes backend (CAS errors,
// watch across restarts, compaction) is in datastore_contract_test.cpp.
#include "datastore/etcd/etcd_datastore.h"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/lib/etcd_server.h"
#include "tests/lib/http.h"
#include "tests/unit/datastore/watch_recorder.h"
#include "tests/unit/datastore/write_all_contract.h"

namespace calico::datastore {
namespace {

using etcd::EtcdConfig;
using etcd::EtcdDatastore;
using testing::WatchRecorder;
using testlib::EtcdServer;

class EtcdDatastoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = EtcdServer::start();
    ASSERT_TRUE(s) << s.error();
    etcd_ = std::move(*s);
    store_ = std::make_unique<EtcdDatastore>(config());
  }

  EtcdConfig config() const {
    EtcdConfig c;
    c.endpoints = {etcd_->endpoint()};
    c.request_timeout = std::chrono::milliseconds(2000);
    return c;
  }

  // Raw value at an etcd key ("" if absent), read through the gateway.
  std::string raw(const std::string& key) {
    auto r = testlib::http_request(etcd_->endpoint() + "/v3/kv/range",
                                   R"({"key":")" + testlib::base64_encode(key) + R"("})");
    if (!r) {
      return "";
    }
    const auto j = nlohmann::json::parse(r->body, nullptr, false);
    if (j.is_discarded() || !j.contains("kvs")) {
      return "";
    }
    return testlib::base64_decode(j["kvs"][0].value("value", std::string()));
  }

  void put_raw(const std::string& key, const std::string& value) {
    ASSERT_TRUE(testlib::http_request(etcd_->endpoint() + "/v3/kv/put",
                                      R"({"key":")" + testlib::base64_encode(key) +
                                          R"(","value":")" + testlib::base64_encode(value) +
                                          R"("})"));
  }

  static WatchOptions all_pools(std::chrono::milliseconds backoff = std::chrono::milliseconds(50)) {
    WatchOptions o;
    o.list = {api::Kind::IPPool, "", ""};
    o.initial_backoff = backoff;
    o.max_backoff = backoff * 2;
    return o;
  }

  std::unique_ptr<EtcdServer> etcd_;
  std::unique_ptr<EtcdDatastore> store_;
};

std::string pool_cidr(int i) {
  return "10." + std::to_string(i) + ".0.0/16";
}

TEST_F(EtcdDatastoreTest, StoresResourcesAtCalicoKeys) {
  auto created = store_->create(testing::pool("pool-a", "10.1.0.0/16"));
  ASSERT_TRUE(created) << created.error().to_string();
  const auto stored =
      nlohmann::json::parse(raw("/calico/resources/v3/projectcalico.org/ippools/pool-a"));
  EXPECT_EQ(stored["kind"], "IPPool");
  EXPECT_EQ(stored["apiVersion"], "projectcalico.org/v3");
  EXPECT_EQ(stored["spec"]["cidr"], "10.1.0.0/16");
  EXPECT_FALSE(stored["metadata"].contains("resourceVersion"));
  EXPECT_TRUE(stored["metadata"].contains("uid"));

  ASSERT_TRUE(store_->create(testing::netset("shop", "partners")));
  EXPECT_NE(raw("/calico/resources/v3/projectcalico.org/networksets/shop/partners"), "");

  auto got = store_->get({api::Kind::IPPool, "", "pool-a"});
  ASSERT_TRUE(got) << got.error().to_string();
  EXPECT_EQ(got->revision, created->revision);
  EXPECT_EQ(api::meta_of(got->value).resource_version, created->revision);
  EXPECT_EQ(std::get<api::IPPool>(got->value).spec.cidr, "10.1.0.0/16");

  auto listed = store_->list({api::Kind::NetworkSet, "shop", ""});
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->items.size(), 1u);
  EXPECT_EQ(listed->items[0].key.ns, "shop");
}

TEST_F(EtcdDatastoreTest, FailsOverToTheNextEndpoint) {
  EtcdConfig c = config();
  c.endpoints.insert(c.endpoints.begin(),
                     "http://127.0.0.1:" + std::to_string(testlib::free_tcp_port()));
  EtcdDatastore two(c);
  ASSERT_TRUE(two.create(testing::pool("via-second", pool_cidr(1))));
  EXPECT_EQ(two.client().current_endpoint(), etcd_->endpoint());
  WatchRecorder rec;
  auto w = two.watch(all_pools(), rec.callbacks());
  ASSERT_TRUE(rec.wait_for_status(WatchStatus::InSync));
  EXPECT_EQ(rec.state_names(), "via-second");
}

TEST_F(EtcdDatastoreTest, UndecodableValuesAreReportedNotFatal) {
  ASSERT_TRUE(store_->create(testing::pool("good", pool_cidr(1))));
  put_raw("/calico/resources/v3/projectcalico.org/ippools/corrupt", "{not json");
  auto listed = store_->list({api::Kind::IPPool, "", ""});
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->items.size(), 1u);
  ASSERT_EQ(listed->undecodable.size(), 1u);
  EXPECT_NE(listed->undecodable[0].message.find("corrupt"), std::string::npos);
  EXPECT_EQ(store_->get({api::Kind::IPPool, "", "corrupt"}).error().code, ErrorCode::Invalid);
}

TEST_F(EtcdDatastoreTest, IpamObjectsLiveAtCalicoIpamKeys) {
  api::IPAMBlock block;
  block.metadata.name = "10-244-3-64-30";
  block.spec.cidr = "10.244.3.64/30";
  block.spec.affinity = "host:worker-1";
  block.spec.allocations = {0, std::nullopt, std::nullopt, std::nullopt};
  block.spec.unallocated = {1, 2, 3};
  block.spec.attributes.push_back({"k8s-pod-network.abc", {{"node", "worker-1"}}, {}, ""});
  auto b = store_->create(block);
  ASSERT_TRUE(b) << b.error().to_string();
  const auto raw_block =
      nlohmann::json::parse(raw("/calico/ipam/v2/assignment/ipv4/block/10.244.3.64-30"));
  EXPECT_EQ(raw_block["cidr"], "10.244.3.64/30");
  EXPECT_EQ(raw_block["affinity"], "host:worker-1");
  EXPECT_EQ(raw_block["allocations"].dump(), "[0,null,null,null]");
  EXPECT_EQ(raw_block["attributes"][0]["handle_id"], "k8s-pod-network.abc");

  api::BlockAffinity aff;
  aff.metadata.name = "worker-1-10-244-3-64-30";
  aff.spec = {"confirmed", "worker-1", "host", "10.244.3.64/30", "false"};
  ASSERT_TRUE(store_->create(aff));
  EXPECT_EQ(raw("/calico/ipam/v2/host/worker-1/ipv4/block/10.244.3.64-30"),
            R"({"state":"confirmed","deleted":false})");

  api::IPAMHandle handle;
  handle.metadata.name = "k8s-pod-network.abc";
  handle.spec.handle_id = "k8s-pod-network.abc";
  handle.spec.block["10.244.3.64/30"] = 1;
  ASSERT_TRUE(store_->create(handle));
  EXPECT_EQ(raw("/calico/ipam/v2/handle/k8s-pod-network.abc"),
            R"({"block":{"10.244.3.64/30":1},"deleted":false})");

  // An affinity written by Calico itself (old empty value) reads back as confirmed.
  put_raw("/calico/ipam/v2/host/worker-2/ipv4/block/10.244.3.68-30", "");
  auto affs = store_->list({api::Kind::BlockAffinity, "", ""});
  ASSERT_TRUE(affs) << affs.error().to_string();
  ASSERT_EQ(affs->items.size(), 2u);
  const auto& second = std::get<api::BlockAffinity>(affs->items[1].value);
  EXPECT_EQ(second.spec.node, "worker-2");
  EXPECT_EQ(second.spec.state, "confirmed");
  EXPECT_EQ(second.spec.cidr, "10.244.3.68/30");
  EXPECT_EQ(store_->list({api::Kind::BlockAffinity, "worker-1", ""})->items.size(), 1u);

  // CAS on the block, as IPAM does it.
  auto cur = *store_->get({api::Kind::IPAMBlock, "", "10-244-3-64-30"});
  auto next = std::get<api::IPAMBlock>(cur.value);
  next.spec.allocations[1] = 0;
  next.spec.unallocated = {2, 3};
  ASSERT_TRUE(store_->update(next));
  EXPECT_EQ(store_->update(next).error().code, ErrorCode::Conflict);
  ASSERT_TRUE(store_->remove({api::Kind::IPAMBlock, "", "10-244-3-64-30"}));
  EXPECT_EQ(raw("/calico/ipam/v2/assignment/ipv4/block/10.244.3.64-30"), "");
}

}  // namespace
}  // namespace calico::datastore

namespace calico::datastore {
namespace {

TEST(EtcdWriteAll, IsAtomicAgainstRealEtcd) {
  auto s = testlib::EtcdServer::start();
  ASSERT_TRUE(s) << s.error();
  etcd::EtcdConfig c;
  c.endpoints = {(*s)->endpoint()};
  etcd::EtcdDatastore ds(c);
  testing::check_write_all_contract(ds);
}

}  // namespace
}  // namespace calico::datastore
