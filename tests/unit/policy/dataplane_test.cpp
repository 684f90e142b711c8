// PolicyDataplane (policy/dataplane.h) over the in-memory committer: after every apply the
// desired plan equals compile() of the same model, the "kernel" holds exactly that plan,
// and each transaction touches only what changed (a label change = set elements only).
#include "policy/dataplane.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "policy/compile.h"
#include "tests/lib/fake_nft_committer.h"
#include "tests/lib/netpol_cases.h"
#include "tests/lib/nft_sim.h"

namespace calico::policy {
namespace {

namespace netpol = testlib::netpol;

// Records every committed batch.
class RecordingCommitter final : public NftCommitter {
 public:
  Result<void, std::string> commit(const NftBatch& batch) override {
    batches.push_back(batch);
    return fake.commit(batch);
  }
  Result<NftPlan, std::string> read_table(const std::string& name) override {
    return fake.read_table(name);
  }
  Result<void, std::string> delete_table(const std::string& name) override {
    return fake.delete_table(name);
  }
  testlib::FakeNftCommitter fake;
  std::vector<NftBatch> batches;
};

using netpol::pod_iface;

std::vector<LocalEndpoint> all_local() {
  return netpol::local_endpoints();
}

std::string iface_for(const EndpointKey& key) {
  for (std::size_t i = 0; i < netpol::kPodCount; ++i) {
    if (netpol::pod_key(i) == key) {
      return pod_iface(i);
    }
  }
  return "";
}

// Makes the dataplane's model equal to `want`, given that it currently holds `have`.
void sync_model(PolicyDataplane& dp, const PolicySet& have, const PolicySet& want) {
  std::set<std::string> keep;
  for (const auto& p : want.policies) {
    dp.upsert_policy(p);
    keep.insert(std::to_string(static_cast<int>(p.kind)) + p.ns + "/" + p.name);
  }
  for (const auto& p : have.policies) {
    if (keep.count(std::to_string(static_cast<int>(p.kind)) + p.ns + "/" + p.name) == 0) {
      dp.remove_policy(p.kind, p.ns, p.name);
    }
  }
  keep.clear();
  for (const auto& t : want.tiers) {
    dp.upsert_tier(t);
    keep.insert(t.name);
  }
  for (const auto& t : have.tiers) {
    if (keep.count(t.name) == 0) {
      dp.remove_tier(t.name);
    }
  }
  for (const auto& p : want.profiles) {
    dp.upsert_profile(p);
  }
  for (const auto& e : want.endpoints) {
    dp.upsert_endpoint(e, iface_for(e.key()));
  }
  keep.clear();
  for (const auto& s : want.network_sets) {
    dp.upsert_network_set(s);
    keep.insert(s.ns + "/" + s.name);
  }
  for (const auto& s : have.network_sets) {
    if (keep.count(s.ns + "/" + s.name) == 0) {
      dp.remove_network_set(s.ns, s.name);
    }
  }
}

// The lines only one of the texts has ("-" expected, "+" got).
std::string line_diff(const std::string& want, const std::string& got) {
  const auto lines = [](const std::string& t) {
    std::multiset<std::string> out;
    std::size_t start = 0;
    while (start < t.size()) {
      const std::size_t end = t.find('\n', start);
      out.insert(t.substr(start, end - start));
      start = end == std::string::npos ? t.size() : end + 1;
    }
    return out;
  };
  const auto a = lines(want);
  const auto b = lines(got);
  std::string out;
  for (const auto& l : a) {
    if (a.count(l) > b.count(l)) {
      out += "- " + l + "\n";
    }
  }
  for (const auto& l : b) {
    if (b.count(l) > a.count(l)) {
      out += "+ " + l + "\n";
    }
  }
  return out;
}

void expect_kernel_equals(RecordingCommitter& c, const NftPlan& plan) {
  auto have = c.read_table(plan.table);
  ASSERT_TRUE(have) << have.error();
  const NftBatch rest = diff(*have, plan);
  EXPECT_TRUE(rest.empty()) << "kernel differs from the desired plan:\n" << to_nft_text(rest);
}

TEST(PolicyDataplane, EveryNetpolStepIncrementallyEqualsCompile) {
  RecordingCommitter c;
  PolicyDataplane dp(c);
  PolicySet have;
  std::size_t steps = 0;
  for (const auto& cs : netpol::cases()) {
    for (std::size_t i = 0; i < cs.steps.size(); ++i) {
      SCOPED_TRACE(cs.name + " step " + std::to_string(i));
      auto want = netpol::build_policy_set(cs.steps[i]);
      ASSERT_TRUE(want) << want.error();
      sync_model(dp, have, *want);
      auto applied = dp.apply();
      ASSERT_TRUE(applied) << applied.error();
      EXPECT_EQ(applied->full_resync, steps == 0);
      auto full = compile(*want, all_local());
      ASSERT_TRUE(full) << full.error();
      ASSERT_TRUE(to_nft_text(dp.plan()) == to_nft_text(*full))
          << line_diff(to_nft_text(*full), to_nft_text(dp.plan()));
      expect_kernel_equals(c, dp.plan());
      have = std::move(*want);
      ++steps;
    }
  }
  EXPECT_GT(steps, 65U);
}

class PolicyDataplaneFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    netpol::Step step;
    step.resources = netpol::np("x", "allow-b",
                                "{selector: pod == 'a', ingress: [{action: Allow, source: "
                                "{selector: pod == 'b'}}]}");
    auto s = netpol::build_policy_set(step);
    ASSERT_TRUE(s) << s.error();
    set_ = *s;
    sync_model(dp_, PolicySet{}, set_);
    auto applied = dp_.apply();
    ASSERT_TRUE(applied) << applied.error();
    c_.batches.clear();
  }

