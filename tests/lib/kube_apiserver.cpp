#include "tests/lib/kube_apiserver.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/yaml.h"
#include "common/net/ip.h"
#include "tests/lib/netns.h"

namespace calico::testlib {
namespace {

std::string random_token() {
  std::random_device rd;
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 32; ++i) {
    out += hex[rd() % 16];
  }
  return out;
}

Result<void, std::string> run_all(const std::vector<std::vector<std::string>>& steps) {
  for (const auto& s : steps) {
    const auto r = run_command(s);
    if (r.exit_code != 0) {
      return fail(s[0] + " " + (s.size() > 1 ? s[1] : "") + " failed: " + r.output);
    }
  }
  return {};
}

}  // namespace

std::string kube_apiserver_binary() {
  if (const char* env = std::getenv("CALICO_KUBE_APISERVER"); env != nullptr && *env != '\0') {
    return env;
  }
  return "/var/cache/calico-cpp/kube-apiserver-1.20.2/kube-apiserver";
}

Result<std::unique_ptr<KubeApiServer>, std::string> KubeApiServer::start(const std::string& host) {
  const std::string bin = kube_apiserver_binary();
  if (!std::filesystem::exists(bin)) {
    return fail("no kube-apiserver at " + bin +
                ": run scripts/build-kube-apiserver (scripts/test does) or set "
                "CALICO_KUBE_APISERVER");
  }
  if (!net::IpAddr::parse(host) || !net::IpAddr::parse(host)->is_v4()) {
    return fail("kube-apiserver host \"" + host + "\" is not an IPv4 address");
  }
  std::unique_ptr<KubeApiServer> s(new KubeApiServer());
  s->host_ = host;
  s->dir_ = std::make_unique<TempDir>("calico-kube");
  if (s->dir_->path().empty()) {
    return fail(std::string("cannot create a temp dir"));
  }
  const std::string d = s->dir_->path();
  s->ca_file_ = d + "/ca.pem";
  s->cert_file_ = d + "/apiserver.pem";
  s->key_file_ = d + "/apiserver-key.pem";
  s->sa_key_ = d + "/sa-key.pem";
  s->sa_pub_ = d + "/sa.pub";
  s->token_file_ = d + "/tokens.csv";
  s->kubeconfig_ = d + "/kubeconfig";
  s->admin_token_ = random_token();
  const std::string ext = d + "/san.cnf";
  auto pki = run_all({
      {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
       "/CN=calico-test-kube-ca", "-keyout", d + "/ca-key.pem", "-out", s->ca_file_},
      {"sh", "-c",
       "printf 'subjectAltName=IP:127.0.0.1,IP:" + host +
           ",DNS:localhost,DNS:kubernetes.default.svc\\n"
           "extendedKeyUsage=serverAuth\\n' > " +
           ext},
      {"openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=kube-apiserver", "-keyout",
       s->key_file_, "-out", d + "/apiserver.csr"},
      {"openssl", "x509", "-req", "-in", d + "/apiserver.csr", "-CA", s->ca_file_, "-CAkey",
       d + "/ca-key.pem", "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", s->cert_file_},
      {"openssl", "genrsa", "-out", s->sa_key_, "2048"},
      {"openssl", "rsa", "-in", s->sa_key_, "-pubout", "-out", s->sa_pub_},
  });
  if (!pki) {
    return fail(pki.error());
  }
  std::ofstream(s->token_file_) << s->admin_token_ << ",calico-test-admin,1,\"system:masters\"\n";
  auto etcd = EtcdServer::start();
  if (!etcd) {
    return fail("etcd for kube-apiserver: " + etcd.error());
  }
  s->etcd_ = std::move(*etcd);
  s->port_ = free_tcp_port();
  std::ofstream(s->kubeconfig_)
      << "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n"
      << "    server: " << s->url() << "\n    certificate-authority: " << s->ca_file_
      << "\nusers:\n- name: admin\n  user:\n    token: " << s->admin_token_
      << "\ncontexts:\n- name: test\n  context:\n    cluster: test\n    user: admin\n"
      << "current-context: test\n";
  if (auto l = s->launch(); !l) {
    return fail(l.error());
  }
  return s;
}

