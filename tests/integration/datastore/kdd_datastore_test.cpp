// The Kubernetes datastore's own behaviour against a real kube-apiserver (one per suite):
// objects stored exactly as Calico stores them (read raw from the API), Calico-written
// objects read back, the two-step delete protocol and leftovers of it, paginated lists,
// authentication (token, client certificate, service-account token, bad token, wrong CA)
// and a resource the server does not serve.
#include "datastore/kube/kdd_datastore.h"

#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "datastore/kdd/crd_codec.h"
#include "datastore/kdd/kube_config.h"
#include "tests/lib/kube_apiserver.h"
#include "tests/lib/netns.h"
#include "tests/unit/datastore/watch_recorder.h"

namespace calico::datastore::kube {
namespace {

using nlohmann::json;

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class KddDatastoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto s = testlib::KubeApiServer::start();
    ASSERT_TRUE(s) << s.error();
    api_ = std::move(*s).release();
    auto c = api_->install_crds(CALICO_MANIFESTS_DIR "/crds");
    ASSERT_TRUE(c) << c.error();
  }
  static void TearDownTestSuite() {
    delete api_;
    api_ = nullptr;
  }

  static kdd::KubeConfig admin_config() {
    auto cfg = kdd::parse_kubeconfig(
        read_text(api_->kubeconfig()), api_->kubeconfig(),
        [](const std::string& p) -> Result<std::string, std::string> { return read_text(p); });
    EXPECT_TRUE(cfg) << cfg.error();
    return cfg ? *cfg : kdd::KubeConfig{};
  }

  static KddOptions quick() {
    KddOptions o;
    o.client.request_timeout = std::chrono::milliseconds(3000);
    o.client.max_attempts = 2;
    return o;
  }

  static json raw_get(const std::string& path) {
    auto r = api_->request("GET", path);
    EXPECT_TRUE(r) << r.error();
    if (!r || r->status != 200) {
      return json();
    }
    return json::parse(r->body, nullptr, false);
  }

  static int raw_status(const std::string& path) {
    auto r = api_->request("GET", path);
    return r ? r->status : 0;
  }

  static testlib::KubeApiServer* api_;
};

testlib::KubeApiServer* KddDatastoreTest::api_ = nullptr;

const std::string kCrd = "/apis/crd.projectcalico.org/v1/";

TEST_F(KddDatastoreTest, StoresObjectsExactlyAsCalicoDoes) {
  KddDatastore ds(admin_config(), quick());
  api::IPPool pool;
  pool.metadata.name = "fmt-pool";
  pool.metadata.labels["team"] = "net";
  pool.spec.cidr = "10.77.0.0/16";
  pool.spec.block_size = 26;
  auto created = ds.create(pool);
  ASSERT_TRUE(created) << created.error().to_string();
  const json p = raw_get(kCrd + "ippools/fmt-pool");
  EXPECT_EQ(p["apiVersion"], "crd.projectcalico.org/v1");
  EXPECT_EQ(p["kind"], "IPPool");
  EXPECT_EQ(p["spec"]["cidr"], "10.77.0.0/16");
  EXPECT_EQ(p["spec"]["blockSize"], 26);
  // Labels live in the metadata annotation, not on the custom resource.
  EXPECT_FALSE(p["metadata"].contains("labels") && p["metadata"]["labels"].contains("team"));
  const json meta =
      json::parse(p["metadata"]["annotations"]["projectcalico.org/metadata"].get<std::string>());
  EXPECT_EQ(meta["labels"]["team"], "net");
  // The v3 uid is the custom resource's with the bits of each byte reversed.
  EXPECT_EQ(api::meta_of(created->value).uid,
            kdd::reverse_uid(p["metadata"]["uid"].get<std::string>()));
  EXPECT_EQ(created->revision, p["metadata"]["resourceVersion"]);

  api::BlockAffinity aff;
  aff.metadata.name = "worker-1-10-77-0-0-26";
  aff.spec = {"confirmed", "worker-1", "host", "10.77.0.0/26", "false"};
  ASSERT_TRUE(ds.create(aff));
  const json a = raw_get(kCrd + "blockaffinities/worker-1-10-77-0-0-26");
  EXPECT_EQ(a["spec"]["deleted"], "false");  // a string in v1
  EXPECT_EQ(a["spec"]["state"], "confirmed");
  // SHA3-256("worker-1"), base32 without padding: computed with openssl + base32.
  EXPECT_EQ(a["metadata"]["labels"]["projectcalico.org/hostname-hash"],
            "CPU5J3TPSNHFA66J45DG4Z5C3PSJAZ36LD46JZLYEGZSTAWBUCUA");
  EXPECT_EQ(a["metadata"]["labels"]["projectcalico.org/affinity-type"], "host");
  EXPECT_EQ(a["metadata"]["labels"]["projectcalico.org/ip-version"], "4");
}

