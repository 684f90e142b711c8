// Converters: selector folding (research doc 1.5), Calico rule fields, Kubernetes
// NetworkPolicy conversion (2.10), endpoints, network sets, profiles, tiers, errors.
#include "policy/convert.h"

#include <gtest/gtest.h>

#include "tests/unit/policy/policy_test_util.h"

namespace calico::policy {
namespace {

using testing::cidr;
using testing::decode;
using testing::ip;

api::Selector sel(std::string_view text) {
  auto s = api::Selector::parse(text);
  EXPECT_TRUE(s) << text << ": " << (s ? "" : s.error().to_string());
  return s ? *s : api::Selector{};
}

Policy np(const std::string& spec, const std::string& ns = "x") {
  auto p = from_network_policy(decode<api::NetworkPolicy>(
      "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: p, namespace: " +
      ns + "}\nspec: " + spec));
  EXPECT_TRUE(p) << (p ? "" : p.error().to_string());
  return p ? *p : Policy{};
}

Policy gnp(const std::string& spec) {
  auto p = from_global_network_policy(decode<api::GlobalNetworkPolicy>(
      "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: g}\nspec: " +
      spec));
  EXPECT_TRUE(p) << (p ? "" : p.error().to_string());
  return p ? *p : Policy{};
}

api::KubernetesNetworkPolicy knp_doc(const std::string& spec) {
  // Not defaulted here: the converter must apply the API server's defaults itself.
  auto docs = api::decode_yaml(
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web, namespace: "
      "x}\nspec: " +
      spec);
  EXPECT_TRUE(docs) << (docs ? "" : docs.error().to_string());
  if (!docs || docs->empty()) {
    return {};
  }
  return std::get<api::KubernetesNetworkPolicy>(docs->front());
}

Policy knp(const std::string& spec) {
  auto p = from_k8s_network_policy(knp_doc(spec));
  EXPECT_TRUE(p) << (p ? "" : p.error().to_string());
  return p ? *p : Policy{};
}

api::NetworkPolicy knp_calico(const std::string& spec) {
  auto p = k8s_network_policy_to_calico(knp_doc(spec));
  EXPECT_TRUE(p) << (p ? "" : p.error().to_string());
  return p ? *p : api::NetworkPolicy{};
}

ConvertError np_error(const std::string& spec) {
  auto p = from_network_policy(decode<api::NetworkPolicy>(
      "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: p, namespace: "
      "x}\nspec: " +
      spec));
  EXPECT_FALSE(p);
  return p ? ConvertError{} : p.error();
}

// ---- Policy-level selectors (1.5) ---------------------------------------------------------

TEST(PolicyConvert, NetworkPolicySelectorIsScopedToItsNamespace) {
  EXPECT_EQ(np("{selector: \"app == 'web'\"}").selector,
            sel("(app == 'web') && projectcalico.org/namespace == 'x'"));
  EXPECT_EQ(np("{}").selector, sel("projectcalico.org/namespace == 'x'"));
  const Policy p = np("{selector: all(), serviceAccountSelector: \"role == 'db'\"}");
  EXPECT_EQ(p.selector,
            sel("((all()) && projectcalico.org/namespace == 'x') && (pcsa.role == 'db')"));
  EXPECT_EQ(p.kind, PolicyKind::NetworkPolicy);
  EXPECT_EQ(p.id(), "x/p");
  EXPECT_EQ(p.tier, "default");
}

TEST(PolicyConvert, GlobalPolicyNamespaceSelectorIsPrefixedAndAllMeansNamespaced) {
  EXPECT_EQ(gnp("{selector: \"app == 'web'\"}").selector, sel("app == 'web'"));
  EXPECT_EQ(gnp("{namespaceSelector: \"team == 'a'\"}").selector, sel("pcns.team == 'a'"));
  // Calico replaces every all() once a namespace selector is present, the spec selector's
  // included: the policy then only selects namespaced endpoints.
  EXPECT_EQ(gnp("{selector: all(), namespaceSelector: all()}").selector,
            sel("(has(projectcalico.org/namespace)) && (has(projectcalico.org/namespace))"));
  EXPECT_EQ(gnp("{selector: \"a == 'b'\", serviceAccountSelector: all()}").selector,
            sel("(a == 'b') && (has(projectcalico.org/serviceaccount))"));
  EXPECT_EQ(gnp("{}").selector, sel("all()"));
  EXPECT_TRUE(gnp("{}").ns.empty());
}

// ---- Rule-level selectors (1.5 getEndpointSelector) -----------------------------------

TEST(PolicyConvert, RuleSelectorInNamespacedPolicyIsNamespaced) {
  const Policy p = np("{ingress: [{action: Allow, source: {selector: \"role == 'db'\"}}]}");
  ASSERT_EQ(p.ingress.size(), 1U);
  EXPECT_EQ(p.ingress[0].source.selector,
            sel("(projectcalico.org/namespace == 'x') && (role == 'db')"));
  EXPECT_FALSE(p.ingress[0].source.not_selector);
  EXPECT_FALSE(p.ingress[0].destination.selector);
}

TEST(PolicyConvert, RuleNamespaceSelectorReplacesOwnNamespace) {
  const Policy p = np(
      "{ingress: [{action: Allow, source: {selector: \"role == 'db'\", namespaceSelector: \"team "
      "== 'a'\"}}, {action: Allow, source: {namespaceSelector: all()}}, {action: Allow, source: "
      "{namespaceSelector: global()}}]}");
  ASSERT_EQ(p.ingress.size(), 3U);
  EXPECT_EQ(p.ingress[0].source.selector, sel("(pcns.team == 'a') && (role == 'db')"));
  EXPECT_EQ(p.ingress[1].source.selector, sel("has(projectcalico.org/namespace)"));
  EXPECT_EQ(p.ingress[2].source.selector, sel("!has(projectcalico.org/namespace)"));
}

TEST(PolicyConvert, RuleWithOnlyNetsIsNotNamespaced) {
  const Policy p = np("{ingress: [{action: Allow, source: {nets: [10.0.0.0/8]}}]}");
  EXPECT_FALSE(p.ingress[0].source.selector);
  EXPECT_EQ(p.ingress[0].source.nets, std::vector<net::Cidr>{cidr("10.0.0.0/8")});
}

TEST(PolicyConvert, NotSelectorAloneStillAddsTheNamespaceAndStaysSeparate) {
  const Policy p = np("{ingress: [{action: Allow, source: {notSelector: \"role == 'db'\"}}]}");
  EXPECT_EQ(p.ingress[0].source.selector, sel("projectcalico.org/namespace == 'x'"));
  EXPECT_EQ(p.ingress[0].source.not_selector, sel("role == 'db'"));
  // In a global policy there is no namespace to add.
  const Policy g = gnp("{ingress: [{action: Allow, source: {notSelector: \"role == 'db'\"}}]}");
  EXPECT_FALSE(g.ingress[0].source.selector);
  EXPECT_EQ(g.ingress[0].source.not_selector, sel("role == 'db'"));
}

TEST(PolicyConvert, ServiceAccountMatchBecomesPrefixedSelector) {
  const Policy p =
      np("{egress: [{action: Allow, destination: {serviceAccounts: {names: [sa-b, sa-a], selector: "
         "\"k == 'v'\"}, selector: \"app == 'db'\"}}]}");
  ASSERT_EQ(p.egress.size(), 1U);
  EXPECT_EQ(p.egress[0].destination.selector,
            sel("(projectcalico.org/namespace == 'x') && (((pcsa.k == 'v') && "
                "(projectcalico.org/serviceaccount in {'sa-a', 'sa-b'})) && (app == 'db'))"));
  const Policy g = gnp("{ingress: [{action: Allow, source: {serviceAccounts: {names: [sa-b]}}}]}");
  EXPECT_EQ(g.ingress[0].source.selector, sel("projectcalico.org/serviceaccount in {'sa-b'}"));
}

// ---- Rule fields -----------------------------------------------------------------------

TEST(PolicyConvert, RuleFieldsAreNormalised) {
  const Policy g = gnp(
      "{ingress: [{action: Deny, ipVersion: 4, protocol: TCP, source: {nets: [10.1.2.3/16, "
      "10.9.9.9], notNets: [10.1.0.0/24], ports: [1000]}, destination: {ports: [80, \"8080:8090\", "
      "http], notPorts: [8085]}}, {action: Pass, protocol: 132, notProtocol: UDP}, {action: Log, "
      "ipVersion: 6, protocol: ICMPv6, icmp: {type: 128, code: 0}, notICMP: {type: 1}}]}");
  ASSERT_EQ(g.ingress.size(), 3U);
  const Rule& r = g.ingress[0];
  EXPECT_EQ(r.action, Action::Deny);
  EXPECT_EQ(r.ip_version, net::Family::V4);
  EXPECT_EQ(r.protocol, kProtoTcp);
  EXPECT_EQ(r.source.nets, (std::vector<net::Cidr>{cidr("10.1.0.0/16"), cidr("10.9.9.9/32")}));
  EXPECT_EQ(r.source.not_nets, std::vector<net::Cidr>{cidr("10.1.0.0/24")});
  EXPECT_EQ(r.source.ports.ranges, (std::vector<PortRange>{{1000, 1000}}));
  EXPECT_EQ(r.destination.ports.ranges, (std::vector<PortRange>{{80, 80}, {8080, 8090}}));
  EXPECT_EQ(r.destination.ports.names, std::vector<std::string>{"http"});
  EXPECT_EQ(r.destination.not_ports.ranges, (std::vector<PortRange>{{8085, 8085}}));
  EXPECT_EQ(g.ingress[1].action, Action::Pass);
  EXPECT_EQ(g.ingress[1].protocol, kProtoSctp);
  EXPECT_EQ(g.ingress[1].not_protocol, kProtoUdp);
  const Rule& icmp = g.ingress[2];
  EXPECT_EQ(icmp.action, Action::Log);
  EXPECT_EQ(icmp.ip_version, net::Family::V6);
  EXPECT_EQ(icmp.protocol, kProtoIcmpV6);
  EXPECT_EQ(icmp.icmp, (IcmpMatch{128, 0}));
  EXPECT_EQ(icmp.not_icmp, (IcmpMatch{1, std::nullopt}));
}

TEST(PolicyConvert, TypesDefaultFromTheRulesWhenAbsent) {
  api::NetworkPolicy raw;
  raw.metadata.name = "p";
  raw.metadata.ns = "x";
  api::Rule allow;
  allow.action = "Allow";
  raw.spec.egress.push_back(allow);
  auto p = from_network_policy(raw);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->types, (PolicyTypes{false, true}));
  EXPECT_EQ(p->tier, "default");
  raw.spec.egress.clear();
  p = from_network_policy(raw);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->types, (PolicyTypes{true, false}));
  raw.spec.types = {"Egress", "Ingress"};
  p = from_network_policy(raw);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->types, (PolicyTypes{true, true}));
}

