// The reference evaluator: the tier / policy / profile pipeline (research doc 3.3, 3.4),
// every rule field, selectors over endpoints and network sets, and the bypasses.
#include "policy/evaluate.h"

#include <gtest/gtest.h>

#include "tests/unit/policy/policy_test_util.h"

namespace calico::policy {
namespace {

using testing::add_pod;
using testing::add_yaml;
using testing::between;
using testing::ip;

const EndpointKey pod_xa{"x", "a"};
const EndpointKey pod_xb{"x", "b"};
const EndpointKey pod_ya{"y", "a"};

std::string gnp(const std::string& name, const std::string& spec) {
  return "---\napiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: " +
         name + "}\nspec: " + spec + "\n";
}
std::string np(const std::string& ns, const std::string& name, const std::string& spec) {
  return "---\napiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: " + name +
         ", namespace: " + ns + "}\nspec: " + spec + "\n";
}
std::string knp(const std::string& ns, const std::string& name, const std::string& spec) {
  return "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: " + name +
         ", namespace: " + ns + "}\nspec: " + spec + "\n";
}
std::string tier(const std::string& name, const std::string& spec) {
  return "---\napiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: " + name +
         "}\nspec: " + spec + "\n";
}

// x/a 10.0.0.1, x/b 10.0.0.2 (app=db, sa db), y/a 10.0.1.1.
PolicySet three_pods() {
  PolicySet set;
  add_pod(set, "x", "a", "10.0.0.1", {{"app", "web"}});
  add_pod(set, "x", "b", "10.0.0.2", {{"app", "db"}}, "db");
  add_pod(set, "y", "a", "10.0.1.1", {{"app", "web"}});
  return set;
}

bool allowed(const PolicySet& set, const EndpointKey& from, const EndpointKey& to,
             std::uint8_t proto = kProtoTcp, std::uint16_t port = 80) {
  return evaluate(set, between(set, from, to, proto, port)).allowed;
}

// ---- Pipeline ------------------------------------------------------------------------------

TEST(PolicyEvaluate, UnselectedPodIsAllowedByItsNamespaceProfile) {
  const PolicySet set = three_pods();
  const Verdict v = evaluate(set, between(set, pod_xa, pod_ya));
  EXPECT_TRUE(v.allowed);
  ASSERT_TRUE(v.egress && v.ingress);
  EXPECT_EQ(v.egress->reason, Reason::Profile);
  EXPECT_EQ(v.egress->policy, "kns.x");
  EXPECT_EQ(v.ingress->reason, Reason::Profile);
  EXPECT_EQ(v.ingress->policy, "kns.y");
  EXPECT_EQ(v.ingress->rule, 0);
}

TEST(PolicyEvaluate, EndpointWithoutAllowProfileIsDenied) {
  PolicySet set = three_pods();
  set.endpoints[2].profiles.clear();
  const Verdict v = evaluate(set, between(set, pod_xa, pod_ya));
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.ingress->reason, Reason::NoProfileMatched);
  // A profile that does not exist is skipped.
  set.endpoints[2].profiles = {"missing", "kns.y"};
  EXPECT_TRUE(allowed(set, pod_xa, pod_ya));
}

TEST(PolicyEvaluate, SelectedPodMeetsTheEndOfTierDeny) {
  PolicySet set = three_pods();
  add_yaml(set, knp("y", "deny", "{podSelector: {}}"));
  const Verdict v = evaluate(set, between(set, pod_xa, pod_ya));
  EXPECT_FALSE(v.allowed);
  EXPECT_TRUE(v.egress->allowed);
  EXPECT_EQ(v.ingress->reason, Reason::EndOfTier);
  EXPECT_EQ(v.ingress->tier, "default");
  EXPECT_TRUE(allowed(set, pod_xa, pod_xb));  // other namespace unaffected
}

TEST(PolicyEvaluate, AllowEndsEvaluationBeforeLaterTiersAndProfiles) {
  PolicySet set = three_pods();
  add_yaml(set, tier("first", "{order: 10}") +
                    gnp("first.allow", "{tier: first, ingress: [{action: Allow}]}") +
                    gnp("deny", "{ingress: [{action: Deny}]}"));
  const Verdict v = evaluate(set, between(set, pod_xa, pod_ya));
  EXPECT_TRUE(v.allowed);
  EXPECT_EQ(v.ingress->reason, Reason::Rule);
  EXPECT_EQ(v.ingress->tier, "first");
  EXPECT_EQ(v.ingress->policy, "first.allow");
  EXPECT_EQ(v.ingress->rule, 0);
  // And a Deny in an earlier policy is final.
  add_yaml(set, gnp("first.deny", "{tier: first, order: 1, ingress: [{action: Deny}]}"));
  EXPECT_FALSE(allowed(set, pod_xa, pod_ya));
}

TEST(PolicyEvaluate, PassSkipsTheRestOfTheTier) {
  PolicySet set = three_pods();
  add_yaml(set, tier("sec", "{order: 10}") +
                    gnp("sec.pass",
                        "{tier: sec, order: 1, ingress: [{action: Pass, source: "
                        "{selector: \"app == 'web'\"}}]}") +
                    gnp("sec.deny", "{tier: sec, order: 2, ingress: [{action: Deny}]}"));
  // x/a (app=web) passes over sec.deny to the default tier (empty) and the profile.
  const Verdict v = evaluate(set, between(set, pod_xa, pod_ya));
  EXPECT_TRUE(v.allowed);
  EXPECT_EQ(v.ingress->reason, Reason::Profile);
  // x/b (app=db) does not match the Pass rule and is denied by sec.deny.
  EXPECT_FALSE(allowed(set, pod_xb, pod_ya));
  // After a Pass, the next tier decides: a Kubernetes policy isolating y.
  add_yaml(set, knp("y", "deny", "{podSelector: {}}"));
  const Verdict after = evaluate(set, between(set, pod_xa, pod_ya));
  EXPECT_FALSE(after.allowed);
  EXPECT_EQ(after.ingress->reason, Reason::EndOfTier);
  EXPECT_EQ(after.ingress->tier, "default");
}

TEST(PolicyEvaluate, TierDefaultActionPassContinues) {
  PolicySet set = three_pods();
  add_yaml(set, tier("t", "{order: 10, defaultAction: Pass}") +
                    gnp("t.only-db",
                        "{tier: t, ingress: [{action: Allow, source: {selector: "
                        "\"app == 'db'\"}}]}"));
  EXPECT_TRUE(allowed(set, pod_xa, pod_ya));  // unmatched: passes on to the profile
  set.tiers[0].default_action = Action::Deny;
  EXPECT_FALSE(allowed(set, pod_xa, pod_ya));
  EXPECT_TRUE(allowed(set, pod_xb, pod_ya));
}

TEST(PolicyEvaluate, TierWithoutApplicablePolicyIsNotConsulted) {
  PolicySet set = three_pods();
  // Selects only app=db; egress-only policies do not count for ingress.
  add_yaml(set, gnp("db-only", "{selector: \"app == 'db'\", ingress: [{action: Deny}]}") +
                    gnp("egress",
                        "{selector: all(), types: [Egress], egress: [{action: "
                        "Allow}]}"));
  EXPECT_TRUE(allowed(set, pod_xb, pod_ya));
  EXPECT_FALSE(allowed(set, pod_xa, pod_xb));
}

TEST(PolicyEvaluate, PoliciesOfAMissingTierAreNotApplied) {
  PolicySet set = three_pods();
  add_yaml(set, gnp("ghost.deny", "{tier: ghost, ingress: [{action: Deny}]}"));
  EXPECT_TRUE(allowed(set, pod_xa, pod_ya));
  add_yaml(set, tier("ghost", "{}"));
  EXPECT_FALSE(allowed(set, pod_xa, pod_ya));
}

TEST(PolicyEvaluate, ProfilesInOrderWithPassAndDeny) {
  PolicySet set = three_pods();
  add_yaml(set,
           "apiVersion: projectcalico.org/v3\nkind: Profile\nmetadata: {name: guard}\nspec: "
           "{ingress: [{action: Pass, protocol: UDP}, {action: Deny, protocol: TCP, destination: "
           "{ports: [22]}}]}");
  set.endpoints[2].profiles.insert(set.endpoints[2].profiles.begin(), "guard");
  const Verdict v = evaluate(set, between(set, pod_xa, pod_ya, kProtoTcp, 22));
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.ingress->reason, Reason::Profile);
  EXPECT_EQ(v.ingress->policy, "guard");
  EXPECT_EQ(v.ingress->rule, 1);
  // Pass moves on to the next profile (kns.y allows); no match does too.
  EXPECT_TRUE(allowed(set, pod_xa, pod_ya, kProtoUdp, 22));
  EXPECT_TRUE(allowed(set, pod_xa, pod_ya, kProtoTcp, 80));
}

