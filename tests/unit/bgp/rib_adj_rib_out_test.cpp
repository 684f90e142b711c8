// Adj-RIB-Out and UPDATE packing: message budget, families, withdrawals, deterministic
// grouping, duplicate suppression, full-table / End-of-RIB, and oversized attributes.
#include <numeric>

#include <gtest/gtest.h>

#include "bgp/rib/adj_rib_out.h"
#include "bgp/wire/codec.h"
#include "rib_test_util.h"

namespace calico::bgp {
namespace {

using namespace testing;  // rib_test_util.h

// A plausible stand-in for the codec's encoded_update_size(): header and length fields,
// then each attribute as header + value.
std::size_t fake_update_size(const PathAttributes& a, std::optional<AfiSafi> mp) {
  std::size_t n = kHeaderSize + 2 + 2;
  n += 3 + 1;  // ORIGIN
  n += 3;      // AS_PATH header
  for (const auto& s : a.as_path.segments) {
    n += 2 + 4 * s.asns.size();
  }
  if (mp) {
    n += 4 + 3 + 1 + 16 + 1;  // MP_REACH: header, AFI/SAFI, next hop length, next hop, reserved
  } else {
    n += 3 + 4;  // NEXT_HOP
  }
  n += a.med ? 7 : 0;
  n += a.local_pref ? 7 : 0;
  n += a.communities.empty() ? 0 : 4 + 4 * a.communities.size();
  return n;
}

std::size_t nlri_bytes(const std::vector<Prefix>& ps) {
  std::size_t n = 0;
  for (const auto& p : ps) {
    n += prefix_wire_size(p);
  }
  return n;
}

// The size pack_updates() budgeted for `u`.
std::size_t budgeted_size(const Update& u) {
  if (!u.attrs) {
    std::size_t n = kWithdrawUpdateOverhead + nlri_bytes(u.withdrawn);
    if (u.mp_unreach) {
      n += kMpUnreachOverhead + nlri_bytes(u.mp_unreach->withdrawn);
    }
    return n;
  }
  if (u.mp_reach) {
    return fake_update_size(*u.attrs, u.mp_reach->af) + kMpReachReserve +
           nlri_bytes(u.mp_reach->nlri);
  }
  return fake_update_size(*u.attrs, std::nullopt) + nlri_bytes(u.nlri);
}

PackOptions pack_options(std::size_t max = kMaxMessageSize) {
  return PackOptions{max, fake_update_size};
}

std::vector<Prefix> host_routes(std::size_t n) {
  std::vector<Prefix> out;
  for (std::uint32_t i = 0; i < n; ++i) {
    out.push_back(Prefix(net::IpAddr::v4(0x0A000000u + i), 32));
  }
  return out;
}

TEST(RibPackUpdates, OneAttributeSetFillsMessagesToTheBudget) {
  AttrStore store;
  const AttrRef a = store.intern(path({65001, 65002}, "192.0.2.1"));
  for (std::size_t max : {std::size_t{512}, kMaxMessageSize}) {
    std::vector<Prefix> prefixes = host_routes(1000);
    std::vector<Announcement> ann;
    for (auto it = prefixes.rbegin(); it != prefixes.rend(); ++it) {  // unsorted input
      ann.push_back({*it, a});
    }
    const auto updates = pack_updates({}, ann, pack_options(max));
    const std::size_t per_message = (max - fake_update_size(*a, std::nullopt)) / 5;
    EXPECT_EQ(updates.size(), (1000 + per_message - 1) / per_message) << max;
    std::vector<Prefix> sent;
    for (const Update& u : updates) {
      EXPECT_LE(budgeted_size(u), max);
      ASSERT_TRUE(u.attrs);
      EXPECT_EQ(*u.attrs, *a);
      EXPECT_FALSE(u.mp_reach);
      sent.insert(sent.end(), u.nlri.begin(), u.nlri.end());
    }
    EXPECT_EQ(sent, prefixes);  // everything, once, sorted
  }
}

TEST(RibPackUpdates, FamiliesNeverShareAMessage) {
  AttrStore store;
  const AttrRef a4 = store.intern(path({65001}, "192.0.2.1"));
  const AttrRef a6 = store.intern(path({65001}, "fd00::1"));
  std::vector<Announcement> ann = {{pfx("fd10::/64"), a6},
                                   {pfx("10.1.0.0/16"), a4},
                                   {pfx("fd11::/48"), a6},
                                   {pfx("10.2.0.0/16"), a4}};
  const auto updates = pack_updates({}, ann, pack_options());
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_EQ(updates[0].nlri, (std::vector<Prefix>{pfx("10.1.0.0/16"), pfx("10.2.0.0/16")}));
  EXPECT_FALSE(updates[0].mp_reach);
  EXPECT_TRUE(updates[1].nlri.empty());
  ASSERT_TRUE(updates[1].mp_reach);
  EXPECT_EQ(updates[1].mp_reach->af, kIpv6Unicast);
  EXPECT_EQ(updates[1].mp_reach->nlri, (std::vector<Prefix>{pfx("fd10::/64"), pfx("fd11::/48")}));
  EXPECT_EQ(updates[1].attrs->next_hop, ip("fd00::1"));
}

TEST(RibPackUpdates, ManyIpv6PrefixesRespectTheBudget) {
  AttrStore store;
  const AttrRef a6 = store.intern(path({65001}, "fd00::1"));
  std::vector<Announcement> ann;
  for (std::uint32_t i = 0; i < 1000; ++i) {
    std::array<std::uint8_t, 16> b{};
    b[0] = 0xfd;
    b[6] = static_cast<std::uint8_t>(i >> 8);
    b[7] = static_cast<std::uint8_t>(i);
    ann.push_back({Prefix(net::IpAddr::v6(b), 64), a6});
  }
  const auto updates = pack_updates({}, ann, pack_options());
  const std::size_t per_message =
      (kMaxMessageSize - fake_update_size(*a6, kIpv6Unicast) - kMpReachReserve) / 9;
  EXPECT_EQ(updates.size(), (1000 + per_message - 1) / per_message);
  std::size_t total = 0;
  for (const Update& u : updates) {
    EXPECT_LE(budgeted_size(u), kMaxMessageSize);
    total += u.mp_reach->nlri.size();
  }
  EXPECT_EQ(total, 1000u);
}

TEST(RibPackUpdates, WithdrawalsArePackedPerFamily) {
  std::vector<Prefix> w;
  for (std::uint32_t i = 0; i < 2000; ++i) {
    w.push_back(Prefix(net::IpAddr::v4(0x0A000000u + (i << 8)), 24));
  }
  for (std::uint32_t i = 0; i < 300; ++i) {
    std::array<std::uint8_t, 16> b{};
    b[0] = 0xfd;
    b[7] = static_cast<std::uint8_t>(i);
    b[6] = static_cast<std::uint8_t>(i >> 8);
    w.push_back(Prefix(net::IpAddr::v6(b), 64));
  }
  w.push_back(w.front());  // duplicates are sent once
  const auto updates = pack_updates(w, {}, pack_options());
  // IPv4: (4096 - 23) / 4 = 1018 per message -> 2; IPv6: (4096 - 30) / 9 = 451 -> 1.
  ASSERT_EQ(updates.size(), 3u);
  EXPECT_EQ(updates[0].withdrawn.size(), 1018u);
  EXPECT_EQ(updates[1].withdrawn.size(), 982u);
  EXPECT_FALSE(updates[2].attrs);
  ASSERT_TRUE(updates[2].mp_unreach);
  EXPECT_EQ(updates[2].mp_unreach->af, kIpv6Unicast);
  EXPECT_EQ(updates[2].mp_unreach->withdrawn.size(), 300u);
  for (const Update& u : updates) {
    EXPECT_LE(budgeted_size(u), kMaxMessageSize);
    EXPECT_TRUE(u.nlri.empty());
  }
}

TEST(RibPackUpdates, RunsAreOrderedByTheirLowestPrefix) {
  AttrStore store;
  const AttrRef a = store.intern(path({65001}, "192.0.2.1"));
  const AttrRef b = store.intern(path({65002}, "192.0.2.2"));
  const std::vector<Announcement> ann = {{pfx("10.4.0.0/16"), a},
                                         {pfx("10.3.0.0/16"), b},
                                         {pfx("10.2.0.0/16"), a},
                                         {pfx("10.1.0.0/16"), b}};
  const std::vector<Prefix> w = {pfx("10.9.0.0/16")};
  const auto updates = pack_updates(w, ann, pack_options());
  ASSERT_EQ(updates.size(), 3u);
  EXPECT_EQ(updates[0].withdrawn, w);
  EXPECT_EQ(*updates[1].attrs, *b);
  EXPECT_EQ(updates[1].nlri, (std::vector<Prefix>{pfx("10.1.0.0/16"), pfx("10.3.0.0/16")}));
  EXPECT_EQ(*updates[2].attrs, *a);
  EXPECT_EQ(updates[2].nlri, (std::vector<Prefix>{pfx("10.2.0.0/16"), pfx("10.4.0.0/16")}));
}

TEST(RibPackUpdates, EndOfRibShapes) {
  const Update v4 = end_of_rib_update(kIpv4Unicast);
  EXPECT_EQ(v4, Update{});
  const Update v6 = end_of_rib_update(kIpv6Unicast);
  ASSERT_TRUE(v6.mp_unreach);
  EXPECT_EQ(v6.mp_unreach->af, kIpv6Unicast);
  EXPECT_TRUE(v6.mp_unreach->withdrawn.empty());
  EXPECT_FALSE(v6.attrs);
}

class RibAdjRibOut : public LocRibTest {
 protected:
  RibAdjRibOut() {
    for (const PeerInfo* p : {&e1, &e2, &target}) {
      peers.upsert(*p);
    }
  }

