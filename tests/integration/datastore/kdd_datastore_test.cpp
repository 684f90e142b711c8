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

#include "api/document.h"
#include "datastore/kdd/crd_codec.h"
#include "datastore/kdd/kube_config.h"
#include "tests/lib/kube_apiserver.h"
#include "tests/lib/netns.h"
#include "tests/unit/datastore/watch_recorder.h"

namespace calico::datastore::kube {
namespace {

using nlohmann::json;

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

  static kdd::KubeConfig admin_config() { return api_->admin_config(); }

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
const std::string kNp = "/apis/networking.k8s.io/v1/namespaces/np/networkpolicies/allow-web";

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

TEST_F(KddDatastoreTest, UpgradeHostLabelsAffinitiesWrittenByOlderCalico) {
  // Calico releases before host labels wrote affinities like this one.
  const std::string old = R"({"apiVersion":"crd.projectcalico.org/v1","kind":"BlockAffinity",
    "metadata":{"name":"old-host-10-82-0-0-26"},
    "spec":{"state":"confirmed","node":"old-host","cidr":"10.82.0.0/26","deleted":"false"}})";
  auto r = api_->request("POST", kCrd + "blockaffinities", old);
  ASSERT_TRUE(r && r->status == 201) << (r ? r->body : r.error());
  KddDatastore ds(admin_config(), quick());
  auto mine = ds.list({api::Kind::BlockAffinity, "old-host", ""});
  ASSERT_TRUE(mine);
  EXPECT_EQ(mine->items.size(), 0u);  // invisible to the host-scoped (label) query
  auto n = ds.upgrade_host("old-host");
  ASSERT_TRUE(n) << n.error().to_string();
  EXPECT_EQ(*n, 1u);
  mine = ds.list({api::Kind::BlockAffinity, "old-host", ""});
  ASSERT_TRUE(mine);
  ASSERT_EQ(mine->items.size(), 1u);
  EXPECT_EQ(std::get<api::BlockAffinity>(mine->items[0].value).spec.cidr, "10.82.0.0/26");
  EXPECT_EQ(raw_get(kCrd + "blockaffinities/old-host-10-82-0-0-26")["metadata"]["labels"]
                                                                   ["projectcalico.org/ip-version"],
            "4");
  EXPECT_EQ(*ds.upgrade_host("old-host"), 0u);  // idempotent
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
  cfg.client_cert_pem = testlib::read_text_file(cert->cert_file);
  cfg.client_key_pem = testlib::read_text_file(cert->key_file);
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
  cfg.ca_pem = testlib::read_text_file(ca);
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

TEST_F(KddDatastoreTest, AWatchOutlivesTheServersTimeoutWithoutAGapOrAReconnect) {
  KddOptions o = quick();
  o.watch_timeout = std::chrono::seconds(2);  // the server ends each watch after 2 s
  KddDatastore ds(admin_config(), o);
  testing::WatchRecorder rec;
  WatchOptions wo;
  wo.list = {api::Kind::GlobalNetworkSet, "", "timeout-"};
  auto w = ds.watch(wo, rec.callbacks());
  ASSERT_TRUE(rec.wait_for_status(WatchStatus::InSync));
  const auto before = ds.client().requests_sent();
  for (int i = 0; i < 4; ++i) {
    api::GlobalNetworkSet s;
    s.metadata.name = "timeout-" + std::to_string(i);
    s.spec.nets = {"198.51.100." + std::to_string(i) + "/32"};
    ASSERT_TRUE(ds.create(s));
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  }
  ASSERT_TRUE(rec.wait_for_events(4)) << rec.summary();
  EXPECT_EQ(rec.event_count(), 4u) << rec.summary();
  EXPECT_EQ(rec.status_count(WatchStatus::Reconnecting), 0);
  EXPECT_EQ(rec.status_count(WatchStatus::Resyncing), 0);
  // 4 creates, and the watch was re-opened at least twice in 6 s.
  EXPECT_GE(ds.client().requests_sent() - before, 6u);
}

// ---- Projections of native Kubernetes objects ----

TEST_F(KddDatastoreTest, KubernetesNodesAreCalicoNodesAndKeepTheirBgpFieldsAsAnnotations) {
  auto r = api_->request("POST", "/api/v1/nodes", R"({"apiVersion":"v1","kind":"Node",
    "metadata":{"name":"kn-1","labels":{"rack":"r1"}},
    "status":{"addresses":[{"type":"InternalIP","address":"192.0.2.11"},
                           {"type":"Hostname","address":"kn-1"}]}})");
  ASSERT_TRUE(r && r->status == 201) << (r ? r->body : r.error());
  KddDatastore ds(admin_config(), quick());
  auto n = ds.get({api::Kind::Node, "", "kn-1"});
  ASSERT_TRUE(n) << n.error().to_string();
  auto node = std::get<api::Node>(n->value);
  EXPECT_EQ(node.metadata.labels.at("rack"), "r1");
  ASSERT_FALSE(node.spec.addresses.empty());
  EXPECT_EQ(node.spec.addresses.back().address, "192.0.2.11");
  EXPECT_FALSE(node.spec.bgp.has_value());

