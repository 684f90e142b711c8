// Defaults applied on write, as Calico's client and the Kubernetes API server apply them.
#include <gtest/gtest.h>

#include "api/document.h"

namespace calico::api {
namespace {

AnyResource decode_one(const std::string& yaml) {
  auto docs = decode_yaml(yaml);
  EXPECT_TRUE(docs) << docs.error().to_string();
  return docs && !docs->empty() ? docs->front() : AnyResource{};
}

std::vector<std::string> np_types(const std::string& spec) {
  auto r = decode_one(
      "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: "
      "p, namespace: n}\nspec: " +
      spec);
  apply_defaults(r);
  return std::get<NetworkPolicy>(r).spec.types;
}

using Types = std::vector<std::string>;

TEST(Defaults, PolicyTypesFollowTheRulesPresent) {
  EXPECT_EQ(np_types("{}"), (Types{"Ingress"}));  // empty policy: ingress only
  EXPECT_EQ(np_types("{ingress: [{action: Allow}]}"), (Types{"Ingress"}));
  EXPECT_EQ(np_types("{egress: [{action: Allow}]}"), (Types{"Egress"}));
  EXPECT_EQ(np_types("{ingress: [{action: Deny}], egress: [{action: Allow}]}"),
            (Types{"Ingress", "Egress"}));
  // Given types are kept.
  EXPECT_EQ(np_types("{types: [Egress], ingress: [{action: Allow}]}"), (Types{"Egress"}));
}

TEST(Defaults, PolicyTierIsDefault) {
  auto r = decode_one(
      "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: g}\nspec: "
      "{egress: [{action: Allow}]}");
  apply_defaults(r);
  const auto& g = std::get<GlobalNetworkPolicy>(r);
  EXPECT_EQ(g.spec.tier, "default");
  EXPECT_EQ(g.spec.types, (Types{"Egress"}));
  EXPECT_FALSE(g.spec.order.has_value());  // nil order = last; never defaulted
}

TEST(Defaults, TierDefaultActionIsDeny) {
  auto r = decode_one("apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: t}\n");
  apply_defaults(r);
  EXPECT_EQ(std::get<Tier>(r).spec.default_action, "Deny");
  EXPECT_FALSE(std::get<Tier>(r).spec.order.has_value());
}

TEST(Defaults, KindsWithoutClientDefaultsAreUntouched) {
  const char* docs[] = {
      "kind: BGPConfiguration\nmetadata: {name: default}\nspec: {}",
      "kind: BGPPeer\nmetadata: {name: p}\nspec: {peerIP: 10.0.0.1, asNumber: 1}",
      "kind: FelixConfiguration\nmetadata: {name: default}\nspec: {}",
      "kind: HostEndpoint\nmetadata: {name: h}\nspec: {node: n, interfaceName: eth0}",
  };
  for (const char* d : docs) {
    const AnyResource before = decode_one(std::string("apiVersion: projectcalico.org/v3\n") + d);
    AnyResource after = before;
    apply_defaults(after);
    EXPECT_EQ(after, before) << d;
  }
  // Consumers apply the built-in values for unset BGP fields.
  EXPECT_EQ(kBgpDefaultASNumber, 64512u);
  EXPECT_EQ(kBgpDefaultListenPort, 179);
}

TEST(Defaults, KubernetesPolicyLikeTheApiServer) {
  auto r = decode_one(
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: k, namespace: "
      "n}\nspec:\n  podSelector: {}\n  ingress: [{ports: [{port: 80}]}]\n  egress: [{ports: "
      "[{protocol: UDP, port: 53}]}]\n");
  apply_defaults(r);
  const auto& k = std::get<KubernetesNetworkPolicy>(r);
  EXPECT_EQ(k.spec.policy_types, (Types{"Ingress", "Egress"}));
  EXPECT_EQ(k.spec.ingress[0].ports[0].protocol, "TCP");
  EXPECT_EQ(k.spec.egress[0].ports[0].protocol, "UDP");

  auto ingress_only = decode_one(
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: k}\nspec: "
      "{podSelector: {}}");
  apply_defaults(ingress_only);
  EXPECT_EQ(std::get<KubernetesNetworkPolicy>(ingress_only).spec.policy_types, (Types{"Ingress"}));
}

}  // namespace
}  // namespace calico::api