TEST(PolicyEvaluate, LogRecordsAndContinues) {
  PolicySet set = three_pods();
  add_yaml(set, gnp("log", "{order: 1, ingress: [{action: Log}, {action: Log, protocol: UDP}]}") +
                    gnp("allow", "{order: 2, ingress: [{action: Log}, {action: Allow}]}"));
  const Verdict v = evaluate(set, between(set, pod_xa, pod_ya));
  EXPECT_TRUE(v.allowed);
  EXPECT_EQ(v.logged, (std::vector<LogEntry>{{Direction::Ingress, "default", "log", 0},
                                             {Direction::Ingress, "default", "allow", 0}}));
  EXPECT_EQ(v.ingress->policy, "allow");
  EXPECT_EQ(v.ingress->rule, 1);
}

TEST(PolicyEvaluate, EgressIsEvaluatedBeforeIngress) {
  PolicySet set = three_pods();
  add_yaml(set, knp("x", "no-egress", "{podSelector: {}, policyTypes: [Egress]}") +
                    knp("y", "no-ingress", "{podSelector: {}}"));
  const Verdict v = evaluate(set, between(set, pod_xa, pod_ya));
  EXPECT_FALSE(v.allowed);
  ASSERT_TRUE(v.egress);
  EXPECT_FALSE(v.egress->allowed);
  EXPECT_FALSE(v.ingress);  // dropped on the way out
}

