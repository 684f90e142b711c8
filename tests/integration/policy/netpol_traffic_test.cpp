// Every NetworkPolicy case of tests/lib/netpol_cases.h replayed on real traffic: the nine
// pods of the Kubernetes e2e layout in network namespaces (tests/lib/pod_net.h), each step's
// policy compiled (policy/compile.h) for all nine local endpoints, committed as one
// transaction in the host namespace, and the TCP and UDP probe matrix measured and compared
// with the step's expectation and with the reference evaluator (netpol::evaluate).
//
// The network is built once per test binary (SharedCluster) and torn down by a global test
// environment.  Tests:
//   Cases/NetpolCase.Replay/<case>   one per case: every step, diffed against the table
//                                     read back from the kernel;
//   NetpolTraffic.IncrementalSequence all steps of all cases as one sequence, each diffed
//                                     from the previous step's plan, then table deletion;
//   NetpolTraffic.SctpProbes          the SCTP column; skipped (reported as skipped) when
//                                     the kernel has no SCTP;
//   NetpolLongFlow.*                  an established flow survives a policy change.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <memory>
#include <ostream>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "netlink/nft_committer.h"
#include "policy/compile.h"
#include "policy/nft_model.h"
#include "tests/lib/netns.h"
#include "tests/lib/netpol_cases.h"
#include "tests/lib/pod_net.h"

namespace calico::testlib {

namespace netpol {
// gtest prints a parameter in test listings (and CTest names): the case name, not bytes.
void PrintTo(const Case& c, std::ostream* os) {  // NOLINT(readability-identifier-naming)
  *os << c.name;
}
}  // namespace netpol

namespace {

using namespace std::chrono_literals;
using netpol::Reachability;
using policy::NftPlan;

constexpr unsigned kMeasuredNoSctp = netpol::kTcp | netpol::kUdp;

// ---- The shared nine-pod cluster ---------------------------------------------------------

struct Cluster {
  std::unique_ptr<PodNetwork> net;
  std::unique_ptr<netlink::NftCommitter> committer;
  std::vector<policy::LocalEndpoint> local;
  std::string error;  // why the cluster could not be built
};

Cluster& cluster() {
  static Cluster c;
  return c;
}

void build_cluster() {
  Cluster& c = cluster();
  if (c.net || !c.error.empty()) {
    return;
  }
  std::vector<PodSpec> pods;
  for (std::size_t i = 0; i < netpol::kPodCount; ++i) {
    pods.push_back({netpol::pod_id(i), netpol::pod_ip_text(i), ""});
  }
  auto net = PodNetwork::create(std::move(pods));
  if (!net) {
    c.error = net.error();
    return;
  }
  auto committer = netlink::NftCommitter::open((*net)->host().name());
  if (!committer) {
    c.error = committer.error();
    return;
  }
  c.net = std::move(*net);
  c.committer = std::move(*committer);
  for (std::size_t i = 0; i < netpol::kPodCount; ++i) {
    c.local.push_back({netpol::pod_key(i), c.net->iface(i)});
  }
}

class ClusterEnvironment : public ::testing::Environment {
 public:
  void TearDown() override {
    Cluster& c = cluster();
    c.committer.reset();
    if (c.net) {
      const auto names = c.net->netns_names();
      c.net->destroy();
      for (const auto& n : names) {
        EXPECT_FALSE(netns_exists(n)) << "namespace " << n << " left behind";
      }
      c.net.reset();
    }
  }
};

[[maybe_unused]] ::testing::Environment* const cluster_environment =
    ::testing::AddGlobalTestEnvironment(new ClusterEnvironment);

class SharedCluster : public ::testing::Test {
 public:
  static void SetUpTestSuite() { build_cluster(); }

