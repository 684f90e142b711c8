// calico-cni-install: what Calico's install-cni init container does (cni-plugin/pkg/
// install), for our plugins.
//
//   1. copies the plugin binaries (calico, calico-ipam) into the host's CNI bin directory
//      (default /host/opt/cni/bin), each written to a temporary file and renamed, so a
//      runtime never executes a half-written plugin;
//   2. writes a kubeconfig for the plugin (<net dir>/calico-kubeconfig) from the pod's
//      service account (KUBERNETES_SERVICE_HOST/PORT, token, ca.crt), when running in a
//      cluster;
//   3. writes the network config (default 10-calico.conflist) into the host's CNI config
//      directory (default /host/etc/cni/net.d): CNI_NETWORK_CONFIG (or the file
//      CNI_NETWORK_CONFIG_FILE, or the built-in default) with Calico's placeholders
//      substituted, checked to be JSON.
//
// Pure parts (substitute, render_kubeconfig, render_network_config, settings_from_env)
// have no I/O; run_install does the file work.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace calico::cni::install {

using GetEnv = std::function<std::optional<std::string>(const std::string&)>;

// Every environment variable settings_from_env reads, in its order.  It reads them only
// through this table (an unlisted name is a CALICO_CHECK failure); the manifest test
// checks the DaemonSet's install-cni env against it.
inline constexpr std::array<std::string_view, 22> kEnvVars = {
    "CNI_SOURCE_DIR",
    "CNI_BINARIES",
    "CNI_BIN_DIR",
    "UPDATE_CNI_BINARIES",
    "CNI_NET_DIR",
    "CNI_CONF_NAME",
    "CNI_NETWORK_CONFIG",
    "CNI_NETWORK_CONFIG_FILE",
    "KUBECONFIG_FILEPATH",
    "SERVICEACCOUNT_DIR",
    "KUBERNETES_SERVICE_HOST",
    "KUBERNETES_SERVICE_PORT",
    "KUBERNETES_SERVICE_PROTOCOL",
    "SKIP_TLS_VERIFY",
    "KUBERNETES_NODE_NAME",
    "CNI_MTU",
    "DATASTORE_TYPE",
    "ETCD_ENDPOINTS",
    "ETCD_KEY_FILE",
    "ETCD_CERT_FILE",
    "ETCD_CA_CERT_FILE",
    "LOG_LEVEL",
};

struct Settings {
  std::string source_dir;  // where the plugin binaries are (CNI_SOURCE_DIR; default: ours)
  std::vector<std::string> binaries{"calico", "calico-ipam"};  // CNI_BINARIES (comma list)
  std::string bin_dir = "/host/opt/cni/bin";                   // CNI_BIN_DIR
  bool update_binaries = true;                   // UPDATE_CNI_BINARIES=false keeps existing ones
  std::string net_dir = "/host/etc/cni/net.d";   // CNI_NET_DIR
  std::string conf_name = "10-calico.conflist";  // CNI_CONF_NAME
  std::string network_config;                    // CNI_NETWORK_CONFIG (template)
  std::string network_config_file;               // CNI_NETWORK_CONFIG_FILE
  // The kubeconfig as the plugin sees it on the host (__KUBECONFIG_FILEPATH__).
  std::string kubeconfig_host_path = "/etc/cni/net.d/calico-kubeconfig";
  std::string serviceaccount_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
  std::string k8s_service_host;  // KUBERNETES_SERVICE_HOST
  std::string k8s_service_port;  // KUBERNETES_SERVICE_PORT
  std::string k8s_service_protocol = "https";
  bool skip_tls_verify = false;  // SKIP_TLS_VERIFY
  std::string node_name;         // KUBERNETES_NODE_NAME (default: the host name)
  std::string mtu = "1500";      // CNI_MTU
  // Other placeholders: DATASTORE_TYPE (kubernetes), ETCD_ENDPOINTS, ETCD_*_FILE,
  // LOG_LEVEL (info).
  std::map<std::string, std::string> extra;
};

// Settings from the environment (names above); flags override them in main.  Errors name
// the variable (e.g. CNI_MTU not a number).
Result<Settings, std::string> settings_from_env(const GetEnv& getenv);

// Replaces every occurrence of each key of `values` (e.g. "__CNI_MTU__") in `text`.
std::string substitute(std::string text, const std::map<std::string, std::string>& values);

// Calico's default conflist template: calico (kubernetes datastore, calico-ipam, k8s
// policy, kubeconfig) then portmap.
std::string default_network_config();

// The placeholder values for `s`: __KUBERNETES_NODE_NAME__, __CNI_MTU__,
// __KUBECONFIG_FILEPATH__, __KUBERNETES_SERVICE_HOST__, __KUBERNETES_SERVICE_PORT__,
// __DATASTORE_TYPE__, __ETCD_ENDPOINTS__, __ETCD_KEY_FILE__, __ETCD_CERT_FILE__,
// __ETCD_CA_CERT_FILE__, __LOG_LEVEL__.
std::map<std::string, std::string> placeholders(const Settings& s);

// The network config to write: `templ` with placeholders substituted.  Error when the
// result is not a JSON object, or a placeholder "__X__" is left unsubstituted.
Result<std::string, std::string> render_network_config(const std::string& templ, const Settings& s);

// Kubeconfig text for the plugin: one cluster (server https://host:port, IPv6 hosts in
// brackets; the CA inline as certificate-authority-data, or insecure-skip-tls-verify),
// user "calico" with the service-account token, context "calico-context".
std::string render_kubeconfig(const Settings& s, const std::string& token,
                              const std::string& ca_pem);

struct Report {
  std::vector<std::string> installed;  // files written
  std::vector<std::string> skipped;    // with the reason
};

// Does the work described at the top.  Errors name the file and the cause.
Result<Report, std::string> run_install(const Settings& s);

// Writes `content` to `path` via a temporary file in the same directory and rename(2);
// creates the directory.  `mode` is applied to the file.
Result<void, std::string> write_file_atomic(const std::string& path, const std::string& content,
                                            unsigned mode);

}  // namespace calico::cni::install
