// Rendering golden tests: the nft text of fixed inputs, checked in under
// tests/unit/policy/golden/.  A change to the renderer shows up as a reviewable diff of
// these files; regenerate them with CALICO_UPDATE_GOLDEN=1 ./policy_unit_tests
// --gtest_filter='PolicyGolden.*' and read the diff before committing it.
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "policy/compile.h"
#include "tests/lib/netpol_cases.h"

namespace calico::policy {
namespace {

namespace netpol = testlib::netpol;

void check_golden(const std::string& name, const std::string& resources) {
  netpol::Step step;
  step.resources = resources;
  auto set = netpol::build_policy_set(step);
  ASSERT_TRUE(set) << set.error();
  // Two local pods (x/a and y/b); the others are remote and only feed the sets.
  auto plan = compile(*set, {{netpol::pod_key(0), netpol::pod_iface(0)},
                             {netpol::pod_key(4), netpol::pod_iface(4)}});
  ASSERT_TRUE(plan) << plan.error();
  const std::string text = to_nft_text(*plan);
  const std::string path = std::string(CALICO_POLICY_GOLDEN_DIR) + "/" + name + ".nft";
  const char* update = std::getenv("CALICO_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream(path) << text;
    GTEST_SKIP() << "rewrote " << path;
  }
  std::ifstream in(path);
  ASSERT_TRUE(in) << "missing golden file " << path;
  std::stringstream want;
  want << in.rdbuf();
  EXPECT_EQ(text, want.str()) << "rendering of " << name << " changed; see " << path;
}

// The research doc's worked example (4.6a), on the e2e layout: an ingress policy with a pod
// peer and an ipBlock with except, TCP port and all UDP.
TEST(PolicyGolden, KubernetesPolicyWithIpBlockAndPorts) {
  check_golden("knp_ipblock_ports",
               netpol::knp("x", "allow-frontend",
                           "{podSelector: {matchLabels: {pod: a}}, policyTypes: [Ingress], "
                           "ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}, "
                           "{ipBlock: {cidr: 10.65.0.0/16, except: [10.65.2.0/24]}}], "
                           "ports: [{port: 80}, {protocol: UDP}]}]}"));
}

// Tiers, Pass, Deny, Log, named ports (sub-chain), notICMP with a code (sub-chain),
// network sets and a global policy.
TEST(PolicyGolden, CalicoTiersNamedPortsAndNetworkSets) {
  check_golden(
      "calico_tiers_named_ports",
      netpol::tier("security", "{order: 100}") +
          netpol::gns("blocked", "{role: blocked}", "{nets: [192.0.2.0/24, 10.65.2.12/32]}") +
          netpol::gnp("security.deny-blocked",
                      "{tier: security, order: 10, selector: all(), types: [Ingress, Egress], "
                      "ingress: [{action: Log, source: {selector: role == 'blocked'}}, "
                      "{action: Deny, source: {selector: role == 'blocked'}}, {action: Pass}], "
                      "egress: [{action: Deny, protocol: ICMP, notICMP: {type: 3, code: 1}}, "
                      "{action: Pass}]}") +
          netpol::np("x", "web",
                     "{selector: pod == 'a', types: [Ingress], ingress: [{action: Allow, "
                     "protocol: TCP, source: {namespaceSelector: ns == 'y'}, "
                     "destination: {ports: [web, 81]}}]}"));
}

}  // namespace
}  // namespace calico::policy