  std::vector<Update> push(const std::vector<LocRibChange>& changes) {
    out.stage(changes);
    return out.take_updates();
  }

  PeerInfo e1 = make_peer(1, 65001, "172.16.0.1", {.local_v6 = true});
  PeerInfo e2 = make_peer(2, 65001, "172.16.0.2", {.local_v6 = true});
  PeerInfo target = make_peer(3, 65009, "172.16.0.9", {.local_v6 = true});
  AdjRibOut out{peers, store,
                AdjRibOut::Config{target, {kIpv4Unicast, kIpv6Unicast}, pack_options()}};
};

TEST_F(RibAdjRibOut, AnnouncesExportedAttributes) {
  const auto updates = push(add(e1, "10.1.0.0/16", path({65001}, "172.16.0.1")));
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].nlri, std::vector<Prefix>{pfx("10.1.0.0/16")});
  EXPECT_EQ(updates[0].attrs->as_path.to_string(), "64512 65001");
  EXPECT_EQ(updates[0].attrs->next_hop, ip("10.0.0.1"));
  EXPECT_EQ(out.advertised_count(), 1u);
  EXPECT_TRUE(out.advertised(pfx("10.1.0.0/16")));
}

TEST_F(RibAdjRibOut, IdenticalStateIsNotResent) {
  const auto changes = add(e1, "10.1.0.0/16", path({65001}, "172.16.0.1"));
  ASSERT_EQ(push(changes).size(), 1u);
  EXPECT_TRUE(push(changes).empty());  // re-staging the same change
  EXPECT_FALSE(out.has_pending());
  // The best moves to e2, whose route exports to the very same attributes (our next hop,
  // same path): the peer already has it.
  const auto moved = add(e2, "10.1.0.0/16", path({65001}, "172.16.0.2"));
  ASSERT_TRUE(del(e1, "10.1.0.0/16").size() == 1u);
  EXPECT_TRUE(push(moved).empty());
}

