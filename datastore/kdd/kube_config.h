// Where and how to reach the Kubernetes API server: a kubeconfig file (its current
// context) or the in-cluster service-account setup.  Pure: the caller passes file contents
// and the environment in; nothing here opens a file or a socket.
//
//   auto cfg = parse_kubeconfig(text, "/root/.kube/config", read_file);
//   auto cfg = in_cluster_config(env, read_file);
//
// Supported credentials: bearer token (inline or tokenFile), client certificate and key
// (file or base64 *-data), CA (file or base64 data).  insecure-skip-tls-verify is honoured
// only when explicitly set (TLS verification is on by default).  Exec and auth-provider
// plugins are not supported and are reported as such.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "common/result.h"

namespace calico::datastore::kdd {

struct KubeConfig {
  std::string server;  // "https://10.0.0.1:6443"
  // PEM texts (from files or *-data); empty when not configured.
  std::string ca_pem;
  std::string client_cert_pem;
  std::string client_key_pem;
  std::string token;
  std::string token_file;  // re-read by the client (service-account tokens rotate)
  bool insecure_skip_tls_verify = false;
  std::string source;  // where this came from, for error messages
};

// Reads a file's whole text, or an error naming it.
using ReadFile = std::function<Result<std::string, std::string>(const std::string& path)>;

// The current context of a kubeconfig (or `context` if given).  Relative file paths are
// relative to the kubeconfig's directory.  Errors name the file and what is missing.
Result<KubeConfig, std::string> parse_kubeconfig(const std::string& text, const std::string& path,
                                                 const ReadFile& read_file,
                                                 const std::string& context = "");

// In a pod: KUBERNETES_SERVICE_HOST / KUBERNETES_SERVICE_PORT, the service-account token
// and CA under /var/run/secrets/kubernetes.io/serviceaccount/.
Result<KubeConfig, std::string> in_cluster_config(const std::map<std::string, std::string>& env,
                                                  const ReadFile& read_file);

}  // namespace calico::datastore::kdd