  // The kinds of op in the last batch.
  std::set<std::string> last_op_kinds() const {
    std::set<std::string> out;
    if (c_.batches.empty()) {
      return out;
    }
    for (const auto& op : c_.batches.back().ops) {
      out.insert(format_op("calico", op).substr(0, format_op("calico", op).find(" inet")));
    }
    return out;
  }

  bool only_elements() const {
    const auto kinds = last_op_kinds();
    return !kinds.empty() && std::all_of(kinds.begin(), kinds.end(), [](const std::string& k) {
      return k == "add element" || k == "delete element";
    });
  }

  RecordingCommitter c_;
  PolicyDataplane dp_{c_};
  PolicySet set_;
};

TEST_F(PolicyDataplaneFixture, LabelChangeIsOnlySetElements) {
  Endpoint yc = *set_.find_endpoint({"y", "c"});
  yc.labels = {{"pod", "b"}};
  dp_.upsert_endpoint(yc, iface_for(yc.key()));
  auto applied = dp_.apply();
  ASSERT_TRUE(applied) << applied.error();
  // y/c is in namespace y: the x-scoped selector does not take it, nothing to do.
  EXPECT_EQ(applied->ops, 0U);
  EXPECT_TRUE(c_.batches.empty());
  // x/c is:
  Endpoint xc = *set_.find_endpoint({"x", "c"});
  xc.labels = {{"pod", "b"}};
  dp_.upsert_endpoint(xc, iface_for(xc.key()));
  applied = dp_.apply();
  ASSERT_TRUE(applied) << applied.error();
  ASSERT_EQ(c_.batches.size(), 1U);
  // Interval sets merge adjacent addresses (10.65.0.11 + .12 -> .11-.12), so an
  // addition can also replace a range; either way only elements change.
  EXPECT_TRUE(only_elements()) << to_nft_text(c_.batches.back());
  // A remote pod joining the selector: one element.
  c_.batches.clear();
  Endpoint remote;
  remote.ns = "x";
  remote.name = "remote";
  remote.labels = {{"pod", "b"}};
  remote.addrs = {*net::IpAddr::parse("10.66.0.5")};
  remote.profiles = {"kns.x"};
  dp_.upsert_endpoint(remote, "");
  ASSERT_TRUE(dp_.apply());
  ASSERT_EQ(c_.batches.size(), 1U);
  EXPECT_EQ(last_op_kinds(), (std::set<std::string>{"add element"}))
      << to_nft_text(c_.batches.back());
  EXPECT_LE(c_.batches.back().ops.size(), 2U);
  // And leaving it: element deletion only.
  c_.batches.clear();
  dp_.remove_endpoint(remote.key());
  ASSERT_TRUE(dp_.apply());
  EXPECT_EQ(last_op_kinds(), (std::set<std::string>{"delete element"}))
      << to_nft_text(c_.batches.back());
  expect_kernel_equals(c_, dp_.plan());
}

