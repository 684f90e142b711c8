// The Kubernetes-datastore custom resource codec (datastore/kdd/crd_codec.h).
#include "datastore/kdd/crd_codec.h"

#include <gtest/gtest.h>

namespace calico::datastore::kdd {
namespace {

using Json = nlohmann::json;

TEST(CrdCodec, ResourcesAndPaths) {
  auto pool = crd_resource(api::Kind::IPPool);
  ASSERT_TRUE(pool);
  EXPECT_EQ(crd_path(*pool, "", "pool-a"), "/apis/crd.projectcalico.org/v1/ippools/pool-a");
  auto cfg = crd_resource(api::Kind::IPAMConfiguration);
  ASSERT_TRUE(cfg);
  EXPECT_EQ(cfg->kind, "IPAMConfig");
  EXPECT_EQ(crd_path(*cfg, "", "default"), "/apis/crd.projectcalico.org/v1/ipamconfigs/default");
  auto np = crd_resource(api::Kind::NetworkPolicy);
  ASSERT_TRUE(np);
  EXPECT_EQ(crd_path(*np, "shop", "allow"),
            "/apis/crd.projectcalico.org/v1/namespaces/shop/networkpolicies/allow");
  EXPECT_EQ(crd_path(*np, "", ""), "/apis/crd.projectcalico.org/v1/networkpolicies");
  EXPECT_FALSE(crd_resource(api::Kind::Node));
  EXPECT_FALSE(crd_resource(api::Kind::WorkloadEndpoint));
  EXPECT_FALSE(crd_resource(api::Kind::Profile));
  EXPECT_FALSE(crd_resource(api::Kind::KubernetesNetworkPolicy));
}

TEST(CrdCodec, UidBitReversalKeepsVersionAndVariantBytes) {
  EXPECT_EQ(reverse_uid("00000000-0000-0000-0000-000000000001"),
            "00000000-0000-0000-0000-000000000080");
  // Bytes 6 (0x41) and 8 (0x81) are kept; bytes 7 and 9 (0x01) become 0x80.
  EXPECT_EQ(reverse_uid("01000000-0000-4101-8101-000000000000"),
            "80000000-0000-4180-8180-000000000000");
  const std::string u = "3f2b8c1e-9d4a-4e7b-a1c2-5d6e7f8091a2";
  EXPECT_NE(reverse_uid(u), u);
  EXPECT_EQ(reverse_uid(reverse_uid(u)), u);
  EXPECT_EQ(reverse_uid("not-a-uuid"), "not-a-uuid");
}

TEST(CrdCodec, PoolRoundTripKeepsMetadataInTheAnnotation) {
  api::IPPool p;
  p.metadata.name = "pool-a";
  p.metadata.uid = "3f2b8c1e-9d4a-4e7b-a1c2-5d6e7f8091a2";
  p.metadata.resource_version = "42";
  p.metadata.labels = {{"zone", "a"}, {"projectcalico.org/owned", "yes"}};
  p.metadata.annotations = {{"note", "x"}};
  p.metadata.creation_timestamp = "2026-11-23T10:00:00Z";
  p.spec.cidr = "10.244.0.0/16";
  p.spec.block_size = 26;
  p.spec.nat_outgoing = true;
  auto crd = to_crd(p);
  ASSERT_TRUE(crd) << crd.error().to_string();
  const Json& j = *crd;
  EXPECT_EQ(j["apiVersion"], "crd.projectcalico.org/v1");
  EXPECT_EQ(j["kind"], "IPPool");
  EXPECT_EQ(j["metadata"]["name"], "pool-a");
  EXPECT_EQ(j["metadata"]["resourceVersion"], "42");
  EXPECT_EQ(j["metadata"]["uid"], reverse_uid(p.metadata.uid));
  // Only Calico keys stay on the CRD itself; everything is in the annotation.
  EXPECT_EQ(j["metadata"]["labels"].size(), 1U);
  EXPECT_EQ(j["metadata"]["labels"]["projectcalico.org/owned"], "yes");
  const auto annotation =
      Json::parse(j["metadata"]["annotations"]["projectcalico.org/metadata"].get<std::string>());
  EXPECT_EQ(annotation["labels"]["zone"], "a");
  EXPECT_EQ(annotation["annotations"]["note"], "x");
  EXPECT_FALSE(annotation.contains("name"));
  EXPECT_FALSE(annotation.contains("uid"));
  EXPECT_EQ(j["spec"]["cidr"], "10.244.0.0/16");
  EXPECT_EQ(j["spec"]["natOutgoing"], true);

  auto back = from_crd(api::Kind::IPPool, j);
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ(back->revision, "42");
  const auto& q = std::get<api::IPPool>(back->value);
  EXPECT_EQ(q.metadata.uid, p.metadata.uid);
  EXPECT_EQ(q.metadata.labels, p.metadata.labels);
  EXPECT_EQ(q.metadata.annotations, p.metadata.annotations);
  EXPECT_EQ(q.metadata.creation_timestamp, p.metadata.creation_timestamp);
  EXPECT_EQ(q.spec, p.spec);
}

TEST(CrdCodec, ReadsOlderLabelsOnTheCrdAndIpamKinds) {
  // An older object: labels on the CRD, no metadata annotation; an IPAMConfig.
  const Json crd = Json::parse(R"({
    "apiVersion": "crd.projectcalico.org/v1", "kind": "IPAMConfig",
    "metadata": {"name": "default", "resourceVersion": "7", "labels": {"a": "b"},
                 "creationTimestamp": "2025-01-01T00:00:00Z"},
    "spec": {"strictAffinity": true, "autoAllocateBlocks": true, "maxBlocksPerHost": 4}})");
  auto obj = from_crd(api::Kind::IPAMConfiguration, crd);
  ASSERT_TRUE(obj) << obj.error().to_string();
  const auto& c = std::get<api::IPAMConfiguration>(obj->value);
  EXPECT_EQ(c.metadata.labels.at("a"), "b");
  EXPECT_EQ(c.metadata.creation_timestamp, "2025-01-01T00:00:00Z");
  EXPECT_TRUE(c.spec.strict_affinity);
  EXPECT_EQ(c.spec.max_blocks_per_host, 4);
  auto again = to_crd(obj->value);
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)["kind"], "IPAMConfig");
}

TEST(CrdCodec, BadInputIsAnErrorNamingTheObject) {
  EXPECT_EQ(to_crd(api::Node{}).error().code, ErrorCode::Invalid);
  const Json bad_annotation = Json::parse(R"({"metadata": {"name": "p",
      "annotations": {"projectcalico.org/metadata": "{not json"}}, "spec": {"cidr": "10.0.0.0/8"}})");
  auto r = from_crd(api::Kind::IPPool, bad_annotation);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("projectcalico.org/metadata"), std::string::npos);
  const Json bad_spec =
      Json::parse(R"({"metadata": {"name": "p"}, "spec": {"blockSize": "large"}})");
  auto s = from_crd(api::Kind::IPPool, bad_spec);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("IPPool p"), std::string::npos) << s.error().message;
  EXPECT_FALSE(from_crd(api::Kind::IPPool, Json::array()));
}

}  // namespace
}  // namespace calico::datastore::kdd
