// The RBAC manifests (manifests/rbac/) are sufficient, and no more than that, for
// calico-node and the CNI plugin on the Kubernetes datastore.  A real kube-apiserver (RBAC
// authorizer) gets the manifests applied exactly as written; every operation then runs
// through KddDatastore with a TokenRequest token of the kube-system ServiceAccount bound
// to exactly that ClusterRole:
//   * calico-node lists and watches every kind it programs from, updates its Node's BGP
//     fields, creates ClusterInformation "default" and its per-node FelixConfiguration,
//     and allocates and releases a tunnel address;
//   * the CNI plugin reads ClusterInformation, its IPAM handle, the Node and the pod's
//     namespace, allocates an address, records it on the pod (the WorkloadEndpoint
//     update, a PATCH of pods/<name>/status), and on DEL blanks it and releases it;
//   * writes outside each role's remit, and the CNI plugin's list of every pod, are
//     refused (403, ErrorCode::Unauthorized).
#include <algorithm>
#include <chrono>
#include <fstream>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/document.h"
#include "api/ipam_names.h"
#include "api/yaml.h"
#include "datastore/kdd/kube_config.h"
#include "datastore/kube/kdd_datastore.h"
#include "ipam/allocator.h"
#include "ipam/operation.h"
#include "tests/lib/kube_apiserver.h"
#include "tests/lib/process.h"
#include "tests/unit/datastore/watch_recorder.h"

namespace calico::datastore::kube {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

const std::string kRbacApi = "/apis/rbac.authorization.k8s.io/v1/";
const std::string kNodeName = "rbac-node";
const std::string kNamespace = "rbac";
const std::string kPodName = "web";
// Calico's name for the pod's endpoint: <node>-k8s-<pod>-eth0, '-' doubled in each part.
const std::string kWepName = "rbac--node-k8s-web-eth0";
const std::string kPoolCidr = "10.90.0.0/16";

// A projectcalico.org/v3 document.
std::string v3_doc(const std::string& kind, const std::string& metadata, const std::string& spec) {
  return R"({"apiVersion":"projectcalico.org/v3","kind":")" + kind + R"(","metadata":)" + metadata +
         R"(,"spec":)" + spec + "}";
}

// "KubernetesNetworkPolicy" rather than the bare "NetworkPolicy" of its KindInfo.
std::string kind_name(api::Kind kind) {
  return kind == api::Kind::KubernetesNetworkPolicy ? "KubernetesNetworkPolicy"
                                                    : std::string(api::info(kind).name);
}

// One running watch of one kind, with what it reported.
struct KindWatch {
  api::Kind kind = api::Kind::IPPool;
  testing::WatchRecorder rec;
  std::mutex mu;
  std::string last_problem;      // detail of the last Reconnecting status
  std::size_t listed = 0;        // events delivered by the initial list
  std::unique_ptr<Watch> watch;  // last member: stopped before the recorder goes away

  std::string problem() {
    const std::lock_guard<std::mutex> lock(mu);
    return last_problem;
  }
};

// Every kind calico-node (felix + BGP) reads from the datastore.
const std::vector<api::Kind> kNodeReads = {
    api::Kind::IPPool,
    api::Kind::IPReservation,
    api::Kind::BGPConfiguration,
    api::Kind::BGPPeer,
    api::Kind::BGPFilter,
    api::Kind::FelixConfiguration,
    api::Kind::ClusterInformation,
    api::Kind::GlobalNetworkPolicy,
    api::Kind::NetworkPolicy,
    api::Kind::GlobalNetworkSet,
    api::Kind::NetworkSet,
    api::Kind::HostEndpoint,
    api::Kind::Tier,
    api::Kind::IPAMBlock,
    api::Kind::BlockAffinity,
    api::Kind::Node,
    api::Kind::WorkloadEndpoint,
    api::Kind::Profile,
    api::Kind::KubernetesNetworkPolicy,
};

template <class T>
void expect_forbidden(const Result<T, StoreError>& r, const std::string& what) {
  ASSERT_FALSE(r) << what << " succeeded, but the role must not allow it";
  EXPECT_EQ(r.error().code, ErrorCode::Unauthorized) << what << ": " << r.error().to_string();
  EXPECT_NE(r.error().message.find("forbidden"), std::string::npos)
      << what << ": " << r.error().to_string();
}

class KddRbacTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto s = testlib::KubeApiServer::start();
    ASSERT_TRUE(s) << s.error();
    api_ = std::move(*s).release();
    auto c = api_->install_crds(CALICO_MANIFESTS_DIR "/crds");
    ASSERT_TRUE(c) << c.error();
    auto ks = api_->create_namespace("kube-system");
    ASSERT_TRUE(ks) << ks.error();
    apply_manifest(CALICO_MANIFESTS_DIR "/rbac/calico-node.yaml");
    apply_manifest(CALICO_MANIFESTS_DIR "/rbac/calico-cni-plugin.yaml");
    if (HasFatalFailure()) {
      return;
    }
    auto nt = api_->service_account_token("kube-system", "calico-node");
    ASSERT_TRUE(nt) << nt.error();
    node_token_ = *nt;
    auto ct = api_->service_account_token("kube-system", "calico-cni-plugin");
    ASSERT_TRUE(ct) << ct.error();
    cni_token_ = *ct;