TEST(PolicyConvert, ErrorsNameTheResourceAndField) {
  auto e = np_error("{ingress: [{action: Allow}, {action: Allow, source: {selector: \"a ==\"}}]}");
  EXPECT_EQ(e.resource, "NetworkPolicy \"x/p\"");
  EXPECT_EQ(e.field, "spec.ingress[1].source.selector");
  EXPECT_NE(e.to_string().find("NetworkPolicy \"x/p\": spec.ingress[1].source.selector: "),
            std::string::npos)
      << e.to_string();
  EXPECT_EQ(np_error("{egress: [{action: Drop}]}").field, "spec.egress[0].action");
  EXPECT_EQ(np_error("{egress: [{action: Allow, destination: {nets: [10.0.0.300/8]}}]}").field,
            "spec.egress[0].destination.nets[0]");
  EXPECT_EQ(np_error("{egress: [{action: Allow, destination: {services: {name: s, namespace: "
                     "x}}}]}")
                .field,
            "spec.egress[0].destination.services");
  EXPECT_EQ(np_error("{ingress: [{action: Allow, protocol: TCP, http: {methods: [GET]}}]}").field,
            "spec.ingress[0].http");
  EXPECT_EQ(
      np_error("{ingress: [{action: Allow, destination: {namespaceSelector: \"x in\"}}]}").field,
      "spec.ingress[0].destination.namespaceSelector");
  EXPECT_EQ(np_error("{serviceAccountSelector: \"(\"}").field, "spec.serviceAccountSelector");
  api::NetworkPolicy no_ns;
  no_ns.metadata.name = "p";
  auto p = from_network_policy(no_ns);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().field, "metadata.namespace");
}

