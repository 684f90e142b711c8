#include "datastore/config.h"

#include <fstream>
#include <sstream>

#include "api/yaml.h"

extern char** environ;  // NOLINT(readability-identifier-naming): POSIX

namespace calico::datastore {
namespace {

struct Partial {
  std::string type, endpoints, ca, cert, key, kubeconfig, k8s_endpoint;
};

std::vector<std::string> split_endpoints(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s + ",") {
    if (c == ',') {
      const auto b = cur.find_first_not_of(" \t");
      const auto e = cur.find_last_not_of(" \t");
      if (b != std::string::npos) {
        out.push_back(cur.substr(b, e - b + 1));
      }
      cur.clear();
    } else {
      cur += c;
    }
  }
  return out;
}

Result<DatastoreConfig, std::string> finish(const Partial& p, const std::string& origin) {
  DatastoreConfig cfg;
  cfg.etcd_endpoints = split_endpoints(p.endpoints);
  for (const auto& ep : cfg.etcd_endpoints) {
    const bool http = ep.rfind("http://", 0) == 0 || ep.rfind("https://", 0) == 0;
    const auto scheme_end = ep.find("://");
    if (!http || scheme_end == std::string::npos || ep.size() <= scheme_end + 3) {
      return fail(origin + ": \"" + ep +
                  "\" is not a valid etcd endpoint URL (expected http(s)://host:port)");
    }
  }
  cfg.etcd_ca_cert_file = p.ca;
  cfg.etcd_cert_file = p.cert;
  cfg.etcd_key_file = p.key;
  cfg.kubeconfig = p.kubeconfig;
  cfg.k8s_api_endpoint = p.k8s_endpoint;
  if (p.type.empty()) {
    cfg.type = cfg.etcd_endpoints.empty() ? DatastoreType::Kubernetes : DatastoreType::Etcdv3;
  } else if (p.type == "etcdv3") {
    cfg.type = DatastoreType::Etcdv3;
  } else if (p.type == "kubernetes") {
    cfg.type = DatastoreType::Kubernetes;
  } else {
    return fail(origin + ": datastore type \"" + p.type +
                "\" is not supported (use etcdv3 or kubernetes)");
  }
  if (cfg.type == DatastoreType::Etcdv3 && cfg.etcd_endpoints.empty()) {
    return fail(origin + ": datastore type etcdv3 needs etcd endpoints (ETCD_ENDPOINTS)");
  }
  if (!cfg.etcd_cert_file.empty() != !cfg.etcd_key_file.empty()) {
    return fail(origin + ": etcd client certificate and key must be given together");
  }
  return cfg;
}

Result<Partial, std::string> parse_partial(const std::string& text, const std::string& source) {
  auto docs = api::yaml_to_json_documents(text);
  if (!docs) {
    return fail(source + ": " + docs.error().to_string());
  }
  if (docs->size() != 1 || !(*docs)[0].is_object()) {
    return fail(source + ": expected one CalicoAPIConfig document");
  }
  const auto& d = (*docs)[0];
  if (d.value("kind", std::string()) != "CalicoAPIConfig") {
    return fail(source + ": kind must be CalicoAPIConfig");
  }
  Partial p;
  if (!d.contains("spec")) {
    return p;
  }
  const auto& spec = d["spec"];
  if (!spec.is_object()) {
    return fail(source + ": spec must be a map");
  }
  static const std::map<std::string, std::string Partial::*> kFields = {
      {"datastoreType", &Partial::type},
      {"etcdEndpoints", &Partial::endpoints},
      {"etcdCACertFile", &Partial::ca},
      {"etcdCertFile", &Partial::cert},
      {"etcdKeyFile", &Partial::key},
      {"kubeconfig", &Partial::kubeconfig},
      {"k8sAPIEndpoint", &Partial::k8s_endpoint}};
  for (auto it = spec.begin(); it != spec.end(); ++it) {
    auto f = kFields.find(it.key());
    if (f == kFields.end()) {
      continue;  // other CalicoAPIConfig fields (k8sAPIToken, ...) are accepted and unused
    }
    if (!it.value().is_string()) {
      return fail(source + ": spec." + it.key() + " must be a string");
    }
    p.*(f->second) = it.value().get<std::string>();
  }
  return p;
}

// The field each of kDatastoreEnvVars sets, in that table's order: the variables are read
// only through the table (its size is this one's).
constexpr std::array<std::string Partial::*, kDatastoreEnvVars.size()> kEnvFields = {
    &Partial::type, &Partial::endpoints,  &Partial::ca,          &Partial::cert,
    &Partial::key,  &Partial::kubeconfig, &Partial::k8s_endpoint};

void apply_env(Partial& p, const Environment& env) {
  for (std::size_t i = 0; i < kDatastoreEnvVars.size(); ++i) {
    auto it = env.find(kDatastoreEnvVars[i]);
    if (it != env.end() && !it->second.empty()) {
      p.*kEnvFields[i] = it->second;
    }
  }
}

}  // namespace

Environment process_environment() {
  Environment env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry(*e);
    const auto eq = entry.find('=');
    if (eq != std::string::npos) {
      env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
    }
  }
  return env;
}

Result<DatastoreConfig, std::string> parse_config_file_text(const std::string& text,
                                                            const std::string& source) {
  auto p = parse_partial(text, source);
  if (!p) {
    return fail(p.error());
  }
  return finish(*p, source);
}

Result<DatastoreConfig, std::string> load_config(const std::string& path, const Environment& env) {
  Partial p;
  std::string origin = "environment";
  if (!path.empty()) {
    std::ifstream f(path);
    if (!f) {
      return fail("cannot read config file \"" + path + "\"");
    }
    std::stringstream ss;
    ss << f.rdbuf();
    auto parsed = parse_partial(ss.str(), path);
    if (!parsed) {
      return fail(parsed.error());
    }
    p = *parsed;
    origin = path + " + environment";
  }
  apply_env(p, env);
  return finish(p, origin);
}

}  // namespace calico::datastore