TEST_F(RibAdjRibOut, FlapBeforeFlushSendsNothing) {
  out.stage(add(e1, "10.1.0.0/16", path({65001}, "172.16.0.1")));
  out.stage(del(e1, "10.1.0.0/16"));
  EXPECT_TRUE(out.has_pending());
  EXPECT_TRUE(out.take_updates().empty());
  EXPECT_EQ(out.advertised_count(), 0u);
}

TEST_F(RibAdjRibOut, WithdrawalAndSplitHorizon) {
  push(add(e1, "10.1.0.0/16", path({65001}, "172.16.0.1")));
  push(add(e1, "10.2.0.0/16", path({65001}, "172.16.0.1")));
  auto updates = push(del(e1, "10.1.0.0/16"));
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].withdrawn, std::vector<Prefix>{pfx("10.1.0.0/16")});
  // The target itself now has the best route for 10.2/16: ours is withdrawn.
  del(e1, "10.2.0.0/16");
  updates = push(add(target, "10.2.0.0/16", path({65009}, "172.16.0.9")));
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].withdrawn, std::vector<Prefix>{pfx("10.2.0.0/16")});
  EXPECT_EQ(out.advertised_count(), 0u);
}

TEST_F(RibAdjRibOut, FullTableWithEndOfRibAndRouteRefresh) {
  add(e1, "10.2.0.0/16", path({65001}, "172.16.0.1"));
  add(e1, "10.1.0.0/16", path({65001}, "172.16.0.1"));
  add(e1, "fd10::/64", path({65001}, "fd00::2"));
  const auto first = out.full_table(rib);
  ASSERT_EQ(first.size(), 4u);
  EXPECT_EQ(first[0].nlri, (std::vector<Prefix>{pfx("10.1.0.0/16"), pfx("10.2.0.0/16")}));
  ASSERT_TRUE(first[1].mp_reach);
  EXPECT_EQ(first[1].attrs->next_hop, ip("fd00::1"));
  EXPECT_EQ(first[2], end_of_rib_update(kIpv4Unicast));
  EXPECT_EQ(first[3], end_of_rib_update(kIpv6Unicast));
  EXPECT_EQ(out.advertised_count(), 3u);

  // ROUTE-REFRESH for IPv4 re-sends everything of that family, even if unchanged.
  const auto refresh = out.full_table(rib, kIpv4Unicast, /*end_of_rib=*/false);
  ASSERT_EQ(refresh.size(), 1u);
  EXPECT_EQ(refresh[0], first[0]);

  // A route lost without staging (e.g. after a reconfiguration) is withdrawn by the next
  // full table.
  del(e1, "10.2.0.0/16");
  const auto again = out.full_table(rib, kIpv4Unicast, /*end_of_rib=*/true);
  ASSERT_EQ(again.size(), 3u);
  EXPECT_EQ(again[0].withdrawn, std::vector<Prefix>{pfx("10.2.0.0/16")});
  EXPECT_EQ(again[1].nlri, std::vector<Prefix>{pfx("10.1.0.0/16")});
  EXPECT_EQ(again[2], end_of_rib_update(kIpv4Unicast));
  EXPECT_EQ(out.advertised_count(), 2u);
}