// ---- Kubernetes NetworkPolicy (2.10) ----------------------------------------------------

TEST(PolicyConvert, K8sPolicyNameOrderTierAndSelector) {
  const Policy p = knp("{podSelector: {matchLabels: {pod: a}}}");
  EXPECT_EQ(p.kind, PolicyKind::KubernetesNetworkPolicy);
  EXPECT_EQ(p.name, "knp.default.web");
  EXPECT_EQ(p.ns, "x");
  EXPECT_EQ(p.tier, "default");
  EXPECT_EQ(p.order, kK8sPolicyOrder);
  EXPECT_EQ(p.selector, sel("(projectcalico.org/orchestrator == 'k8s' && pod == 'a') && "
                            "projectcalico.org/namespace == 'x'"));
  EXPECT_EQ(knp("{podSelector: {}}").selector,
            sel("(projectcalico.org/orchestrator == 'k8s') && projectcalico.org/namespace == 'x'"));
}

TEST(PolicyConvert, K8sPolicyTypesDefaulting) {
  // 2.3: Ingress always, plus Egress when egress rules exist (2.9 #10).
  EXPECT_EQ(knp("{podSelector: {}}").types, (PolicyTypes{true, false}));
  EXPECT_EQ(knp("{podSelector: {}, egress: [{}]}").types, (PolicyTypes{true, true}));
  EXPECT_EQ(knp("{podSelector: {}, policyTypes: [Egress], ingress: [{}]}").types,
            (PolicyTypes{false, true}));
  EXPECT_EQ(knp("{podSelector: {}, policyTypes: [Ingress, Egress]}").types,
            (PolicyTypes{true, true}));
}