    seed();
    if (HasFatalFailure()) {
      return;
    }
    // The RBAC authorizer learns of new bindings through its informers: wait (bounded)
    // until each token is allowed something its role grants.
    wait_until_authorized(node_token_, "/apis/crd.projectcalico.org/v1/ippools");
    wait_until_authorized(cni_token_, "/api/v1/nodes/" + kNodeName);
    if (HasFatalFailure()) {
      return;
    }
    ready_ = true;
  }
  static void TearDownTestSuite() {
    delete api_;
    api_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(ready_) << "the suite's set-up failed (see above)"; }

  // POSTs every document of a manifest to its collection (201, or 409 if present).  The
  // manifest must hold exactly a ServiceAccount, a ClusterRole and a ClusterRoleBinding.
  static void apply_manifest(const std::string& file) {
    auto docs = api::yaml_to_json_documents(testlib::read_text_file(file));
    ASSERT_TRUE(docs) << file << ": " << docs.error().to_string();
    std::multiset<std::string> kinds;
    for (const auto& doc : *docs) {
      const std::string kind = doc.value("kind", std::string());
      const auto& meta = doc["metadata"];
      std::string path;
      if (kind == "ServiceAccount") {
        path = "/api/v1/namespaces/" + meta.value("namespace", std::string("default")) +
               "/serviceaccounts";
      } else if (kind == "ClusterRole") {
        path = kRbacApi + "clusterroles";
      } else if (kind == "ClusterRoleBinding") {
        path = kRbacApi + "clusterrolebindings";
      } else {
        FAIL() << file << ": unexpected kind \"" << kind << "\"";
      }
      kinds.insert(kind);
      auto r = api_->request("POST", path, doc.dump());
      ASSERT_TRUE(r) << r.error();
      ASSERT_TRUE(r->status == 201 || r->status == 409)
          << file << ": " << kind << " " << meta.value("name", std::string()) << ": HTTP "
          << r->status << ": " << r->body;
    }
    EXPECT_EQ(kinds,
              (std::multiset<std::string>{"ClusterRole", "ClusterRoleBinding", "ServiceAccount"}))
        << file;
  }

  // With the admin: an IP pool, the Node, namespace "rbac" with its default ServiceAccount
  // and a pod scheduled to the node.
  static void seed() {
    auto admin_ds = admin();
    api::IPPool pool;
    pool.metadata.name = "rbac-pool";
    pool.spec.cidr = kPoolCidr;
    pool.spec.block_size = 26;
    pool.spec.node_selector = "all()";
    auto p = admin_ds->create(pool);
    ASSERT_TRUE(p) << p.error().to_string();

    auto n = api_->request("POST", "/api/v1/nodes", R"({"apiVersion":"v1","kind":"Node",
      "metadata":{"name":")" + kNodeName + R"("},
      "status":{"addresses":[{"type":"InternalIP","address":"192.0.2.90"}]}})");
    ASSERT_TRUE(n && n->status == 201) << (n ? n->body : n.error());
    auto ns = api_->create_namespace(kNamespace);
    ASSERT_TRUE(ns) << ns.error();
    auto sa = api_->service_account_token(kNamespace, "default");
    ASSERT_TRUE(sa) << sa.error();
    auto pod = api_->request("POST", "/api/v1/namespaces/" + kNamespace + "/pods",
                             R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")" + kPodName +
                                 R"(","labels":{"app":"web"}},
      "spec":{"nodeName":")" + kNodeName +
                                 R"(","automountServiceAccountToken":false,
        "containers":[{"name":"c","image":"x"}]}})");
    ASSERT_TRUE(pod && pod->status == 201) << (pod ? pod->body : pod.error());
  }

  static void wait_until_authorized(const std::string& token, const std::string& path) {
    int status = 0;
    std::string body;
    const bool ok = testlib::wait_until(
        [&] {
          auto r = api_->request("GET", path, "", token);
          status = r ? r->status : 0;
          body = r ? r->body : r.error();
          return status == 200;
        },
        20s, 100ms);
    ASSERT_TRUE(ok) << "GET " << path << " never allowed: HTTP " << status << ": " << body;
  }

  static kdd::KubeConfig config_with(const std::string& token) {
    kdd::KubeConfig out = api_->admin_config();
    if (!token.empty()) {
      out.token = token;
    }
    return out;
  }

  static KddOptions quick() {
    KddOptions o;
    o.client.request_timeout = std::chrono::milliseconds(3000);
    o.client.max_attempts = 2;
    return o;
  }

  static std::unique_ptr<KddDatastore> admin() {
    return std::make_unique<KddDatastore>(config_with(""), quick());
  }
  static std::unique_ptr<KddDatastore> as_calico_node() {
    return std::make_unique<KddDatastore>(config_with(node_token_), quick());
  }
  static std::unique_ptr<KddDatastore> as_cni_plugin() {
    return std::make_unique<KddDatastore>(config_with(cni_token_), quick());
  }

  // Creates a resource given as a JSON document (projectcalico.org/v3 or networking.k8s.io).
  static void admin_create(Datastore& ds, const std::string& doc) {
    auto decoded = api::decode_json_text(doc);
    ASSERT_TRUE(decoded) << decoded.error().to_string_all();
    auto c = ds.create(*decoded);
    ASSERT_TRUE(c) << c.error().to_string();
  }

  static json raw_get(const std::string& path) {
    auto r = api_->request("GET", path);
    EXPECT_TRUE(r && r->status == 200) << path << ": " << (r ? r->body : r.error());
    return r && r->status == 200 ? json::parse(r->body, nullptr, false) : json();
  }

  static testlib::KubeApiServer* api_;
  static std::string node_token_;
  static std::string cni_token_;
  static bool ready_;
};

