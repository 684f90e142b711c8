// calicoctl with the Kubernetes datastore (DATASTORE_TYPE=kubernetes + KUBECONFIG, and a
// CalicoAPIConfig file), against a real kube-apiserver started by the test: Calico YAML
// applied, read back and deleted; the objects are Calico's custom resources.
#include <fstream>

#include <gtest/gtest.h>

#include "tests/lib/kube_apiserver.h"
#include "tests/lib/process.h"

namespace calico::calicoctl {
namespace {

TEST(CalicoctlKdd, AppliesGetsAndDeletesOnTheKubernetesDatastore) {
  auto s = testlib::KubeApiServer::start();
  ASSERT_TRUE(s) << s.error();
  auto& api = **s;
  ASSERT_TRUE(api.install_crds(CALICO_MANIFESTS_DIR "/crds"));
  testlib::TempDir dir("calicoctl-kdd");
  const std::string pool = dir.path() + "/pool.yaml";
  std::ofstream(pool) << "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n"
                         "  name: ctl-pool\nspec:\n  cidr: 10.93.0.0/16\n  blockSize: 26\n"
                         "  natOutgoing: true\n";
  const std::map<std::string, std::string> env = {{"DATASTORE_TYPE", "kubernetes"},
                                                  {"KUBECONFIG", api.kubeconfig()},
                                                  {"PATH", "/usr/bin:/bin"}};
  auto ctl = [&](std::vector<std::string> args, const std::map<std::string, std::string>& e,
                 const std::string& input = "") {
    args.insert(args.begin(), CALICOCTL_BINARY);
    return testlib::run_with_input(args, e, input, /*clear_env=*/true);
  };
  auto applied = ctl({"apply", "-f", pool}, env);
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  auto raw = api.request("GET", "/apis/crd.projectcalico.org/v1/ippools/ctl-pool");
  ASSERT_TRUE(raw && raw->status == 200) << (raw ? raw->body : raw.error());
  EXPECT_NE(raw->body.find("10.93.0.0/16"), std::string::npos);

  // The same through a CalicoAPIConfig file instead of the environment.
  const std::string cfg = dir.path() + "/calicoctl.cfg";
  std::ofstream(cfg) << "apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\n"
                        "metadata: {}\nspec:\n  datastoreType: kubernetes\n  kubeconfig: "
                     << api.kubeconfig() << "\n";
  auto got = ctl({"get", "ippool", "ctl-pool", "-o", "yaml", "-c", cfg}, {{"PATH", "/usr/bin"}});
  ASSERT_EQ(got.exit_code, 0) << got.out << got.err;
  EXPECT_NE(got.out.find("cidr: 10.93.0.0/16"), std::string::npos) << got.out;
  EXPECT_NE(got.out.find("natOutgoing: true"), std::string::npos) << got.out;

  // label, patch and a namespaced kind through the custom resources.
  auto labelled = ctl({"label", "ippool", "ctl-pool", "zone=a"}, env);
  EXPECT_EQ(labelled.exit_code, 0) << labelled.err;
  EXPECT_EQ(labelled.out, "Successfully set label zone on ippool ctl-pool\n");
  auto patched = ctl({"patch", "ippool", "ctl-pool", "-p", R"({"spec":{"disabled":true}})"}, env);
  EXPECT_EQ(patched.exit_code, 0) << patched.err;
  EXPECT_EQ(patched.out, "Successfully patched 1 'IPPool' resource\n");
  raw = api.request("GET", "/apis/crd.projectcalico.org/v1/ippools/ctl-pool");
  ASSERT_TRUE(raw && raw->status == 200);
  EXPECT_NE(raw->body.find("\"disabled\":true"), std::string::npos) << raw->body;
  // Calico keeps v3 labels in the projectcalico.org/metadata annotation of the CR.
  EXPECT_NE(raw->body.find(R"(\"labels\":{\"zone\":\"a\"})"), std::string::npos) << raw->body;
  auto wide = ctl({"get", "ippool", "ctl-pool", "-o", "custom-columns=NAME,DISABLED,NAT"}, env);
  EXPECT_EQ(wide.out, "NAME       DISABLED   NAT    \nctl-pool   true       true   \n\n");
  const std::string np =
      "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata:\n"
      "  name: ctl-np\nspec:\n  selector: all()\n  order: 10\n";
  auto np_applied = ctl({"apply", "-f", "-", "-n", "kube-system"}, env, np);
  EXPECT_EQ(np_applied.exit_code, 0) << np_applied.err;
  auto np_got = ctl({"get", "networkpolicies", "-A", "-o", "wide"}, env);
  EXPECT_EQ(np_got.out,
            "NAMESPACE     NAME     TIER      ORDER   SELECTOR   \n"
            "kube-system   ctl-np   default   10      all()      \n\n")
      << np_got.err;
  EXPECT_EQ(ctl({"delete", "np", "ctl-np", "-n", "kube-system"}, env).exit_code, 0);

  // ipam over the custom resources: the pool with nothing allocated, and a clean check.
  auto shown = ctl({"ipam", "show"}, env);
  EXPECT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_NE(shown.out.find("| IP Pool  | 10.93.0.0/16 |     65536 | 0 (0%)     | 65536 (100%) |"),
            std::string::npos)
      << shown.out;
  auto checked = ctl({"ipam", "check"}, env);
  EXPECT_EQ(checked.exit_code, 0) << checked.err;
  EXPECT_NE(checked.out.find("Check complete; found 0 problems."), std::string::npos)
      << checked.out;

  auto deleted = ctl({"delete", "ippool", "ctl-pool"}, env);
  ASSERT_EQ(deleted.exit_code, 0) << deleted.out << deleted.err;
  raw = api.request("GET", "/apis/crd.projectcalico.org/v1/ippools/ctl-pool");
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->status, 404);

  // No kubeconfig and not in a pod: a clear error, not a hang.
  auto lost = ctl({"get", "ippools"}, {{"DATASTORE_TYPE", "kubernetes"}});
  EXPECT_NE(lost.exit_code, 0);
  EXPECT_NE(lost.err.find("kubeconfig"), std::string::npos) << lost.err;
}

}  // namespace
}  // namespace calico::calicoctl
