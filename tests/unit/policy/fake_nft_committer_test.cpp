// testlib::FakeNftCommitter: the kernel's refusals with the real adapter's messages,
// all-or-nothing batches, read-back as the real adapter returns it, and a differential
// test: random plan sequences converged with diff() read back as the plans themselves.
// (tests/integration/netlink/fake_vs_real_nft_test.cpp runs the same sequences against the
// kernel and compares the two read-backs.)
#include "tests/lib/fake_nft_committer.h"

#include <cerrno>
#include <random>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "policy/nft_model.h"
#include "tests/lib/random_nft_plan.h"
#include "tests/unit/policy/nft_test_util.h"

namespace calico::testlib {
namespace {

using policy::NftBatch;
using policy::NftField;
using policy::NftMatch;
using policy::NftPlan;
using policy::NftType;
using policy::NftValue;
using policy::NftVerdict;
using policy::nft_test::cidr;
using policy::nft_test::rule;
using policy::nft_test::small_plan;
using policy::nft_test::tcp;

NftPlan absent(const std::string& table = "calico") {
  NftPlan p;
  p.table = table;
  p.table_exists = false;
  return p;
}

std::vector<NftType> np_key() {
  return {NftType::Ipv4Addr, NftType::InetProto, NftType::InetService};
}

NftBatch batch_of(std::vector<policy::NftOp> ops, const std::string& table = "calico") {
  NftBatch b;
  b.table = table;
  b.ops = std::move(ops);
  return b;
}

// Every chain's handles strictly increase, and no handle repeats in the table.
void expect_increasing_handles(const NftPlan& read) {
  std::set<std::uint64_t> seen;
  for (const auto& [name, chain] : read.chains) {
    std::uint64_t last = 0;
    for (const auto& r : chain.rules) {
      EXPECT_GT(r.handle, last) << "chain " << name;
      EXPECT_TRUE(seen.insert(r.handle).second) << "handle " << r.handle << " repeats";
      last = r.handle;
    }
  }
}

class FakeNftCommitterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(nft_.commit(policy::diff(absent(), small_plan())).has_value());
    before_ = digest();
  }

  std::string digest() {
    auto read = nft_.read_table("calico");
    CALICO_CHECK(read.has_value());
    return read_back_digest(*read);
  }

  // Commits `ops` expecting a refusal; checks the message and that nothing changed.
  void expect_refused(std::vector<policy::NftOp> ops, const std::string& message) {
    auto r = nft_.commit(batch_of(std::move(ops)));
    ASSERT_FALSE(r.has_value()) << "expected: " << message;
    EXPECT_EQ(r.error(), message);
    EXPECT_EQ(digest(), before_) << "a refused batch must change nothing";
  }

  void expect_ok(std::vector<policy::NftOp> ops) {
    auto r = nft_.commit(batch_of(std::move(ops)));
    ASSERT_TRUE(r.has_value()) << r.error();
  }

  FakeNftCommitter nft_;
  std::string before_;
};

TEST(FakeNftCommitterBasics, AbsentTableReadsAsNotExistingAndDeleteIsSuccess) {
  FakeNftCommitter nft;
  auto read = nft.read_table("calico");
  ASSERT_TRUE(read.has_value());
  EXPECT_FALSE(read->table_exists);
  EXPECT_EQ(read->table, "calico");
  EXPECT_TRUE(nft.delete_table("calico").has_value());
  EXPECT_EQ(nft.table("calico"), nullptr);
  EXPECT_TRUE(nft.commit(batch_of({})).has_value()) << "an empty batch is a no-op";
  EXPECT_EQ(nft.stats().commits, 0U);
}

TEST(FakeNftCommitterBasics, OpsOnAnAbsentTableAreRefused) {
  FakeNftCommitter nft;
  auto r = nft.commit(batch_of({policy::NftAddChain{"c", std::nullopt}}));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), "add chain inet calico c: No such file or directory");
  r = nft.commit(batch_of({policy::NftDeleteTable{}}));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), "delete table inet calico: No such file or directory");
  r = nft.commit(batch_of({policy::NftAddTable{}}, ""));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), "invalid table name ''");
}