TEST(PolicyEvaluate, LoopbackFromHostExternalAndUnknownEndpoints) {
  PolicySet set = three_pods();
  add_yaml(set, knp("x", "deny", "{podSelector: {}, policyTypes: [Ingress, Egress]}"));
  const Verdict self = evaluate(set, between(set, pod_xa, pod_xa));
  EXPECT_TRUE(self.allowed);
  EXPECT_EQ(self.ingress->reason, Reason::Loopback);

  // 2.9 #14: the pod's own node (kubelet probes) is not policed by ingress policy.
  Packet probe;
  probe.src = ip("192.168.0.1");
  probe.dst = ip("10.0.0.1");
  probe.dst_endpoint = pod_xa;
  probe.dst_port = 8080;
  EXPECT_FALSE(evaluate(set, probe).allowed);
  probe.from_host = true;
  const Verdict host = evaluate(set, probe);
  EXPECT_TRUE(host.allowed);
  EXPECT_EQ(host.ingress->reason, Reason::FromHost);
  EXPECT_FALSE(host.egress);

  // Neither end an endpoint: nothing applies.
  Packet transit;
  transit.src = ip("192.168.0.1");
  transit.dst = ip("192.168.0.2");
  EXPECT_TRUE(evaluate(set, transit).allowed);

  Packet unknown = between(set, pod_xa, pod_ya);
  unknown.dst_endpoint = EndpointKey{"y", "zz"};
  unknown.src_endpoint.reset();
  const Verdict u = evaluate(set, unknown);
  EXPECT_FALSE(u.allowed);
  EXPECT_EQ(u.ingress->reason, Reason::UnknownEndpoint);
}

TEST(PolicyEvaluate, VerdictExplainsItself) {
  PolicySet set = three_pods();
  add_yaml(set, knp("y", "deny", "{podSelector: {}}"));
  const std::string text = evaluate(set, between(set, pod_xa, pod_ya)).to_string();
  EXPECT_EQ(text,
            "denied; egress allowed (profile policy=kns.x rule=0); ingress denied (end of tier "
            "tier=default)");
}

// ---- Rule fields --------------------------------------------------------------------------

TEST(PolicyEvaluate, ProtocolAndNotProtocol) {
  PolicySet set = three_pods();
  add_yaml(set, np("y", "p",
                   "{ingress: [{action: Allow, protocol: UDP}, {action: Allow, "
                   "notProtocol: TCP, protocol: 132}]}"));
  EXPECT_FALSE(allowed(set, pod_xa, pod_ya, kProtoTcp));
  EXPECT_TRUE(allowed(set, pod_xa, pod_ya, kProtoUdp));
  EXPECT_TRUE(allowed(set, pod_xa, pod_ya, kProtoSctp));
  EXPECT_FALSE(allowed(set, pod_xa, pod_ya, kProtoUdpLite));
}

