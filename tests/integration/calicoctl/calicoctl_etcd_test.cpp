// calicoctl's resource commands exec'd against a real etcd started by the test: golden
// stdout/stderr/exit codes for create/apply/replace/delete/get/patch/label/validate, the
// error cases (unknown kind, bad YAML, validation failure, not found, already exists,
// stale resourceVersion) and that a failing command leaves what is stored untouched.
#include <filesystem>
#include <fstream>
#include <regex>

#include <gtest/gtest.h>

#include "tests/lib/etcd_server.h"
#include "tests/lib/process.h"

namespace calico::calicoctl {
namespace {

class CalicoctlEtcd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto e = testlib::EtcdServer::start();
    ASSERT_TRUE(e) << e.error();
    etcd_ = std::move(*e).release();
  }
  static void TearDownTestSuite() {
    delete etcd_;
    etcd_ = nullptr;
  }

  testlib::ExecResult ctl(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), CALICOCTL_BINARY);
    return testlib::run_with_input(args, env(), input, /*clear_env=*/true);
  }
  std::map<std::string, std::string> env() const {
    return {{"DATASTORE_TYPE", "etcdv3"}, {"ETCD_ENDPOINTS", etcd_->endpoint()}};
  }
  std::string write(const std::string& name, const std::string& text) {
    const std::string path = dir_.path() + "/" + name;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path) << text;
    return path;
  }

  static testlib::EtcdServer* etcd_;
  testlib::TempDir dir_{"calicoctl-etcd"};
};
testlib::EtcdServer* CalicoctlEtcd::etcd_ = nullptr;

std::string pool(const std::string& name, const std::string& cidr, const std::string& extra = "") {
  return "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: " + name +
         "\nspec:\n  cidr: " + cidr + "\n" + extra;
}

#define EXPECT_RUN(r, code, out_text, err_text)              \
  do {                                                       \
    const auto& run_ = (r);                                  \
    EXPECT_EQ(run_.exit_code, code) << run_.out << run_.err; \
    EXPECT_EQ(run_.out, out_text);                           \
    EXPECT_EQ(run_.err, err_text);                           \
  } while (false)