 protected:
  void SetUp() override {
    ASSERT_TRUE(cluster().error.empty()) << "pod network: " << cluster().error;
    ASSERT_NE(cluster().net, nullptr);
  }
  PodNetwork& net() { return *cluster().net; }
  netlink::NftCommitter& committer() { return *cluster().committer; }
};

// ---- Checks ------------------------------------------------------------------------------

// `nft -j list ruleset` in the host namespace: exactly one table, ours, family inet.
void expect_only_our_table(const PodNetwork& pods) {
  const auto r = pods.host().exec({"nft", "-j", "list", "ruleset"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto doc = nlohmann::json::parse(r.output, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << "nft -j output is not JSON:\n" << r.output;
  ASSERT_TRUE(doc.contains("nftables") && doc["nftables"].is_array()) << r.output;
  std::vector<std::string> tables;
  for (const auto& item : doc["nftables"]) {
    if (item.contains("table")) {
      tables.push_back(item["table"].value("family", "?") + " " + item["table"].value("name", "?"));
    }
  }
  EXPECT_EQ(tables, std::vector<std::string>{"inet calico"});
}

// Whether any rule of the step's policies names SCTP (protocol or notProtocol 132).
bool mentions_sctp(const policy::PolicySet& set) {
  const auto sctp = [](const policy::Rule& r) {
    return r.protocol == policy::kProtoSctp || r.not_protocol == policy::kProtoSctp;
  };
  return std::any_of(set.policies.begin(), set.policies.end(), [&](const policy::Policy& p) {
    return std::any_of(p.ingress.begin(), p.ingress.end(), sctp) ||
           std::any_of(p.egress.begin(), p.egress.end(), sctp);
  });
}

// "meta l4proto sctp", "meta l4proto != { tcp, sctp }" or a concatenation key starting
// with the protocol ("meta l4proto . th dport { sctp . 80 }").  Chain names may contain
// "sctp" (pi-knp/x/sctp), so the word alone proves nothing.
bool text_has_sctp_rule(const std::string& text) {
  static const std::regex sctp_rule(
      R"(l4proto (!= )?(sctp|132)\b|l4proto (!= )?\{[^}\n]*\b(sctp|132)\b|)"
      R"(l4proto \. [^\n]*\{[^}\n]*\b(sctp|132) \.)");
  return std::regex_search(text, sctp_rule);
}

// Probes every (from, to) pair for the probes in `mask`; cells outside `mask` are copied
// from `base`, so comparisons only see what was measured.
Reachability measure(PodNetwork& pods, unsigned mask, const Reachability& base,
                     std::string* errors) {
  std::vector<PodProbe> probes;
  std::vector<std::size_t> kind;
  for (std::size_t p = 0; p < netpol::kProbes.size(); ++p) {
    if ((mask & (1U << p)) == 0) {
      continue;
    }
    for (std::size_t f = 0; f < netpol::kPodCount; ++f) {
      for (std::size_t t = 0; t < netpol::kPodCount; ++t) {
        probes.push_back({f, t, netpol::kProbes[p].protocol, netpol::kProbes[p].port, false});
        kind.push_back(p);
      }
    }
  }
  const auto results = pods.probe_all(probes);
  Reachability out = base;
  for (std::size_t i = 0; i < probes.size(); ++i) {
    out.put(kind[i], probes[i].from, probes[i].to, results[i].allowed());
    if (results[i].outcome == ProbeOutcome::Error ||
        results[i].outcome == ProbeOutcome::Unsupported) {
      *errors += netpol::pod_id(probes[i].from) + " -> " + netpol::pod_id(probes[i].to) + " " +
                 std::string(netpol::kProbes[kind[i]].name) + ": " +
                 std::string(to_string(results[i].outcome)) + " " + results[i].detail + "\n";
    }
  }
  return out;
}

// A probe that was denied although `a` or `b` allows it is probed once more with a long
// timeout before it counts as a failure: on a loaded machine an echo can be late, while
// an unexpected "allowed" can never be a timing artefact.  Prints what a retry changed.
void confirm_denials(PodNetwork& pods, unsigned mask, const Reachability& a, const Reachability& b,
                     Reachability& observed) {
  std::vector<PodProbe> probes;
  std::vector<std::size_t> kind;
  for (std::size_t p = 0; p < netpol::kProbes.size(); ++p) {
    for (std::size_t f = 0; (mask & (1U << p)) != 0 && f < netpol::kPodCount; ++f) {
      for (std::size_t t = 0; t < netpol::kPodCount; ++t) {
        if (!observed.allowed(p, f, t) && (a.allowed(p, f, t) || b.allowed(p, f, t))) {
          probes.push_back({f, t, netpol::kProbes[p].protocol, netpol::kProbes[p].port, false});
          kind.push_back(p);
        }
      }
    }
  }
  if (probes.empty()) {
    return;
  }
  const auto results = pods.probe_all(probes, 1500ms);
  for (std::size_t i = 0; i < probes.size(); ++i) {
    if (results[i].allowed()) {
      observed.put(kind[i], probes[i].from, probes[i].to, true);
      std::printf("note: %s -> %s %s allowed only with a longer timeout (%lld us)\n",
                  netpol::pod_id(probes[i].from).c_str(), netpol::pod_id(probes[i].to).c_str(),
                  std::string(netpol::kProbes[kind[i]].name).c_str(),
                  static_cast<long long>(results[i].elapsed.count()));
    }
  }
}

std::string origins_text(const policy::SetOrigins& origins) {
  std::string out;
  for (const auto& [name, origin] : origins) {
    out.append("  ").append(name).append(": ").append(origin).append("\n");
  }
  return out;
}

// Makes the cluster state equal to `step` and checks the traffic.  `have` is what is
// programmed now (the kernel's read-back, or the previous step's plan); the plan
// committed is returned in `programmed`.  Fatal failures abort the step.
void run_step(PodNetwork& pods, netlink::NftCommitter& committer, const std::string& label,
              const netpol::Step& step, const NftPlan& have, NftPlan& programmed,
              unsigned mask = kMeasuredNoSctp) {
  SCOPED_TRACE(label);
  auto set = netpol::build_policy_set(step);
  ASSERT_TRUE(set.has_value()) << set.error();
  policy::SetOrigins origins;
  auto plan = policy::compile(*set, cluster().local, {}, &origins);
  ASSERT_TRUE(plan.has_value()) << "compile: " << plan.error();
  const auto valid = policy::validate(*plan);
  ASSERT_TRUE(valid.has_value()) << "validate: " << valid.error() << "\n"
                                 << policy::to_nft_text(*plan);
  const std::string text = policy::to_nft_text(*plan);
  const auto batch = policy::diff(have, *plan);
  const auto committed = committer.commit(batch);
  ASSERT_TRUE(committed.has_value()) << "commit: " << committed.error() << "\nbatch:\n"
                                     << policy::to_nft_text(batch) << "\nplan:\n"
                                     << text;
  programmed = *plan;
  expect_only_our_table(pods);
  if (mentions_sctp(*set)) {
    EXPECT_TRUE(text_has_sctp_rule(text)) << "a policy names SCTP but no rule matches it:\n"
                                          << text;
  }

  const Reachability evaluated = netpol::evaluate(*set);
  EXPECT_EQ(evaluated, step.expected)
      << "the reference evaluator disagrees with the case table (expected -> evaluated):\n"
      << evaluated.diff_from(step.expected);

  std::string errors;
  Reachability observed = measure(pods, mask, step.expected, &errors);
  EXPECT_TRUE(errors.empty()) << "probe errors:\n" << errors;
  confirm_denials(pods, mask, step.expected, evaluated, observed);
  Reachability observed_vs_eval = evaluated;
  for (std::size_t p = 0; p < netpol::kProbes.size(); ++p) {
    if ((mask & (1U << p)) == 0) {
      continue;
    }
    for (std::size_t f = 0; f < netpol::kPodCount; ++f) {
      for (std::size_t t = 0; t < netpol::kPodCount; ++t) {
        observed_vs_eval.put(p, f, t, observed.allowed(p, f, t));
      }
    }
  }
  const bool ok_expected = observed == step.expected;
  const bool ok_evaluated = observed_vs_eval == evaluated;
  EXPECT_TRUE(ok_expected) << "traffic differs from the expected matrix (+ allowed but "
                              "expected denied, - denied but expected allowed):\n"
                           << observed.diff_from(step.expected);
  EXPECT_TRUE(ok_evaluated) << "traffic differs from the reference evaluator:\n"
                            << observed_vs_eval.diff_from(evaluated);
  if (!ok_expected || !ok_evaluated) {
    ADD_FAILURE() << "plan of " << label << ":\n" << text << "sets:\n" << origins_text(origins);
  }
}

std::string param_name(const ::testing::TestParamInfo<netpol::Case>& info) {
  std::string out = info.param.name;
  std::replace_if(
      out.begin(), out.end(),
      [](char c) { return std::isalnum(static_cast<unsigned char>(c)) == 0; }, '_');
  return out;
}

// ---- One test per case -------------------------------------------------------------------

class NetpolCase : public SharedCluster, public ::testing::WithParamInterface<netpol::Case> {};

TEST_P(NetpolCase, Replay) {
  const netpol::Case& c = GetParam();
  RecordProperty("description", c.description);
  for (std::size_t s = 0; s < c.steps.size(); ++s) {
    auto have = committer().read_table("calico");
    ASSERT_TRUE(have.has_value()) << have.error();
    NftPlan programmed;
    run_step(net(), committer(), c.name + " step " + std::to_string(s + 1), c.steps[s], *have,
             programmed);
    if (HasFatalFailure()) {
      return;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, NetpolCase, ::testing::ValuesIn(netpol::cases()), param_name);

// ---- The whole table as one incremental sequence -----------------------------------------

class NetpolTraffic : public SharedCluster {};

TEST_F(NetpolTraffic, IncrementalSequence) {
  auto have = committer().read_table("calico");
  ASSERT_TRUE(have.has_value()) << have.error();
  NftPlan previous = *have;
  std::size_t steps = 0;
  for (const auto& c : netpol::cases()) {
    for (std::size_t s = 0; s < c.steps.size(); ++s) {
      const std::string label = c.name + " step " + std::to_string(s + 1);
      NftPlan programmed;
      run_step(net(), committer(), label, c.steps[s], previous, programmed);
      if (HasFatalFailure()) {
        return;
      }
      previous = std::move(programmed);
      ++steps;
      // What the kernel holds is what we think it holds: nothing left to do.
      auto back = committer().read_table("calico");
      ASSERT_TRUE(back.has_value()) << back.error();
      const auto rest = policy::diff(*back, previous);
      EXPECT_TRUE(rest.empty()) << label << ": kernel differs from the plan:\n"
                                << policy::to_nft_text(rest);
    }
  }
  std::printf("%zu steps applied incrementally\n", steps);

  ASSERT_TRUE(committer().delete_table("calico").has_value());
  std::string errors;
  const Reachability all(true);
  Reachability observed = measure(net(), kMeasuredNoSctp, all, &errors);
  EXPECT_TRUE(errors.empty()) << errors;
  confirm_denials(net(), kMeasuredNoSctp, all, all, observed);
  EXPECT_EQ(observed, all) << "after deleting the table:\n" << observed.diff_from(all);
}

TEST_F(NetpolTraffic, SctpProbes) {
  if (!net().sctp_available()) {
    GTEST_SKIP() << "SCTP probes not run: " << net().sctp_unavailable_reason();
  }
  for (const auto& c : netpol::cases()) {
    for (std::size_t s = 0; s < c.steps.size(); ++s) {
      auto have = committer().read_table("calico");
      ASSERT_TRUE(have.has_value()) << have.error();
      NftPlan programmed;
      run_step(net(), committer(), c.name + " step " + std::to_string(s + 1), c.steps[s], *have,
               programmed, netpol::kSctp80);
      if (HasFatalFailure()) {
        return;
      }
    }
  }
}

// ---- Established flows across policy changes ---------------------------------------------

constexpr std::size_t kXA = 0;  // x/a
constexpr std::size_t kXB = 1;  // x/b

class NetpolLongFlow : public SharedCluster {
 protected:
  // Allows x/a -> x/b on TCP 80 only (x/b isolated for ingress otherwise).
  static netpol::Step allow_a_to_b() {
    return {netpol::knp("x", "a-to-b",
                        "{podSelector: {matchLabels: {pod: \"b\"}}, policyTypes: [Ingress], "
                        "ingress: [{from: [{podSelector: {matchLabels: {pod: \"a\"}}}], ports: "
                        "[{protocol: TCP, port: 80}]}]}"),
            {},
            {},
            Reachability(true).deny("*", "x/b").allow("x/a", "x/b", netpol::kTcp80)};
  }

  void apply(const std::string& label, const netpol::Step& step) {
    auto have = committer().read_table("calico");
    ASSERT_TRUE(have.has_value()) << have.error();
    NftPlan programmed;
    run_step(net(), committer(), label, step, *have, programmed);
  }

  bool new_connection_allowed(std::chrono::milliseconds timeout = 300ms) {
    return net().probe_all({{kXA, kXB, IPPROTO_TCP, 80}}, timeout)[0].allowed();
  }

  // Allow, open a flow, then `change`: the flow goes on, new connections do not.
  void check_flow_survives(const netpol::Step& change) {
    ASSERT_NO_FATAL_FAILURE(apply("allow x/a -> x/b tcp/80", allow_a_to_b()));
    auto flow = net().open_flow(kXA, kXB, 80);
    ASSERT_TRUE(flow.has_value()) << flow.error();
    ASSERT_TRUE((*flow)->exchange()) << (*flow)->error();
    ASSERT_TRUE(new_connection_allowed(1500ms));

    ASSERT_NO_FATAL_FAILURE(apply("change", change));
    for (int i = 0; i < 3; ++i) {
      EXPECT_TRUE((*flow)->exchange())
          << "established flow, exchange " << i << ": " << (*flow)->error();
    }
    EXPECT_FALSE(new_connection_allowed());
    EXPECT_FALSE(net().open_flow(kXA, kXB, 80, 500ms).has_value());
  }
};

TEST_F(NetpolLongFlow, SurvivesReplacementByDenyAll) {
  check_flow_survives({netpol::knp("x", "deny-all", netpol::specs::kDenyAllIngress),
                       {},
                       {},
                       Reachability(true).deny("*", "x/*")});
}

TEST_F(NetpolLongFlow, SurvivesRelabelOfTheSource) {
  netpol::Step relabel = allow_a_to_b();
  relabel.pod_labels = {{"x/a", {{"pod", "a2"}}}};
  relabel.expected = Reachability(true).deny("*", "x/b");
  check_flow_survives(relabel);
}

}  // namespace
}  // namespace calico::testlib