TEST(PolicyConvert, K8sRuleWithoutPortsOrPeersIsOneOpenRule) {
  const auto c = knp_calico("{podSelector: {}, ingress: [{}]}");
  ASSERT_EQ(c.spec.ingress.size(), 1U);
  const api::Rule& r = c.spec.ingress[0];
  EXPECT_EQ(r.action, "Allow");
  EXPECT_FALSE(r.protocol);
  EXPECT_TRUE(r.source.selector.empty());
  EXPECT_TRUE(r.destination.ports.empty());
  EXPECT_EQ(c.metadata.name, "knp.default.web");
  EXPECT_EQ(c.spec.order, 1000.0);
  EXPECT_EQ(c.spec.types, std::vector<std::string>{"Ingress"});
}

TEST(PolicyConvert, K8sPortsAreGroupedByProtocolAndMultipliedByPeers) {
  const auto c = knp_calico(
      "{podSelector: {}, ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}, {ipBlock: "
      "{cidr: 10.1.2.3/16, except: [10.1.5.0/24]}}], ports: [{port: 82}, {protocol: UDP, port: "
      "53}, {port: 80}, {protocol: SCTP}, {port: 81}, {port: metrics}, {protocol: TCP, port: "
      "9090}]}]}");
  // Protocols sorted (SCTP, TCP, UDP) x two peers.
  ASSERT_EQ(c.spec.ingress.size(), 6U);
  const std::vector<std::string> protos{"SCTP", "SCTP", "TCP", "TCP", "UDP", "UDP"};
  for (std::size_t i = 0; i < protos.size(); ++i) {
    ASSERT_TRUE(c.spec.ingress[i].protocol);
    EXPECT_EQ(c.spec.ingress[i].protocol->to_string(), protos[i]);
  }
  EXPECT_TRUE(c.spec.ingress[0].destination.ports.empty());  // every SCTP port
  EXPECT_EQ(c.spec.ingress[2].destination.ports,
            (std::vector<api::Port>{api::Port::named("metrics"), api::Port::range(80, 82),
                                    api::Port::number(9090)}));
  EXPECT_EQ(c.spec.ingress[4].destination.ports, std::vector<api::Port>{api::Port::number(53)});
  // First peer: selectors; second: nets + notNets on the same rule (2.5).
  EXPECT_EQ(c.spec.ingress[2].source.selector,
            "projectcalico.org/orchestrator == 'k8s' && pod == 'b'");
  EXPECT_TRUE(c.spec.ingress[2].source.namespace_selector.empty());
  EXPECT_EQ(c.spec.ingress[3].source.nets, std::vector<std::string>{"10.1.0.0/16"});
  EXPECT_EQ(c.spec.ingress[3].source.not_nets, std::vector<std::string>{"10.1.5.0/24"});
  EXPECT_TRUE(c.spec.ingress[3].source.selector.empty());
}

