// IPAM storage kinds: Calico-shaped documents decode, validate and round-trip; the names
// are mangled as Calico does; bad blocks/affinities/handles/config are rejected with the
// field named.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "api/document.h"
#include "api/ipam_names.h"

namespace calico::api {
namespace {

std::string read_testdata(const std::string& name) {
  std::ifstream f(std::string(CALICO_TESTDATA_DIR) + "/" + name);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(IpamKinds, CalicoShapedDocumentsDecodeValidateAndRoundTrip) {
  auto docs = decode_yaml(read_testdata("ipam_block.yaml"), "ipam_block.yaml");
  ASSERT_TRUE(docs) << docs.error().to_string();
  ASSERT_EQ(docs->size(), 4u);
  for (auto& r : *docs) {
    apply_defaults(r);
    auto v = validate(r);
    EXPECT_TRUE(v) << v.error().to_string_all();
    auto again = decode_yaml(encode_yaml(r));
    ASSERT_TRUE(again) << again.error().to_string();
    EXPECT_EQ(again->at(0), r);
  }
  const auto& block = std::get<IPAMBlock>((*docs)[0]);
  EXPECT_EQ(block.spec.allocations[0], 0);
  EXPECT_FALSE(block.spec.allocations[1].has_value());
  EXPECT_EQ(block.spec.attributes[0].secondary.at("pod"), "web-1");
  EXPECT_EQ(block.spec.sequence_number, 1746093600000000001ULL);
  EXPECT_EQ(std::get<BlockAffinity>((*docs)[1]).spec.deleted, "false");
  EXPECT_EQ(std::get<IPAMHandle>((*docs)[2]).spec.block.at("10.244.3.64/29"), 1);
  EXPECT_EQ(std::get<IPAMConfiguration>((*docs)[3]).spec.max_blocks_per_host, 4);
}

TEST(IpamKinds, NullAllocationsAreEmittedAsNull) {
  IPAMBlock b;
  b.metadata.name = "10-0-0-0-31";
  b.spec.cidr = "10.0.0.0/31";
  b.spec.allocations = {std::nullopt, std::nullopt};
  b.spec.unallocated = {0, 1};
  const Json j = encode_json(AnyResource(b));
  EXPECT_EQ(j["spec"]["allocations"].dump(), "[null,null]");
  EXPECT_EQ(j["spec"]["attributes"].dump(), "[]");
  EXPECT_EQ(j["spec"]["strictAffinity"], false);
}

TEST(IpamNames, MangleLikeCalico) {
  EXPECT_EQ(block_name("10.244.3.64/26"), "10-244-3-64-26");
  EXPECT_EQ(block_name("fd00:10:244::c0/122"), "fd00-10-244--c0-122");
  EXPECT_EQ(block_cidr_from_name("10-244-3-64-26"), "10.244.3.64/26");
  EXPECT_EQ(block_cidr_from_name("fd00-10-244--c0-122"), "fd00:10:244::c0/122");
  EXPECT_EQ(block_cidr_from_name("10-244-3-64"), std::nullopt);
  EXPECT_EQ(block_cidr_from_name("nonsense"), std::nullopt);
  EXPECT_EQ(affinity_name("worker-1", "10.244.3.64/26"), "worker-1-10-244-3-64-26");
  EXPECT_EQ(handle_name("K8s-Pod-Network.ABC"), "k8s-pod-network.abc");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(IpamNames, LongAffinityNamesAreHashedToFit) {
  const std::string host(250, 'h');
  const std::string n = affinity_name(host, "10.244.3.64/26");
  EXPECT_LT(n.size(), 253u);
  EXPECT_NE(n.find("-10-244-3-64-26-"), std::string::npos);
  EXPECT_EQ(n.substr(n.size() - 11), sha256_hex(host + "+10-244-3-64-26").substr(0, 11));
  EXPECT_NE(n, affinity_name(std::string(250, 'g'), "10.244.3.64/26"));
}

struct BadCase {
  const char* yaml;
  const char* error;
};

class IpamValidation : public ::testing::TestWithParam<BadCase> {};

TEST_P(IpamValidation, RejectsWithFieldNamed) {
  auto docs = decode_yaml(GetParam().yaml);
  ASSERT_TRUE(docs) << docs.error().to_string();
  auto& r = (*docs)[0];
  apply_defaults(r);
  auto v = validate(r);
  ASSERT_FALSE(v) << GetParam().yaml;
  EXPECT_EQ(v.error().to_string(), GetParam().error);
}

#define BLOCK(spec) \
  "apiVersion: projectcalico.org/v3\nkind: IPAMBlock\nmetadata: {name: b}\nspec: " spec "\n"
#define AFF(spec) \
  "apiVersion: projectcalico.org/v3\nkind: BlockAffinity\nmetadata: {name: a}\nspec: " spec "\n"

INSTANTIATE_TEST_SUITE_P(
    BadIpamObjects, IpamValidation,
    ::testing::Values(
        BadCase{BLOCK("{cidr: 10.0.0.1/30, allocations: [null,null,null,null], unallocated: "
                      "[0,1,2,3]}"),
                "IPAMBlock \"b\": spec.cidr: \"10.0.0.1/30\" has host bits set (did you mean "
                "\"10.0.0.0/30\"?)"},
        BadCase{BLOCK("{cidr: 10.0.0.0/30, allocations: [null,null], unallocated: [0,1]}"),
                "IPAMBlock \"b\": spec.allocations: has 2 entries; a /30 block needs 4"},
        BadCase{BLOCK("{cidr: 10.0.0.0/31, allocations: [3,null], unallocated: [1]}"),
                "IPAMBlock \"b\": spec.allocations[0]: attribute index 3 is out of range (0 "
                "attributes)"},
        BadCase{BLOCK("{cidr: 10.0.0.0/31, allocations: [null,null], unallocated: [0,2]}"),
                "IPAMBlock \"b\": spec.unallocated[1]: ordinal 2 is outside the block"},
        BadCase{BLOCK("{cidr: 10.0.0.0/31, allocations: [null,null], unallocated: [0,0]}"),
                "IPAMBlock \"b\": spec.unallocated[1]: ordinal 0 is listed twice"},
        BadCase{BLOCK("{cidr: 10.0.0.0/31, allocations: [0,null], unallocated: [0,1], "
                      "attributes: [{handle_id: h}]}"),
                "IPAMBlock \"b\": spec.unallocated[0]: ordinal 0 is free and allocated at "
                "once"},
        BadCase{BLOCK("{cidr: 10.0.0.0/31, affinity: 'node:x', allocations: [null,null], "
                      "unallocated: [0,1]}"),
                "IPAMBlock \"b\": spec.affinity: \"node:x\" must be \"host:<node>\" or "
                "\"virtual:<name>\""},
        BadCase{BLOCK("{allocations: []}"), "IPAMBlock \"b\": spec.cidr: is required"},
        BadCase{AFF("{state: claimed, node: n, cidr: 10.0.0.0/26, deleted: 'false'}"),
                "BlockAffinity \"a\": spec.state: \"claimed\" is not one of pending, confirmed, "
                "pendingDeletion"},
        BadCase{AFF("{state: confirmed, node: n, cidr: 10.0.0.0/26, deleted: 'yes'}"),
                "BlockAffinity \"a\": spec.deleted: \"yes\" is not one of true, false"},
        BadCase{AFF("{state: confirmed, cidr: 10.0.0.0/26}"),
                "BlockAffinity \"a\": spec.node: is required"},
        BadCase{"apiVersion: projectcalico.org/v3\nkind: IPAMHandle\nmetadata: {name: h}\n"
                "spec: {handleID: h, block: {10.0.0.0/26: -1}}\n",
                "IPAMHandle \"h\": spec.block.10.0.0.0/26: count -1 is negative"},
        BadCase{"apiVersion: projectcalico.org/v3\nkind: IPAMHandle\nmetadata: {name: h}\n"
                "spec: {block: {}}\n",
                "IPAMHandle \"h\": spec.handleID: is required"},
        BadCase{"apiVersion: projectcalico.org/v3\nkind: IPAMConfiguration\nmetadata: {name: "
                "default}\nspec: {maxBlocksPerHost: 4}\n",
                "IPAMConfiguration \"default\": spec.maxBlocksPerHost: requires strictAffinity: "
                "true"},
        BadCase{"apiVersion: projectcalico.org/v3\nkind: IPAMConfiguration\nmetadata: {name: "
                "default}\nspec: {autoAllocateBlocks: false}\n",
                "IPAMConfiguration \"default\": spec.autoAllocateBlocks: cannot be false while "
                "strictAffinity is false (no way to get addresses)"},
        BadCase{"apiVersion: projectcalico.org/v3\nkind: IPAMConfiguration\nmetadata: {name: "
                "other}\nspec: {strictAffinity: true}\n",
                "IPAMConfiguration \"other\": metadata.name: the IPAM configuration must be "
                "named \"default\""},
        BadCase{"apiVersion: projectcalico.org/v3\nkind: IPAMConfiguration\nmetadata: {name: "
                "default}\nspec: {strictAffinity: true, maxBlocksPerHost: 2000000}\n",
                "IPAMConfiguration \"default\": spec.maxBlocksPerHost: 2000000 is out of range "
                "0-1000000"}));

}  // namespace
}  // namespace calico::api