  node.spec.bgp = api::NodeBGPSpec{};
  node.spec.bgp->ipv4_address = "192.0.2.11/24";
  node.spec.bgp->as_number = api::ASNumber(64512);
  auto u = ds.update(node);
  ASSERT_TRUE(u) << u.error().to_string();
  const json raw = raw_get("/api/v1/nodes/kn-1");
  EXPECT_EQ(raw["metadata"]["annotations"]["projectcalico.org/IPv4Address"], "192.0.2.11/24");
  EXPECT_EQ(raw["metadata"]["annotations"]["projectcalico.org/ASNumber"], "64512");
  EXPECT_EQ(raw["metadata"]["labels"]["rack"], "r1");  // Kubernetes labels untouched
  auto again = ds.get({api::Kind::Node, "", "kn-1"});
  ASSERT_TRUE(again);
  ASSERT_TRUE(std::get<api::Node>(again->value).spec.bgp.has_value());
  EXPECT_EQ(std::get<api::Node>(again->value).spec.bgp->ipv4_address, "192.0.2.11/24");
  // A stale update is a conflict; nodes are not created through the datastore.
  EXPECT_EQ(ds.update(node).error().code, ErrorCode::Conflict);
  api::Node fresh;
  fresh.metadata.name = "kn-2";
  EXPECT_EQ(ds.create(fresh).error().code, ErrorCode::Invalid);
  auto all = ds.list({api::Kind::Node, "", ""});
  ASSERT_TRUE(all);
  EXPECT_EQ(all->items.size(), 1u);
}