TEST_F(PolicyDataplaneFixture, PolicyRuleChangeRewritesOnlyThatPolicyChain) {
  Policy p = set_.policies.front();
  p.ingress.front().protocol = kProtoTcp;
  dp_.upsert_policy(p);
  auto applied = dp_.apply();
  ASSERT_TRUE(applied) << applied.error();
  ASSERT_EQ(c_.batches.size(), 1U);
  std::set<std::string> chains;
  for (const auto& op : c_.batches.back().ops) {
    if (const auto* f = std::get_if<NftFlushChain>(&op)) {
      chains.insert(f->name);
    } else if (const auto* r = std::get_if<NftAddRule>(&op)) {
      chains.insert(r->chain);
    } else {
      ADD_FAILURE() << "unexpected op " << format_op("calico", op);
    }
  }
  EXPECT_EQ(chains, (std::set<std::string>{"pi-np/x/allow-b"}));
  expect_kernel_equals(c_, dp_.plan());
}

TEST_F(PolicyDataplaneFixture, RemovingThePolicyRemovesItsChainAndSets) {
  dp_.remove_policy(PolicyKind::NetworkPolicy, "x", "allow-b");
  ASSERT_TRUE(dp_.apply());
  EXPECT_EQ(dp_.plan().chains.count("pi-np/x/allow-b"), 0U);
  EXPECT_TRUE(dp_.plan().sets.empty());
  expect_kernel_equals(c_, dp_.plan());
  auto full = compile(set_, {});
  ASSERT_TRUE(full);
}

TEST_F(PolicyDataplaneFixture, FailedCommitIsReportedAndTheNextApplyResyncs) {
  c_.fake.fail_next_commit(EBUSY);
  Endpoint xc = *set_.find_endpoint({"x", "c"});
  xc.labels = {{"pod", "b"}};
  dp_.upsert_endpoint(xc, iface_for(xc.key()));
  auto failed = dp_.apply();
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().find("busy"), std::string::npos) << failed.error();
  auto again = dp_.apply();
  ASSERT_TRUE(again) << again.error();
  EXPECT_TRUE(again->full_resync);
  expect_kernel_equals(c_, dp_.plan());
}

TEST(PolicyDataplane, FirstApplyRemovesStaleObjectsOfAnEarlierRun) {
  RecordingCommitter c;
  NftPlan stale;
  stale.add_chain("fw-calistale").rules.push_back(NftRule{});
  stale.add_set("s4-stale", {NftType::Ipv4Addr}, true)
      .elements.insert({NftValue::addr(*net::IpAddr::parse("10.9.9.9"))});
  NftPlan absent;
  absent.table_exists = false;
  ASSERT_TRUE(c.commit(diff(absent, stale)));
  PolicyDataplane dp(c);
  const netpol::Step empty;
  auto set = netpol::build_policy_set(empty);
  ASSERT_TRUE(set);
  sync_model(dp, PolicySet{}, *set);
  auto applied = dp.apply();
  ASSERT_TRUE(applied) << applied.error();
  EXPECT_TRUE(applied->full_resync);
  const NftPlan* kernel = c.fake.table("calico");
  ASSERT_NE(kernel, nullptr);
  EXPECT_EQ(kernel->chains.count("fw-calistale"), 0U);
  EXPECT_EQ(kernel->sets.count("s4-stale"), 0U);
  expect_kernel_equals(c, dp.plan());
  // Nothing changed: the next apply commits nothing.
  c.batches.clear();
  auto idle = dp.apply();
  ASSERT_TRUE(idle);
  EXPECT_EQ(idle->ops, 0U);
}

}  // namespace
}  // namespace calico::policy
