#include "datastore/config.h"

#include <gtest/gtest.h>

namespace calico::datastore {
namespace {

TEST(DatastoreConfig, EnvironmentSelectsEtcdWithEndpoints) {
  auto c = load_config("", {{"ETCD_ENDPOINTS", "http://127.0.0.1:2379, http://127.0.0.1:22379"}});
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->type, DatastoreType::Etcdv3);
  ASSERT_EQ(c->etcd_endpoints.size(), 2u);
  EXPECT_EQ(c->etcd_endpoints[1], "http://127.0.0.1:22379");
}

TEST(DatastoreConfig, DefaultsToKubernetesWithoutEndpoints) {
  auto c = load_config("", {{"KUBECONFIG", "/root/.kube/config"}});
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->type, DatastoreType::Kubernetes);
  EXPECT_EQ(c->kubeconfig, "/root/.kube/config");
}

TEST(DatastoreConfig, FileThenEnvironmentOverrides) {
  auto c = parse_config_file_text(R"(apiVersion: projectcalico.org/v3
kind: CalicoAPIConfig
metadata: {}
spec:
  datastoreType: etcdv3
  etcdEndpoints: https://10.0.0.1:2379
  etcdCACertFile: /etc/calico/ca.pem
  etcdCertFile: /etc/calico/cert.pem
  etcdKeyFile: /etc/calico/key.pem
)",
                                  "calicoctl.cfg");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->etcd_endpoints.at(0), "https://10.0.0.1:2379");
  EXPECT_EQ(c->etcd_ca_cert_file, "/etc/calico/ca.pem");
}

TEST(DatastoreConfig, ClearErrors) {
  EXPECT_EQ(load_config("", {{"ETCD_ENDPOINTS", "htp://x"}}).error(),
            "environment: \"htp://x\" is not a valid etcd endpoint URL (expected "
            "http(s)://host:port)");
  EXPECT_EQ(load_config("", {{"DATASTORE_TYPE", "consul"}}).error(),
            "environment: datastore type \"consul\" is not supported (use etcdv3 or kubernetes)");
  EXPECT_EQ(load_config("", {{"DATASTORE_TYPE", "etcdv3"}}).error(),
            "environment: datastore type etcdv3 needs etcd endpoints (ETCD_ENDPOINTS)");
  EXPECT_EQ(load_config("/nonexistent/calicoctl.cfg", {}).error(),
            "cannot read config file \"/nonexistent/calicoctl.cfg\"");
  EXPECT_EQ(parse_config_file_text("kind: Other\n", "c.cfg").error(),
            "c.cfg: kind must be CalicoAPIConfig");
  EXPECT_EQ(load_config("", {{"ETCD_ENDPOINTS", "http://a:1"}, {"ETCD_CERT_FILE", "/c"}}).error(),
            "environment: etcd client certificate and key must be given together");
}

}  // namespace
}  // namespace calico::datastore