TEST_F(KddDatastoreTest, PodsAreWorkloadEndpointsAndNamespacesAreProfiles) {
  ASSERT_TRUE(api_->request("POST", "/api/v1/namespaces",
                            R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"web",
                              "labels":{"team":"blue"}}})"));
  ASSERT_TRUE(api_->service_account_token("web", "default"));
  KddDatastore ds(admin_config(), quick());
  testing::WatchRecorder rec;
  WatchOptions wo;
  wo.list = {api::Kind::WorkloadEndpoint, "web", ""};
  auto w = ds.watch(wo, rec.callbacks());
  ASSERT_TRUE(rec.wait_for_status(WatchStatus::InSync));
  testing::WatchRecorder prec;
  WatchOptions po;
  po.list = {api::Kind::Profile, "", "kns.web"};
  auto pw = ds.watch(po, prec.callbacks());
  ASSERT_TRUE(prec.wait_for_status(WatchStatus::InSync));
  EXPECT_EQ(prec.state_names(), "kns.web");

  auto pod = [](const std::string& name, const std::string& extra) {
    return R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")" + name +
           R"(","namespace":"web","labels":{"app":"shop"}},"spec":{)" + extra +
           R"("automountServiceAccountToken":false,"containers":[{"name":"c","image":"x",
             "ports":[{"name":"http","containerPort":8080}]}]}})";
  };
  for (const auto& [name, extra] : std::vector<std::pair<std::string, std::string>>{
           {"web-1", R"("nodeName":"kn-1",)"},
           {"unscheduled", ""},
           {"hostnet", R"("nodeName":"kn-1","hostNetwork":true,)"}}) {
    auto r = api_->request("POST", "/api/v1/namespaces/web/pods", pod(name, extra));
    ASSERT_TRUE(r && r->status == 201) << name << ": " << (r ? r->body : r.error());
  }
  auto weps = ds.list({api::Kind::WorkloadEndpoint, "web", ""});
  ASSERT_TRUE(weps) << weps.error().to_string();
  ASSERT_EQ(weps->items.size(), 1u);  // not the unscheduled or host-network pods
  const Key key = weps->items[0].key;
  EXPECT_EQ(key.name, "kn--1-k8s-web--1-eth0");
  auto wep = std::get<api::WorkloadEndpoint>(weps->items[0].value);
  EXPECT_EQ(wep.metadata.labels.at("app"), "shop");
  EXPECT_EQ(wep.metadata.labels.at("projectcalico.org/namespace"), "web");
  EXPECT_TRUE(wep.spec.ip_networks.empty());
  ASSERT_TRUE(rec.wait_for_events(1)) << rec.summary();

  // The CNI plugin's write: addresses and container id recorded on the pod.
  wep.spec.ip_networks = {"10.81.0.5/32"};
  wep.spec.container_id = "abc123";
  auto written = ds.update(wep);
  ASSERT_TRUE(written) << written.error().to_string();
  const json raw = raw_get("/api/v1/namespaces/web/pods/web-1");
  EXPECT_EQ(raw["metadata"]["annotations"]["cni.projectcalico.org/podIP"], "10.81.0.5/32");
  EXPECT_EQ(raw["metadata"]["annotations"]["cni.projectcalico.org/containerID"], "abc123");
  auto got = ds.get(key);
  ASSERT_TRUE(got) << got.error().to_string();
  EXPECT_EQ(std::get<api::WorkloadEndpoint>(got->value).spec.ip_networks,
            (std::vector<std::string>{"10.81.0.5/32"}));
  ASSERT_TRUE(rec.wait_for([&] {
    return rec.summary().find("Modified kn--1-k8s-web--1-eth0") != std::string::npos;
  })) << rec.summary();
  // Deleting the endpoint blanks the addresses; deleting the pod deletes the endpoint.
  ASSERT_TRUE(ds.remove(key));
  EXPECT_TRUE(std::get<api::WorkloadEndpoint>(ds.get(key)->value).spec.ip_networks.empty());
  // (No kubelet here to finish a graceful delete: delete at once.)
  ASSERT_TRUE(
      api_->request("DELETE", "/api/v1/namespaces/web/pods/web-1",
                    R"({"kind":"DeleteOptions","apiVersion":"v1","gracePeriodSeconds":0})"));
  ASSERT_TRUE(rec.wait_for([&] { return rec.state().empty(); })) << rec.summary();

  // Profiles: kns.web carries the namespace labels; read-only.
  auto prof = ds.get({api::Kind::Profile, "", "kns.web"});
  ASSERT_TRUE(prof) << prof.error().to_string();
  EXPECT_EQ(std::get<api::Profile>(prof->value).spec.labels_to_apply.at("pcns.team"), "blue");
  EXPECT_TRUE(ds.get({api::Kind::Profile, "", "ksa.web.default"}));
  EXPECT_TRUE(ds.get({api::Kind::Profile, "", "projectcalico-default-allow"}));
  EXPECT_EQ(ds.remove(prof->key).error().code, ErrorCode::Invalid);
  ASSERT_TRUE(api_->request("PATCH", "/api/v1/namespaces/web",
                            R"({"metadata":{"labels":{"team":"red"}}})"));
  ASSERT_TRUE(prec.wait_for([&] {
    return prec.summary().find("Modified kns.web") != std::string::npos;
  })) << prec.summary();
}

TEST_F(KddDatastoreTest, KubernetesNetworkPoliciesAreReadAndWrittenNatively) {
  KddDatastore ds(admin_config(), quick());
  ASSERT_TRUE(api_->create_namespace("np"));
  auto decoded = api::decode_json(json::parse(R"({"apiVersion":"networking.k8s.io/v1",
    "kind":"NetworkPolicy","metadata":{"name":"allow-web","namespace":"np"},
    "spec":{"podSelector":{"matchLabels":{"app":"web"}},"policyTypes":["Ingress"],
      "ingress":[{"from":[{"namespaceSelector":{"matchLabels":{"team":"a"}}}],
                  "ports":[{"protocol":"TCP","port":80}]}]}})"));
  ASSERT_TRUE(decoded) << decoded.error().to_string_all();
  auto c = ds.create(*decoded);
  ASSERT_TRUE(c) << c.error().to_string();
  const json raw = raw_get(kNp);
  EXPECT_EQ(raw["spec"]["ingress"][0]["ports"][0]["port"], 80);
  auto l = ds.list({api::Kind::KubernetesNetworkPolicy, "np", ""});
  ASSERT_TRUE(l);
  ASSERT_EQ(l->items.size(), 1u);
  EXPECT_EQ(l->items[0].key.name, "allow-web");
  ASSERT_TRUE(ds.remove(l->items[0].key, l->items[0].revision));
  EXPECT_EQ(raw_status(kNp), 404);
}

}  // namespace
}  // namespace calico::datastore::kube