testlib::KubeApiServer* KddRbacTest::api_ = nullptr;
std::string KddRbacTest::node_token_;
std::string KddRbacTest::cni_token_;
bool KddRbacTest::ready_ = false;

TEST_F(KddRbacTest, CalicoNodeReadsWatchesAndWritesWhatItNeeds) {
  auto node = as_calico_node();

  // List and watch every kind it reads; each watch must list (InSync) without a refusal.
  std::vector<std::unique_ptr<KindWatch>> watches;
  for (const api::Kind kind : kNodeReads) {
    SCOPED_TRACE(kind_name(kind));
    auto listed = node->list({kind, "", ""});
    ASSERT_TRUE(listed) << "list " << kind_name(kind) << ": " << listed.error().to_string();
    auto w = std::make_unique<KindWatch>();
    w->kind = kind;
    WatchCallbacks cb = w->rec.callbacks();
    cb.on_status = [kw = w.get(), inner = cb.on_status](WatchStatus s, const std::string& d) {
      if (s == WatchStatus::Reconnecting) {
        const std::lock_guard<std::mutex> lock(kw->mu);
        kw->last_problem = d;
      }
      inner(s, d);
    };
    WatchOptions wo;
    wo.list = {kind, "", ""};
    w->watch = node->watch(wo, std::move(cb));
    ASSERT_TRUE(w->rec.wait_for_status(WatchStatus::InSync))
        << "watch " << kind_name(kind) << " never in sync: " << w->problem();
    w->listed = w->rec.event_count();
    watches.push_back(std::move(w));
  }

  // Its own writes.  The Node's BGP fields (nodes/status).
  auto got = node->get({api::Kind::Node, "", kNodeName});
  ASSERT_TRUE(got) << got.error().to_string();
  auto n = std::get<api::Node>(got->value);
  n.spec.bgp = api::NodeBGPSpec{};
  n.spec.bgp->ipv4_address = "192.0.2.90/24";
  n.spec.bgp->as_number = api::ASNumber(64512);
  auto updated = node->update(n);
  ASSERT_TRUE(updated) << updated.error().to_string();
  const json raw_node = raw_get("/api/v1/nodes/" + kNodeName);
  EXPECT_EQ(raw_node["metadata"]["annotations"]["projectcalico.org/IPv4Address"], "192.0.2.90/24");
  EXPECT_EQ(raw_node["metadata"]["annotations"]["projectcalico.org/ASNumber"], "64512");

  // ClusterInformation "default" at start-up, and an update of it on a later start.
  api::ClusterInformation ci;
  ci.metadata.name = "default";
  ci.spec.cluster_type = "k8s,bgp,kdd";
  ci.spec.datastore_ready = true;
  auto ci_created = node->create(ci);
  ASSERT_TRUE(ci_created) << ci_created.error().to_string();
  auto ci_value = std::get<api::ClusterInformation>(ci_created->value);
  ci_value.spec.cluster_type = "k8s,bgp,kdd,typha";
  auto ci_updated = node->update(ci_value);
  ASSERT_TRUE(ci_updated) << ci_updated.error().to_string();

  api::FelixConfiguration fc;
  fc.metadata.name = "node." + kNodeName;
  auto fc_created = node->create(fc);
  ASSERT_TRUE(fc_created) << fc_created.error().to_string();

  // Its tunnel address: claim (or reuse) the node's block, allocate, release.
  const ipam::Allocator alloc(*node);
  const std::string handle = "ipip-tunnel-addr-" + kNodeName;
  ipam::AutoAssignRequest tunnel_req;
  tunnel_req.num4 = 1;
  tunnel_req.handle_id = handle;
  tunnel_req.attrs = {{"node", kNodeName}, {"type", "ipipTunnelAddress"}};
  tunnel_req.host = kNodeName;
  tunnel_req.use = ipam::IntendedUse::Tunnel;
  auto tunnel = alloc.auto_assign(tunnel_req);
  ASSERT_TRUE(tunnel) << ipam::to_string(tunnel.error().code) << ": " << tunnel.error().message;
  ASSERT_EQ(tunnel->ipv4.size(), 1u);
  EXPECT_TRUE(net::Cidr::parse(kPoolCidr)->contains(tunnel->ipv4[0].ip))
      << tunnel->ipv4[0].to_string();
  auto released = alloc.release_by_handle(handle);
  ASSERT_TRUE(released) << ipam::to_string(released.error().code) << ": "
                        << released.error().message;
  ASSERT_EQ(released->size(), 1u);
  EXPECT_EQ((*released)[0], tunnel->ipv4[0].ip);

  // Changes made by others (the admin), one of each remaining kind: every watch must
  // deliver something after its initial list, which proves `watch` is granted.
  auto adm = admin();
  const std::string global = R"({"name":"rbac-poke"})";
  const std::string in_ns = R"({"name":"rbac-poke","namespace":"rbac"})";
  const std::string policy =
      R"js({"selector":"all()","types":["Ingress"],"ingress":[{"action":"Allow"}]})js";
  const std::vector<std::string> docs = {
      v3_doc("IPPool", global, R"({"cidr":"10.91.0.0/16","blockSize":26,"disabled":true})"),
      v3_doc("IPReservation", global, R"({"reservedCIDRs":["10.92.0.0/24"]})"),
      v3_doc("BGPConfiguration", R"({"name":"default"})",
             R"({"nodeToNodeMeshEnabled":true,"asNumber":64512})"),
      v3_doc("BGPPeer", global, R"({"peerIP":"192.0.2.50","asNumber":64513})"),
      v3_doc("BGPFilter", global,
             R"({"exportV4":[{"cidr":"10.90.0.0/16","matchOperator":"In","action":"Accept"}]})"),
      v3_doc("GlobalNetworkPolicy", global, policy),
      v3_doc("NetworkPolicy", in_ns, policy),
      v3_doc("GlobalNetworkSet", global, R"({"nets":["192.0.2.0/24"]})"),
      v3_doc("NetworkSet", in_ns, R"({"nets":["198.51.100.0/24"]})"),
      v3_doc("HostEndpoint", global,
             R"({"node":"rbac-node","interfaceName":"eth0","expectedIPs":["192.0.2.90"]})"),
      v3_doc("Tier", global, R"({"order":500})"),
      R"({"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy",
          "metadata":{"name":"rbac-poke","namespace":"rbac"},
          "spec":{"podSelector":{},"policyTypes":["Ingress"]}})",
  };
  for (const auto& doc : docs) {
    admin_create(*adm, doc);
  }
  api::BlockAffinity aff;
  aff.metadata.name = api::affinity_name("rbac-poke-host", "10.93.0.0/26");
  aff.spec = {"confirmed", "rbac-poke-host", "host", "10.93.0.0/26", "false"};
  auto a = adm->create(aff);
  ASSERT_TRUE(a) << a.error().to_string();
  const std::string label = R"({"metadata":{"labels":{"rbac":"poked"}}})";
  for (const std::string& path : {"/api/v1/namespaces/" + kNamespace + "/pods/" + kPodName,
                                  "/api/v1/namespaces/" + kNamespace}) {
    auto r = api_->request("PATCH", path, label);
    ASSERT_TRUE(r && r->status == 200) << path << ": " << (r ? r->body : r.error());
  }

  // One deadline for all: a refused watch fails the test in seconds, not minutes.
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  for (const auto& w : watches) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    EXPECT_TRUE(w->rec.wait_for([&] { return w->rec.event_count() > w->listed; },
                                std::max(left, std::chrono::milliseconds(0))))
        << "watch " << kind_name(w->kind) << " delivered nothing after its list: " << w->problem()
        << " (events: " << w->rec.summary() << ")";
    EXPECT_EQ(w->rec.status_count(WatchStatus::Reconnecting), 0)
        << "watch " << kind_name(w->kind) << ": " << w->problem();
  }
}