TEST_F(CalicoctlEtcd, CreateGetAndAlreadyExists) {
  const auto file =
      write("pools.yaml", pool("gp-a", "10.61.0.0/16", "  natOutgoing: true\n") + "---\n" +
                              pool("gp-b", "10.62.0.0/16", "  ipipMode: Always\n"));
  EXPECT_RUN(ctl({"create", "-f", file}), 0, "Successfully created 2 'IPPool' resource(s)\n", "");
  EXPECT_RUN(ctl({"create", "-f", file}), 1, "",
             "Failed to create any 'IPPool' resources: [resource already exists: IPPool(gp-a) "
             "resource already exists: IPPool(gp-b)]\n");
  EXPECT_RUN(ctl({"create", "-f", file, "--skip-exists"}), 0,
             "Successfully created 2 'IPPool' resource(s)\n", "");

  // Calico's ps table: tab-aligned (min width 5, padding 3), every cell padded, blank line.
  EXPECT_RUN(ctl({"get", "ippool", "gp-a"}), 0,
             "NAME   CIDR           SELECTOR   \ngp-a   10.61.0.0/16   all()      \n\n", "");
  EXPECT_RUN(ctl({"get", "ipp", "gp-a", "gp-b", "-o", "wide"}), 0,
             "NAME   CIDR           NAT    IPIPMODE   VXLANMODE   DISABLED   DISABLEBGPEXPORT   "
             "SELECTOR   ASSIGNMENTMODE   \n"
             "gp-a   10.61.0.0/16   true   Never      Never       false      false              "
             "all()      Automatic        \n\n"
             "NAME   CIDR           NAT     IPIPMODE   VXLANMODE   DISABLED   DISABLEBGPEXPORT   "
             "SELECTOR   ASSIGNMENTMODE   \n"
             "gp-b   10.62.0.0/16   false   Always     Never       false      false              "
             "all()      Automatic        \n\n",
             "");
  EXPECT_RUN(ctl({"get", "pools", "gp-b", "-o", "custom-columns=NAME,IPIPMODE"}), 0,
             "NAME   IPIPMODE   \ngp-b   Always     \n\n", "");
  EXPECT_RUN(ctl({"get", "pools", "gp-b", "-o", "custom-columns=NAME,COLOR"}), 1, "",
             "unknown heading COLOR, valid values are: ASSIGNMENTMODE, CIDR, DISABLEBGPEXPORT, "
             "DISABLED, IPIPMODE, NAME, NAT, SELECTOR, VXLANMODE\n");
  EXPECT_RUN(ctl({"get", "ippool", "gp-a", "-o", "name"}), 0, "gp-a\n", "");

  auto yaml = ctl({"get", "ippool", "gp-a", "-o", "yaml"});
  ASSERT_EQ(yaml.exit_code, 0) << yaml.err;
  EXPECT_NE(yaml.out.find("kind: IPPool\n"), std::string::npos) << yaml.out;
  EXPECT_NE(yaml.out.find("natOutgoing: true"), std::string::npos) << yaml.out;
  EXPECT_NE(yaml.out.find("resourceVersion:"), std::string::npos) << yaml.out;
  auto exported = ctl({"get", "ippool", "gp-a", "-o", "yaml", "--export"});
  EXPECT_EQ(exported.out.find("resourceVersion:"), std::string::npos) << exported.out;
  EXPECT_EQ(exported.out.find("uid:"), std::string::npos) << exported.out;
  auto list = ctl({"get", "ippools", "-o", "json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("\"kind\": \"IPPoolList\""), std::string::npos) << list.out;

  // A named resource that does not exist: the others are still printed, exit 1.
  EXPECT_RUN(ctl({"get", "ippool", "gp-a", "gp-missing", "-o", "name"}), 1, "gp-a\n",
             "resource does not exist: IPPool(gp-missing)\n");

  // What get -o yaml prints is valid input again (apply over the same resources).
  const auto again = write("again.yaml", ctl({"get", "ippool", "gp-b", "-o", "yaml"}).out);
  EXPECT_RUN(ctl({"apply", "-f", again}), 0, "Successfully applied 1 'IPPool' resource(s)\n", "");

  EXPECT_RUN(ctl({"delete", "ippool", "gp-a", "gp-b"}), 0,
             "Successfully deleted 2 'IPPool' resource(s)\n", "");
  EXPECT_RUN(ctl({"delete", "ippool", "gp-a"}), 1, "",
             "Failed to delete 'IPPool' resource: resource does not exist: IPPool(gp-a)\n");
  EXPECT_RUN(ctl({"delete", "ippool", "gp-a", "--skip-not-exists"}), 0,
             "Successfully deleted 1 'IPPool' resource(s)\n", "");
}

TEST_F(CalicoctlEtcd, PartialSuccessNamesTheFileDocumentAndField) {
  const auto file = write(
      "mixed.yaml",
      "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: ps-deny\n"
      "spec:\n  selector: all()\n  order: 1000.5\n---\n" +
          pool("ps-pool", "10.63.0.0/16") + "---\n" + pool("ps-bad", "10.64.0.0/33"));
  EXPECT_RUN(ctl({"apply", "-f", file}), 1,
             "Partial success: applied the first 2 out of 3 resources:\n",
             "Hit error: [" + file +
                 " document 3: IPPool \"ps-bad\": spec.cidr: \"10.64.0.0/33\" is not a valid "
                 "CIDR]\n");
  EXPECT_RUN(ctl({"get", "ippool", "ps-bad"}), 1, "", "resource does not exist: IPPool(ps-bad)\n");
  EXPECT_RUN(
      ctl({"get", "gnp", "ps-deny", "-o", "wide"}), 0,
      "NAME      TIER      ORDER    SELECTOR   \nps-deny   default   1000.5   all()      \n\n", "");
  // validate needs no datastore and reports the same error.
  auto v = testlib::run_with_input({CALICOCTL_BINARY, "validate", "-f", file}, {}, "", true);
  EXPECT_EQ(v.exit_code, 1);
  EXPECT_EQ(v.err, file +
                       " document 3: IPPool \"ps-bad\": spec.cidr: \"10.64.0.0/33\" is not a "
                       "valid CIDR\n");
  EXPECT_RUN(ctl({"delete", "-f", file, "-s"}), 0, "Successfully deleted 3 resource(s)\n", "");
}

