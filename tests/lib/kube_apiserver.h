// Test fixture: a real kube-apiserver (Kubernetes 1.20.2, built from Debian's source
// package by scripts/build-kube-apiserver) on 127.0.0.1, over a real etcd of its own.
//
//   auto api = KubeApiServer::start();        // Result<unique_ptr<KubeApiServer>, string>
//   ASSERT_TRUE(api) << api.error();
//   (*api)->url();                            // "https://127.0.0.1:<port>"
//   (*api)->admin_token();  (*api)->ca_file();  (*api)->kubeconfig();
//   (*api)->kubectl_like("GET", "/api/v1/namespaces");   // curl with the admin token
//
// Everything is generated per instance in a temp dir: a CA and a serving certificate for
// 127.0.0.1, a service-account signing key, a static token file (an admin in
// system:masters), and a kubeconfig for those.  Started with RBAC authorization,
// --endpoint-reconciler-type=none and nothing bound outside loopback.  Stopped by PID.
//
// The binary: $CALICO_KUBE_APISERVER, else /var/cache/calico-cpp/kube-apiserver-1.20.2/
// kube-apiserver (what scripts/test builds once per machine).  A missing binary is an
// error naming how to build it, not a skip.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "common/result.h"
#include "datastore/kdd/kube_config.h"
#include "tests/lib/etcd_server.h"
#include "tests/lib/process.h"

namespace calico::testlib {

std::string kube_apiserver_binary();

struct KubeReply {
  int status = 0;
  std::string body;
};

class KubeApiServer {
 public:
  // `host`: the IPv4 address to serve on (and in the serving certificate), default
  // loopback.  A test that runs nodes in network namespaces serves on an address of a
  // namespace it created (after moving its thread there).
  static Result<std::unique_ptr<KubeApiServer>, std::string> start(
      const std::string& host = "127.0.0.1");
  ~KubeApiServer();

  std::string url() const;  // https://<host>:<port>
  int port() const { return port_; }
  const std::string& ca_file() const { return ca_file_; }
  const std::string& admin_token() const { return admin_token_; }
  const std::string& kubeconfig() const { return kubeconfig_; }
  // The kubeconfig parsed, as a Kubernetes datastore client would use it (admin token).
  datastore::kdd::KubeConfig admin_config() const;
  EtcdServer& etcd() { return *etcd_; }
  pid_t pid() const;

  // One request with the admin token (or `token` if given) through curl; body is JSON
  // (for PATCH: a JSON merge patch).
  Result<KubeReply, std::string> request(const std::string& method, const std::string& path,
                                         const std::string& body = "",
                                         const std::string& token = "") const;

  // A client certificate (and key) signed by the cluster CA for `user` in `group`, as
  // PEM files in the fixture's temp dir.
  struct ClientCert {
    std::string cert_file, key_file;
  };
  Result<ClientCert, std::string> issue_client_cert(const std::string& user,
                                                    const std::string& group) const;
  // A token for service account ns/name (created if missing) from the TokenRequest API,
  // as a pod would get it.
  Result<std::string, std::string> service_account_token(const std::string& ns,
                                                         const std::string& name) const;

  // Installs every CRD manifest (*.yaml) in `dir` and waits until each is Established.
  Result<void, std::string> install_crds(const std::string& dir) const;
  // Creates a namespace (201, or already there).
  Result<void, std::string> create_namespace(const std::string& name) const;

  // Stops and starts the server again (same port, etcd untouched); waits for /readyz.
  Result<void, std::string> restart();
  void stop();
  void kill();  // SIGKILL, no clean shutdown; restart() brings it back

 private:
  KubeApiServer() = default;
  Result<void, std::string> launch();

  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<EtcdServer> etcd_;
  std::unique_ptr<Process> proc_;
  int port_ = 0;
  std::string host_ = "127.0.0.1";
  std::string ca_file_, cert_file_, key_file_, sa_key_, sa_pub_, token_file_, kubeconfig_;
  std::string admin_token_;
};

}  // namespace calico::testlib
