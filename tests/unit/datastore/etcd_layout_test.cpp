// Calico's etcdv3 key layout and IPAM value formats, without etcd.
#include "datastore/etcd/etcd_layout.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/document.h"

namespace calico::datastore::etcd {
namespace {

TEST(EtcdLayout, KeysOfV3Resources) {
  EXPECT_EQ(*etcd_key({api::Kind::IPPool, "", "pool-a"}),
            "/calico/resources/v3/projectcalico.org/ippools/pool-a");
  EXPECT_EQ(*etcd_key({api::Kind::NetworkPolicy, "shop", "allow"}),
            "/calico/resources/v3/projectcalico.org/networkpolicies/shop/allow");
  EXPECT_EQ(*etcd_key({api::Kind::WorkloadEndpoint, "ns", "n1-k8s-pod-eth0"}),
            "/calico/resources/v3/projectcalico.org/workloadendpoints/ns/n1-k8s-pod-eth0");
  EXPECT_EQ(etcd_key({api::Kind::NetworkPolicy, "", "allow"}).error().code, ErrorCode::Invalid);
  EXPECT_EQ(etcd_key({api::Kind::IPPool, "", "a/b"}).error().code, ErrorCode::Invalid);
  EXPECT_EQ(list_prefix({api::Kind::NetworkPolicy, "shop", ""}),
            "/calico/resources/v3/projectcalico.org/networkpolicies/shop/");
  EXPECT_EQ(list_prefix({api::Kind::NetworkPolicy, "", ""}),
            "/calico/resources/v3/projectcalico.org/networkpolicies/");
  auto k = key_from_etcd(api::Kind::NetworkPolicy,
                         "/calico/resources/v3/projectcalico.org/networkpolicies/shop/allow");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->ns, "shop");
  EXPECT_EQ(k->name, "allow");
  EXPECT_FALSE(
      key_from_etcd(api::Kind::IPPool, "/calico/resources/v3/projectcalico.org/ippools/a/b"));
}

TEST(EtcdLayout, KeysOfIpamObjects) {
  EXPECT_EQ(*etcd_key({api::Kind::IPAMBlock, "", "10-244-3-64-26"}),
            "/calico/ipam/v2/assignment/ipv4/block/10.244.3.64-26");
  EXPECT_EQ(*etcd_key({api::Kind::IPAMBlock, "", "fd00-10-244--c0-122"}),
            "/calico/ipam/v2/assignment/ipv6/block/fd00:10:244::c0-122");
  EXPECT_EQ(*etcd_key({api::Kind::BlockAffinity, "worker-1", "worker-1-10-244-3-64-26"}),
            "/calico/ipam/v2/host/worker-1/ipv4/block/10.244.3.64-26");
  EXPECT_EQ(*etcd_key({api::Kind::IPAMHandle, "", "k8s-pod-network.abc"}),
            "/calico/ipam/v2/handle/k8s-pod-network.abc");
  EXPECT_EQ(*etcd_key({api::Kind::IPAMConfiguration, "", "default"}), "/calico/ipam/v2/config");
  EXPECT_EQ(etcd_key({api::Kind::BlockAffinity, "", "worker-1-10-244-3-64-26"}).error().code,
            ErrorCode::Invalid);
  auto b = key_from_etcd(api::Kind::IPAMBlock,
                         "/calico/ipam/v2/assignment/ipv6/block/fd00:10:244::c0-122");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->name, "fd00-10-244--c0-122");
  auto a = key_from_etcd(api::Kind::BlockAffinity,
                         "/calico/ipam/v2/host/worker-1/ipv4/block/10.244.3.64-26");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->ns, "worker-1");
  EXPECT_EQ(a->name, "worker-1-10-244-3-64-26");
  // The per-host marker key is not an affinity.
  EXPECT_FALSE(key_from_etcd(api::Kind::BlockAffinity, "/calico/ipam/v2/host/worker-1"));
}