TEST_F(FakeNftCommitterTest, ReadBackIsThePlanWithRulesAsHandleAndFingerprint) {
  auto read = nft_.read_table("calico");
  ASSERT_TRUE(read.has_value());
  EXPECT_TRUE(read->table_exists);
  EXPECT_EQ(read_back_digest(*read), read_back_digest(small_plan()));
  EXPECT_TRUE(policy::diff(*read, small_plan()).empty());
  const auto& fwd = read->chains.at("filter-FORWARD");
  ASSERT_EQ(fwd.rules.size(), 2U);
  EXPECT_TRUE(fwd.rules[0].matches.empty()) << "bodies are not read back";
  EXPECT_EQ(fwd.rules[0].kernel_fingerprint,
            policy::rule_fingerprint(small_plan().chains.at("filter-FORWARD").rules[0]));
  expect_increasing_handles(*read);
  // table() keeps the rules in full.
  ASSERT_NE(nft_.table("calico"), nullptr);
  EXPECT_FALSE(nft_.table("calico")->chains.at("filter-FORWARD").rules[1].matches.empty());
}

TEST_F(FakeNftCommitterTest, HandlesCountChainsSetsAndAnonymousSetsLikeTheKernel) {
  // small_plan: 2 sets + 1 map + 4 chains = 7 handles; then rules in creation order
  // (base chain first): filter-FORWARD 8, 9; pi-web: anonymous set 10 for the port list,
  // rule 11, rule 12; tw-cali1 13, 14, 15; tw-cali2 16.
  auto read = nft_.read_table("calico");
  ASSERT_TRUE(read.has_value());
  auto handles = [&](const std::string& chain) {
    std::vector<std::uint64_t> out;
    for (const auto& r : read->chains.at(chain).rules) {
      out.push_back(r.handle);
    }
    return out;
  };
  EXPECT_EQ(handles("filter-FORWARD"), (std::vector<std::uint64_t>{8, 9}));
  EXPECT_EQ(handles("pi-web"), (std::vector<std::uint64_t>{11, 12}));
  EXPECT_EQ(handles("tw-cali1"), (std::vector<std::uint64_t>{13, 14, 15}));
  EXPECT_EQ(handles("tw-cali2"), (std::vector<std::uint64_t>{16}));
}

TEST_F(FakeNftCommitterTest, FailedBatchChangesNothingAndNamesTheRule) {
  NftPlan bad = small_plan();
  bad.sets.at("pods-v4").elements.insert({cidr("10.70.0.1")});
  bad.chains.at("tw-cali2").rules.push_back(rule({tcp()}, NftVerdict::jump("no-such-chain")));
  auto have = nft_.read_table("calico");
  ASSERT_TRUE(have.has_value());
  auto r = nft_.commit(policy::diff(*have, bad));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(),
            "add rule inet calico tw-cali2 meta l4proto tcp jump no-such-chain comment \"cal:" +
                policy::rule_fingerprint(bad.chains.at("tw-cali2").rules.back()) +
                "\": No such file or directory");
  EXPECT_EQ(digest(), before_);
  EXPECT_EQ(nft_.stats().failed_commits, 1U);
}

// Errnos as Linux 6.x reports them (checked by tests/integration/netlink/fake_vs_real_nft_test).
TEST_F(FakeNftCommitterTest, AddingAnExistingObjectIsFineUnlessTheDeclarationDiffers) {
  expect_ok({policy::NftAddTable{},
             policy::NftAddSet{policy::NftSet{"pods-v4", {NftType::Ipv4Addr}, true, {}}},
             policy::NftAddMap{policy::NftMap{"to-wl", {NftType::Ifname}, {}}},
             policy::NftAddChain{"tw-cali1", std::nullopt}});
  EXPECT_EQ(digest(), before_);
  expect_refused({policy::NftAddSet{policy::NftSet{"pods-v4", {NftType::Ipv4Addr}, false, {}}}},
                 "add set inet calico pods-v4 { type ipv4_addr; }: File exists");
  expect_refused({policy::NftAddSet{policy::NftSet{"to-wl", {NftType::Ifname}, false, {}}}},
                 "add set inet calico to-wl { type ifname; }: File exists");
  expect_refused({policy::NftAddMap{policy::NftMap{"pods-v4", {NftType::Ipv4Addr}, {}}}},
                 "add map inet calico pods-v4 { type ipv4_addr : verdict; }: File exists");
  expect_refused(
      {policy::NftAddChain{
          "filter-FORWARD",
          policy::NftBaseChain{policy::NftHook::Forward, policy::NftChainType::Filter, 10, false}}},
      "add chain inet calico filter-FORWARD { type filter hook forward priority 10; policy "
      "accept; }: Operation not supported");
  expect_refused({policy::NftAddChain{"tw-cali1", policy::NftBaseChain{}}},
                 "add chain inet calico tw-cali1 { type filter hook forward priority 0; policy "
                 "accept; }: Operation not supported");
}

