// `calicoctl policy render`: flag parsing, and the rendered ruleset and set listing for the
// fixture testdata/policy_render.yaml (golden-ish: the chains, sets and members the plan
// must contain, not the whole text).
#include "calicoctl/commands/policy_render.h"

#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "calicoctl/commands/cli.h"

namespace calico::calicoctl {
namespace {

constexpr const char* kFixture = CALICO_CALICOCTL_TESTDATA_DIR "/policy_render.yaml";

struct CliRun {
  int code = -1;
  std::string out;
  std::string err;
};

CliRun calicoctl(const std::vector<std::string>& args, const std::string& stdin_text = "") {
  CliRun r;
  auto cmd = parse_args(args);
  if (!cmd) {
    r.err = cmd.error();
    return r;
  }
  std::istringstream in(stdin_text);
  std::ostringstream out;
  std::ostringstream err;
  r.code = run(*cmd, nullptr, in, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

// The block of the set section that lists the set whose members include `member`.
std::string set_listing_with(const std::string& out, const std::string& member) {
  const std::size_t sets = out.find("# Sets of table");
  const std::size_t at = out.find("#   " + member + "\n", sets);
  if (sets == std::string::npos || at == std::string::npos) {
    return "";
  }
  const std::size_t begin = out.rfind("# set ", at);
  const std::size_t end = out.find("# set ", at);
  return out.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

TEST(PolicyRenderArgsTest, ParsesTheSubcommandAndItsFlags) {
  auto cmd = parse_args({"policy", "render", "-f", "a.yaml", "--filename=b.yaml", "--node",
                         "node-1", "--iface-prefix=veth", "--table", "t1"});
  ASSERT_TRUE(cmd.has_value()) << cmd.error();
  EXPECT_EQ(cmd->verb, Verb::PolicyRender);
  EXPECT_EQ(cmd->files, (std::vector<std::string>{"a.yaml", "b.yaml"}));
  EXPECT_EQ(cmd->node, "node-1");
  EXPECT_EQ(cmd->iface_prefix, "veth");
  EXPECT_EQ(cmd->table, "t1");
  EXPECT_FALSE(needs_datastore(*cmd));

  auto defaults = parse_args({"policy", "render", "-f", "a.yaml"});
  ASSERT_TRUE(defaults.has_value());
  EXPECT_EQ(defaults->node, "");
  EXPECT_EQ(defaults->iface_prefix, "cali");
  EXPECT_EQ(defaults->table, "calico");
}

TEST(PolicyRenderArgsTest, RejectsIncompleteOrMisplacedUse) {
  EXPECT_EQ(parse_args({"policy", "render"}).error(), "policy render needs -f FILE");
  EXPECT_EQ(parse_args({"policy", "-f", "a.yaml"}).error(),
            "policy needs a subcommand: \"calicoctl policy render -f FILE\"");
  EXPECT_EQ(parse_args({"policy", "show", "-f", "a.yaml"}).error(),
            "policy needs a subcommand: \"calicoctl policy render -f FILE\"");
  EXPECT_EQ(parse_args({"get", "ippools", "--node", "n"}).error(),
            "flag --node is only valid for \"policy render\"");
  EXPECT_EQ(parse_args({"policy", "render", "-f", "a.yaml", "--table"}).error(),
            "flag --table needs a value");
}

TEST(PolicyRenderTest, RendersTheNodesEndpointsAndTheirPolicies) {
  const CliRun r = calicoctl({"policy", "render", "-f", kFixture, "--node", "node-1"});
  ASSERT_EQ(r.code, 0) << r.err;
  // The ruleset: one inet table with the base chains, node-1's endpoint chains only, and
  // a chain per policy that selects one of them.
  EXPECT_TRUE(contains(r.out, "table inet calico {")) << r.out;
  for (const char* chain :
       {"chain filter-FORWARD {", "chain filter-INPUT {", "chain filter-OUTPUT {",
        "chain tw-cali1b2c3d4e5f6 {", "chain fw-cali1b2c3d4e5f6 {", "chain tw-cali2d3e4f5a6b7 {",
        "chain pi-np/shop/allow-frontend {", "chain pi-knp/shop/db-from-backend {",
        "chain pi-gnp/ssh-from-office {", "chain pri-kns.shop {"}) {
    EXPECT_TRUE(contains(r.out, chain)) << chain << "\n" << r.out;
  }
  EXPECT_FALSE(contains(r.out, "cali3f4a5b6c7d8 {")) << "node-2's endpoints have no chains";
  EXPECT_TRUE(contains(r.out, "type filter hook forward priority 0; policy accept;")) << r.out;
  EXPECT_TRUE(contains(r.out, "\"cali1b2c3d4e5f6\" : goto tw-cali1b2c3d4e5f6")) << r.out;
  EXPECT_TRUE(contains(r.out, "th dport 8080")) << r.out;
  EXPECT_TRUE(contains(r.out, "th dport 5432")) << r.out;
  EXPECT_TRUE(contains(r.out, "th dport 22")) << r.out;
  EXPECT_FALSE(contains(r.out, "Skipping")) << "notes go to stderr";
  EXPECT_TRUE(contains(r.err, "Skipping IPPool \"pods\"")) << r.err;

  // The set section: each selector's members, one per line, wherever the pods run.
  EXPECT_TRUE(contains(r.out, "# Sets of table inet calico, one member per line\n")) << r.out;
  const std::string frontends = set_listing_with(r.out, "10.65.2.20");
  EXPECT_TRUE(contains(frontends, "(ipv4_addr, 2 members)")) << frontends;
  EXPECT_TRUE(contains(frontends, "#   10.65.2.21\n")) << frontends;
  EXPECT_TRUE(contains(frontends,
                       ": selector (projectcalico.org/namespace == \"shop\" && app == "
                       "\"frontend\")\n"))
      << frontends;
  EXPECT_TRUE(contains(r.out, "#   fd00:65:2::20\n")) << "the IPv6 set of app == 'frontend'";
  const std::string backends = set_listing_with(r.out, "10.65.1.10");
  EXPECT_FALSE(backends.empty()) << r.out;
  EXPECT_TRUE(contains(set_listing_with(r.out, "198.51.100.0/24"), ": selector role == \"office\""))
      << "the office network set\n"
      << r.out;
  EXPECT_TRUE(contains(set_listing_with(r.out, "10.65.1.10 . tcp . 8081"), ": named port http-alt"))
      << "named port http-alt\n"
      << r.out;
}

TEST(PolicyRenderTest, WithoutNodeEveryEndpointIsLocalAndOptionsApply) {
  const CliRun r =
      calicoctl({"policy", "render", "-f", kFixture, "--table", "pol", "--iface-prefix", "cali"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "table inet pol {")) << r.out;
  EXPECT_TRUE(contains(r.out, "# Sets of table inet pol,")) << r.out;
  for (const char* iface :
       {"cali1b2c3d4e5f6", "cali2d3e4f5a6b7", "cali3f4a5b6c7d8", "cali4a5b6c7d8e9"}) {
    EXPECT_TRUE(contains(r.out, "chain tw-" + std::string(iface) + " {")) << iface;
  }
}

TEST(PolicyRenderTest, ReadsStdinAndRendersFixedChainsForAnUnknownNode) {
  const CliRun r = calicoctl({"policy", "render", "-f", "-", "--node", "nowhere"},
                             "apiVersion: projectcalico.org/v3\n"
                             "kind: GlobalNetworkSet\n"
                             "metadata:\n  name: office\n  labels:\n    role: office\n"
                             "spec:\n  nets: [198.51.100.0/24]\n");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "chain filter-FORWARD {")) << r.out;
  EXPECT_TRUE(contains(r.err, "No WorkloadEndpoint on node nowhere")) << r.err;
}

TEST(PolicyRenderTest, ErrorsNameTheFileResourceAndField) {
  const CliRun bad_selector =
      calicoctl({"policy", "render", "-f", "-"},
                "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\n"
                "metadata:\n  name: broken\n  namespace: shop\n"
                "spec:\n  selector: app == 'web'\n  ingress:\n  - action: Allow\n"
                "    source:\n      selector: app ==\n");
  EXPECT_EQ(bad_selector.code, 1);
  EXPECT_TRUE(contains(bad_selector.err, "Failed to render policy: ")) << bad_selector.err;
  EXPECT_TRUE(contains(bad_selector.err, "NetworkPolicy \"shop/broken\"")) << bad_selector.err;
  EXPECT_TRUE(contains(bad_selector.err, "spec.ingress[0].source.selector")) << bad_selector.err;

  const CliRun no_iface = calicoctl({"policy", "render", "-f", "-"},
                                    "apiVersion: projectcalico.org/v3\nkind: WorkloadEndpoint\n"
                                    "metadata:\n  name: n-k8s-p-eth0\n  namespace: shop\n"
                                    "spec:\n  node: n\n  pod: p\n  ipNetworks: [10.65.9.9/32]\n");
  EXPECT_EQ(no_iface.code, 1);
  EXPECT_TRUE(contains(no_iface.err, "WorkloadEndpoint \"shop/n-k8s-p-eth0\"")) << no_iface.err;
  EXPECT_TRUE(contains(no_iface.err, "spec.interfaceName")) << no_iface.err;

  const CliRun missing = calicoctl({"policy", "render", "-f", "/nonexistent/p.yaml"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_TRUE(contains(missing.err, "cannot read \"/nonexistent/p.yaml\"")) << missing.err;
}

}  // namespace
}  // namespace calico::calicoctl
