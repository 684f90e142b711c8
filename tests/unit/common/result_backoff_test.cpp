#include <string>

#include <gtest/gtest.h>

#include "common/backoff.h"
#include "common/result.h"

namespace calico {
namespace {

Result<int, std::string> parse_positive(int v) {
  if (v <= 0) {
    return fail(std::string("not positive"));
  }
  return v;
}

TEST(Result, CarriesValueOrError) {
  auto ok = parse_positive(3);
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, 3);
  auto bad = parse_positive(-1);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), "not positive");
  EXPECT_EQ(bad.value_or(7), 7);
  auto doubled = ok.transform([](int v) { return v * 2; });
  EXPECT_EQ(*doubled, 6);
  auto still_bad = bad.transform([](int v) { return v * 2; });
  EXPECT_FALSE(still_bad);
}

TEST(Result, VoidSpecialisation) {
  Result<void, std::string> ok;
  EXPECT_TRUE(ok);
  Result<void, std::string> bad = fail(std::string("x"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), "x");
}

TEST(Backoff, DoublesUpToMaxWithJitterInUpperHalf) {
  double r = 0.0;
  Backoff b(std::chrono::milliseconds(100), std::chrono::milliseconds(1000), [&] { return r; });
  EXPECT_EQ(b.next().count(), 50);   // ceiling 100, r=0 -> half
  EXPECT_EQ(b.next().count(), 100);  // ceiling 200
  r = 0.999;
  EXPECT_GE(b.next().count(), 399);  // ceiling 400
  EXPECT_LE(b.next().count(), 800);
  EXPECT_LE(b.next().count(), 1000);  // capped
  EXPECT_LE(b.next().count(), 1000);
  b.reset();
  r = 0.0;
  EXPECT_EQ(b.next().count(), 50);
}

}  // namespace
}  // namespace calico
