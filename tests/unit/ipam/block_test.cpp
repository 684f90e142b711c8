// ipam::Block: Calico's per-block allocation semantics (FIFO unallocated queue, shared
// attributes, sequence numbers, all-or-nothing release, consistency checks on load).
#include "ipam/block.h"

#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace calico::ipam {
namespace {

net::IpAddr ip(const char* text) {
  return *net::IpAddr::parse(text);
}

Block block26() {
  return Block::create(*net::Cidr::parse("10.244.3.64/26"), "host:worker-1", "2026-11-23T10:00:00Z",
                       1000);
}

const ReservedFn kNone = nullptr;

TEST(IpamBlock, NewBlockHandsOutOrdinalsInOrderIncludingFirstAndLast) {
  Block b = block26();
  EXPECT_EQ(b.size(), 64U);
  EXPECT_TRUE(b.affine_to_host("worker-1"));
  EXPECT_FALSE(b.affine_to_host("worker-2"));
  auto got = b.assign(64, "h1", {{"pod", "p"}}, kNone);
  ASSERT_EQ(got.size(), 64U);
  EXPECT_EQ(got.front(), ip("10.244.3.64"));  // no address is reserved inside a block
  EXPECT_EQ(got.back(), ip("10.244.3.127"));
  EXPECT_EQ(b.spec().attributes.size(), 1U);  // one shared attribute
  EXPECT_TRUE(b.spec().unallocated.empty());
  EXPECT_TRUE(b.assign(1, "h2", {}, kNone).empty());  // full
  EXPECT_EQ(b.free_count(kNone), 0U);
}

TEST(IpamBlock, ReleaseAppendsToTheTailAndCompactsAttributes) {
  Block b = block26();
  auto a = b.assign(2, "a", {{"pod", "a"}}, kNone);
  auto c = b.assign(1, "c", {{"pod", "c"}}, kNone);
  ASSERT_EQ(b.spec().attributes.size(), 2U);
  auto r = b.release({{a[0], std::nullopt, std::nullopt}, {a[1], std::nullopt, std::nullopt}});
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->per_handle.at("a"), 2);
  EXPECT_EQ(b.spec().attributes.size(), 1U);  // "a" is gone, "c" renumbered to 0
  EXPECT_EQ(b.spec().allocations[2], 0);
  EXPECT_EQ(b.handle_of(c[0]), "c");
  // FIFO: the released ordinals 0 and 1 are handed out after all never-used ones.
  EXPECT_EQ(b.spec().unallocated.front(), 3);
  EXPECT_EQ(b.spec().unallocated[b.spec().unallocated.size() - 2], 0);
  EXPECT_EQ(b.spec().unallocated.back(), 1);
}

TEST(IpamBlock, ReservedAddressesAreSkippedAndStayQueued) {
  Block b = block26();
  const ReservedFn reserved = [](const net::IpAddr& a) {
    return a == ip("10.244.3.64") || a == ip("10.244.3.65");
  };
  auto got = b.assign(1, "h", {}, reserved);
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0], ip("10.244.3.66"));
  EXPECT_EQ(b.spec().unallocated[0], 0);  // still queued, in place
  EXPECT_EQ(b.spec().unallocated[1], 1);
  EXPECT_EQ(b.free_count(reserved), 61U);
}

TEST(IpamBlock, AssignIpAndConflicts) {
  Block b = block26();
  ASSERT_TRUE(b.assign_ip(ip("10.244.3.100"), "h", {}));
  auto again = b.assign_ip(ip("10.244.3.100"), "other", {});
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().find("already allocated (handle h)"), std::string::npos) << again.error();
  auto outside = b.assign_ip(ip("10.244.4.1"), "h", {});
  ASSERT_FALSE(outside);
  EXPECT_NE(outside.error().find("not in block 10.244.3.64/26"), std::string::npos);
  // The ordinal left the queue.
  for (const int o : b.spec().unallocated) {
    EXPECT_NE(o, 36);
  }
}