TEST(PolicyConvert, K8sAllPortsEntryWinsInEitherOrder) {
  // 2.9 #2.
  for (const char* ports : {"[{protocol: TCP}, {port: 80}]", "[{port: 80}, {protocol: TCP}]"}) {
    const auto c = knp_calico(std::string("{podSelector: {}, ingress: [{ports: ") + ports + "}]}");
    ASSERT_EQ(c.spec.ingress.size(), 1U) << ports;
    EXPECT_EQ(c.spec.ingress[0].protocol->to_string(), "TCP");
    EXPECT_TRUE(c.spec.ingress[0].destination.ports.empty()) << ports;
  }
}

TEST(PolicyConvert, K8sPortWithoutProtocolIsTcpAndEndPortIsARange) {
  const auto c = knp_calico(
      "{podSelector: {}, egress: [{ports: [{port: 8000, endPort: 8080}, {port: 443}]}]}");
  ASSERT_EQ(c.spec.egress.size(), 1U);
  EXPECT_EQ(c.spec.egress[0].protocol->to_string(), "TCP");
  EXPECT_EQ(c.spec.egress[0].destination.ports,
            (std::vector<api::Port>{api::Port::number(443), api::Port::range(8000, 8080)}));
  EXPECT_EQ(c.spec.types, (std::vector<std::string>{"Ingress", "Egress"}));
}

TEST(PolicyConvert, K8sPeerSelectors) {
  const auto c = knp_calico(
      "{podSelector: {}, ingress: [{from: [{namespaceSelector: {}}, {namespaceSelector: "
      "{matchLabels: {ns: y}}, podSelector: {}}, {podSelector: {matchExpressions: [{key: pod, "
      "operator: NotIn, values: [a]}]}}]}]}");
  ASSERT_EQ(c.spec.ingress.size(), 3U);
  EXPECT_EQ(c.spec.ingress[0].source.selector, "projectcalico.org/orchestrator == 'k8s'");
  EXPECT_EQ(c.spec.ingress[0].source.namespace_selector, "all()");
  EXPECT_EQ(c.spec.ingress[1].source.namespace_selector, "ns == 'y'");
  EXPECT_EQ(c.spec.ingress[2].source.selector,
            "projectcalico.org/orchestrator == 'k8s' && pod not in { 'a' }");
  // Folded into single selectors (1.5).
  const Policy p =
      knp("{podSelector: {}, ingress: [{from: [{namespaceSelector: {}}, {namespaceSelector: "
          "{matchLabels: {ns: y}}, podSelector: {}}, {podSelector: {matchLabels: {pod: b}}}]}]}");
  ASSERT_EQ(p.ingress.size(), 3U);
  EXPECT_EQ(p.ingress[0].source.selector,
            sel("(has(projectcalico.org/namespace)) && (projectcalico.org/orchestrator == 'k8s')"));
  EXPECT_EQ(p.ingress[1].source.selector,
            sel("(pcns.ns == 'y') && (projectcalico.org/orchestrator == 'k8s')"));
  EXPECT_EQ(p.ingress[2].source.selector,
            sel("(projectcalico.org/namespace == 'x') && (projectcalico.org/orchestrator == "
                "'k8s' && pod == 'b')"));
}

TEST(PolicyConvert, K8sNamedPortKeepsItsNameAndProtocol) {
  const Policy p = knp("{podSelector: {}, ingress: [{ports: [{protocol: UDP, port: dns}]}]}");
  ASSERT_EQ(p.ingress.size(), 1U);
  EXPECT_EQ(p.ingress[0].protocol, kProtoUdp);
  EXPECT_EQ(p.ingress[0].destination.ports.names, std::vector<std::string>{"dns"});
  EXPECT_TRUE(p.ingress[0].destination.ports.ranges.empty());
}

