// The model: tier and policy ordering (research doc 3.2) and effective labels (1.7).
#include "policy/model.h"

#include <gtest/gtest.h>

#include "tests/unit/policy/policy_test_util.h"

namespace calico::policy {
namespace {

Policy pol(std::string name, std::optional<double> order, std::string ns = "",
           PolicyKind kind = PolicyKind::GlobalNetworkPolicy) {
  Policy p;
  p.name = std::move(name);
  p.order = order;
  p.ns = std::move(ns);
  p.kind = kind;
  return p;
}

std::vector<std::string> names(const std::vector<Tier>& tiers) {
  std::vector<std::string> out;
  out.reserve(tiers.size());
  for (const auto& t : tiers) {
    out.push_back(t.name);
  }
  return out;
}

TEST(PolicyModel, TiersByOrderUnsetLastThenName) {
  PolicySet set;
  set.tiers = {Tier{"zeta", std::nullopt, Action::Deny}, Tier{"b", 5.0, Action::Deny},
               Tier{"alpha", std::nullopt, Action::Deny}, Tier{"a", 5.0, Action::Deny},
               Tier{"first", 1.0, Action::Pass}};
  EXPECT_EQ(names(ordered_tiers(set)),
            (std::vector<std::string>{"first", "a", "b", "kube-admin", "default", "kube-baseline",
                                      "alpha", "zeta"}));
}

TEST(PolicyModel, ExplicitTierReplacesBuiltIn) {
  PolicySet set;
  set.tiers = {Tier{"default", 1.0, Action::Deny}};
  const auto tiers = ordered_tiers(set);
  EXPECT_EQ(names(tiers), (std::vector<std::string>{"default", "kube-admin", "kube-baseline"}));
  EXPECT_EQ(set.find_tier("default")->order, 1.0);
  EXPECT_EQ(set.find_tier("kube-admin")->default_action, Action::Pass);
  EXPECT_FALSE(set.find_tier("nope"));
}

TEST(PolicyModel, PoliciesByOrderUnsetLastThenNameNamespaceKind) {
  PolicySet set;
  set.policies = {pol("c", std::nullopt),
                  pol("b", 10.0),
                  pol("a", std::nullopt),
                  pol("z", 1.5),
                  pol("b", 10.0, "x", PolicyKind::NetworkPolicy),
                  pol("b", 10.0, "", PolicyKind::KubernetesNetworkPolicy)};
  for (auto& p : set.policies) {
    p.tier = "default";
  }
  set.policies.push_back(pol("other-tier", 0.0));
  set.policies.back().tier = "t";
  std::vector<std::string> ids;
  for (const Policy* p : ordered_policies(set, "default")) {
    ids.push_back(p->id() + "/" + std::string(to_string(p->kind)));
  }
  // "b//GlobalNetworkPolicy" < "b//KubernetesNetworkPolicy" < "b/x/NetworkPolicy".
  EXPECT_EQ(ids, (std::vector<std::string>{"z/GlobalNetworkPolicy", "b/GlobalNetworkPolicy",
                                           "b/KubernetesNetworkPolicy", "x/b/NetworkPolicy",
                                           "a/GlobalNetworkPolicy", "c/GlobalNetworkPolicy"}));
}

TEST(PolicyModel, EffectiveLabelsOfEndpoints) {
  PolicySet set;
  set.profiles.push_back(Profile{"p1", {{"team", "p1"}, {"pcns.ns", "x"}}, {}, {}});
  set.profiles.push_back(Profile{"p2", {{"team", "p2"}, {"extra", "yes"}}, {}, {}});
  Endpoint ep;
  ep.ns = "x";
  ep.name = "a";
  ep.service_account = "sa";
  ep.labels = {{"app", "web"},
               {"pcns.ns", "spoofed"},
               {"pcsa.role", "spoofed"},
               {"projectcalico.org/namespace", "other"}};
  ep.profiles = {"p1", "missing", "p2"};
  EXPECT_EQ(set.effective_labels(ep), (Labels{{"app", "web"},
                                              {"projectcalico.org/namespace", "x"},
                                              {"projectcalico.org/orchestrator", "k8s"},
                                              {"projectcalico.org/serviceaccount", "sa"},
                                              {"team", "p1"},
                                              {"pcns.ns", "x"},
                                              {"extra", "yes"}}));
  ep.labels["team"] = "own";
  EXPECT_EQ(set.effective_labels(ep).at("team"), "own");  // own labels win
}

TEST(PolicyModel, EffectiveLabelsOfNetworkSets) {
  PolicySet set;
  set.profiles.push_back(Profile{"kns.x", {{"pcns.ns", "x"}}, {}, {}});
  const NetworkSetEntry s{"x", "s", {{"role", "db"}}, {}, {"kns.x"}};
  EXPECT_EQ(set.effective_labels(s),
            (Labels{{"role", "db"}, {"projectcalico.org/namespace", "x"}, {"pcns.ns", "x"}}));
  const NetworkSetEntry g{"", "g", {{"role", "db"}}, {}, {}};
  EXPECT_EQ(set.effective_labels(g), (Labels{{"role", "db"}}));
}

TEST(PolicyModel, NamesOfEnums) {
  EXPECT_EQ(to_string(Action::Pass), "Pass");
  EXPECT_EQ(to_string(Direction::Egress), "Egress");
  EXPECT_EQ(to_string(PolicyKind::KubernetesNetworkPolicy), "KubernetesNetworkPolicy");
  EXPECT_TRUE(protocol_has_ports(kProtoSctp));
  EXPECT_FALSE(protocol_has_ports(kProtoIcmp));
  EXPECT_EQ((ConvertError{"Tier \"t\"", "spec.order", "bad"}).to_string(),
            "Tier \"t\": spec.order: bad");
}

}  // namespace
}  // namespace calico::policy