TEST_F(KddRbacTest, CniPluginAssignsRecordsAndReleases) {
  auto cni = as_cni_plugin();
  const std::string container = "0123456789abcdef";
  const std::string handle = "k8s-pod-network." + container;

  // ADD: the readiness check, the namespace's labels (pools' namespaceSelector), a handle
  // left by an earlier ADD, then the allocation.
  auto ci = cni->get({api::Kind::ClusterInformation, "", "default"});
  EXPECT_TRUE(ci || ci.error().code == ErrorCode::NotFound) << ci.error().to_string();
  auto prof = cni->get({api::Kind::Profile, "", "kns." + kNamespace});
  ASSERT_TRUE(prof) << prof.error().to_string();
  auto prior = cni->get(ipam::handle_key(handle));
  ASSERT_FALSE(prior);
  EXPECT_EQ(prior.error().code, ErrorCode::NotFound) << prior.error().to_string();

  const ipam::Allocator alloc(*cni);
  ipam::AutoAssignRequest req;
  req.num4 = 1;
  req.handle_id = handle;
  req.attrs = {{"namespace", kNamespace}, {"node", kNodeName}, {"pod", kPodName}};
  req.host = kNodeName;
  auto got = alloc.auto_assign(req);
  ASSERT_TRUE(got) << ipam::to_string(got.error().code) << ": " << got.error().message;
  ASSERT_EQ(got->ipv4.size(), 1u);
  const net::IpAddr ip = got->ipv4[0].ip;
  EXPECT_TRUE(net::Cidr::parse(kPoolCidr)->contains(ip)) << got->ipv4[0].to_string();

  auto node = cni->get({api::Kind::Node, "", kNodeName});
  ASSERT_TRUE(node) << node.error().to_string();

  // Record the address on the pod: the endpoint update is a PATCH of pods/<name>/status.
  const Key wep_key{api::Kind::WorkloadEndpoint, kNamespace, kWepName};
  auto wep = cni->get(wep_key);
  ASSERT_TRUE(wep) << wep.error().to_string();
  auto w = std::get<api::WorkloadEndpoint>(wep->value);
  w.spec.ip_networks = {ip.to_string() + "/32"};
  w.spec.container_id = container;
  auto written = cni->update(w);
  ASSERT_TRUE(written) << written.error().to_string();
  const json pod = raw_get("/api/v1/namespaces/" + kNamespace + "/pods/" + kPodName);
  EXPECT_EQ(pod["metadata"]["annotations"]["cni.projectcalico.org/podIP"], ip.to_string() + "/32");
  EXPECT_EQ(pod["metadata"]["annotations"]["cni.projectcalico.org/containerID"], container);

  // DEL: blank the endpoint's addresses and release by handle.
  auto removed = cni->remove(wep_key);
  ASSERT_TRUE(removed) << removed.error().to_string();
  auto after = cni->get(wep_key);
  ASSERT_TRUE(after) << after.error().to_string();
  EXPECT_TRUE(std::get<api::WorkloadEndpoint>(after->value).spec.ip_networks.empty());
  auto released = alloc.release_by_handle(handle);
  ASSERT_TRUE(released) << ipam::to_string(released.error().code) << ": "
                        << released.error().message;
  EXPECT_EQ(*released, std::vector<net::IpAddr>{ip});
  EXPECT_EQ(cni->get(ipam::handle_key(handle)).error().code, ErrorCode::NotFound);
}

