// netlink/nft_encode: the batch bytes, parsed back with libnftnl (no socket, no root; lives
// here because only calico::netlink may link libnftnl).
#include "netlink/nft_encode.h"

#include <arpa/inet.h>

#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "policy/nft_model.h"

namespace calico::netlink {
namespace {

using policy::NftType;
using policy::NftValue;

std::vector<const nlmsghdr*> messages(const NftEncodedBatch& enc) {
  std::vector<const nlmsghdr*> out;
  int remaining = static_cast<int>(enc.bytes.size());
  for (auto* h = reinterpret_cast<const nlmsghdr*>(enc.bytes.data()); mnl_nlmsg_ok(h, remaining);
       h = mnl_nlmsg_next(h, &remaining)) {
    out.push_back(h);
  }
  return out;
}

policy::NftBatch element_batch(std::size_t n) {
  policy::NftBatch b;
  policy::NftSetElements add{true, "members", {NftType::Ipv4Addr}, true, {}};
  for (std::uint32_t i = 0; i < n; ++i) {
    add.elements.push_back({NftValue::addr(net::IpAddr::v4(0x0a000000U + 2 * i))});
  }
  b.ops.emplace_back(add);
  return b;
}

TEST(NftEncodeTest, BatchIsFramedWithConsecutiveSequenceNumbers) {
  const NftEncodedBatch enc = encode_batch(element_batch(1000), 100);
  const auto msgs = messages(enc);
  ASSERT_GE(msgs.size(), 3U);
  EXPECT_EQ(msgs.front()->nlmsg_type, NFNL_MSG_BATCH_BEGIN);
  EXPECT_EQ(msgs.back()->nlmsg_type, NFNL_MSG_BATCH_END);
  EXPECT_EQ(enc.begin_seq, 100U);
  EXPECT_EQ(enc.end_seq, 100U + msgs.size() - 1);
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    EXPECT_EQ(msgs[i]->nlmsg_seq, 100U + i);
  }
  // 1000 logical elements in chunks of 256 -> 4 element messages, all for op 0.
  ASSERT_EQ(enc.messages.size(), 4U);
  std::size_t mapped = 0;
  for (const auto& m : enc.messages) {
    EXPECT_EQ(m.op, 0U);
    mapped += m.elements.size();
  }
  EXPECT_EQ(mapped, 2000U);  // a start and an end element per address
}

TEST(NftEncodeTest, IntervalElementsParseBackAsStartAndEndPairs) {
  policy::NftBatch b;
  policy::NftSetElements add{true, "s", {NftType::Ipv4Addr}, true, {}};
  auto c = net::Cidr::parse("10.1.0.0/16");
  add.elements = {{NftValue::cidr(*c)}, {NftValue::cidr(*net::Cidr::parse("255.255.255.0/24"))}};
  b.ops.emplace_back(add);
  const NftEncodedBatch enc = encode_batch(b, 1);
  const auto msgs = messages(enc);
  ASSERT_EQ(msgs.size(), 3U);
  // Walk the element attributes by hand (libnftnl 1.2.4's parser rejects flagged elements
  // it built itself; the kernel and nft accept them, see nft_committer_test).
  std::vector<std::pair<std::string, bool>> got;
  const auto* base = reinterpret_cast<const std::uint8_t*>(msgs[1]);
  for (const auto& [offset, logical] : enc.messages[0].elements) {
    const auto* el = reinterpret_cast<const nlattr*>(base + offset);
    std::string key;
    bool end = false;
    const char* nest_end = reinterpret_cast<const char*>(el) + el->nla_len;
    for (auto* a = static_cast<const nlattr*>(mnl_attr_get_payload(el));
         mnl_attr_ok(a, static_cast<int>(nest_end - reinterpret_cast<const char*>(a)));
         a = mnl_attr_next(a)) {
      if (mnl_attr_get_type(a) == NFTA_SET_ELEM_FLAGS) {
        end = (ntohl(mnl_attr_get_u32(a)) & NFT_SET_ELEM_INTERVAL_END) != 0;
      } else if (mnl_attr_get_type(a) == NFTA_SET_ELEM_KEY) {
        const auto* value = static_cast<const nlattr*>(mnl_attr_get_payload(a));
        const auto* k = static_cast<const std::uint8_t*>(mnl_attr_get_payload(value));
        ASSERT_EQ(mnl_attr_get_payload_len(value), 4U);
        key = std::to_string(k[0]) + "." + std::to_string(k[1]) + "." + std::to_string(k[2]) + "." +
              std::to_string(k[3]);
      }
    }
    got.emplace_back(key, end);
  }
  // 10.1.0.0/16 = [10.1.0.0, 10.2.0.0); the block ending at the maximum has no end.
  const std::vector<std::pair<std::string, bool>> want = {
      {"10.1.0.0", false}, {"10.2.0.0", true}, {"255.255.255.0", false}};
  EXPECT_EQ(got, want);
  ASSERT_EQ(enc.messages[0].elements.size(), 3U);
  EXPECT_EQ(enc.messages[0].elements[1].second, 0U);  // the end element belongs to element 0
  EXPECT_EQ(enc.messages[0].elements[2].second, 1U);
}

TEST(NftEncodeTest, RuleCarriesItsFingerprintComment) {
  policy::NftBatch b;
  policy::NftRule r;
  r.matches = {
      policy::NftMatch::in(policy::NftField::L4proto, {NftValue::proto(6), NftValue::proto(17)})};
  r.verdict = policy::NftVerdict::accept();
  b.ops.emplace_back(policy::NftAddRule{"c", r});
  const NftEncodedBatch enc = encode_batch(b, 1);
  const auto msgs = messages(enc);
  // begin, anonymous set, its elements, the rule, end: all mapped to op 0.
  ASSERT_EQ(msgs.size(), 5U);
  EXPECT_EQ(msgs[1]->nlmsg_type & 0xff, NFT_MSG_NEWSET);
  EXPECT_EQ(msgs[2]->nlmsg_type & 0xff, NFT_MSG_NEWSETELEM);
  EXPECT_EQ(msgs[3]->nlmsg_type & 0xff, NFT_MSG_NEWRULE);
  for (const auto& m : enc.messages) {
    EXPECT_EQ(m.op, 0U);
  }
  nftnl_rule* rule = nftnl_rule_alloc();
  ASSERT_GE(nftnl_rule_nlmsg_parse(msgs[3], rule), 0);
  EXPECT_STREQ(nftnl_rule_get_str(rule, NFTNL_RULE_CHAIN), "c");
  std::uint32_t len = 0;
  const auto* ud = static_cast<const char*>(nftnl_rule_get_data(rule, NFTNL_RULE_USERDATA, &len));
  ASSERT_NE(ud, nullptr);
  const std::string comment = "cal:" + policy::rule_fingerprint(r);
  EXPECT_NE(std::string(ud, len).find(comment), std::string::npos);
  nftnl_rule_free(rule);
}

TEST(NftEncodeTest, KeyTypesRoundTrip) {
  const std::vector<NftType> np = {NftType::Ipv4Addr, NftType::InetProto, NftType::InetService};
  EXPECT_EQ(nft_key_len(np), 12U);
  EXPECT_EQ(nft_key_type_id(np), 29453U);  // what nft stores for the same type
  EXPECT_EQ(nft_key_types(29453U, 12U), np);
  EXPECT_EQ(nft_key_types(41U, 16U), std::vector<NftType>{NftType::Ifname});
  EXPECT_FALSE(nft_key_types(41U, 4U).has_value());
  EXPECT_FALSE(nft_key_types(19U, 4U).has_value());  // mark: not modelled
}

}  // namespace
}  // namespace calico::netlink
