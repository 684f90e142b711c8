// calico-cni-install's logic (see install.h).
#include "cni/install.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/base64.h"

namespace calico::cni::install {
namespace {

namespace fs = std::filesystem;

std::string errno_text(int e) {
  const char* text = ::strerrordesc_np(e);
  return text != nullptr ? text : "errno " + std::to_string(e);
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (!item.empty()) {
      out.push_back(item);
    }
  }
  return out;
}

Result<std::optional<std::string>, std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) {
      return std::optional<std::string>();
    }
    return fail("cannot read " + path + ": " + errno_text(errno));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return std::optional<std::string>(ss.str());
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) {
    s.pop_back();
  }
  return s;
}

}  // namespace

Result<Settings, std::string> settings_from_env(const GetEnv& getenv) {
  // The only way variables are read here: `name` must be listed in kEnvVars.
  auto get = [&getenv](std::string_view name) -> std::optional<std::string> {
    CALICO_CHECK(std::find(kEnvVars.begin(), kEnvVars.end(), name) != kEnvVars.end());
    auto v = getenv(std::string(name));
    return v && !v->empty() ? v : std::nullopt;
  };
  Settings s;
  auto set = [&get](std::string_view name, std::string& field) {
    if (auto v = get(name)) {
      field = *v;
    }
  };
  set("CNI_SOURCE_DIR", s.source_dir);
  if (auto v = get("CNI_BINARIES")) {
    s.binaries = split_commas(*v);
  }
  set("CNI_BIN_DIR", s.bin_dir);
  if (auto v = get("UPDATE_CNI_BINARIES")) {
    s.update_binaries = *v != "false";
  }
  set("CNI_NET_DIR", s.net_dir);
  set("CNI_CONF_NAME", s.conf_name);
  set("CNI_NETWORK_CONFIG", s.network_config);
  set("CNI_NETWORK_CONFIG_FILE", s.network_config_file);
  set("KUBECONFIG_FILEPATH", s.kubeconfig_host_path);
  set("SERVICEACCOUNT_DIR", s.serviceaccount_dir);
  set("KUBERNETES_SERVICE_HOST", s.k8s_service_host);
  set("KUBERNETES_SERVICE_PORT", s.k8s_service_port);
  set("KUBERNETES_SERVICE_PROTOCOL", s.k8s_service_protocol);
  if (auto v = get("SKIP_TLS_VERIFY")) {
    s.skip_tls_verify = *v == "true";
  }
  set("KUBERNETES_NODE_NAME", s.node_name);
  set("CNI_MTU", s.mtu);
  if (s.mtu.empty() || s.mtu.find_first_not_of("0123456789") != std::string::npos ||
      s.mtu.size() > 5) {
    return fail("CNI_MTU: not a number: '" + s.mtu + "'");
  }
  s.extra = {{"DATASTORE_TYPE", "kubernetes"}, {"LOG_LEVEL", "info"}};
  for (const char* name : {"DATASTORE_TYPE", "ETCD_ENDPOINTS", "ETCD_KEY_FILE", "ETCD_CERT_FILE",
                           "ETCD_CA_CERT_FILE", "LOG_LEVEL"}) {
    if (auto v = get(name)) {
      s.extra[name] = *v;
    }
  }
  return s;
}

std::string substitute(std::string text, const std::map<std::string, std::string>& values) {
  for (const auto& [key, value] : values) {
    if (key.empty()) {
      continue;
    }
    for (std::size_t pos = text.find(key); pos != std::string::npos;
         pos = text.find(key, pos + value.size())) {
      text.replace(pos, key.size(), value);
    }
  }
  return text;
}

std::string default_network_config() {
  return R"({
  "name": "k8s-pod-network",
  "cniVersion": "1.0.0",
  "plugins": [
    {
      "type": "calico",
      "log_level": "__LOG_LEVEL__",
      "log_file_path": "/var/log/calico/cni/cni.log",
      "datastore_type": "__DATASTORE_TYPE__",
      "nodename": "__KUBERNETES_NODE_NAME__",
      "mtu": __CNI_MTU__,
      "ipam": {"type": "calico-ipam"},
      "policy": {"type": "k8s"},
      "kubernetes": {"kubeconfig": "__KUBECONFIG_FILEPATH__"}
    },
    {
      "type": "portmap",
      "snat": true,
      "capabilities": {"portMappings": true}
    }
  ]
}
)";
}

std::map<std::string, std::string> placeholders(const Settings& s) {
  auto extra = [&s](const char* k) {
    auto it = s.extra.find(k);
    return it == s.extra.end() ? std::string() : it->second;
  };
  return {{"__KUBERNETES_NODE_NAME__", s.node_name},
          {"__CNI_MTU__", s.mtu},
          {"__KUBECONFIG_FILEPATH__", s.kubeconfig_host_path},
          {"__KUBERNETES_SERVICE_HOST__", s.k8s_service_host},
          {"__KUBERNETES_SERVICE_PORT__", s.k8s_service_port},
          {"__DATASTORE_TYPE__", extra("DATASTORE_TYPE")},
          {"__ETCD_ENDPOINTS__", extra("ETCD_ENDPOINTS")},
          {"__ETCD_KEY_FILE__", extra("ETCD_KEY_FILE")},
          {"__ETCD_CERT_FILE__", extra("ETCD_CERT_FILE")},
          {"__ETCD_CA_CERT_FILE__", extra("ETCD_CA_CERT_FILE")},
          {"__LOG_LEVEL__", extra("LOG_LEVEL")}};
}