TEST_F(KddRbacTest, CniPluginIsRefusedEverythingElse) {
  auto cni = as_cni_plugin();
  api::IPPool pool;
  pool.metadata.name = "cni-pool";
  pool.spec.cidr = "10.94.0.0/16";
  pool.spec.block_size = 26;
  expect_forbidden(cni->create(pool), "CNI plugin: create IPPool");

  expect_forbidden(cni->remove({api::Kind::Node, "", kNodeName}), "CNI plugin: delete Node");
  EXPECT_FALSE(raw_get("/api/v1/nodes/" + kNodeName).is_null());

  expect_forbidden(cni->list({api::Kind::WorkloadEndpoint, "", ""}),
                   "CNI plugin: list WorkloadEndpoints in all namespaces");

  auto got = cni->get({api::Kind::Node, "", kNodeName});
  ASSERT_TRUE(got) << got.error().to_string();
  auto n = std::get<api::Node>(got->value);
  n.spec.bgp = api::NodeBGPSpec{};
  n.spec.bgp->ipv4_address = "192.0.2.99/24";
  expect_forbidden(cni->update(n), "CNI plugin: update Node");
}

TEST_F(KddRbacTest, CalicoNodeIsRefusedWritesOutsideItsRemit) {
  auto node = as_calico_node();
  api::IPPool pool;
  pool.metadata.name = "node-pool";
  pool.spec.cidr = "10.95.0.0/16";
  pool.spec.block_size = 26;
  expect_forbidden(node->create(pool), "calico-node: create IPPool");

  expect_forbidden(node->remove({api::Kind::IPPool, "", "rbac-pool"}),
                   "calico-node: delete IPPool");
  EXPECT_FALSE(raw_get("/apis/crd.projectcalico.org/v1/ippools/rbac-pool").is_null());

  auto gnp = api::decode_json_text(
      v3_doc("GlobalNetworkPolicy", R"({"name":"node-policy"})",
             R"js({"selector":"all()","types":["Ingress"],"ingress":[{"action":"Allow"}]})js"));
  ASSERT_TRUE(gnp) << gnp.error().to_string_all();
  expect_forbidden(node->create(*gnp), "calico-node: create GlobalNetworkPolicy");
}

}  // namespace
}  // namespace calico::datastore::kube