TEST(PolicyEvaluate, IcmpTypeCodeAndNotIcmp) {
  PolicySet set = three_pods();
  add_yaml(set, np("y", "icmp",
                   "{ingress: [{action: Allow, protocol: ICMP, icmp: {type: 8, code: "
                   "0}}, {action: Allow, protocol: ICMP, notICMP: {type: 13}}]}"));
  Packet p = between(set, pod_xa, pod_ya, kProtoIcmp, 0);
  p.icmp_type = 8;
  EXPECT_TRUE(evaluate(set, p).allowed);  // echo request, rule 0
  EXPECT_EQ(evaluate(set, p).ingress->rule, 0);
  p.icmp_code = 1;
  EXPECT_TRUE(evaluate(set, p).allowed);  // code differs: rule 1 (not type 13)
  EXPECT_EQ(evaluate(set, p).ingress->rule, 1);
  p.icmp_type = 13;
  EXPECT_FALSE(evaluate(set, p).allowed);  // timestamp: excluded by notICMP
  // notICMP never matches a non-ICMP packet.
  EXPECT_FALSE(allowed(set, pod_xa, pod_ya, kProtoTcp));
}

TEST(PolicyEvaluate, IpVersionAndIpv6Nets) {
  PolicySet set = three_pods();
  set.endpoints[0].addrs.push_back(ip("fd00::1"));
  set.endpoints[2].addrs.push_back(ip("fd00:1::1"));
  add_yaml(set, gnp("v6",
                    "{selector: \"projectcalico.org/namespace == 'y'\", ingress: [{action: "
                    "Allow, ipVersion: 6, source: {nets: [\"fd00::/64\"]}}]}"));
  Packet p = between(set, pod_xa, pod_ya);
  EXPECT_FALSE(evaluate(set, p).allowed);  // IPv4 packet: the v6 rule does not apply
  p.src = ip("fd00::1");
  p.dst = ip("fd00:1::1");
  EXPECT_TRUE(evaluate(set, p).allowed);
  p.src = ip("fd00:2::1");
  p.src_endpoint.reset();
  EXPECT_FALSE(evaluate(set, p).allowed);
}

TEST(PolicyEvaluate, NetsNotNetsAndSelectorsOverNetworkSets) {
  PolicySet set = three_pods();
  add_yaml(set,
           "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata: {name: ext, "
           "labels: {role: partner}}\nspec: {nets: [203.0.113.0/24]}\n" +
               gnp("g",
                   "{selector: \"projectcalico.org/namespace == 'y'\", ingress: [{action: "
                   "Allow, source: {selector: \"role == 'partner'\", notNets: "
                   "[203.0.113.128/25]}}, {action: Allow, source: {nets: [198.51.100.0/24], "
                   "notSelector: \"role == 'partner'\"}}]}"));
  Packet p = between(set, pod_xa, pod_ya);
  p.src_endpoint.reset();
  p.src = ip("203.0.113.5");
  EXPECT_TRUE(evaluate(set, p).allowed);  // in the network set
  p.src = ip("203.0.113.200");
  EXPECT_FALSE(evaluate(set, p).allowed);  // excluded by notNets
  p.src = ip("198.51.100.7");
  EXPECT_TRUE(evaluate(set, p).allowed);  // second rule
  p.src = ip("192.0.2.1");
  EXPECT_FALSE(evaluate(set, p).allowed);      // nowhere
  EXPECT_FALSE(allowed(set, pod_xa, pod_ya));  // pods are not partners
}

TEST(PolicyEvaluate, SelectorsMatchEffectiveLabels) {
  PolicySet set = three_pods();
  set.profiles[0].labels_to_apply["pcns.team"] = "red";  // kns.x
  // A pod cannot claim another namespace's labels: pcns.* on the pod itself is ignored.
  set.endpoints[2].labels["pcns.team"] = "red";
  add_yaml(set, np("y", "from-red",
                   "{ingress: [{action: Allow, source: {namespaceSelector: "
                   "\"team == 'red'\"}}]}"));
  EXPECT_TRUE(allowed(set, pod_xa, pod_ya));
  EXPECT_TRUE(allowed(set, pod_xb, pod_ya));
  EXPECT_EQ(set.effective_labels(set.endpoints[2]).count("pcns.team"), 0U);
}