TEST(IpamBlock, ReleaseIsAllOrNothingOnHandleOrSequenceMismatch) {
  Block b = block26();
  auto a = b.assign(1, "a", {}, kNone);
  auto c = b.assign(1, "c", {}, kNone);
  const auto before = b.spec();
  auto bad =
      b.release({{a[0], std::nullopt, std::nullopt}, {c[0], std::string("a"), std::nullopt}});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("held by handle c, not a"), std::string::npos) << bad.error();
  EXPECT_EQ(b.spec(), before);  // nothing released
  const std::uint64_t seq = b.spec().sequence_number_for_allocation.at("0");
  auto stale = b.release({{a[0], std::nullopt, seq + 1}});
  ASSERT_FALSE(stale);
  EXPECT_EQ(b.spec(), before);
  auto ok = b.release({{a[0], std::string("a"), seq}});
  ASSERT_TRUE(ok) << ok.error();
  EXPECT_EQ(ok->released.size(), 1U);
  // Releasing again: reported as not allocated, not an error.
  auto twice = b.release({{a[0], std::nullopt, std::nullopt}});
  ASSERT_TRUE(twice);
  EXPECT_EQ(twice->not_allocated.size(), 1U);
}

TEST(IpamBlock, SequenceNumbersCountWritesAndStampAllocations) {
  Block b = block26();
  EXPECT_EQ(b.spec().sequence_number, 1000U);
  b.assign(1, "a", {}, kNone);
  EXPECT_EQ(b.spec().sequence_number, 1001U);
  EXPECT_EQ(b.spec().sequence_number_for_allocation.at("0"), 1000U);
  b.assign(1, "b", {}, kNone);
  EXPECT_EQ(b.spec().sequence_number_for_allocation.at("1"), 1001U);
  EXPECT_EQ(b.release_handle("a"), 1U);
  EXPECT_EQ(b.spec().sequence_number, 1003U);
  EXPECT_EQ(b.spec().sequence_number_for_allocation.count("0"), 0U);
}

TEST(IpamBlock, Ipv6BlockOrdinals) {
  Block b = Block::create(*net::Cidr::parse("fd00:10:244::c0/122"), "host:n", "", 1);
  EXPECT_EQ(b.size(), 64U);
  auto got = b.assign(2, "h", {}, kNone);
  ASSERT_EQ(got.size(), 2U);
  EXPECT_EQ(got[1], ip("fd00:10:244::c1"));
  EXPECT_EQ(b.ordinal(ip("fd00:10:244::ff")), 63U);
  EXPECT_FALSE(b.ordinal(ip("fd00:10:244::100")));
}

TEST(IpamBlock, FromSpecRejectsInconsistentBlocks) {
  Block good = block26();
  good.assign(3, "h", {}, kNone);
  ASSERT_TRUE(Block::from_spec(good.spec()));

  auto spec = good.spec();
  spec.unallocated.push_back(0);  // allocated and free at once
  auto r = Block::from_spec(spec);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("ordinal 0 is both allocated and unallocated"), std::string::npos)
      << r.error();

  spec = good.spec();
  spec.unallocated.pop_back();  // a free ordinal missing from the queue would leak
  EXPECT_FALSE(Block::from_spec(spec));

  spec = good.spec();
  spec.allocations.pop_back();
  EXPECT_FALSE(Block::from_spec(spec));

  spec = good.spec();
  spec.allocations[0] = 7;  // no such attribute
  EXPECT_FALSE(Block::from_spec(spec));

  spec = good.spec();
  spec.cidr = "10.244.3.65/26";  // not masked
  EXPECT_FALSE(Block::from_spec(spec));
}

// Random assign/release sequences never hand out an address twice and keep the block
// consistent (from_spec accepts every state).
TEST(IpamBlock, RandomSequencesStayConsistentAndNeverDuplicate) {
  std::mt19937 rng(7);
  Block b = Block::create(*net::Cidr::parse("10.0.0.0/28"), "host:n", "", 1);
  std::map<net::IpAddr, std::string> held;
  for (int step = 0; step < 5000; ++step) {
    const std::string handle = "h" + std::to_string(rng() % 5);
    if (rng() % 2 == 0) {
      for (const auto& a : b.assign(1 + rng() % 3, handle, {{"k", handle}}, kNone)) {
        ASSERT_TRUE(held.emplace(a, handle).second) << "duplicate " << a.to_string();
      }
    } else {
      const std::size_t n = b.release_handle(handle);
      std::size_t expected = 0;
      for (auto it = held.begin(); it != held.end();) {
        if (it->second == handle) {
          ++expected;
          it = held.erase(it);
        } else {
          ++it;
        }
      }
      ASSERT_EQ(n, expected);
    }
    ASSERT_TRUE(Block::from_spec(b.spec())) << "step " << step;
    ASSERT_EQ(b.allocated_count(), held.size());
  }
}

}  // namespace
}  // namespace calico::ipam
