// The e2e NetworkPolicy case table (tests/lib/netpol_cases.h) checked against the reference
// evaluator: every step's full 9x9 pod matrix for tcp/80, tcp/81, udp/80, udp/81, sctp/80.
#include <cctype>
#include <ostream>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "tests/lib/netpol_cases.h"

namespace calico::testlib::netpol {
namespace {

std::string test_name(const ::testing::TestParamInfo<Case>& info) {
  std::string out;
  for (const char c : info.param.name) {
    out += (std::isalnum(static_cast<unsigned char>(c)) != 0) ? c : '_';
  }
  return out;
}

}  // namespace

// gtest prints the parameter of a failing case with this (instead of raw bytes).
void PrintTo(const Case& c, std::ostream* os) {  // NOLINT(readability-identifier-naming)
  *os << c.name;
}

namespace {

class PolicyNetpolMatrix : public ::testing::TestWithParam<Case> {};

TEST_P(PolicyNetpolMatrix, EvaluatorMatchesExpectedReachability) {
  const Case& c = GetParam();
  ASSERT_FALSE(c.steps.empty());
  for (std::size_t i = 0; i < c.steps.size(); ++i) {
    SCOPED_TRACE(c.name + " step " + std::to_string(i) + ": " + c.description);
    auto set = build_policy_set(c.steps[i]);
    ASSERT_TRUE(set) << set.error();
    for (const auto& p : set->policies) {
      EXPECT_TRUE(p.dropped_rules.empty()) << p.id() << ": " << p.dropped_rules.front().to_string();
    }
    const Reachability got = evaluate(*set);
    EXPECT_EQ(got, c.steps[i].expected) << "differences (+ unexpectedly allowed, - unexpectedly "
                                           "denied):\n"
                                        << got.diff_from(c.steps[i].expected);
  }
}

INSTANTIATE_TEST_SUITE_P(PolicyE2e, PolicyNetpolMatrix, ::testing::ValuesIn(cases()), test_name);

TEST(PolicyNetpolCases, TableIsLargeAndNamesAreUnique) {
  const auto all = cases();
  EXPECT_GE(all.size(), 40U);
  std::set<std::string> seen;
  std::size_t multi_step = 0;
  for (const auto& c : all) {
    EXPECT_TRUE(seen.insert(c.name).second) << "duplicate case " << c.name;
    multi_step += c.steps.size() > 1 ? 1 : 0;
  }
  EXPECT_GE(multi_step, 3U);
}

TEST(PolicyNetpolCases, LayoutAddressesAndNamedPorts) {
  EXPECT_EQ(pod_id(0), "x/a");
  EXPECT_EQ(pod_id(8), "z/c");
  EXPECT_EQ(pod_ip_text(4), "10.65.1.11");
  EXPECT_EQ(pod_ports(1).back(), (policy::NamedPort{"web", policy::kProtoTcp, 81}));
  EXPECT_EQ(pod_ports(2).back(), (policy::NamedPort{"web", policy::kProtoTcp, 80}));
}

TEST(PolicyNetpolCases, ReachabilityPatternsAndRendering) {
  Reachability r(true);
  r.deny("x/*", "*/b", kTcp80).deny("*", "z/c,y/a", kSctp80);
  EXPECT_FALSE(r.allowed(0, 0, 1));  // x/a -> x/b tcp/80
  EXPECT_TRUE(r.allowed(0, 1, 1));   // the diagonal stays allowed
  EXPECT_TRUE(r.allowed(1, 0, 1));   // tcp/81 untouched
  EXPECT_FALSE(r.allowed(4, 4, 8));  // y/b -> z/c sctp/80
  EXPECT_FALSE(r.allowed(4, 0, 3));
  EXPECT_TRUE(r.allowed(4, 3, 3));
  const std::string diff = r.diff_from(Reachability(true));
  EXPECT_NE(diff.find("tcp/80"), std::string::npos);
  EXPECT_EQ(diff.find("udp/80"), std::string::npos);  // unchanged probes are not shown
  EXPECT_NE(diff.find('-'), std::string::npos);
}

}  // namespace
}  // namespace calico::testlib::netpol
