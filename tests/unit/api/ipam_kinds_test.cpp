// IPAM storage kinds: Calico-shaped documents decode, validate and round-trip; the names
// are mangled as Calico does; bad blocks/affinities/handles/config are rejected with the
// field named.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "api/document.h"

namespace calico::api {
namespace {

std::string read_testdata(const std::string& name) {
  std::ifstream f(std::string(CALICO_TESTDATA_DIR) + "/" + name);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

#define BLOCK(spec) \
  "apiVersion: projectcalico.org/v3\nkind: IPAMBlock\nmetadata: {name: b}\nspec: " spec "\n"
#define AFF(spec) \
  "apiVersion: projectcalico.org/v3\nkind: BlockAffinity\nmetadata: {name: a}\nspec: " spec "\n"

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

// Every IPAM example file: decodes, validates before and after defaulting, and round-trips
// through YAML and JSON unchanged.
class IpamExampleFile : public ::testing::TestWithParam<const char*> {};

TEST_P(IpamExampleFile, DecodesValidatesAndRoundTrips) {
  const std::string file = GetParam();
  const std::string text = read_testdata(file);
  ASSERT_FALSE(text.empty()) << "missing testdata " << file;
  auto docs = decode_yaml(text, file);
  ASSERT_TRUE(docs) << docs.error().to_string();
  ASSERT_FALSE(docs->empty());
  for (const auto& r : *docs) {
    auto v = validate(r);
    EXPECT_TRUE(v) << file << ": " << v.error().to_string_all();
    auto yaml = decode_yaml(encode_yaml(r));
    ASSERT_TRUE(yaml) << yaml.error().to_string();
    EXPECT_EQ(yaml->at(0), r);
    auto json = decode_json_text(encode_json_text(r));
    ASSERT_TRUE(json) << json.error().to_string();
    EXPECT_EQ(*json, r);
    AnyResource defaulted = r;
    apply_defaults(defaulted);
    auto dv = validate(defaulted);
    EXPECT_TRUE(dv) << file << ": " << dv.error().to_string_all();
    AnyResource twice = defaulted;
    apply_defaults(twice);
    EXPECT_EQ(twice, defaulted);
  }
}

INSTANTIATE_TEST_SUITE_P(Files, IpamExampleFile,
                         ::testing::Values("ipam_block.yaml", "ipam_block_v6.yaml",
                                           "ipam_block_affinity.yaml", "ipam_handle.yaml",
                                           "ipam_configuration.yaml"),
                         [](const ::testing::TestParamInfo<const char*>& param_info) {
                           std::string name = param_info.param;
                           return name.substr(0, name.find('.'));
                         });

template <class T>
std::vector<T> load_all(const char* file) {
  std::vector<T> out;
  auto docs = decode_yaml(read_testdata(file), file);
  EXPECT_TRUE(docs) << docs.error().to_string();
  if (docs) {
    for (const auto& r : *docs) {
      if (std::holds_alternative<T>(r)) {
        out.push_back(std::get<T>(r));
      } else {
        ADD_FAILURE() << file << ": a document of another kind";
      }
    }
  }
  return out;
}

TEST(IpamKinds, KddIpv6BlockFieldsLandWhereExpected) {
  const auto blocks = load_all<IPAMBlock>("ipam_block_v6.yaml");
  ASSERT_EQ(blocks.size(), 1u);
  const auto& b = blocks[0];
  EXPECT_EQ(b.metadata.name, "fd00-10-244--c0-122");
  EXPECT_EQ(b.metadata.resource_version, "48213");
  EXPECT_EQ(b.spec.cidr, "fd00:10:244::c0/122");
  ASSERT_TRUE(b.spec.affinity.has_value());
  EXPECT_EQ(*b.spec.affinity, "host:worker-2");
  ASSERT_EQ(b.spec.allocations.size(), 64u);
  EXPECT_EQ(b.spec.allocations[2], 2);
  EXPECT_FALSE(b.spec.allocations[63].has_value());
  ASSERT_EQ(b.spec.unallocated.size(), 61u);
  EXPECT_EQ(b.spec.unallocated.front(), 3);
  EXPECT_EQ(b.spec.unallocated.back(), 5);  // released earlier: back at the tail
  ASSERT_EQ(b.spec.attributes.size(), 3u);
  EXPECT_EQ(b.spec.attributes[1].secondary.at("type"), "vxlanV6TunnelAddress");
  EXPECT_FALSE(b.spec.attributes[2].handle_id.has_value());
  EXPECT_EQ(b.spec.attributes[2].released_at, "2026-05-01T10:05:00Z");
  EXPECT_EQ(b.spec.sequence_number_for_allocation.at("0"), 1746093600000000003ULL);
  EXPECT_FALSE(b.spec.deleted);
}

TEST(IpamKinds, AffinitiesHandlesAndConfigFieldsLandWhereExpected) {
  const auto affs = load_all<BlockAffinity>("ipam_block_affinity.yaml");
  ASSERT_EQ(affs.size(), 3u);
  EXPECT_EQ(affs[0].metadata.labels.at("projectcalico.org/ip-version"), "6");
  EXPECT_EQ(affs[1].spec.type, "virtual");
  EXPECT_EQ(affs[1].spec.state, "pending");
  EXPECT_EQ(affs[2].spec.deleted, "true");
  EXPECT_EQ(affs[2].spec.type, "");  // absent = host

  const auto handles = load_all<IPAMHandle>("ipam_handle.yaml");
  ASSERT_EQ(handles.size(), 2u);
  EXPECT_EQ(handles[0].spec.block.size(), 2u);
  EXPECT_EQ(handles[0].spec.block.at("fd00:10:244::c0/122"), 1);
  EXPECT_EQ(handles[1].spec.handle_id, "ipip-tunnel-addr-Worker-1");  // case preserved

  auto configs = load_all<IPAMConfiguration>("ipam_configuration.yaml");
  ASSERT_EQ(configs.size(), 2u);  // the v1 storage kind IPAMConfig decodes to the v3 kind
  EXPECT_EQ(configs[0].spec.ip_cooldown_seconds, 30);
  EXPECT_EQ(configs[0].spec.kube_virt_vm_address_persistence, "Enabled");
  EXPECT_FALSE(configs[1].spec.strict_affinity);
}

TEST(IpamKinds, ConfigDefaultsAutoAllocateBlocksOnly) {
  auto docs = decode_yaml(
      "apiVersion: projectcalico.org/v3\nkind: IPAMConfiguration\nmetadata: {name: "
      "default}\nspec: {}\n");
  ASSERT_TRUE(docs) << docs.error().to_string();
  apply_defaults(docs->front());
  const auto& c = std::get<IPAMConfiguration>(docs->front());
  ASSERT_TRUE(c.spec.auto_allocate_blocks.has_value());
  EXPECT_TRUE(*c.spec.auto_allocate_blocks);
  EXPECT_FALSE(c.spec.strict_affinity);
  EXPECT_EQ(c.spec.max_blocks_per_host, 0);  // 0 = the built-in cap
  EXPECT_EQ(c.spec.kube_virt_vm_address_persistence, "");
  EXPECT_TRUE(validate(docs->front()));
}

TEST(IpamKinds, BlockAffinityDeletedDefaultsToTheStringFalse) {
  auto docs = decode_yaml(
      "apiVersion: projectcalico.org/v3\nkind: BlockAffinity\nmetadata: {name: a}\n"
      "spec: {state: confirmed, node: n, cidr: 10.0.0.0/26}\n");
  ASSERT_TRUE(docs) << docs.error().to_string();
  apply_defaults(docs->front());
  EXPECT_EQ(std::get<BlockAffinity>(docs->front()).spec.deleted, "false");
  EXPECT_TRUE(validate(docs->front()));
  // The v1 CRD has a string; a YAML boolean is a type error, not silently converted.
  EXPECT_FALSE(
      decode_yaml("apiVersion: projectcalico.org/v3\nkind: BlockAffinity\nmetadata: {name: a}\n"
                  "spec: {state: confirmed, node: n, cidr: 10.0.0.0/26, deleted: false}\n"));
}

TEST(IpamKinds, ValidationReportsEveryProblemOfABlock) {
  auto docs =
      decode_yaml(BLOCK("{cidr: 10.0.0.0/30, affinity: 'bad', allocations: [5,null,null,null], "
                        "unallocated: [1,1,9], sequenceNumberForAllocation: {x: 1}}"));
  ASSERT_TRUE(docs) << docs.error().to_string();
  auto v = validate(docs->front());
  ASSERT_FALSE(v);
  const std::string all = v.error().to_string_all();
  for (const char* path : {"spec.affinity", "spec.allocations[0]", "spec.unallocated[1]",
                           "spec.unallocated[2]", "spec.sequenceNumberForAllocation.x"}) {
    EXPECT_NE(all.find(path), std::string::npos) << path << " missing in\n" << all;
  }
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
        BadCase{BLOCK("{cidr: 10.0.0.0/16, allocations: [], unallocated: []}"),
                "IPAMBlock \"b\": spec.cidr: block /16 is larger than any IPPool blockSize "
                "allows (/20 or smaller)"},
        BadCase{BLOCK("{cidr: 'fd00::/112', allocations: [], unallocated: []}"),
                "IPAMBlock \"b\": spec.cidr: block /112 is larger than any IPPool blockSize "
                "allows (/116 or smaller)"},
        BadCase{BLOCK("{cidr: 'fd00::1/127', allocations: [null,null], unallocated: [0,1]}"),
                "IPAMBlock \"b\": spec.cidr: \"fd00::1/127\" has host bits set (did you mean "
                "\"fd00::/127\"?)"},
        BadCase{BLOCK("{cidr: 10.0.0.0/31, allocations: [-1,null], unallocated: [1], "
                      "attributes: [{handle_id: h}]}"),
                "IPAMBlock \"b\": spec.allocations[0]: attribute index -1 is out of range (1 "
                "attributes)"},
        BadCase{BLOCK("{cidr: 10.0.0.0/31, allocations: [null,null], unallocated: [0,-1]}"),
                "IPAMBlock \"b\": spec.unallocated[1]: ordinal -1 is outside the block"},
        BadCase{BLOCK("{cidr: 10.0.0.0/31, allocations: [null,null], unallocated: [0,1], "
                      "sequenceNumberForAllocation: {\"2\": 7}}"),
                "IPAMBlock \"b\": spec.sequenceNumberForAllocation.2: \"2\" is not an ordinal "
                "of the block"},
        BadCase{BLOCK("{cidr: 10.0.0.0/31, affinity: 'host:', allocations: [null,null], "
                      "unallocated: [0,1]}"),
                "IPAMBlock \"b\": spec.affinity: \"host:\" must be \"host:<node>\" or "
                "\"virtual:<name>\""},
        BadCase{AFF("{state: confirmed, node: n, type: remote, cidr: 10.0.0.0/26, deleted: "
                    "'false'}"),
                "BlockAffinity \"a\": spec.type: \"remote\" is not one of host, virtual"},
        BadCase{AFF("{state: confirmed, node: n, cidr: 10.0.0.1/26, deleted: 'false'}"),
                "BlockAffinity \"a\": spec.cidr: \"10.0.0.1/26\" has host bits set (did you "
                "mean \"10.0.0.0/26\"?)"},
        BadCase{AFF("{state: confirmed, node: n, deleted: 'false'}"),
                "BlockAffinity \"a\": spec.cidr: is required"},
        BadCase{"apiVersion: projectcalico.org/v3\nkind: IPAMHandle\nmetadata: {name: h}\n"
                "spec: {handleID: h, block: {10.0.0.0/26: 0}}\n",
                "IPAMHandle \"h\": spec.block.10.0.0.0/26: count 0 must be positive"},
        BadCase{"apiVersion: projectcalico.org/v3\nkind: IPAMHandle\nmetadata: {name: h}\n"
                "spec: {handleID: h, block: {10.0.0.1/26: 1}}\n",
                "IPAMHandle \"h\": spec.block.10.0.0.1/26: \"10.0.0.1/26\" has host bits set "
                "(did you mean \"10.0.0.0/26\"?)"},
        BadCase{"apiVersion: projectcalico.org/v3\nkind: IPAMConfiguration\nmetadata: {name: "
                "default}\nspec: {strictAffinity: true, ipCooldownSeconds: 1201}\n",
                "IPAMConfiguration \"default\": spec.ipCooldownSeconds: 1201 is out of range "
                "0-1200"},
        BadCase{"apiVersion: projectcalico.org/v3\nkind: IPAMConfiguration\nmetadata: {name: "
                "default}\nspec: {kubeVirtVMAddressPersistence: Always}\n",
                "IPAMConfiguration \"default\": spec.kubeVirtVMAddressPersistence: \"Always\" "
                "is not one of Enabled, Disabled"},
        BadCase{"apiVersion: projectcalico.org/v3\nkind: IPAMConfiguration\nmetadata: {name: "
                "default}\nspec: {strictAffinity: true, maxBlocksPerHost: -1}\n",
                "IPAMConfiguration \"default\": spec.maxBlocksPerHost: -1 is out of range "
                "0-1000000"},
        BadCase{AFF("{state: claimed, node: n, cidr: 10.0.0.0/26, deleted: 'false'}"),
                "BlockAffinity \"a\": spec.state: \"claimed\" is not one of pending, confirmed, "
                "pendingDeletion"},
        BadCase{AFF("{state: confirmed, node: n, cidr: 10.0.0.0/26, deleted: 'yes'}"),
                "BlockAffinity \"a\": spec.deleted: \"yes\" is not one of true, false"},
        BadCase{AFF("{state: confirmed, cidr: 10.0.0.0/26}"),
                "BlockAffinity \"a\": spec.node: is required"},
        BadCase{"apiVersion: projectcalico.org/v3\nkind: IPAMHandle\nmetadata: {name: h}\n"
                "spec: {handleID: h, block: {10.0.0.0/26: -1}}\n",
                "IPAMHandle \"h\": spec.block.10.0.0.0/26: count -1 must be positive"},
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