TEST(PolicyEvaluate, PortsRangesAndNotPorts) {
  PolicySet set = three_pods();
  add_yaml(set, np("y", "p",
                   "{ingress: [{action: Allow, protocol: TCP, destination: {ports: "
                   "[\"8000:8080\", 443], notPorts: [8008]}}, {action: Allow, protocol: "
                   "UDP, source: {ports: [53]}}]}"));
  EXPECT_TRUE(allowed(set, pod_xa, pod_ya, kProtoTcp, 8000));
  EXPECT_TRUE(allowed(set, pod_xa, pod_ya, kProtoTcp, 8080));
  EXPECT_TRUE(allowed(set, pod_xa, pod_ya, kProtoTcp, 443));
  EXPECT_FALSE(allowed(set, pod_xa, pod_ya, kProtoTcp, 8008));
  EXPECT_FALSE(allowed(set, pod_xa, pod_ya, kProtoTcp, 8081));
  Packet dns = between(set, pod_xa, pod_ya, kProtoUdp, 40000);
  dns.src_port = 53;
  EXPECT_TRUE(evaluate(set, dns).allowed);
  dns.src_port = 54;
  EXPECT_FALSE(evaluate(set, dns).allowed);
}

TEST(PolicyEvaluate, NamedPortsResolvePerEndpointAndProtocol) {
  PolicySet set = three_pods();
  set.endpoints[0].ports = {{"http", kProtoTcp, 8080}};                          // x/a
  set.endpoints[1].ports = {{"http", kProtoTcp, 9090}, {"dns", kProtoUdp, 53}};  // x/b
  add_yaml(set, knp("x", "http",
                    "{podSelector: {}, ingress: [{ports: [{port: http}, {protocol: "
                    "UDP, port: dns}]}]}"));
  EXPECT_TRUE(allowed(set, pod_ya, pod_xa, kProtoTcp, 8080));
  EXPECT_FALSE(allowed(set, pod_ya, pod_xa, kProtoTcp, 9090));  // 9090 is x/b's http, not x/a's
  EXPECT_TRUE(allowed(set, pod_ya, pod_xb, kProtoTcp, 9090));
  EXPECT_FALSE(allowed(set, pod_ya, pod_xb, kProtoTcp, 8080));
  EXPECT_TRUE(allowed(set, pod_ya, pod_xb, kProtoUdp, 53));
  EXPECT_FALSE(allowed(set, pod_ya, pod_xb, kProtoTcp, 53));  // dns is a UDP port
  EXPECT_FALSE(allowed(set, pod_ya, pod_xa, kProtoUdp, 53));  // x/a has no dns port
}

TEST(PolicyEvaluate, NamedPortInEgressResolvesOnSelectedPeersOnly) {
  PolicySet set = three_pods();
  for (auto& ep : set.endpoints) {
    ep.ports = {{"http", kProtoTcp, 8080}};
  }
  add_yaml(set, knp("x", "out",
                    "{podSelector: {matchLabels: {app: web}}, policyTypes: [Egress], "
                    "egress: [{to: [{podSelector: {matchLabels: {app: db}}}], ports: "
                    "[{port: http}]}]}"));
  EXPECT_TRUE(allowed(set, pod_xa, pod_xb, kProtoTcp, 8080));
  EXPECT_FALSE(allowed(set, pod_xa, pod_ya, kProtoTcp, 8080));  // y/a is not a selected peer
  EXPECT_FALSE(allowed(set, pod_xa, pod_xb, kProtoTcp, 80));
}

TEST(PolicyEvaluate, PolicySelectsUsesTheFoldedSelector) {
  PolicySet set = three_pods();
  add_yaml(set, np("x", "db", "{selector: \"app == 'db'\"}") +
                    gnp("sa", "{serviceAccountSelector: \"projectcalico.org/name == 'db'\"}"));
  const Policy& ns_pol = set.policies[0];
  const Policy& sa_pol = set.policies[1];
  EXPECT_TRUE(policy_selects(set, ns_pol, set.endpoints[1]));
  EXPECT_FALSE(policy_selects(set, ns_pol, set.endpoints[0]));
  EXPECT_TRUE(policy_selects(set, sa_pol, set.endpoints[1]));
  EXPECT_FALSE(policy_selects(set, sa_pol, set.endpoints[2]));
  EXPECT_TRUE(selector_matches_addr(set, ns_pol.selector, ip("10.0.0.2")));
  EXPECT_FALSE(selector_matches_addr(set, ns_pol.selector, ip("10.0.0.1")));
}

}  // namespace
}  // namespace calico::policy
