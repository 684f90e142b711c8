// Attribute interning (AttrStore / AttrRef) and the compact prefix map (PrefixMap).
#include <map>
#include <random>

#include <gtest/gtest.h>

#include "bgp/rib/attr_store.h"
#include "bgp/rib/prefix_map.h"

namespace calico::bgp {
namespace {

PathAttributes attrs_with_path(std::uint32_t asn) {
  PathAttributes a;
  a.as_path.segments.push_back(AsSegment{AsSegmentType::Sequence, {asn}});
  a.next_hop = *net::IpAddr::parse("192.0.2.1");
  return a;
}

TEST(RibAttrStore, EqualValuesShareOneCopy) {
  AttrStore store;
  AttrRef a = store.intern(attrs_with_path(65001));
  AttrRef b = store.intern(attrs_with_path(65001));
  AttrRef c = store.intern(attrs_with_path(65002));
  EXPECT_TRUE(a == b);
  EXPECT_EQ(a.get(), b.get());
  EXPECT_FALSE(a == c);
  EXPECT_EQ(store.size(), 2u);
  EXPECT_EQ(a.use_count(), 2u);
  EXPECT_EQ(a->as_path.first_as(), 65001u);
  EXPECT_EQ((*c).as_path.first_as(), 65002u);
}

TEST(RibAttrStore, ReleasedWhenLastReferenceGoes) {
  AttrStore store;
  AttrRef a = store.intern(attrs_with_path(65001));
  {
    AttrRef copy = a;
    AttrRef moved = std::move(copy);
    EXPECT_FALSE(copy);  // NOLINT(bugprone-use-after-move): moved-from is null
    EXPECT_EQ(a.use_count(), 2u);
  }
  EXPECT_EQ(a.use_count(), 1u);
  EXPECT_EQ(store.size(), 1u);
  a.reset();
  EXPECT_FALSE(a);
  EXPECT_EQ(store.size(), 0u);
  // Interning again creates a fresh copy.
  AttrRef again = store.intern(attrs_with_path(65001));
  EXPECT_EQ(store.size(), 1u);
}

TEST(RibAttrStore, AssignmentAdjustsCounts) {
  AttrStore store;
  AttrRef a = store.intern(attrs_with_path(1));
  AttrRef b = store.intern(attrs_with_path(2));
  b = a;  // b's old value loses its last reference
  EXPECT_EQ(store.size(), 1u);
  EXPECT_EQ(a.use_count(), 2u);
  b = b;  // NOLINT(misc-redundant-expression): self-assignment is safe
  EXPECT_EQ(a.use_count(), 2u);
  b = AttrRef{};
  EXPECT_EQ(a.use_count(), 1u);
}

TEST(RibAttrStore, EveryFieldTakesPartInEquality) {
  AttrStore store;
  PathAttributes base = attrs_with_path(65001);
  std::vector<PathAttributes> variants(8, base);
  variants[1].med = 1;
  variants[2].local_pref = 1;
  variants[3].communities = {kNoExport};
  variants[4].originator_id = 1;
  variants[5].cluster_list = {1};
  variants[6].link_local_next_hop = *net::IpAddr::parse("fe80::1");
  variants[7].origin = Origin::Incomplete;
  std::vector<AttrRef> refs;
  for (const auto& v : variants) {
    refs.push_back(store.intern(v));
  }
  EXPECT_EQ(store.size(), variants.size());
}

TEST(RibAttrStore, ReferencesOutliveTheStore) {
  AttrRef survivor;
  {
    AttrStore store;
    survivor = store.intern(attrs_with_path(65001));
  }
  EXPECT_EQ(survivor->as_path.first_as(), 65001u);
  survivor.reset();  // frees the node and the orphaned registry (checked by ASan builds)
}

TEST(RibAttrStore, HandleIsEightBytes) {
  EXPECT_EQ(sizeof(AttrRef), sizeof(void*));
}

Prefix pfx(const char* s) {
  return *net::Cidr::parse(s, true);
}

TEST(RibPrefixMap, InsertFindEraseBothFamilies) {
  PrefixMap<int> m;
  EXPECT_EQ(m.find(pfx("10.0.0.0/8")), nullptr);
  *m.try_emplace(pfx("10.0.0.0/8")).first = 1;
  *m.try_emplace(pfx("10.0.0.0/16")).first = 2;
  *m.try_emplace(pfx("fd00::/64")).first = 3;
  *m.try_emplace(pfx("0.0.0.0/0")).first = 4;
  *m.try_emplace(pfx("::/0")).first = 5;
  EXPECT_FALSE(m.try_emplace(pfx("10.0.0.0/8")).second);
  EXPECT_EQ(m.size(), 5u);
  EXPECT_EQ(m.size(net::Family::V6), 2u);
  EXPECT_EQ(*m.find(pfx("10.0.0.0/16")), 2);
  EXPECT_EQ(*m.find(pfx("fd00::/64")), 3);
  EXPECT_EQ(*m.find(pfx("::/0")), 5);
  EXPECT_EQ(m.find(pfx("fd00::/65")), nullptr);
  EXPECT_TRUE(m.erase(pfx("10.0.0.0/8")));
  EXPECT_FALSE(m.erase(pfx("10.0.0.0/8")));
  EXPECT_EQ(m.sorted_keys(), (std::vector<Prefix>{pfx("0.0.0.0/0"), pfx("10.0.0.0/16"), pfx("::/0"),
                                                  pfx("fd00::/64")}));
  m.clear(net::Family::V4);
  EXPECT_EQ(m.size(), 2u);
}

TEST(RibPrefixMap, KeysRoundTrip) {
  for (const char* s : {"0.0.0.0/0", "255.255.255.255/32", "192.168.1.0/24", "::/0",
                        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", "2001:db8:1:2::/64"}) {
    PrefixMap<int> m;
    m.try_emplace(pfx(s));
    m.for_each([&](const Prefix& p, int) { EXPECT_EQ(p, pfx(s)); });
  }
}

// Random churn against std::map: exercises growth, backward-shift erase and shrinking.
TEST(RibPrefixMap, MatchesReferenceUnderChurn) {
  std::mt19937 rng(42);
  PrefixMap<std::uint32_t> m;
  std::map<Prefix, std::uint32_t> ref;
  for (int round = 0; round < 40000; ++round) {
    const bool v6 = rng() % 4 == 0;
    const auto len = static_cast<int>(v6 ? 48 + rng() % 17 : 16 + rng() % 9);
    Prefix p;
    if (v6) {
      std::array<std::uint8_t, 16> b{};
      b[0] = 0xfd;
      b[5] = static_cast<std::uint8_t>(rng() % 4);
      b[6] = static_cast<std::uint8_t>(rng() % 64);
      p = Prefix(net::IpAddr::v6(b), len).masked();
    } else {
      p = Prefix(net::IpAddr::v4(0x0A000000u | (rng() % 4096u) << 8), len).masked();
    }
    const std::uint32_t value = rng();
    if (rng() % 3 == 0) {
      EXPECT_EQ(m.erase(p), ref.erase(p) == 1);
    } else {
      *m.try_emplace(p).first = value;
      ref[p] = value;
    }
    if (round % 5000 == 0 || round > 39990) {
      ASSERT_EQ(m.size(), ref.size());
      for (const auto& [k, v] : ref) {
        const std::uint32_t* got = m.find(k);
        ASSERT_NE(got, nullptr) << k.to_string();
        EXPECT_EQ(*got, v);
      }
    }
  }
  // Drain: the tables shrink back to nothing.
  for (const auto& [k, v] : ref) {
    EXPECT_TRUE(m.erase(k));
  }
  EXPECT_EQ(m.size(), 0u);
  EXPECT_EQ(m.memory_bytes(), 0u);
}

// Filling one map in another map's iteration (= hash) order used to build a single
// probe run (quadratic: ~30 s for 200k prefixes); per-table seeds keep it linear.  The
// unit-test timeout catches a regression.
TEST(RibPrefixMap, CopyingInIterationOrderStaysLinear) {
  PrefixMap<std::uint32_t> a;
  for (std::uint32_t i = 0; i < 200000; ++i) {
    *a.try_emplace(Prefix(net::IpAddr::v4(0x01000000u + (i << 8)), 24)).first = i;
  }
  PrefixMap<std::uint32_t> b;
  a.for_each([&](const Prefix& p, std::uint32_t v) { *b.try_emplace(p).first = v; });
  PrefixMap<std::uint32_t> c;
  b.for_each([&](const Prefix& p, std::uint32_t v) { *c.try_emplace(p).first = v; });
  ASSERT_EQ(c.size(), 200000u);
  EXPECT_EQ(*c.find(Prefix(net::IpAddr::v4(0x01000000u + (1234u << 8)), 24)), 1234u);
}

TEST(RibPrefixMap, SlotsAreCompact) {
  PrefixMap<AttrRef> m;
  for (std::uint32_t i = 0; i < 1000; ++i) {
    m.try_emplace(Prefix(net::IpAddr::v4(0x0A000000u + (i << 8)), 24));
  }
  // 16-byte IPv4 slots (8-byte key + 8-byte handle), load between 4/7 and 7/8.
  EXPECT_LE(m.memory_bytes(), 1000u * 16u * 7u / 4u);
  EXPECT_GE(m.memory_bytes(), 1000u * 16u * 8u / 7u);
}

}  // namespace
}  // namespace calico::bgp