KubeApiServer::~KubeApiServer() {
  stop();
}

std::string KubeApiServer::url() const {
  return "https://" + host_ + ":" + std::to_string(port_);
}

pid_t KubeApiServer::pid() const {
  return proc_ ? proc_->pid() : -1;
}

void KubeApiServer::stop() {
  if (proc_) {
    proc_->stop();
    proc_.reset();
  }
}

datastore::kdd::KubeConfig KubeApiServer::admin_config() const {
  auto cfg = datastore::kdd::parse_kubeconfig(
      read_text_file(kubeconfig_), kubeconfig_,
      [](const std::string& p) -> Result<std::string, std::string> { return read_text_file(p); });
  if (!cfg) {  // the fixture wrote it: cannot happen unless the disk is gone
    std::abort();
  }
  return *cfg;
}

void KubeApiServer::kill() {
  if (proc_) {
    proc_->kill_hard();
    proc_.reset();
  }
}

Result<void, std::string> KubeApiServer::install_crds(const std::string& dir) const {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& f : std::filesystem::directory_iterator(dir, ec)) {
    if (f.path().extension() != ".yaml") {
      continue;
    }
    std::ifstream in(f.path());
    std::stringstream ss;
    ss << in.rdbuf();
    auto docs = api::yaml_to_json_documents(ss.str());
    if (!docs || docs->size() != 1) {
      return fail(f.path().string() + ": not one YAML document");
    }
    auto r = request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                     (*docs)[0].dump());
    if (!r) {
      return fail(r.error());
    }
    if (r->status != 201 && r->status != 409) {
      return fail(f.path().string() + ": HTTP " + std::to_string(r->status) + ": " + r->body);
    }
    names.push_back((*docs)[0]["metadata"]["name"].get<std::string>());
  }
  if (ec || names.empty()) {
    return fail("no CRD manifests in " + dir);
  }
  for (const auto& n : names) {
    bool established = false;
    for (int i = 0; i < 400 && !established; ++i) {
      auto r = request("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/" + n);
      if (!r) {
        return fail(r.error());
      }
      const auto j = nlohmann::json::parse(r->body, nullptr, false);
      if (j.is_object()) {
        for (const auto& c : j.value("status", nlohmann::json::object())
                                 .value("conditions", nlohmann::json::array())) {
          established |= c.value("type", "") == "Established" && c.value("status", "") == "True";
        }
      }
      if (!established) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
    if (!established) {
      return fail("CRD " + n + " never became Established");
    }
  }
  return {};
}

Result<KubeApiServer::ClientCert, std::string> KubeApiServer::issue_client_cert(
    const std::string& user, const std::string& group) const {
  const std::string d = dir_->path();
  const std::string base = d + "/client-" + random_token().substr(0, 8);
  ClientCert c{base + ".pem", base + "-key.pem"};
  auto pki = run_all({
      {"sh", "-c", "printf 'extendedKeyUsage=clientAuth\\n' > " + base + ".cnf"},
      {"openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/O=" + group + "/CN=" + user,
       "-keyout", c.key_file, "-out", base + ".csr"},
      {"openssl", "x509", "-req", "-in", base + ".csr", "-CA", ca_file_, "-CAkey",
       d + "/ca-key.pem", "-CAcreateserial", "-days", "2", "-extfile", base + ".cnf", "-out",
       c.cert_file},
  });
  if (!pki) {
    return fail(pki.error());
  }
  return c;
}