TEST_F(CalicoctlEtcd, BadInputIsRejectedAndNothingStoredChanges) {
  EXPECT_RUN(ctl({"apply", "-f", write("p.yaml", pool("bi-keep", "10.65.0.0/16"))}), 0,
             "Successfully applied 1 'IPPool' resource(s)\n", "");
  const std::string before = ctl({"get", "ippool", "bi-keep", "-o", "yaml"}).out;

  EXPECT_RUN(ctl({"get", "foo"}), 1, "", "resource type 'foo' is not supported\n");
  const auto bad_yaml = write("bad.yaml", pool("bi-keep", "10.66.0.0/16") + "  : [unclosed\n");
  auto r = ctl({"apply", "-f", bad_yaml});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.rfind("Failed to execute command: " + bad_yaml, 0), 0u) << r.err;
  const auto unknown_field =
      write("field.yaml", pool("bi-keep", "10.66.0.0/16", "  colour: blue\n"));
  r = ctl({"apply", "-f", unknown_field});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("colour"), std::string::npos) << r.err;
  EXPECT_RUN(ctl({"apply", "-f", write("empty.yaml", "")}), 1, "",
             "no resources specified in file " + dir_.path() + "/empty.yaml\n");
  EXPECT_RUN(ctl({"apply", "-f", dir_.path() + "/empty.yaml", "--skip-empty"}), 0,
             "No resources specified\n", "");
  EXPECT_RUN(ctl({"apply", "-f", dir_.path() + "/nope.yaml"}), 1, "",
             "Failed to execute command: cannot read \"" + dir_.path() + "/nope.yaml\"\n");

  // replace with a stale resourceVersion is a conflict; so is one of a missing resource.
  const auto stale = write("stale.yaml", before);
  EXPECT_RUN(ctl({"label", "ippool", "bi-keep", "team=net"}), 0,
             "Successfully set label team on ippool bi-keep\n", "");
  const std::string latest = ctl({"get", "ippool", "bi-keep", "-o", "yaml"}).out;
  r = ctl({"replace", "-f", stale});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.rfind("Failed to replace 'IPPool' resource: [update conflict: IPPool(bi-keep): "
                        "resource version '",
                        0),
            0u)
      << r.err;
  EXPECT_NE(r.err.find("is out of date (latest: "), std::string::npos) << r.err;
  EXPECT_EQ(ctl({"get", "ippool", "bi-keep", "-o", "yaml"}).out, latest);
  EXPECT_RUN(ctl({"replace", "-f", write("new.yaml", pool("bi-new", "10.67.0.0/16"))}), 1, "",
             "Failed to replace 'IPPool' resource: [resource does not exist: IPPool(bi-new)]\n");

  // Usage errors: one line on stderr, exit 1.
  r = ctl({"create"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "Invalid option: 'calicoctl create' (create needs -f FILE). Use flag '--help' "
            "to read about a specific subcommand.\n");
  r = ctl({"get", "ippools", "--colour"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unknown flag \"--colour\""), std::string::npos) << r.err;
  EXPECT_RUN(ctl({"get", "ippools", "-A"}), 1, "", "IPPool is not namespaced\n");
  EXPECT_RUN(ctl({"get", "ippools", "-o", "xml"}), 1, "", "unrecognized output format 'xml'\n");
  EXPECT_EQ(ctl({"get", "ippool", "bi-keep", "-o", "yaml"}).out, latest);
  EXPECT_EQ(ctl({"delete", "ippool", "bi-keep"}).exit_code, 0);
}