TEST(PolicyConvert, K8sUnconvertibleRuleIsDroppedAndRecorded) {
  const Policy p = knp(
      "{podSelector: {}, ingress: [{ports: [{port: 80}]}, {ports: [{port: http, endPort: 90}]}, "
      "{from: [{ipBlock: {cidr: not-a-cidr}}]}, {ports: [{protocol: ICMP}]}]}");
  ASSERT_EQ(p.ingress.size(), 1U);  // only the first rule survives
  ASSERT_EQ(p.dropped_rules.size(), 3U);
  EXPECT_EQ(p.dropped_rules[0].field, "spec.ingress[1].ports[0].endPort");
  EXPECT_EQ(p.dropped_rules[1].field, "spec.ingress[2].from[0].ipBlock.cidr");
  EXPECT_EQ(p.dropped_rules[2].field, "spec.ingress[3].ports[0].protocol");
  EXPECT_EQ(p.dropped_rules[0].resource, "KubernetesNetworkPolicy \"x/web\"");
  EXPECT_TRUE(p.types.ingress);  // still isolating: dropping an Allow only narrows
}

TEST(PolicyConvert, K8sPolicyWithoutNamespaceIsAnError) {
  api::KubernetesNetworkPolicy k;
  k.metadata.name = "web";
  auto p = from_k8s_network_policy(k);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().field, "metadata.namespace");
}

TEST(PolicyConvert, SimplifyPortsMergesIntoRanges) {
  using api::Port;
  EXPECT_EQ(simplify_ports({Port::number(82), Port::named("foo"), Port::number(80),
                            Port::number(9090), Port::number(81), Port::number(81)}),
            (std::vector<Port>{Port::named("foo"), Port::range(80, 82), Port::number(9090)}));
  EXPECT_EQ(simplify_ports(
                {Port::range(10, 20), Port::range(15, 30), Port::number(31), Port::number(65535)}),
            (std::vector<Port>{Port::range(10, 31), Port::number(65535)}));
  EXPECT_EQ(simplify_ports({Port::number(5)}), std::vector<Port>{Port::number(5)});
}

// ---- Other resources ---------------------------------------------------------------------

TEST(PolicyConvert, WorkloadEndpoint) {
  const auto wep = decode<api::WorkloadEndpoint>(
      "apiVersion: projectcalico.org/v3\nkind: WorkloadEndpoint\nmetadata: {name: "
      "node1-k8s-web-eth0, namespace: x, labels: {app: web}}\nspec: {orchestrator: k8s, node: "
      "node1, pod: web, endpoint: eth0, interfaceName: cali123, serviceAccountName: sa1, "
      "ipNetworks: [10.65.0.10/32, \"fd00::a/128\"], profiles: [kns.x, ksa.x.sa1], ports: [{name: "
      "http, protocol: TCP, port: 8080}, {name: dns, protocol: UDP, port: 53}, {name: \"\", "
      "protocol: TCP, port: 9}]}");
  auto ep = from_workload_endpoint(wep);
  ASSERT_TRUE(ep) << ep.error().to_string();
  EXPECT_EQ(ep->key(), (EndpointKey{"x", "node1-k8s-web-eth0"}));
  EXPECT_EQ(ep->addrs, (std::vector<net::IpAddr>{ip("10.65.0.10"), ip("fd00::a")}));
  EXPECT_EQ(ep->service_account, "sa1");
  EXPECT_EQ(ep->orchestrator, "k8s");
  EXPECT_EQ(ep->profiles, (std::vector<std::string>{"kns.x", "ksa.x.sa1"}));
  EXPECT_EQ(ep->ports, (std::vector<NamedPort>{{"http", kProtoTcp, 8080}, {"dns", kProtoUdp, 53}}));
  EXPECT_EQ(ep->labels, (Labels{{"app", "web"}}));
}