Result<std::string, std::string> KubeApiServer::service_account_token(
    const std::string& ns, const std::string& name) const {
  auto sa = request(
      "POST", "/api/v1/namespaces/" + ns + "/serviceaccounts",
      R"({"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":")" + name + R"("}})");
  if (!sa) {
    return fail(sa.error());
  }
  if (sa->status != 201 && sa->status != 409) {
    return fail("create service account " + ns + "/" + name + ": " + sa->body);
  }
  auto tr = request("POST", "/api/v1/namespaces/" + ns + "/serviceaccounts/" + name + "/token",
                    R"({"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest",)"
                    R"("spec":{"audiences":["https://kubernetes.default.svc"],)"
                    R"("expirationSeconds":3600}})");
  if (!tr) {
    return fail(tr.error());
  }
  const auto j = nlohmann::json::parse(tr->body, nullptr, false);
  if (tr->status != 201 || !j.is_object() || !j.contains("status")) {
    return fail("token request for " + ns + "/" + name + ": HTTP " + std::to_string(tr->status) +
                ": " + tr->body);
  }
  return j["status"].value("token", std::string());
}

Result<void, std::string> KubeApiServer::create_namespace(const std::string& name) const {
  auto r =
      request("POST", "/api/v1/namespaces",
              R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":")" + name + R"("}})");
  if (!r) {
    return fail(r.error());
  }
  if (r->status != 201 && r->status != 409) {
    return fail("create namespace " + name + ": HTTP " + std::to_string(r->status) + ": " +
                r->body);
  }
  return {};
}

Result<void, std::string> KubeApiServer::restart() {
  stop();
  return launch();
}

Result<void, std::string> KubeApiServer::launch() {
  ProcessSpec spec;
  spec.argv = {kube_apiserver_binary(),
               "--etcd-servers=" + etcd_->endpoint(),
               "--bind-address=" + host_,
               "--advertise-address=" + host_,
               "--secure-port=" + std::to_string(port_),
               "--insecure-port=0",
               "--tls-cert-file=" + cert_file_,
               "--tls-private-key-file=" + key_file_,
               "--client-ca-file=" + ca_file_,
               "--token-auth-file=" + token_file_,
               "--authorization-mode=RBAC",
               "--service-account-key-file=" + sa_pub_,
               "--service-account-signing-key-file=" + sa_key_,
               "--service-account-issuer=https://kubernetes.default.svc",
               "--service-cluster-ip-range=10.254.0.0/24",
               "--endpoint-reconciler-type=none",
               "--enable-priority-and-fairness=false",
               "--profiling=false",
               "--v=1"};
  auto p = Process::start(spec);
  if (!p) {
    return fail("kube-apiserver: " + p.error());
  }
  proc_ = std::move(*p);
  std::string last;
  const bool ready = wait_until(
      [&] {
        if (!proc_->running()) {
          return true;
        }
        auto r = request("GET", "/readyz");
        last = r ? std::to_string(r->status) + " " + r->body.substr(0, 200) : r.error();
        return r && r->status == 200;
      },
      std::chrono::seconds(90), std::chrono::milliseconds(250));
  if (!ready || !proc_->running()) {
    const std::string tail = proc_->log_tail(3000);
    stop();
    return fail("kube-apiserver did not become ready (last /readyz: " + last + "):\n" + tail);
  }
  return {};
}

Result<KubeReply, std::string> KubeApiServer::request(const std::string& method,
                                                      const std::string& path,
                                                      const std::string& body,
                                                      const std::string& token) const {
  std::vector<std::string> args = {
      "curl",
      "-s",
      "-S",
      "--max-time",
      "10",
      "--cacert",
      ca_file_,
      "-X",
      method,
      "-H",
      "Authorization: Bearer " + (token.empty() ? admin_token_ : token),
      "-w",
      "\n%{http_code}"};
  if (!body.empty()) {
    args.insert(args.end(), {"-H",
                             method == "PATCH" ? "Content-Type: application/merge-patch+json"
                                               : "Content-Type: application/json",
                             "--data-binary", body});
  }
  args.push_back(url() + path);
  const CommandResult cmd = run_command(args, std::chrono::seconds(15));
  if (cmd.exit_code != 0) {
    return fail("curl " + method + " " + path + ": " + cmd.output);
  }
  const auto nl = cmd.output.rfind('\n');
  KubeReply r;
  r.status = std::atoi(cmd.output.c_str() + (nl == std::string::npos ? 0 : nl + 1));
  r.body = nl == std::string::npos ? "" : cmd.output.substr(0, nl);
  return r;
}

}  // namespace calico::testlib