TEST_F(CalicoctlEtcd, NamespacesStdinDirectoriesAndConfigFile) {
  const std::string np =
      "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata:\n  name: ns-web\n"
      "spec:\n  selector: app == 'web'\n  order: 100\n  ingress:\n  - action: Allow\n";
  EXPECT_RUN(ctl({"apply", "-f", "-", "-n", "ns-prod"}, np), 0,
             "Successfully applied 1 'NetworkPolicy' resource(s)\n", "");
  EXPECT_RUN(ctl({"get", "networkpolicy", "ns-web"}), 1, "",
             "resource does not exist: NetworkPolicy(default/ns-web)\n");
  EXPECT_RUN(ctl({"get", "np", "-n", "ns-prod"}), 0,
             "NAMESPACE   NAME     TIER      \nns-prod     ns-web   default   \n\n", "");
  EXPECT_RUN(ctl({"get", "policies", "-A", "-o", "wide"}), 0,
             "NAMESPACE   NAME     TIER      ORDER   SELECTOR       \n"
             "ns-prod     ns-web   default   100     app == 'web'   \n\n",
             "");
  EXPECT_RUN(ctl({"get", "np"}), 0, "NAME   TIER   \n\n", "");
  const auto in_other = write("np-other.yaml",
                              "apiVersion: projectcalico.org/v3\nkind: "
                              "NetworkPolicy\nmetadata:\n  name: x\n  namespace: "
                              "a\nspec:\n  selector: all()\n");
  EXPECT_RUN(ctl({"apply", "-f", in_other, "-n", "b"}), 1, "",
             "Failed to apply 'NetworkPolicy' resource: [resource namespace does not match client "
             "namespace. a != b]\n");

  // A directory (sorted, .yaml/.yml/.json) and -R for its subdirectories.
  write("dir/1.yaml", pool("dir-a", "10.68.0.0/16"));
  write("dir/notes.txt", "not a resource");
  write("dir/sub/2.json",
        R"({"apiVersion":"projectcalico.org/v3","kind":"IPPool","metadata":{"name":"dir-b"},)"
        R"("spec":{"cidr":"10.69.0.0/16"}})");
  EXPECT_RUN(ctl({"apply", "-f", dir_.path() + "/dir"}), 0,
             "Successfully applied 1 'IPPool' resource(s)\n", "");
  EXPECT_RUN(ctl({"apply", "-f", dir_.path() + "/dir", "-R"}), 0,
             "Successfully applied 2 'IPPool' resource(s)\n", "");

  // A CalicoAPIConfig file instead of the environment.
  const auto cfg = write("calicoctl.cfg",
                         "apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nmetadata: {}\n"
                         "spec:\n  datastoreType: etcdv3\n  etcdEndpoints: " +
                             etcd_->endpoint() + "\n");
  auto r = testlib::run_with_input(
      {CALICOCTL_BINARY, "get", "ippool", "dir-b", "-o", "name", "-c", cfg}, {}, "", true);
  EXPECT_RUN(r, 0, "dir-b\n", "");
  EXPECT_RUN(ctl({"delete", "-f", dir_.path() + "/dir", "-R"}), 0,
             "Successfully deleted 2 'IPPool' resource(s)\n", "");
  EXPECT_EQ(ctl({"delete", "np", "ns-web", "-n", "ns-prod"}).exit_code, 0);
}

