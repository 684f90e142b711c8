// Datastore selection, as Calico does it: a CalicoAPIConfig file and/or environment
// variables.
//
//   apiVersion: projectcalico.org/v3
//   kind: CalicoAPIConfig
//   metadata: {}
//   spec:
//     datastoreType: etcdv3            # or kubernetes
//     etcdEndpoints: http://127.0.0.1:2379,http://127.0.0.1:22379
//     etcdCACertFile: /etc/calico/ca.pem
//     etcdCertFile: /etc/calico/cert.pem
//     etcdKeyFile: /etc/calico/key.pem
//     kubeconfig: /root/.kube/config
//
// Environment variables override the file: DATASTORE_TYPE, ETCD_ENDPOINTS,
// ETCD_CA_CERT_FILE, ETCD_CERT_FILE, ETCD_KEY_FILE, KUBECONFIG, K8S_API_ENDPOINT.
// If no type is given: etcdv3 when etcd endpoints are set, else kubernetes.  Pure: the
// caller passes the environment in.
#pragma once

#include <array>
#include <map>
#include <string>
#include <vector>

#include "common/result.h"

namespace calico::datastore {

enum class DatastoreType { Etcdv3, Kubernetes };

struct DatastoreConfig {
  DatastoreType type = DatastoreType::Etcdv3;
  std::vector<std::string> etcd_endpoints;
  std::string etcd_ca_cert_file;
  std::string etcd_cert_file;
  std::string etcd_key_file;
  std::string kubeconfig;
  std::string k8s_api_endpoint;
};

using Environment = std::map<std::string, std::string>;

// The environment variables load_config reads (in the order listed above); it reads them
// through this table only.
inline constexpr std::array<const char*, 7> kDatastoreEnvVars = {
    "DATASTORE_TYPE", "ETCD_ENDPOINTS", "ETCD_CA_CERT_FILE", "ETCD_CERT_FILE",
    "ETCD_KEY_FILE",  "KUBECONFIG",     "K8S_API_ENDPOINT"};

// The process environment, for callers (main) to pass in.
Environment process_environment();

// Parses a CalicoAPIConfig document (YAML or JSON).
Result<DatastoreConfig, std::string> parse_config_file_text(const std::string& text,
                                                            const std::string& source);
// Reads `path` (if non-empty) then applies the environment.  A missing file is an error
// only if `path` was given explicitly.
Result<DatastoreConfig, std::string> load_config(const std::string& path, const Environment& env);

}  // namespace calico::datastore
