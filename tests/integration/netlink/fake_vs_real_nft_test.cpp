// testlib::FakeNftCommitter against the kernel: the same batches applied to the fake and
// to netlink::NftCommitter in a fresh network namespace must read back the same (rule
// fingerprints and handles, set and map elements, declarations), and a batch the kernel
// refuses must be refused by the fake with the same message.  This is what lets unit
// tests trust the fake.
#include <cerrno>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "netlink/nft_committer.h"
#include "policy/nft_model.h"
#include "tests/lib/fake_nft_committer.h"
#include "tests/lib/netns.h"
#include "tests/lib/process.h"
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

// chain -> rule handles, in order.
std::map<std::string, std::vector<std::uint64_t>> handles(const NftPlan& read) {
  std::map<std::string, std::vector<std::uint64_t>> out;
  for (const auto& [name, chain] : read.chains) {
    for (const auto& r : chain.rules) {
      out[name].push_back(r.handle);
    }
  }
  return out;
}

class FakeVsRealNftTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(ns_.ok()) << ns_.error();
    auto c = netlink::NftCommitter::open(ns_.name());
    ASSERT_TRUE(c.has_value()) << c.error();
    real_ = std::move(*c);
  }

  // Both read-backs of `table`, checked equal; returns the real one.
  NftPlan read_both(const std::string& table) {
    auto real = real_->read_table(table);
    auto fake = fake_.read_table(table);
    CALICO_CHECK(real.has_value() && fake.has_value());
    EXPECT_EQ(read_back_digest(*fake), read_back_digest(*real));
    EXPECT_EQ(handles(*fake), handles(*real));
    return *real;
  }

  // Commits `batch` to both; the outcomes (success, or the error text) must be equal.
  // Returns true on success.
  bool commit_both(const NftBatch& batch) {
    auto real = real_->commit(batch);
    auto fake = fake_.commit(batch);
    EXPECT_EQ(real.has_value(), fake.has_value())
        << "real: " << (real ? "ok" : real.error()) << "\nfake: " << (fake ? "ok" : fake.error())
        << "\nbatch:\n"
        << policy::to_nft_text(batch);
    if (!real && !fake) {
      EXPECT_EQ(fake.error(), real.error());
    }
    return real.has_value() && fake.has_value();
  }

  NetNs ns_;
  std::unique_ptr<netlink::NftCommitter> real_;
  FakeNftCommitter fake_;
};

TEST_F(FakeVsRealNftTest, RandomPlanSequencesReadBackTheSame) {
  constexpr int kSequences = 20;
  constexpr int kSteps = 12;
  for (int seq = 0; seq < kSequences; ++seq) {
    std::mt19937 rng(static_cast<std::mt19937::result_type>(2000 + seq));
    const std::string table = "calf" + std::to_string(seq);
    for (int step = 0; step < kSteps; ++step) {
      SCOPED_TRACE("sequence " + std::to_string(seq) + " step " + std::to_string(step));
      const NftPlan want = random_nft_plan(rng, table);
      const NftPlan have = read_both(table);
      const NftBatch batch = policy::diff(have, want);
      ASSERT_TRUE(commit_both(batch));
      const NftPlan after = read_both(table);
      EXPECT_EQ(read_back_digest(after), read_back_digest(want));
      if (HasFailure()) {
        return;  // one diverging sequence tells the story; the rest would repeat it
      }
    }
    ASSERT_TRUE(real_->delete_table(table).has_value());
    ASSERT_TRUE(fake_.delete_table(table).has_value());
  }
}