TEST(EtcdLayout, BlockValuesUseCalicoModelJson) {
  auto docs = api::decode_yaml(R"(apiVersion: projectcalico.org/v3
kind: IPAMBlock
metadata: {name: 10-0-0-0-31}
spec:
  cidr: 10.0.0.0/31
  affinity: host:n1
  affinityClaimTime: "2026-05-01T10:00:00Z"
  allocations: [0, null]
  unallocated: [1]
  attributes: [{handle_id: h1, secondary: {node: n1}}]
  sequenceNumber: 7
)");
  ASSERT_TRUE(docs) << docs.error().to_string();
  auto bytes = encode_value((*docs)[0]);
  ASSERT_TRUE(bytes);
  const auto j = nlohmann::json::parse(*bytes);
  EXPECT_EQ(j["affinity_claim_time"], "2026-05-01T10:00:00Z");
  EXPECT_FALSE(j.contains("affinityClaimTime"));
  EXPECT_EQ(j["attributes"][0]["handle_id"], "h1");
  EXPECT_FALSE(j.contains("metadata"));
  auto back = decode_value({api::Kind::IPAMBlock, "", "10-0-0-0-31"}, *bytes, 9);
  ASSERT_TRUE(back) << back.error().to_string();
  auto expected = (*docs)[0];
  api::meta_of(expected).resource_version = "9";
  EXPECT_EQ(back->value, expected);
}

TEST(EtcdLayout, OldCalicoBlockWithHostAffinityAndNullAffinityDecode) {
  const std::string old_value =
      R"({"cidr":"10.0.0.0/31","affinity":null,"hostAffinity":"n9","strictAffinity":false,)"
      R"("allocations":[null,null],"unallocated":[0,1],"attributes":[],"deleted":false})";
  auto r = decode_value({api::Kind::IPAMBlock, "", "10-0-0-0-31"}, old_value, 3);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(std::get<api::IPAMBlock>(r->value).spec.affinity, "host:n9");
}

TEST(EtcdLayout, AffinityHandleAndConfigValues) {
  api::BlockAffinity aff;
  aff.metadata.name = "n1-10-0-0-0-26";
  aff.spec = {"pending", "n1", "host", "10.0.0.0/26", "false"};
  EXPECT_EQ(*etcd::encode_value(api::AnyResource(aff)), R"({"state":"pending","deleted":false})");
  const Key ak{api::Kind::BlockAffinity, "n1", "n1-10-0-0-0-26"};
  auto back = decode_value(ak, R"({"state":"pending","deleted":false})", 4);
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ(std::get<api::BlockAffinity>(back->value).spec, aff.spec);
  // An empty value (old releases) means confirmed.
  EXPECT_EQ(std::get<api::BlockAffinity>(decode_value(ak, "", 5)->value).spec.state, "confirmed");

  api::IPAMHandle h;
  h.metadata.name = "k8s-pod-network.x";
  h.spec.handle_id = "k8s-pod-network.x";
  h.spec.block["10.0.0.0/26"] = 2;
  EXPECT_EQ(*etcd::encode_value(api::AnyResource(h)),
            R"({"block":{"10.0.0.0/26":2},"deleted":false})");
  auto hb = decode_value({api::Kind::IPAMHandle, "", "k8s-pod-network.x"},
                         R"({"block":{"10.0.0.0/26":2},"deleted":false})", 6);
  ASSERT_TRUE(hb);
  EXPECT_EQ(std::get<api::IPAMHandle>(hb->value).spec, h.spec);

  api::IPAMConfiguration c;
  c.metadata.name = "default";
  c.spec.strict_affinity = true;
  c.spec.auto_allocate_blocks = true;
  const auto cj = nlohmann::json::parse(*etcd::encode_value(api::AnyResource(c)));
  EXPECT_EQ(cj["strict_affinity"], true);
  EXPECT_EQ(cj["auto_allocate_blocks"], true);
  auto cb = decode_value({api::Kind::IPAMConfiguration, "", "default"},
                         R"({"strict_affinity":true,"auto_allocate_blocks":true})", 7);
  ASSERT_TRUE(cb) << cb.error().to_string();
  EXPECT_EQ(std::get<api::IPAMConfiguration>(cb->value).spec, c.spec);
}

TEST(EtcdLayout, GarbageValuesAreInvalidNotCrashes) {
  // Handle and config values are read leniently (unknown keys ignored, as Calico does);
  // wrong types in known keys still fail.
  for (const char* bad : {"", "{", "[]", "42", R"({"cidr":5,"block":5})",
                          R"({"allocations":7,"strict_affinity":"x","block":[1]})"}) {
    for (auto kind : {api::Kind::IPPool, api::Kind::IPAMBlock, api::Kind::IPAMHandle,
                      api::Kind::IPAMConfiguration}) {
      const Key k{kind, "", kind == api::Kind::IPAMBlock ? "10-0-0-0-31" : "default"};
      auto r = decode_value(k, bad, 1);
      EXPECT_FALSE(r) << bad;
    }
  }
}

}  // namespace
}  // namespace calico::datastore::etcd