Result<std::string, std::string> render_network_config(const std::string& templ,
                                                       const Settings& s) {
  std::string text = substitute(templ, placeholders(s));
  const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    return fail(std::string("the network config is not a JSON object after substitution"));
  }
  // A placeholder we do not know ("__X__") would reach the plugin verbatim.
  for (std::size_t pos = text.find("__"); pos != std::string::npos;
       pos = text.find("__", pos + 2)) {
    const std::size_t end = text.find("__", pos + 2);
    if (end == std::string::npos) {
      break;
    }
    const std::string name = text.substr(pos, end + 2 - pos);
    if (name.size() > 4 &&
        name.find_first_not_of("_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == std::string::npos) {
      return fail("the network config has an unknown placeholder " + name);
    }
    pos = end;
  }
  return text;
}

std::string render_kubeconfig(const Settings& s, const std::string& token,
                              const std::string& ca_pem) {
  std::string host = s.k8s_service_host;
  if (host.find(':') != std::string::npos && host.front() != '[') {
    host = "[" + host + "]";  // an IPv6 address
  }
  std::string tls = s.skip_tls_verify || ca_pem.empty()
                        ? "    insecure-skip-tls-verify: true\n"
                        : "    certificate-authority-data: \"" + base64_encode(ca_pem) + "\"\n";
  return "# Kubeconfig file for the Calico CNI plugin.  Installed by calico-cni-install.\n"
         "apiVersion: v1\n"
         "kind: Config\n"
         "clusters:\n"
         "- name: local\n"
         "  cluster:\n"
         "    server: " +
         s.k8s_service_protocol + "://" + host + ":" + s.k8s_service_port + "\n" + tls +
         "users:\n"
         "- name: calico\n"
         "  user:\n"
         "    token: " +
         trim(token) +
         "\n"
         "contexts:\n"
         "- name: calico-context\n"
         "  context:\n"
         "    cluster: local\n"
         "    user: calico\n"
         "current-context: calico-context\n";
}

Result<void, std::string> write_file_atomic(const std::string& path, const std::string& content,
                                            unsigned mode) {
  const fs::path target(path);
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  if (ec) {
    return fail("cannot create " + target.parent_path().string() + ": " + ec.message());
  }
  std::string tmp =
      (target.parent_path() / ("." + target.filename().string() + ".XXXXXX")).string();
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) {
    return fail("cannot create a temporary file next to " + path + ": " + errno_text(errno));
  }
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      const int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return fail("writing " + tmp + ": " + errno_text(e));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fchmod(fd, static_cast<mode_t>(mode)) != 0 || ::fsync(fd) != 0 || ::close(fd) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    return fail("finishing " + tmp + ": " + errno_text(e));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    return fail("renaming " + tmp + " to " + path + ": " + errno_text(e));
  }
  return {};
}

Result<Report, std::string> run_install(const Settings& s) {
  Report report;
  for (const auto& name : s.binaries) {
    const std::string src = s.source_dir + "/" + name;
    const std::string dst = s.bin_dir + "/" + name;
    if (!s.update_binaries && fs::exists(dst)) {
      report.skipped.push_back(dst + " (exists, UPDATE_CNI_BINARIES=false)");
      continue;
    }
    auto bytes = read_file(src);
    if (!bytes) {
      return fail(bytes.error());
    }
    if (!*bytes) {
      return fail("plugin binary " + src + " does not exist");
    }
    if (auto w = write_file_atomic(dst, **bytes, 0755); !w) {
      return fail(w.error());
    }
    report.installed.push_back(dst);
  }

  if (!s.k8s_service_host.empty()) {
    auto token = read_file(s.serviceaccount_dir + "/token");
    auto ca = read_file(s.serviceaccount_dir + "/ca.crt");
    if (!token || !ca) {
      return fail(!token ? token.error() : ca.error());
    }
    if (!*token) {
      return fail("service account token " + s.serviceaccount_dir + "/token does not exist");
    }
    const std::string path = s.net_dir + "/calico-kubeconfig";
    if (auto w = write_file_atomic(path, render_kubeconfig(s, **token, ca->value_or("")), 0600);
        !w) {
      return fail(w.error());
    }
    report.installed.push_back(path);
  } else {
    report.skipped.push_back("kubeconfig (KUBERNETES_SERVICE_HOST not set: not in a cluster)");
  }

  std::string templ = s.network_config;
  if (templ.empty() && !s.network_config_file.empty()) {
    auto text = read_file(s.network_config_file);
    if (!text) {
      return fail(text.error());
    }
    if (!*text) {
      return fail("CNI_NETWORK_CONFIG_FILE " + s.network_config_file + " does not exist");
    }
    templ = **text;
  }
  if (templ.empty()) {
    templ = default_network_config();
  }
  auto rendered = render_network_config(templ, s);
  if (!rendered) {
    return fail(rendered.error());
  }
  const std::string path = s.net_dir + "/" + s.conf_name;
  if (auto w = write_file_atomic(path, *rendered, 0644); !w) {
    return fail(w.error());
  }
  report.installed.push_back(path);
  return report;
}

}  // namespace calico::cni::install
