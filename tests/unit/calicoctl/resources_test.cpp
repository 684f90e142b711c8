// calicoctl's resource commands over the in-memory store (which honours the datastore's
// contract: revisions, AlreadyExists, Conflict): argument parsing, Calico's messages and
// exit codes, and the pure printer.  The same commands against a real etcd are in
// tests/integration/calicoctl/calicoctl_etcd_test.cpp.
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "api/document.h"
#include "calicoctl/commands/cli.h"
#include "calicoctl/commands/printer.h"
#include "calicoctl/commands/table.h"
#include "datastore/memory_store.h"

namespace calico::calicoctl {
namespace {

struct Run {
  int code = -1;
  std::string out;
  std::string err;
};

Run ctl(datastore::Datastore& ds, const std::vector<std::string>& args,
        const std::string& stdin_text = "") {
  Run r;
  auto cmd = parse_args(args);
  if (!cmd) {
    r.code = 1;
    r.err = cmd.error();
    return r;
  }
  std::istringstream in(stdin_text);
  std::ostringstream out;
  std::ostringstream err;
  r.code = run(*cmd, &ds, in, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

const std::string kPools =
    "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: a\nspec:\n"
    "  cidr: 10.1.0.0/16\n---\napiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n"
    "  name: b\nspec:\n  cidr: 10.2.0.0/16\n  vxlanMode: CrossSubnet\n";

TEST(CalicoctlResources, ParseErrorsAreOneLine) {
  EXPECT_FALSE(parse_args({"frobnicate"}));
  EXPECT_EQ(parse_args({"frobnicate"}).error(), "unknown command: \"frobnicate\"");
  EXPECT_EQ(parse_args({"get", "colours"}).error(), "resource type 'colours' is not supported");
  EXPECT_FALSE(parse_args({"patch", "ippool", "a"}));  // no -p
  EXPECT_FALSE(parse_args({"label", "ippool", "a", "k", "--overwrite", "--remove"}));
  EXPECT_FALSE(parse_args({"apply", "-f", "x.yaml", "-o", "yaml"}));
  EXPECT_FALSE(parse_args({"get", "ippool", "-f", "x.yaml"}));
  auto label = parse_args({"label", "nodes", "n1", "rack=r1", "--overwrite"});
  ASSERT_TRUE(label);
  EXPECT_EQ(label->label, "rack=r1");
  EXPECT_EQ(label->names, std::vector<std::string>{"n1"});
  EXPECT_EQ(label->kind_word, "nodes");
  auto ipam = parse_args({"-c", "/x.cfg", "ipam", "show", "--show-blocks"});
  ASSERT_TRUE(ipam);
  EXPECT_EQ(ipam->verb, Verb::Ipam);
  EXPECT_EQ(ipam->config_file, "/x.cfg");
  EXPECT_EQ(ipam->sub_args, (std::vector<std::string>{"show", "--show-blocks"}));
}

TEST(CalicoctlResources, CreateApplyReplaceDeleteMessages) {
  datastore::MemoryStore ds;
  auto r = ctl(ds, {"create", "-f", "-"}, kPools);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "Successfully created 2 'IPPool' resource(s)\n");
  r = ctl(ds, {"create", "-f", "-"}, kPools);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err,
            "Failed to create any 'IPPool' resources: [resource already exists: IPPool(a) resource "
            "already exists: IPPool(b)]\n");
  // One new, one existing: Calico's partial success.
  const std::string more = kPools +
                           "---\napiVersion: projectcalico.org/v3\nkind: IPPool\n"
                           "metadata:\n  name: c\nspec:\n  cidr: 10.3.0.0/16\n";
  r = ctl(ds, {"create", "-f", "-"}, more);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "Partial success: created the first 1 out of 3 'IPPool' resources:\n");
  EXPECT_EQ(r.err,
            "Hit error: [resource already exists: IPPool(a) resource already exists: IPPool(b)]\n");
  r = ctl(ds, {"apply", "-f", "-"}, more);
  EXPECT_EQ(r.out, "Successfully applied 3 'IPPool' resource(s)\n");
  r = ctl(ds, {"replace", "-f", "-"}, more);
  EXPECT_EQ(r.out, "Successfully replaced 3 'IPPool' resource(s)\n");
  r = ctl(ds, {"delete", "ippool", "a", "zz"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "Successfully deleted 1 'IPPool' resource(s)\n");
  EXPECT_EQ(r.err, "Failed to delete 'IPPool' resource: resource does not exist: IPPool(zz)\n");
  r = ctl(ds, {"get", "ippools", "-o", "name"});
  EXPECT_EQ(r.out, "b\nc\n");
}

TEST(CalicoctlResources, StaleResourceVersionIsAConflictAndStoresNothing) {
  datastore::MemoryStore ds;
  ASSERT_EQ(ctl(ds, {"apply", "-f", "-"}, kPools).code, 0);
  const std::string yaml = ctl(ds, {"get", "ippool", "b", "-o", "yaml"}).out;
  ASSERT_NE(yaml.find("resourceVersion"), std::string::npos);
  ASSERT_EQ(ctl(ds, {"label", "ippool", "b", "x=y"}).code, 0);
  const std::string latest = ctl(ds, {"get", "ippool", "b", "-o", "yaml"}).out;
  for (const char* verb : {"replace", "apply"}) {
    auto r = ctl(ds, {verb, "-f", "-"}, yaml);
    EXPECT_EQ(r.code, 1) << verb;
    EXPECT_NE(r.err.find("update conflict: IPPool(b): resource version '"), std::string::npos)
        << r.err;
    EXPECT_EQ(ctl(ds, {"get", "ippool", "b", "-o", "yaml"}).out, latest);
  }
}

TEST(CalicoctlResources, NamespacedKindsFollowCalicoRules) {
  datastore::MemoryStore ds;
  const std::string np =
      "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata:\n  name: p\n"
      "spec:\n  selector: all()\n";
  EXPECT_EQ(ctl(ds, {"apply", "-f", "-"}, np).code, 0);  // default namespace
  EXPECT_EQ(ctl(ds, {"apply", "-f", "-", "-n", "prod"}, np).code, 0);
  auto r = ctl(ds, {"get", "np", "-A", "-o", "name"});
  EXPECT_EQ(r.out, "p\np\n");
  r = ctl(ds, {"get", "np", "-A"});
  EXPECT_EQ(r.out,
            "NAMESPACE   NAME   TIER      \ndefault     p      default   \n"
            "prod        p      default   \n\n");
  r = ctl(ds, {"get", "np", "-n", "prod", "-A"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "cannot use both --namespace and --all-namespaces flags at the same time\n");
  r = ctl(ds, {"get", "gnp", "-n", "prod"});
  EXPECT_EQ(r.err, "GlobalNetworkPolicy is not namespaced\n");
  const std::string gnp_with_ns =
      "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: g\n"
      "  namespace: prod\nspec:\n  selector: all()\n";
  r = ctl(ds, {"create", "-f", "-"}, gnp_with_ns);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("namespace should not be specified for a non-namespaced resource"),
            std::string::npos)
      << r.err;
}

TEST(CalicoctlResources, PrinterColumnsPerKind) {
  auto obj = [](const std::string& yaml) {
    auto docs = api::decode_yaml(yaml);
    EXPECT_TRUE(docs) << docs.error().to_string();
    datastore::Object o;
    o.value = (*docs)[0];
    o.key = datastore::key_of(o.value);
    return o;
  };
  PrintRequest req;
  req.kind = api::Kind::BGPPeer;
  req.items = {obj("apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata:\n  name: tor\n"
                   "spec:\n  peerIP: 10.0.0.254\n  asNumber: 65000\n"),
               obj("apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata:\n  name: rack1\n"
                   "spec:\n  peerIP: 10.0.1.254\n  asNumber: 65001\n  nodeSelector: rack == "
                   "'r1'\n")};
  auto text = render_get(req);
  ASSERT_TRUE(text);
  EXPECT_EQ(*text,
            "NAME    PEERIP       NODE           ASN     \n"
            "tor     10.0.0.254   (global)       65000   \n"
            "rack1   10.0.1.254   rack == 'r1'   65001   \n\n");
  req.kind = api::Kind::WorkloadEndpoint;
  req.items = {
      obj("apiVersion: projectcalico.org/v3\nkind: WorkloadEndpoint\nmetadata:\n"
          "  name: n1-k8s-web-eth0\n  namespace: prod\nspec:\n  node: n1\n"
          "  orchestrator: k8s\n  pod: web\n  endpoint: eth0\n  interfaceName: "
          "cali12345678901\n  ipNetworks: [10.1.0.5/32, fd00::5/128]\n")};
  req.print_namespace = true;
  text = render_get(req);
  ASSERT_TRUE(text);
  EXPECT_EQ(*text,
            "NAMESPACE   WORKLOAD   NODE   NETWORKS                  INTERFACE         \n"
            "prod        web        n1     10.1.0.5/32,fd00::5/128   cali12345678901   \n\n");
  EXPECT_TRUE(valid_output("custom-columns=NAME"));
  EXPECT_FALSE(valid_output("go-template={{.}}"));
}

TEST(CalicoctlTable, TablewriterLayout) {
  EXPECT_EQ(render_table({"PEER ADDRESS", "STATE"}, {{"10.0.0.1", "up"}, {"10.0.0.22", "start"}}),
            "+--------------+-------+\n"
            "| PEER ADDRESS | STATE |\n"
            "+--------------+-------+\n"
            "| 10.0.0.1     | up    |\n"
            "| 10.0.0.22    | start |\n"
            "+--------------+-------+\n");
  // Numbers right-aligned, headers centred with the odd space on the right.
  EXPECT_EQ(render_table({"IPS TOTAL", "X"}, {{"64", "abcd"}}),
            "+-----------+------+\n"
            "| IPS TOTAL |  X   |\n"
            "+-----------+------+\n"
            "|        64 | abcd |\n"
            "+-----------+------+\n");
  EXPECT_TRUE(is_table_number("65,536"));
  EXPECT_FALSE(is_table_number("38 (0%)"));
  // Long cells wrap at 30 columns on word boundaries.
  const std::string t =
      render_table({"INFO"}, {{"Active Socket: Connection refused by the remote end now"}});
  EXPECT_NE(t.find("| Active Socket: Connection     |\n| refused by the remote end now |\n"),
            std::string::npos)
      << t;
}

}  // namespace
}  // namespace calico::calicoctl