TEST_F(FakeVsRealNftTest, RefusalsMatchTheKernel) {
  const std::string table = "calr";
  NftPlan base = policy::nft_test::small_plan();
  base.table = table;
  ASSERT_TRUE(commit_both(policy::diff(read_both(table), base)));
  read_both(table);

  auto batch = [&](std::vector<policy::NftOp> ops) {
    NftBatch b;
    b.table = table;
    b.ops = std::move(ops);
    return b;
  };
  policy::NftSetElements missing{false, "pods-v4", {NftType::Ipv4Addr}, true, {}};
  missing.elements = {{cidr("10.65.0.1")}, {cidr("10.65.0.99")}};
  policy::NftSetElements overlap{true, "pods-v4", {NftType::Ipv4Addr}, true, {}};
  overlap.elements = {{cidr("10.64.0.0/16")}, {cidr("10.66.1.0/24")}};
  policy::NftMapElements remap{true, "to-wl", {NftType::Ifname}, {}};
  remap.elements = {{{NftValue::ifname("cali1")}, NftVerdict::go_to("tw-cali1")},
                    {{NftValue::ifname("cali2")}, NftVerdict::go_to("tw-cali1")}};
  policy::NftMapElements dangling{true, "to-wl", {NftType::Ifname}, {}};
  dangling.elements = {{{NftValue::ifname("cali9")}, NftVerdict::go_to("tw-cali9")}};
  policy::NftSetElements wrong_kind{true, "to-wl", {NftType::Ifname}, false, {}};
  wrong_kind.elements = {{NftValue::ifname("cali9")}};
  const std::vector<NftType> np_key = {NftType::Ipv4Addr, NftType::InetProto, NftType::InetService};
  policy::NftSetElements interval_on_plain{true, "np-web", np_key, true, {}};
  interval_on_plain.elements = {{cidr("10.65.0.9"), NftValue::proto(6), NftValue::port(80)}};
  policy::NftSetElements wrong_key{true, "pods-v4", {NftType::Ipv6Addr}, true, {}};
  wrong_key.elements = {{cidr("fd00::1")}};

  std::vector<NftBatch> refused = {
      batch({policy::NftAddSet{policy::NftSet{"pods-v4", {NftType::Ipv4Addr}, false, {}}}}),
      batch({policy::NftAddMap{policy::NftMap{"pods-v4", {NftType::Ipv4Addr}, {}}}}),
      batch({policy::NftAddChain{"filter-FORWARD",
                                 policy::NftBaseChain{policy::NftHook::Forward,
                                                      policy::NftChainType::Filter, 10, false}}}),
      batch({policy::NftAddChain{
          "filter-FORWARD",
          policy::NftBaseChain{policy::NftHook::Input, policy::NftChainType::Filter, 0, false}}}),
      batch({policy::NftAddChain{"tw-cali1", policy::NftBaseChain{}}}),
      batch({policy::NftFlushChain{"nope"}}),
      batch({policy::NftDeleteChain{"nope"}}),
      batch({policy::NftDeleteSet{"nope"}}),
      batch({policy::NftDeleteChain{"pi-web"}}),
      batch({policy::NftFlushChain{"pi-web"}, policy::NftDeleteChain{"tw-cali2"}}),
      batch({policy::NftDeleteSet{"pods-v4"}}),
      batch({policy::NftDeleteMap{"to-wl"}}),
      batch({policy::NftAddRule{"nope", rule({}, NftVerdict::accept())}}),
      batch({policy::NftAddRule{"tw-cali2", rule({NftMatch::in_set({NftField::IpSaddr}, "nope")},
                                                 NftVerdict::accept())}}),
      batch(
          {policy::NftAddRule{"tw-cali2", policy::nft_test::dispatch(NftField::Iifname, "nope")}}),
      batch({policy::NftAddRule{"tw-cali2", rule({}, NftVerdict::jump("no-such-chain"))}}),
      batch({policy::NftAddRule{"tw-cali2", rule({}, NftVerdict::jump("filter-FORWARD"))}}),
      batch({policy::NftAddRule{"tw-cali2", rule({}, NftVerdict::go_to("tw-cali2"))}}),
      batch({policy::NftAddRule{"tw-cali2",
                                policy::nft_test::dispatch(NftField::Iifname, "pods-v4")}}),
      batch({wrong_kind}),
      batch({interval_on_plain}),
      batch({wrong_key}),
      batch({missing}),
      batch({overlap}),
      batch({remap}),
      batch({dangling}),
  };
  NftBatch no_table = batch({policy::NftAddChain{"c", std::nullopt}});
  no_table.table = "calnone";
  refused.push_back(no_table);
  no_table.ops = {policy::NftDeleteTable{}};
  refused.push_back(no_table);
  for (const NftBatch& b : refused) {
    SCOPED_TRACE(policy::to_nft_text(b));
    EXPECT_FALSE(commit_both(b));
    read_both(table);
  }

  // And what both accept: re-adding existing objects, adjacent and equal ranges, a base
  // chain policy update, deleting what nothing refers to any more.
  policy::NftSetElements adjacent{true, "pods-v4", {NftType::Ipv4Addr}, true, {}};
  adjacent.elements = {{cidr("10.66.0.0/16")}, {cidr("10.67.0.0/16")}, {cidr("10.65.0.2")}};
  const std::vector<NftBatch> accepted = {
      batch({policy::NftAddTable{},
             policy::NftAddSet{policy::NftSet{"pods-v4", {NftType::Ipv4Addr}, true, {}}},
             policy::NftAddMap{policy::NftMap{"to-wl", {NftType::Ifname}, {}}},
             policy::NftAddChain{"tw-cali1", std::nullopt}}),
      batch({adjacent}),
      batch({policy::NftAddChain{
          "filter-FORWARD",
          policy::NftBaseChain{policy::NftHook::Forward, policy::NftChainType::Filter, 0, true}}}),
      batch({policy::NftFlushChain{"tw-cali1"}, policy::NftDeleteChain{"pi-web"},
             policy::NftDeleteSet{"pods-v4"}, policy::NftDeleteSet{"np-web"}}),
      batch({policy::NftFlushChain{"filter-FORWARD"}, policy::NftDeleteMap{"to-wl"},
             policy::NftDeleteChain{"tw-cali2"}}),
  };
  for (const NftBatch& b : accepted) {
    SCOPED_TRACE(policy::to_nft_text(b));
    EXPECT_TRUE(commit_both(b));
    read_both(table);
  }
}

}  // namespace
}  // namespace calico::testlib