TEST_F(RibAdjRibOut, OnlyNegotiatedFamilies) {
  AdjRibOut v4_only(peers, store, AdjRibOut::Config{target, {kIpv4Unicast}, pack_options()});
  v4_only.stage(add(e1, "fd10::/64", path({65001}, "fd00::2")));
  EXPECT_FALSE(v4_only.has_pending());
  const auto full = v4_only.full_table(rib);
  ASSERT_EQ(full.size(), 1u);  // just the IPv4 End-of-RIB
  EXPECT_EQ(full[0], end_of_rib_update(kIpv4Unicast));
}

TEST_F(RibAdjRibOut, OversizedAttributesAreNotAdvertised) {
  AdjRibOut small(peers, store, AdjRibOut::Config{target, {kIpv4Unicast}, pack_options(100)});
  small.stage(add(e1, "10.1.0.0/16", path({65001}, "172.16.0.1")));
  ASSERT_EQ(small.take_updates().size(), 1u);
  PathAttributes big = path({65001}, "172.16.0.1");
  big.communities.assign(20, 0x00010001);
  small.stage(add(e1, "10.1.0.0/16", big));
  const auto updates = small.take_updates();
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].withdrawn, std::vector<Prefix>{pfx("10.1.0.0/16")});
  EXPECT_EQ(small.oversized(), 1u);
  EXPECT_EQ(small.advertised_count(), 0u);
}

TEST_F(RibAdjRibOut, ResetAndAttributesAreFreed) {
  push(add(e1, "10.1.0.0/16", path({65001}, "172.16.0.1")));
  EXPECT_EQ(store.size(), 2u);  // received + exported attributes
  out.reset();
  EXPECT_EQ(out.advertised_count(), 0u);
  del(e1, "10.1.0.0/16");
  EXPECT_EQ(store.size(), 0u);
  EXPECT_EQ(out.memory_bytes(), 0u);
}

}  // namespace
}  // namespace calico::bgp