TEST_F(FakeNftCommitterTest, BaseChainPolicyIsUpdatedInPlace) {
  expect_ok({policy::NftAddChain{
      "filter-FORWARD",
      policy::NftBaseChain{policy::NftHook::Forward, policy::NftChainType::Filter, 0, true}}});
  EXPECT_TRUE(nft_.table("calico")->chains.at("filter-FORWARD").base->policy_drop);
  EXPECT_EQ(nft_.table("calico")->chains.at("filter-FORWARD").rules.size(), 2U);
}

TEST_F(FakeNftCommitterTest, MissingChainsAreRefused) {
  expect_refused({policy::NftFlushChain{"nope"}},
                 "flush chain inet calico nope: No such file or directory");
  expect_refused({policy::NftDeleteChain{"nope"}},
                 "delete chain inet calico nope: No such file or directory");
  expect_refused({policy::NftAddRule{"nope", rule({}, NftVerdict::accept())}},
                 "add rule inet calico nope accept comment \"cal:" +
                     policy::rule_fingerprint(rule({}, NftVerdict::accept())) +
                     "\": No such file or directory");
}

TEST_F(FakeNftCommitterTest, ReferencedChainsSetsAndMapsCannotBeDeleted) {
  const std::string busy = ": Device or resource busy";
  // pi-web is jumped to by a rule of tw-cali1; tw-cali2 only by an element of to-wl.
  expect_refused({policy::NftDeleteChain{"pi-web"}}, "delete chain inet calico pi-web" + busy);
  expect_refused({policy::NftFlushChain{"pi-web"}, policy::NftDeleteChain{"tw-cali2"}},
                 "delete chain inet calico tw-cali2" + busy);
  expect_refused({policy::NftDeleteSet{"pods-v4"}}, "delete set inet calico pods-v4" + busy);
  expect_refused({policy::NftDeleteMap{"to-wl"}}, "delete map inet calico to-wl" + busy);
  // Flushing the users first frees them; a chain's own rules go with it.
  expect_ok({policy::NftFlushChain{"tw-cali1"}, policy::NftDeleteChain{"pi-web"},
             policy::NftDeleteSet{"pods-v4"}, policy::NftDeleteSet{"np-web"}});
  expect_ok({policy::NftFlushChain{"filter-FORWARD"}, policy::NftDeleteMap{"to-wl"},
             policy::NftDeleteChain{"tw-cali2"}});
  EXPECT_EQ(nft_.table("calico")->chains.count("tw-cali2"), 0U);
  EXPECT_TRUE(nft_.table("calico")->sets.empty());
  EXPECT_TRUE(nft_.table("calico")->maps.empty());
}

TEST_F(FakeNftCommitterTest, RulesReferringToUnknownOrWrongObjectsAreRefused) {
  auto refused = [&](const policy::NftRule& r, const std::string& chain, const std::string& error) {
    const std::string text = policy::format_op("calico", policy::NftAddRule{chain, r});
    expect_refused({policy::NftAddRule{chain, r}}, text + ": " + error);
  };
  refused(rule({NftMatch::in_set({NftField::IpSaddr}, "nope")}, NftVerdict::accept()), "tw-cali2",
          "No such file or directory");
  refused(policy::nft_test::dispatch(NftField::Iifname, "nope"), "tw-cali2",
          "No such file or directory");
  refused(policy::nft_test::dispatch(NftField::Iifname, "pods-v4"), "tw-cali2", "Invalid argument");
  refused(rule({}, NftVerdict::jump("filter-FORWARD")), "tw-cali2", "Operation not supported");
  refused(rule({}, NftVerdict::go_to("tw-cali2")), "tw-cali2", "Too many links");
}