TEST_F(KddDatastoreTest, ReadsObjectsWrittenByCalico) {
  // An IPAM block and a pool as Calico's own KDD client writes them.
  const std::string block = R"({"apiVersion":"crd.projectcalico.org/v1","kind":"IPAMBlock",
    "metadata":{"name":"10-78-3-64-30"},
    "spec":{"cidr":"10.78.3.64/30","affinity":"host:worker-9",
      "affinityClaimTime":"2026-05-01T10:00:00Z","allocations":[0,null,null,null],
      "unallocated":[1,2,3],"attributes":[{"handle_id":"k8s-pod-network.f00",
      "secondary":{"namespace":"default","node":"worker-9","pod":"web-1",
      "timestamp":"2026-05-01 10:00:01.5 +0000 UTC"}}],"sequenceNumber":1746093600000000001,
      "sequenceNumberForAllocation":{"0":1746093600000000000},"deleted":false,
      "strictAffinity":false}})";
  auto r = api_->request("POST", kCrd + "ipamblocks", block);
  ASSERT_TRUE(r && r->status == 201) << (r ? r->body : r.error());
  const std::string pool = R"js({"apiVersion":"crd.projectcalico.org/v1","kind":"IPPool",
    "metadata":{"name":"calico-written","annotations":{"projectcalico.org/metadata":
      "{\"labels\":{\"zone\":\"a\"},\"creationTimestamp\":\"2026-01-02T03:04:05Z\"}"}},
    "spec":{"cidr":"10.79.0.0/16","ipipMode":"Never","vxlanMode":"Never","natOutgoing":true,
      "blockSize":26,"nodeSelector":"all()"}})js";
  r = api_->request("POST", kCrd + "ippools", pool);
  ASSERT_TRUE(r && r->status == 201) << (r ? r->body : r.error());

  KddDatastore ds(admin_config(), quick());
  auto b = ds.get({api::Kind::IPAMBlock, "", "10-78-3-64-30"});
  ASSERT_TRUE(b) << b.error().to_string();
  const auto& bs = std::get<api::IPAMBlock>(b->value).spec;
  EXPECT_EQ(bs.affinity, "host:worker-9");
  ASSERT_EQ(bs.attributes.size(), 1u);
  EXPECT_EQ(bs.attributes[0].handle_id, "k8s-pod-network.f00");
  EXPECT_EQ(bs.unallocated, (std::vector<int>{1, 2, 3}));
  auto p = ds.get({api::Kind::IPPool, "", "calico-written"});
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(api::meta_of(p->value).labels.at("zone"), "a");
  EXPECT_EQ(api::meta_of(p->value).creation_timestamp, "2026-01-02T03:04:05Z");
  EXPECT_TRUE(std::get<api::IPPool>(p->value).spec.nat_outgoing);
}

TEST_F(KddDatastoreTest, TwoStepDeleteAndItsLeftoversAreInvisible) {
  KddDatastore ds(admin_config(), quick());
  testing::WatchRecorder rec;
  WatchOptions wo;
  wo.list = {api::Kind::IPAMHandle, "", ""};
  auto w = ds.watch(wo, rec.callbacks());
  ASSERT_TRUE(rec.wait_for_status(WatchStatus::InSync));

  api::IPAMHandle h;
  h.metadata.name = "k8s-pod-network.soft";
  h.spec.handle_id = "k8s-pod-network.soft";
  h.spec.block["10.80.0.0/26"] = 1;
  auto c = ds.create(h);
  ASSERT_TRUE(c) << c.error().to_string();
  ASSERT_TRUE(ds.remove(c->key, c->revision));
  EXPECT_EQ(raw_status(kCrd + "ipamhandles/k8s-pod-network.soft"), 404);
  // The watch saw it come and go exactly once (the deleted=true update is the delete; the
  // DELETE that follows is not reported again).
  ASSERT_TRUE(rec.wait_for_events(2)) << rec.summary();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(rec.event_count(), 2u) << rec.summary();
  EXPECT_NE(rec.summary().find("Deleted k8s-pod-network.soft"), std::string::npos) << rec.summary();

  // A leftover of an interrupted two-step delete (deleted: true) is absent to readers,
  // who finish the delete, and its name can be created again.
  const std::string leftover = R"({"apiVersion":"crd.projectcalico.org/v1","kind":"IPAMHandle",
    "metadata":{"name":"k8s-pod-network.leftover"},
    "spec":{"handleID":"k8s-pod-network.leftover","block":{"10.80.0.0/26":1},"deleted":true}})";
  auto r = api_->request("POST", kCrd + "ipamhandles", leftover);
  ASSERT_TRUE(r && r->status == 201) << (r ? r->body : r.error());
  const Key lk{api::Kind::IPAMHandle, "", "k8s-pod-network.leftover"};
  EXPECT_EQ(ds.get(lk).error().code, ErrorCode::NotFound);
  auto listed = ds.list({api::Kind::IPAMHandle, "", ""});
  ASSERT_TRUE(listed);
  for (const auto& o : listed->items) {
    EXPECT_NE(o.key.name, lk.name);
  }
  EXPECT_EQ(raw_status(kCrd + "ipamhandles/k8s-pod-network.leftover"), 404);
  r = api_->request("POST", kCrd + "ipamhandles", leftover);
  ASSERT_TRUE(r && r->status == 201);
  h.metadata.name = lk.name;
  h.spec.handle_id = lk.name;
  auto again = ds.create(h);
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_FALSE(std::get<api::IPAMHandle>(again->value).spec.deleted);
  EXPECT_EQ(rec.status_count(WatchStatus::Resyncing), 0);
}

