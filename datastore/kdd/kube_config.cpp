// kubeconfig and in-cluster configuration (see kube_config.h).
#include "datastore/kdd/kube_config.h"

#include <yaml-cpp/yaml.h>

#include "common/base64.h"

namespace calico::datastore::kdd {
namespace {

constexpr const char* kServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

std::string scalar(const YAML::Node& n, const char* key) {
  if (!n || !n.IsMap() || !n[key] || !n[key].IsScalar()) {
    return {};
  }
  return n[key].as<std::string>();
}

// The entry named `name` of a kubeconfig list (clusters, users, contexts).
YAML::Node named(const YAML::Node& list, const std::string& name) {
  if (!list || !list.IsSequence()) {
    return YAML::Node();
  }
  for (const auto& e : list) {
    if (e.IsMap() && scalar(e, "name") == name) {
      return e;
    }
  }
  return YAML::Node();
}

std::string resolve(const std::string& path, const std::string& base_dir) {
  if (path.empty() || path.front() == '/' || base_dir.empty()) {
    return path;
  }
  return base_dir + "/" + path;
}

// PEM from "<key>-data" (base64) or "<key>" (a file).
Result<std::string, std::string> pem(const YAML::Node& n, const std::string& key,
                                     const std::string& base_dir, const ReadFile& read_file,
                                     const std::string& where) {
  const std::string data = scalar(n, (key + "-data").c_str());
  if (!data.empty()) {
    std::string decoded = base64_decode(data);
    if (decoded.empty()) {
      return fail(where + ": " + key + "-data is not valid base64");
    }
    return decoded;
  }
  const std::string file = scalar(n, key.c_str());
  if (file.empty()) {
    return std::string();
  }
  auto text = read_file(resolve(file, base_dir));
  if (!text) {
    return fail(where + ": " + key + ": " + text.error());
  }
  return *text;
}

}  // namespace

Result<KubeConfig, std::string> parse_kubeconfig(const std::string& text, const std::string& path,
                                                 const ReadFile& read_file,
                                                 const std::string& context) {
  YAML::Node doc;
  try {
    doc = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return fail("kubeconfig " + path + ": invalid YAML: " + e.what());
  }
  if (!doc.IsMap()) {
    return fail("kubeconfig " + path + ": not a YAML mapping");
  }
  const auto slash = path.rfind('/');
  const std::string base_dir = slash == std::string::npos ? "" : path.substr(0, slash);
  const std::string ctx_name = context.empty() ? scalar(doc, "current-context") : context;
  if (ctx_name.empty()) {
    return fail("kubeconfig " + path + ": no current-context");
  }
  const YAML::Node ctx = named(doc["contexts"], ctx_name);
  if (!ctx) {
    return fail("kubeconfig " + path + ": context \"" + ctx_name + "\" not found");
  }
  const std::string cluster_name = scalar(ctx["context"], "cluster");
  const std::string user_name = scalar(ctx["context"], "user");
  const YAML::Node cluster = named(doc["clusters"], cluster_name)["cluster"];
  if (!cluster) {
    return fail("kubeconfig " + path + ": cluster \"" + cluster_name + "\" of context \"" +
                ctx_name + "\" not found");
  }
  KubeConfig out;
  out.source = "kubeconfig " + path + " (context " + ctx_name + ")";
  out.server = scalar(cluster, "server");
  if (out.server.rfind("https://", 0) != 0 && out.server.rfind("http://", 0) != 0) {
    return fail(out.source + ": cluster server \"" + out.server + "\" is not an http(s) URL");
  }
  out.insecure_skip_tls_verify = scalar(cluster, "insecure-skip-tls-verify") == "true";
  auto ca = pem(cluster, "certificate-authority", base_dir, read_file, out.source);
  if (!ca) {
    return fail(ca.error());
  }
  out.ca_pem = std::move(*ca);
  if (!user_name.empty()) {
    const YAML::Node user = named(doc["users"], user_name)["user"];
    if (!user) {
      return fail(out.source + ": user \"" + user_name + "\" not found");
    }
    if (user["exec"] || user["auth-provider"]) {
      return fail(out.source + ": user \"" + user_name +
                  "\" uses an exec/auth-provider plugin, which is not supported; use a token "
                  "or a client certificate");
    }
    out.token = scalar(user, "token");
    out.token_file = resolve(scalar(user, "tokenFile"), base_dir);
    auto cert = pem(user, "client-certificate", base_dir, read_file, out.source);
    if (!cert) {
      return fail(cert.error());
    }
    auto key = pem(user, "client-key", base_dir, read_file, out.source);
    if (!key) {
      return fail(key.error());
    }
    out.client_cert_pem = std::move(*cert);
    out.client_key_pem = std::move(*key);
    if (out.client_cert_pem.empty() != out.client_key_pem.empty()) {
      return fail(out.source + ": user \"" + user_name +
                  "\" has a client certificate without a key, or a key without a certificate");
    }
  }
  return out;
}

Result<KubeConfig, std::string> in_cluster_config(const std::map<std::string, std::string>& env,
                                                  const ReadFile& read_file) {
  auto get = [&env](const char* k) {
    auto it = env.find(k);
    return it == env.end() ? std::string() : it->second;
  };
  const std::string host = get("KUBERNETES_SERVICE_HOST");
  const std::string port = get("KUBERNETES_SERVICE_PORT");
  if (host.empty() || port.empty()) {
    return fail(std::string(
        "not running in a pod: KUBERNETES_SERVICE_HOST / KUBERNETES_SERVICE_PORT are not set "
        "(set KUBECONFIG instead)"));
  }
  KubeConfig out;
  out.source = "in-cluster service account";
  out.server =
      "https://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + port;
  out.token_file = std::string(kServiceAccountDir) + "/token";
  auto token = read_file(out.token_file);
  if (!token) {
    return fail("in-cluster config: " + token.error());
  }
  out.token = *token;
  while (!out.token.empty() && (out.token.back() == '\n' || out.token.back() == '\r')) {
    out.token.pop_back();
  }
  auto ca = read_file(std::string(kServiceAccountDir) + "/ca.crt");
  if (!ca) {
    return fail("in-cluster config: " + ca.error());
  }
  out.ca_pem = *ca;
  return out;
}

}  // namespace calico::datastore::kdd
