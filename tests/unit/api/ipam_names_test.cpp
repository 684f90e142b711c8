// Calico's object names for the IPAM storage kinds (api/ipam_names.h): block CIDR
// mangling and its inverse, BlockAffinity names with the long-name hash, handle names.
#include "api/ipam_names.h"

#include <string>

#include <gtest/gtest.h>

namespace calico::api {
namespace {

TEST(IpamNames, BlockNamesMangleDotsColonsAndTheSlash) {
  EXPECT_EQ(block_name("10.244.3.64/26"), "10-244-3-64-26");
  EXPECT_EQ(block_name("192.168.0.0/32"), "192-168-0-0-32");
  EXPECT_EQ(block_name("fd00:10:244::c0/122"), "fd00-10-244--c0-122");
  EXPECT_EQ(block_name("::/128"), "---128");
  EXPECT_EQ(block_name("2001:db8:0:1:2:3:4:0/122"), "2001-db8-0-1-2-3-4-0-122");
}

TEST(IpamNames, BlockNamesInvertToTheCidr) {
  for (const char* cidr :
       {"10.244.3.64/26", "0.0.0.0/20", "192.168.255.255/32", "fd00:10:244::c0/122",
        "2001:db8:0:1:2:3:4:0/122", "fd00::/116", "::/128", "1::2:3/128", "1:2::3/128"}) {
    EXPECT_EQ(block_cidr_from_name(block_name(cidr)), cidr) << cidr;
  }
}

TEST(IpamNames, NonBlockNamesDoNotInvert) {
  EXPECT_EQ(block_cidr_from_name("10-244-3-64"), std::nullopt);  // no prefix length part
  EXPECT_EQ(block_cidr_from_name("nonsense"), std::nullopt);
  EXPECT_EQ(block_cidr_from_name(""), std::nullopt);
  EXPECT_EQ(block_cidr_from_name("-26"), std::nullopt);
  EXPECT_EQ(block_cidr_from_name("10-244-3-64-"), std::nullopt);
  EXPECT_EQ(block_cidr_from_name("10-244-3-64-2x"), std::nullopt);
  EXPECT_EQ(block_cidr_from_name("10-244-3-64-33"), std::nullopt);
  EXPECT_EQ(block_cidr_from_name("10-244-3-264-26"), std::nullopt);
  EXPECT_EQ(block_cidr_from_name("worker-1-10-244-3-64-26"), std::nullopt);
}

TEST(IpamNames, AffinityNamesAreHostDashMangledCidr) {
  EXPECT_EQ(affinity_name("worker-1", "10.244.3.64/26"), "worker-1-10-244-3-64-26");
  EXPECT_EQ(affinity_name("node.example.com", "fd00:10:244::c0/122"),
            "node.example.com-fd00-10-244--c0-122");
  // Just under the limit: unchanged.
  const std::string host(252 - 15, 'h');  // + "-10-244-3-64-26" (15) = 252
  EXPECT_EQ(affinity_name(host, "10.244.3.64/26"), host + "-10-244-3-64-26");
}

TEST(IpamNames, LongAffinityNamesAreHashedToFit) {
  // 253 characters and more: keep 252 - len(mangled) - 13 of the host, then
  // "-<mangled>-<first 11 hex of SHA-256("<host>+<mangled>")>": 252 characters.
  const std::string mangled = "10-244-3-64-26";
  for (const std::size_t len : {std::size_t{238}, std::size_t{250}, std::size_t{1000}}) {
    const std::string host(len, 'h');
    const std::string n = affinity_name(host, "10.244.3.64/26");
    ASSERT_EQ(n.size(), 252u) << len;
    const std::size_t keep = 252 - mangled.size() - 13;
    EXPECT_EQ(n.substr(0, keep), host.substr(0, keep));
    EXPECT_EQ(n.substr(keep, mangled.size() + 2), "-" + mangled + "-");
    EXPECT_EQ(n.substr(n.size() - 11), sha256_hex(host + "+" + mangled).substr(0, 11));
  }
  // Hosts sharing the kept prefix still get different names.
  EXPECT_NE(affinity_name(std::string(300, 'g') + "a", "10.244.3.64/26"),
            affinity_name(std::string(300, 'g') + "b", "10.244.3.64/26"));
}

TEST(IpamNames, HandleNamesAreLowerCasedIds) {
  EXPECT_EQ(handle_name("K8s-Pod-Network.ABC"), "k8s-pod-network.abc");
  EXPECT_EQ(handle_name("ipip-tunnel-addr-worker-1"), "ipip-tunnel-addr-worker-1");
  EXPECT_EQ(handle_name(""), "");
}

TEST(IpamNames, Sha256MatchesKnownVectors) {
  // FIPS 180-2 test vectors.
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

}  // namespace
}  // namespace calico::api