TEST_F(KddDatastoreTest, ListsPageThroughLargeCollections) {
  KddOptions o = quick();
  o.list_page_size = 3;
  KddDatastore ds(admin_config(), o);
  for (int i = 0; i < 10; ++i) {
    api::GlobalNetworkSet s;
    s.metadata.name = "page-" + std::to_string(i);
    s.spec.nets = {"192.0.2." + std::to_string(i) + "/32"};
    ASSERT_TRUE(ds.create(s));
  }
  const auto before = ds.client().requests_sent();
  auto l = ds.list({api::Kind::GlobalNetworkSet, "", "page-"});
  ASSERT_TRUE(l) << l.error().to_string();
  EXPECT_EQ(l->items.size(), 10u);
  EXPECT_GE(ds.client().requests_sent() - before, 4u);  // 3 + 3 + 3 + 1
  EXPECT_FALSE(l->revision.empty());
}

TEST_F(KddDatastoreTest, AuthenticatesWithClientCertificatesAndServiceAccountTokens) {
  auto cert = api_->issue_client_cert("calico-admin-cert", "system:masters");
  ASSERT_TRUE(cert) << cert.error();
  kdd::KubeConfig cfg = admin_config();
  cfg.token.clear();
  cfg.client_cert_pem = read_text(cert->cert_file);
  cfg.client_key_pem = read_text(cert->key_file);
  KddDatastore by_cert(cfg, quick());
  auto l = by_cert.list({api::Kind::IPPool, "", ""});
  EXPECT_TRUE(l) << l.error().to_string();

  // A service account without any role binding is authenticated but forbidden.
  auto token = api_->service_account_token("default", "nobody");
  ASSERT_TRUE(token) << token.error();
  cfg = admin_config();
  cfg.token = *token;
  KddDatastore nobody(cfg, quick());
  auto denied = nobody.list({api::Kind::IPPool, "", ""});
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, ErrorCode::Unauthorized);
  EXPECT_NE(denied.error().message.find("forbidden"), std::string::npos) << denied.error().message;
}

TEST_F(KddDatastoreTest, BadCredentialsAndAnUntrustedServerAreClearErrors) {
  kdd::KubeConfig cfg = admin_config();
  cfg.token = "not-a-valid-token";
  KddDatastore bad_token(cfg, quick());
  auto r = bad_token.get({api::Kind::IPPool, "", "x"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::Unauthorized) << r.error().to_string();

  // A CA that did not sign the server's certificate: verification fails, nothing is sent.
  testlib::TempDir d("calico-ca");
  const std::string ca = d.path() + "/other-ca.pem";
  ASSERT_EQ(
      testlib::run_command({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days",
                            "1", "-subj", "/CN=other", "-keyout", d.path() + "/k.pem", "-out", ca})
          .exit_code,
      0);
  cfg = admin_config();
  cfg.ca_pem = read_text(ca);
  KddDatastore untrusted(cfg, quick());
  r = untrusted.get({api::Kind::IPPool, "", "x"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::Unauthorized) << r.error().to_string();
  EXPECT_NE(r.error().message.find("verify"), std::string::npos) << r.error().message;
}

TEST_F(KddDatastoreTest, AResourceTheServerDoesNotServeIsUnavailableNotNotFound) {
  auto del = api_->request(
      "DELETE",
      "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/tiers.crd.projectcalico.org");
  ASSERT_TRUE(del && del->status == 200) << (del ? del->body : del.error());
  KddDatastore ds(admin_config(), quick());
  Result<Object, StoreError> r = fail(StoreError{});
  for (int i = 0; i < 100; ++i) {  // the CRD's handler goes away asynchronously
    r = ds.get({api::Kind::Tier, "", "default"});
    if (!r && r.error().code == ErrorCode::Unavailable) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::Unavailable) << r.error().to_string();
  EXPECT_NE(r.error().message.find("CRDs installed"), std::string::npos) << r.error().message;
  ASSERT_TRUE(api_->install_crds(CALICO_MANIFESTS_DIR "/crds"));
}

}  // namespace
}  // namespace calico::datastore::kube