TEST(PolicyConvert, NetworkSets) {
  auto ns_set = from_network_set(decode<api::NetworkSet>(
      "apiVersion: projectcalico.org/v3\nkind: NetworkSet\nmetadata: {name: s, namespace: x, "
      "labels: {role: db}}\nspec: {nets: [10.1.2.3/24, 10.9.9.9]}"));
  ASSERT_TRUE(ns_set);
  EXPECT_EQ(ns_set->nets, (std::vector<net::Cidr>{cidr("10.1.2.0/24"), cidr("10.9.9.9/32")}));
  EXPECT_EQ(ns_set->profiles, std::vector<std::string>{"kns.x"});
  auto global = from_global_network_set(decode<api::GlobalNetworkSet>(
      "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata: {name: g}\nspec: "
      "{nets: [\"fd00::/64\"]}"));
  ASSERT_TRUE(global);
  EXPECT_TRUE(global->ns.empty());
  EXPECT_TRUE(global->profiles.empty());
  auto bad = from_global_network_set(decode<api::GlobalNetworkSet>(
      "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata: {name: g}\nspec: "
      "{nets: [10.0.0.0/8, nope]}"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field, "spec.nets[1]");
}

TEST(PolicyConvert, ProfilesAndTiers) {
  auto prof = from_profile(decode<api::Profile>(
      "apiVersion: projectcalico.org/v3\nkind: Profile\nmetadata: {name: custom}\nspec: "
      "{labelsToApply: {team: a}, ingress: [{action: Deny, source: {selector: \"x == 'y'\"}}], "
      "egress: [{action: Allow}]}"));
  ASSERT_TRUE(prof);
  EXPECT_EQ(prof->labels_to_apply, (Labels{{"team", "a"}}));
  // Profile rules are not namespaced.
  EXPECT_EQ(prof->ingress[0].source.selector, sel("x == 'y'"));
  EXPECT_EQ(prof->egress.size(), 1U);

  auto t = from_tier(decode<api::Tier>(
      "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: sec}\nspec: {order: 100, "
      "defaultAction: Pass}"));
  ASSERT_TRUE(t);
  EXPECT_EQ(*t, (Tier{"sec", 100.0, Action::Pass}));
  auto d = from_tier(decode<api::Tier>(
      "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: sec}\nspec: {}"));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->default_action, Action::Deny);
  EXPECT_FALSE(d->order);
  api::Tier bad;
  bad.metadata.name = "t";
  bad.spec.default_action = "Allow";
  auto e = from_tier(bad);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().field, "spec.defaultAction");
}

TEST(PolicyConvert, KubernetesProfiles) {
  const Profile ns = namespace_profile("x", {{"ns", "x"}, {"team", "a"}});
  EXPECT_EQ(ns.name, "kns.x");
  EXPECT_EQ(ns.labels_to_apply,
            (Labels{{"pcns.ns", "x"}, {"pcns.team", "a"}, {"pcns.projectcalico.org/name", "x"}}));
  ASSERT_EQ(ns.ingress.size(), 1U);
  ASSERT_EQ(ns.egress.size(), 1U);
  EXPECT_EQ(ns.ingress[0], Rule{});  // match-everything Allow
  const Profile sa = service_account_profile("x", "sa1", {{"privileged", "true"}});
  EXPECT_EQ(sa.name, "ksa.x.sa1");
  EXPECT_EQ(sa.labels_to_apply,
            (Labels{{"pcsa.privileged", "true"}, {"pcsa.projectcalico.org/name", "sa1"}}));
  EXPECT_TRUE(sa.ingress.empty());
  EXPECT_TRUE(sa.egress.empty());
}

TEST(PolicyConvert, AddResourceRejectsOtherKindsAndLeavesTheSetUnchanged) {
  PolicySet set;
  auto r = testing::resource(
      "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: p}\nspec: {cidr: "
      "10.0.0.0/16}");
  auto added = add_resource(set, r);
  ASSERT_FALSE(added);
  EXPECT_EQ(added.error().to_string(), "IPPool \"p\": is not part of the policy model");
  auto bad = testing::resource(
      "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: p, namespace: "
      "x}\nspec: {selector: \"(\"}");
  EXPECT_FALSE(add_resource(set, bad));
  EXPECT_TRUE(set.policies.empty());
  testing::add_yaml(set,
                    "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: t}\nspec: "
                    "{order: 5}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
                    "metadata: {name: k, namespace: x}\nspec: {podSelector: {}}");
  EXPECT_EQ(set.tiers.size(), 1U);
  ASSERT_EQ(set.policies.size(), 1U);
  EXPECT_EQ(set.policies[0].id(), "x/knp.default.k");
}

}  // namespace
}  // namespace calico::policy