TEST_F(FakeNftCommitterTest, ElementErrorsNameTheElement) {
  policy::NftSetElements del{false, "pods-v4", {NftType::Ipv4Addr}, true, {}};
  del.elements = {{cidr("10.65.0.1")}, {cidr("10.65.0.99")}};
  expect_refused({del},
                 "delete element inet calico pods-v4 { 10.65.0.99 }: No such file or directory");

  policy::NftMapElements remap{true, "to-wl", {NftType::Ifname}, {}};
  remap.elements = {{{NftValue::ifname("cali1")}, NftVerdict::go_to("tw-cali1")},
                    {{NftValue::ifname("cali2")}, NftVerdict::go_to("tw-cali1")}};
  expect_refused({remap},
                 "add element inet calico to-wl { \"cali2\" : goto tw-cali1 }: File exists");

  policy::NftMapElements dangling{true, "to-wl", {NftType::Ifname}, {}};
  dangling.elements = {{{NftValue::ifname("cali9")}, NftVerdict::go_to("tw-cali9")}};
  expect_refused({dangling},
                 "add element inet calico to-wl { \"cali9\" : goto tw-cali9 }: No such file or "
                 "directory");

  policy::NftSetElements wrong_kind{true, "to-wl", {NftType::Ifname}, false, {}};
  wrong_kind.elements = {{NftValue::ifname("cali9")}};
  expect_refused({wrong_kind}, "add element inet calico to-wl { \"cali9\" }: Invalid argument");
}

TEST_F(FakeNftCommitterTest, IntervalSetsRefuseOverlapsButTakeAdjacentAndEqualRanges) {
  // pods-v4 holds 10.65.0.1 and 10.66.0.0/16.
  policy::NftSetElements add{true, "pods-v4", {NftType::Ipv4Addr}, true, {}};
  add.elements = {{cidr("10.64.0.0/16")}, {cidr("10.66.1.0/24")}};
  expect_refused({add}, "add element inet calico pods-v4 { 10.66.1.0/24 }: File exists");

  add.elements = {{cidr("10.66.0.0/16")}, {cidr("10.67.0.0/16")}, {cidr("10.65.0.2")}};
  expect_ok({add});
  EXPECT_EQ(nft_.table("calico")->sets.at("pods-v4").elements.size(), 4U)
      << "stored as added, like the kernel";
  auto read = nft_.read_table("calico");
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->sets.at("pods-v4").elements,
            (std::set<policy::NftKey>{{NftValue::addr_range(policy::nft_test::ip("10.65.0.1"),
                                                            policy::nft_test::ip("10.65.0.2"))},
                                      {cidr("10.66.0.0/15")}}))
      << "read back in canonical form";

  // A plain set keeps one value per element: re-adding is fine, deleting twice is not.
  policy::NftSetElements hosts{true, "np-web", np_key(), false, {}};
  hosts.elements = {{cidr("10.65.0.1"), NftValue::proto(6), NftValue::port(80)}};
  expect_ok({hosts});
  hosts.add = false;
  before_ = digest();
  expect_refused({hosts, hosts},
                 "delete element inet calico np-web { 10.65.0.1 . tcp . 80 }: No such file or "
                 "directory");
}

TEST_F(FakeNftCommitterTest, InjectedFailureNamesTheOpAndAppliesNothing) {
  nft_.fail_next_commit(EIO, 1);
  auto r = nft_.commit(
      batch_of({policy::NftAddChain{"x", std::nullopt}, policy::NftAddChain{"y", std::nullopt}}));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), "add chain inet calico y: Input/output error");
  EXPECT_EQ(digest(), before_);
  expect_ok({policy::NftAddChain{"x", std::nullopt}});
  EXPECT_EQ(nft_.table("calico")->chains.count("x"), 1U) << "only the next commit fails";
  EXPECT_EQ(nft_.stats().commits, 3U);
  EXPECT_EQ(nft_.stats().failed_commits, 1U);
  EXPECT_EQ(nft_.stats().ops_applied, policy::diff(absent(), small_plan()).ops.size() + 1);
}

