#include <gtest/gtest.h>

#include "api/document.h"

namespace calico::api {
namespace {

constexpr const char* kPoolYaml = R"(apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: my.ippool-1
spec:
  cidr: 10.1.0.0/16
  ipipMode: CrossSubnet
  natOutgoing: true
  disabled: false
  nodeSelector: all()
  allowedUses:
    - Workload
    - Tunnel
)";

TEST(IPPool, DecodesCalicoDocsExample) {
  auto docs = decode_yaml(kPoolYaml);
  ASSERT_TRUE(docs) << docs.error().to_string();
  ASSERT_EQ(docs->size(), 1u);
  const auto* pool = std::get_if<IPPool>(&(*docs)[0]);
  ASSERT_NE(pool, nullptr);
  EXPECT_EQ(pool->metadata.name, "my.ippool-1");
  EXPECT_EQ(pool->spec.cidr, "10.1.0.0/16");
  EXPECT_EQ(pool->spec.ipip_mode, "CrossSubnet");
  EXPECT_TRUE(pool->spec.nat_outgoing);
  EXPECT_TRUE(validate((*docs)[0]));
}

TEST(IPPool, DefaultsBlockSizeByFamily) {
  auto docs = decode_yaml(
      "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: v6}\nspec: {cidr: "
      "fd00::/48}\n");
  ASSERT_TRUE(docs) << docs.error().to_string();
  apply_defaults((*docs)[0]);
  EXPECT_EQ(std::get<IPPool>((*docs)[0]).spec.block_size, 122);
}

TEST(IPPool, UnknownFieldIsAnErrorNamingTheField) {
  auto docs = decode_yaml(
      "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: p}\nspec: {cidrr: "
      "10.0.0.0/8}\n",
      "pools.yaml");
  ASSERT_FALSE(docs);
  EXPECT_EQ(docs.error().to_string(),
            "pools.yaml: IPPool \"p\": spec.cidrr: unknown field \"cidrr\"");
}

TEST(IPPool, BadCidrNamesResourceAndField) {
  auto docs = decode_yaml(
      "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: pool-a}\nspec: {cidr: "
      "10.0.0.0/33}\n");
  ASSERT_TRUE(docs);
  auto v = validate((*docs)[0]);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().to_string(),
            "IPPool \"pool-a\": spec.cidr: \"10.0.0.0/33\" is not a valid CIDR");
}

TEST(IPPool, RoundTripsThroughYaml) {
  auto docs = decode_yaml(kPoolYaml);
  ASSERT_TRUE(docs);
  const std::string out = encode_yaml((*docs)[0]);
  auto again = decode_yaml(out);
  ASSERT_TRUE(again) << again.error().to_string() << "\n" << out;
  EXPECT_EQ((*docs)[0], (*again)[0]) << out;
}

}  // namespace
}  // namespace calico::api
