#include "datastore/open/open.h"

#include <fstream>
#include <sstream>

#include "datastore/etcd/etcd_datastore.h"
#include "datastore/kdd/kube_config.h"
#include "datastore/kube/kdd_datastore.h"

namespace calico::datastore {
namespace {

Result<std::string, std::string> read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return fail("cannot read " + path);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The Kubernetes connection: the kubeconfig file if one is configured, else the in-cluster
// service account; K8S_API_ENDPOINT overrides the server either way.
Result<kdd::KubeConfig, std::string> kube_config(const DatastoreConfig& config,
                                                 const Environment& env) {
  Result<kdd::KubeConfig, std::string> kc = fail(std::string());
  if (!config.kubeconfig.empty()) {
    auto text = read_file(config.kubeconfig);
    if (!text) {
      return fail("kubeconfig: " + text.error());
    }
    kc = kdd::parse_kubeconfig(*text, config.kubeconfig, read_file);
  } else if (env.count("KUBERNETES_SERVICE_HOST") != 0) {
    kc = kdd::in_cluster_config(env, read_file);
  } else if (!config.k8s_api_endpoint.empty()) {
    kdd::KubeConfig bare;
    bare.server = config.k8s_api_endpoint;
    bare.source = "K8S_API_ENDPOINT";
    kc = bare;
  } else {
    return fail(
        std::string("the kubernetes datastore needs a kubeconfig (KUBECONFIG or the config file's "
                    "spec.kubeconfig) or to run in a pod (KUBERNETES_SERVICE_HOST)"));
  }
  if (!kc) {
    return kc;
  }
  if (!config.k8s_api_endpoint.empty()) {
    kc->server = config.k8s_api_endpoint;
  }
  return kc;
}

}  // namespace

Result<std::unique_ptr<Datastore>, std::string> open_datastore(const DatastoreConfig& config) {
  if (config.type == DatastoreType::Kubernetes) {
    auto kc = kube_config(config, process_environment());
    if (!kc) {
      return fail(kc.error());
    }
    return std::unique_ptr<Datastore>(std::make_unique<kube::KddDatastore>(std::move(*kc)));
  }
  etcd::EtcdConfig ec;
  ec.endpoints = config.etcd_endpoints;
  ec.ca_file = config.etcd_ca_cert_file;
  ec.cert_file = config.etcd_cert_file;
  ec.key_file = config.etcd_key_file;
  return std::unique_ptr<Datastore>(std::make_unique<etcd::EtcdDatastore>(std::move(ec)));
}

}  // namespace calico::datastore