TEST_F(CalicoctlEtcd, PatchLabelAndNodeColumns) {
  EXPECT_EQ(ctl({"apply", "-f", write("p.yaml", pool("pl-pool", "10.70.0.0/16"))}).exit_code, 0);
  EXPECT_RUN(ctl({"patch", "ippool", "pl-pool", "-p", R"({"spec":{"disabled":true}})"}), 0,
             "Successfully patched 1 'IPPool' resource\n", "");
  EXPECT_RUN(ctl({"patch", "ippool", "pl-pool", "-t", "json", "-p",
                  R"([{"op":"add","path":"/spec/natOutgoing","value":true}])"}),
             0, "Successfully patched 1 'IPPool' resource\n", "");
  EXPECT_RUN(ctl({"get", "ippool", "pl-pool", "-o", "custom-columns=NAME,NAT,DISABLED"}), 0,
             "NAME      NAT    DISABLED   \npl-pool   true   true       \n\n", "");
  EXPECT_RUN(ctl({"patch", "ippool", "pl-pool", "-p", R"({"spec":{"cidr":"300.0.0.0/8"}})"}), 1, "",
             "Failed to patch 'IPPool' resource: IPPool \"pl-pool\": spec.cidr: "
             "\"300.0.0.0/8\" is not a valid CIDR\n");
  // RFC 6902 "replace" of a member that is not there (false is not stored) fails.
  auto bad_op = ctl({"patch", "ippool", "pl-pool", "-t", "json", "-p",
                     R"([{"op":"replace","path":"/spec/vxlanMode2","value":1}])"});
  EXPECT_EQ(bad_op.exit_code, 1);
  EXPECT_EQ(bad_op.err.rfind("Failed to patch 'IPPool' resource: applying the json patch", 0), 0u)
      << bad_op.err;
  EXPECT_RUN(ctl({"patch", "ippool", "pl-none", "-p", "{}"}), 1, "",
             "Failed to patch 'IPPool' resource: resource does not exist: IPPool(pl-none)\n");

  EXPECT_RUN(ctl({"label", "ippools", "pl-pool", "env=prod"}), 0,
             "Successfully set label env on ippools pl-pool\n", "");
  EXPECT_RUN(ctl({"label", "ippools", "pl-pool", "env=dev"}), 1, "",
             "failed to update label of ippools pl-pool, key env is already present. please use "
             "'--overwrite' to set a new value\n");
  EXPECT_RUN(ctl({"label", "ippools", "pl-pool", "env=dev", "--overwrite"}), 0,
             "Successfully updated label env on ippools pl-pool\n", "");
  EXPECT_RUN(ctl({"label", "ippools", "pl-pool", "env", "--remove"}), 0,
             "Successfully removed label env from ippools pl-pool\n", "");
  EXPECT_RUN(ctl({"label", "ippools", "pl-pool", "env", "--remove"}), 1, "",
             "cannot remove label of ippools pl-pool, key env does not exist\n");
  EXPECT_RUN(ctl({"label", "ippools", "pl-gone", "a=b"}), 1, "", "ippools pl-gone not found\n");
  EXPECT_RUN(ctl({"label", "ippools", "pl-pool", "novalue"}), 1, "", "invalid label novalue\n");

  // Node ASN: inherited shows the cluster default in parentheses.
  const auto node = write("node.yaml",
                          "apiVersion: projectcalico.org/v3\nkind: Node\nmetadata:\n  name: "
                          "pl-node\nspec:\n  bgp:\n    ipv4Address: 10.99.9.1/24\n");
  EXPECT_EQ(ctl({"apply", "-f", node}).exit_code, 0);
  EXPECT_RUN(
      ctl({"get", "node", "pl-node", "-o", "wide"}), 0,
      "NAME      ASN       IPV4           IPV6   \npl-node   (64512)   10.99.9.1/24          \n\n",
      "");
  const auto bgp = write("bgp.yaml",
                         "apiVersion: projectcalico.org/v3\nkind: BGPConfiguration\nmetadata:\n"
                         "  name: default\nspec:\n  asNumber: 65010\n  logSeverityScreen: Info\n");
  EXPECT_EQ(ctl({"apply", "-f", bgp}).exit_code, 0);
  EXPECT_RUN(
      ctl({"get", "node", "pl-node", "-o", "wide"}), 0,
      "NAME      ASN       IPV4           IPV6   \npl-node   (65010)   10.99.9.1/24          \n\n",
      "");
  EXPECT_RUN(ctl({"get", "bgpconfig", "default"}), 0,
             "NAME      LOGSEVERITY   MESHENABLED   ASNUMBER   \n"
             "default   Info          -             65010      \n\n",
             "");
  EXPECT_EQ(ctl({"delete", "-f", bgp}).exit_code, 0);
  EXPECT_EQ(ctl({"delete", "-f", node}).exit_code, 0);
  EXPECT_EQ(ctl({"delete", "ippool", "pl-pool"}).exit_code, 0);
}

TEST_F(CalicoctlEtcd, DatastoreLockAndUnlock) {
  EXPECT_RUN(ctl({"datastore", "migrate", "lock"}), 0, "Datastore locked.\n", "");
  EXPECT_RUN(ctl({"get", "clusterinfo", "default", "-o", "custom-columns=NAME,DATASTOREREADY"}), 0,
             "NAME      DATASTOREREADY   \ndefault   false            \n\n", "");
  auto guid = ctl({"get", "clusterinfo", "default", "-o", "custom-columns=CLUSTERGUID"});
  EXPECT_TRUE(std::regex_search(guid.out, std::regex("\n[0-9a-f]{32}   \n\n$"))) << guid.out;
  EXPECT_RUN(ctl({"datastore", "migrate", "unlock"}), 0, "Datastore unlocked.\n", "");
  EXPECT_RUN(ctl({"get", "clusterinfo", "default", "-o", "custom-columns=DATASTOREREADY"}), 0,
             "DATASTOREREADY   \ntrue             \n\n", "");
  // The GUID survives the round trip; ClusterInformation is read-only for apply.
  EXPECT_EQ(ctl({"get", "clusterinfo", "default", "-o", "custom-columns=CLUSTERGUID"}).out,
            guid.out);
  const auto ci = write("ci.yaml", ctl({"get", "clusterinfo", "default", "-o", "yaml"}).out);
  EXPECT_RUN(ctl({"apply", "-f", ci}), 1, "",
             "Failed to apply 'ClusterInformation' resource: [operation apply is not supported on "
             "ClusterInformation: resource is readonly]\n");
  auto bad = ctl({"datastore", "migrate", "export"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(bad.err,
            "Invalid option: 'calicoctl datastore migrate export'. Use flag '--help' to "
            "read about a specific subcommand.\n");
}

}  // namespace
}  // namespace calico::calicoctl