TEST_F(FakeNftCommitterTest, RebuildReplacesTheTableAndRestartsHandles) {
  NftPlan want = small_plan();
  want.sets.at("pods-v4").interval = false;
  want.sets.at("pods-v4").elements = {{cidr("10.65.0.1")}};
  auto have = nft_.read_table("calico");
  ASSERT_TRUE(have.has_value());
  const NftBatch batch = policy::diff(*have, want);
  ASSERT_TRUE(std::holds_alternative<policy::NftDeleteTable>(batch.ops.at(1)));
  ASSERT_TRUE(nft_.commit(batch).has_value());
  EXPECT_EQ(digest(), read_back_digest(want));
  auto read = nft_.read_table("calico");
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->chains.at("filter-FORWARD").rules.at(0).handle, 8U);
}

TEST_F(FakeNftCommitterTest, ARuleWithoutOurCommentReadsBackAsKernelHandle) {
  auto have = nft_.read_table("calico");
  ASSERT_TRUE(have.has_value());
  // Re-adding a read-back rule (no body; its fingerprint is not one of ours) is what a
  // foreign rule looks like.
  policy::NftRule foreign = have->chains.at("tw-cali2").rules.at(0);
  foreign.kernel_fingerprint = "not-ours";
  expect_ok({policy::NftAddRule{"tw-cali2", foreign}});
  auto read = nft_.read_table("calico");
  ASSERT_TRUE(read.has_value());
  const auto& rules = read->chains.at("tw-cali2").rules;
  ASSERT_EQ(rules.size(), 2U);
  EXPECT_EQ(rules[1].kernel_fingerprint, "kernel:" + std::to_string(rules[1].handle));
  EXPECT_FALSE(policy::diff(*read, small_plan()).empty()) << "diff rewrites the chain";
}

// Random plan sequences converged with diff(read_table, want): every batch commits and
// reads back as the plan (modulo rule bodies and handles).
TEST(FakeNftCommitterDifferential, RandomPlanSequencesConverge) {
  constexpr int kSequences = 60;
  constexpr int kSteps = 12;
  std::size_t rebuilds = 0;
  std::size_t element_ops = 0;
  for (int seq = 0; seq < kSequences; ++seq) {
    std::mt19937 rng(static_cast<std::mt19937::result_type>(1000 + seq));
    FakeNftCommitter nft;
    for (int step = 0; step < kSteps; ++step) {
      SCOPED_TRACE("sequence " + std::to_string(seq) + " step " + std::to_string(step));
      const NftPlan want = random_nft_plan(rng, "calico");
      auto valid = policy::validate(want);
      ASSERT_TRUE(valid.has_value()) << valid.error() << "\n" << policy::to_nft_text(want);
      auto have = nft.read_table("calico");
      ASSERT_TRUE(have.has_value());
      const NftBatch batch = policy::diff(*have, want);
      for (const auto& op : batch.ops) {
        rebuilds += std::holds_alternative<policy::NftDeleteTable>(op) ? 1 : 0;
        element_ops += std::holds_alternative<policy::NftSetElements>(op) ? 1 : 0;
      }
      auto done = nft.commit(batch);
      ASSERT_TRUE(done.has_value()) << done.error() << "\nbatch:\n" << policy::to_nft_text(batch);
      auto after = nft.read_table("calico");
      ASSERT_TRUE(after.has_value());
      EXPECT_EQ(read_back_digest(*after), read_back_digest(want));
      EXPECT_TRUE(policy::diff(*after, want).empty());
      expect_increasing_handles(*after);
    }
  }
  // The generator must exercise the interesting paths.
  EXPECT_GT(rebuilds, 5U);
  EXPECT_GT(element_ops, 100U);
}

}  // namespace
}  // namespace calico::testlib
