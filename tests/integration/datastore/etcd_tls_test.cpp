// The etcd backend with TLS and client-certificate authentication, against a real etcd
// that requires client certificates.  Certificates are generated per test with openssl.
#include <gtest/gtest.h>

#include "datastore/etcd/etcd_datastore.h"
#include "tests/lib/etcd_server.h"
#include "tests/lib/netns.h"
#include "tests/unit/datastore/watch_recorder.h"

namespace calico::datastore {
namespace {

struct Pki {
  std::string ca, server_cert, server_key, client_cert, client_key, rogue_cert, rogue_key;
};

// A throwaway CA, a server certificate for 127.0.0.1, a client certificate from the CA
// and a self-signed "rogue" client certificate.
Result<Pki, std::string> make_pki(const std::string& dir) {
  Pki p{dir + "/ca.pem",         dir + "/server.pem", dir + "/server-key.pem", dir + "/client.pem",
        dir + "/client-key.pem", dir + "/rogue.pem",  dir + "/rogue-key.pem"};
  const std::string ext = dir + "/san.cnf";
  const std::vector<std::vector<std::string>> steps = {
      {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
       "/CN=calico-test-ca", "-keyout", dir + "/ca-key.pem", "-out", p.ca},
      {"sh", "-c",
       "printf 'subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth,clientAuth\\n' > " + ext},
      {"openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=etcd", "-keyout",
       p.server_key, "-out", dir + "/server.csr"},
      {"openssl", "x509", "-req", "-in", dir + "/server.csr", "-CA", p.ca, "-CAkey",
       dir + "/ca-key.pem", "-CAcreateserial", "-days", "1", "-extfile", ext, "-out",
       p.server_cert},
      {"openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=calico", "-keyout",
       p.client_key, "-out", dir + "/client.csr"},
      {"openssl", "x509", "-req", "-in", dir + "/client.csr", "-CA", p.ca, "-CAkey",
       dir + "/ca-key.pem", "-CAcreateserial", "-days", "1", "-extfile", ext, "-out",
       p.client_cert},
      {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
       "/CN=rogue", "-keyout", p.rogue_key, "-out", p.rogue_cert},
  };
  for (const auto& s : steps) {
    const auto r = testlib::run_command(s);
    if (r.exit_code != 0) {
      return fail(s[0] + " failed: " + r.output);
    }
  }
  return p;
}

TEST(EtcdTls, ClientCertificatesAuthenticateAndWrongOnesAreRefused) {
  testlib::TempDir dir("calico-pki");
  auto pki = make_pki(dir.path());
  ASSERT_TRUE(pki) << pki.error();
  testlib::EtcdOptions opts;
  opts.cert_file = pki->server_cert;
  opts.key_file = pki->server_key;
  opts.ca_file = pki->ca;
  // The fixture probes the server with the client credentials it is given.
  auto etcd = testlib::EtcdServer::start(opts, {pki->ca, pki->client_cert, pki->client_key});
  ASSERT_TRUE(etcd) << etcd.error();
  ASSERT_EQ((*etcd)->endpoint().rfind("https://", 0), 0u);

  etcd::EtcdConfig good;
  good.endpoints = {(*etcd)->endpoint()};
  good.ca_file = pki->ca;
  good.cert_file = pki->client_cert;
  good.key_file = pki->client_key;
  etcd::EtcdDatastore store(good);
  ASSERT_TRUE(store.create(testing::pool("tls-pool", "10.9.0.0/16")));
  testing::WatchRecorder rec;
  WatchOptions wo;
  wo.list = {api::Kind::IPPool, "", ""};
  auto w = store.watch(wo, rec.callbacks());
  ASSERT_TRUE(rec.wait_for_status(WatchStatus::InSync));
  ASSERT_TRUE(store.create(testing::pool("tls-pool-2", "10.10.0.0/16")));
  ASSERT_TRUE(rec.wait_for_events(2)) << rec.summary();

  etcd::EtcdConfig rogue = good;
  rogue.cert_file = pki->rogue_cert;
  rogue.key_file = pki->rogue_key;
  etcd::EtcdDatastore bad(rogue);
  auto r = bad.get({api::Kind::IPPool, "", "tls-pool"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::Unavailable) << r.error().to_string();

  etcd::EtcdConfig no_ca = good;
  no_ca.ca_file.clear();  // system roots do not trust our CA
  etcd::EtcdDatastore untrusting(no_ca);
  EXPECT_FALSE(untrusting.get({api::Kind::IPPool, "", "tls-pool"}));
}

}  // namespace
}  // namespace calico::datastore
