// kubeconfig / in-cluster configuration parsing (datastore/kdd/kube_config.h).
#include "datastore/kdd/kube_config.h"

#include <map>

#include <gtest/gtest.h>

#include "common/base64.h"

namespace calico::datastore::kdd {
namespace {

ReadFile files(std::map<std::string, std::string> m) {
  return [m = std::move(m)](const std::string& p) -> Result<std::string, std::string> {
    auto it = m.find(p);
    if (it == m.end()) {
      return fail("cannot read " + p + ": No such file or directory");
    }
    return it->second;
  };
}

const char* kTwoContexts = R"(
apiVersion: v1
kind: Config
current-context: prod
clusters:
- name: prod-cluster
  cluster:
    server: https://10.0.0.1:6443
    certificate-authority: certs/ca.pem
- name: lab-cluster
  cluster:
    server: https://127.0.0.1:6443
    insecure-skip-tls-verify: true
users:
- name: admin
  user:
    client-certificate-data: Q0VSVA==
    client-key: /etc/keys/admin.key
- name: robot
  user:
    tokenFile: robot.token
contexts:
- name: prod
  context: {cluster: prod-cluster, user: admin}
- name: lab
  context: {cluster: lab-cluster, user: robot}
)";

TEST(KubeConfig, CurrentContextWithFilesAndInlineData) {
  auto cfg = parse_kubeconfig(
      kTwoContexts, "/home/u/.kube/config",
      files({{"/home/u/.kube/certs/ca.pem", "CA-PEM"}, {"/etc/keys/admin.key", "KEY-PEM"}}));
  ASSERT_TRUE(cfg) << cfg.error();
  EXPECT_EQ(cfg->server, "https://10.0.0.1:6443");
  EXPECT_EQ(cfg->ca_pem, "CA-PEM");  // relative to the kubeconfig's directory
  EXPECT_EQ(cfg->client_cert_pem, "CERT");
  EXPECT_EQ(cfg->client_key_pem, "KEY-PEM");
  EXPECT_FALSE(cfg->insecure_skip_tls_verify);

  auto lab = parse_kubeconfig(kTwoContexts, "/home/u/.kube/config", files({}), "lab");
  ASSERT_TRUE(lab) << lab.error();
  EXPECT_TRUE(lab->insecure_skip_tls_verify);
  EXPECT_EQ(lab->token_file, "/home/u/.kube/robot.token");
}

TEST(KubeConfig, ErrorsNameTheFileAndWhatIsMissing) {
  auto missing_ca =
      parse_kubeconfig(kTwoContexts, "/k/config", files({{"/etc/keys/admin.key", "K"}}));
  ASSERT_FALSE(missing_ca);
  EXPECT_NE(missing_ca.error().find("/k/certs/ca.pem"), std::string::npos) << missing_ca.error();
  auto no_ctx = parse_kubeconfig(kTwoContexts, "/k/config", files({}), "nope");
  ASSERT_FALSE(no_ctx);
  EXPECT_NE(no_ctx.error().find("context \"nope\" not found"), std::string::npos);
  EXPECT_FALSE(parse_kubeconfig("a: [", "/k/config", files({})));
  EXPECT_FALSE(parse_kubeconfig("- just a list", "/k/config", files({})));
  auto exec = parse_kubeconfig(R"(
current-context: c
clusters: [{name: k, cluster: {server: "https://1.2.3.4"}}]
users: [{name: u, user: {exec: {command: aws}}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
)",
                               "/k/config", files({}));
  ASSERT_FALSE(exec);
  EXPECT_NE(exec.error().find("not supported"), std::string::npos);
  auto bad_server = parse_kubeconfig(R"(
current-context: c
clusters: [{name: k, cluster: {server: "10.0.0.1:6443"}}]
contexts: [{name: c, context: {cluster: k}}]
)",
                                     "/k/config", files({}));
  ASSERT_FALSE(bad_server);
  EXPECT_NE(bad_server.error().find("not an http(s) URL"), std::string::npos);
}

TEST(KubeConfig, InCluster) {
  const std::string sa = "/var/run/secrets/kubernetes.io/serviceaccount";
  auto cfg = in_cluster_config(
      {{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}},
      files({{sa + "/token", "tok\n"}, {sa + "/ca.crt", "CA"}}));
  ASSERT_TRUE(cfg) << cfg.error();
  EXPECT_EQ(cfg->server, "https://10.96.0.1:443");
  EXPECT_EQ(cfg->token, "tok");
  EXPECT_EQ(cfg->ca_pem, "CA");
  auto v6 = in_cluster_config(
      {{"KUBERNETES_SERVICE_HOST", "fd00::1"}, {"KUBERNETES_SERVICE_PORT", "443"}},
      files({{sa + "/token", "t"}, {sa + "/ca.crt", "CA"}}));
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->server, "https://[fd00::1]:443");
  auto outside = in_cluster_config({}, files({}));
  ASSERT_FALSE(outside);
  EXPECT_NE(outside.error().find("KUBERNETES_SERVICE_HOST"), std::string::npos);
  auto no_token = in_cluster_config(
      {{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}}, files({}));
  ASSERT_FALSE(no_token);
  EXPECT_NE(no_token.error().find("token"), std::string::npos);
}

}  // namespace
}  // namespace calico::datastore::kdd
