#include "common/net/ip.h"

#include <gtest/gtest.h>

namespace calico::net {
namespace {

TEST(Cidr, ParsesAndFormatsV4AndV6) {
  auto c = Cidr::parse("10.244.3.64/26", true);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->to_string(), "10.244.3.64/26");
  auto v6 = Cidr::parse("fd00:10:244:0:0:0:0:c0/122", true);
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->to_string(), "fd00:10:244::c0/122");
}

TEST(Cidr, RejectsMalformed) {
  for (const char* bad : {"10.0.0.0/33", "10.0.0.0", "10.0.0/8", "10.0.0.0/", "10.0.0.0/08",
                          "fd00::/129", "x/8", "010.0.0.0/8", "10.0.0.0/-1"}) {
    EXPECT_FALSE(Cidr::parse(bad)) << bad;
  }
  EXPECT_FALSE(Cidr::parse("10.0.0.1/24", true));
  EXPECT_TRUE(Cidr::parse("10.0.0.1/24", false));
}

TEST(Cidr, ContainsAndOverlaps) {
  auto pool = *Cidr::parse("10.0.0.0/16");
  EXPECT_TRUE(pool.contains(*IpAddr::parse("10.0.255.1")));
  EXPECT_FALSE(pool.contains(*IpAddr::parse("10.1.0.0")));
  EXPECT_FALSE(pool.contains(*IpAddr::parse("::1")));
  EXPECT_TRUE(pool.overlaps(*Cidr::parse("10.0.4.0/24")));
  EXPECT_TRUE(Cidr::parse("10.0.4.0/24")->overlaps(pool));
  EXPECT_FALSE(pool.overlaps(*Cidr::parse("10.1.0.0/16")));
}

TEST(IpAddr, PlusCarriesAcrossBytes) {
  EXPECT_EQ(IpAddr::parse("10.0.0.255")->plus(1).to_string(), "10.0.1.0");
  EXPECT_EQ(IpAddr::parse("fd00::ffff")->plus(1).to_string(), "fd00::1:0");
}

}  // namespace
}  // namespace calico::net
