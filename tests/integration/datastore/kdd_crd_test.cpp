// The CRD manifests (manifests/crds/) installed into a real kube-apiserver, and Calico
// objects round-tripped through them with the custom-resource codec (datastore/kdd):
// v3 value -> to_crd -> POST -> GET -> from_crd gives the value back.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/yaml.h"
#include "datastore/kdd/crd_codec.h"
#include "tests/lib/kube_apiserver.h"

namespace calico::datastore::kdd {
namespace {

using Json = nlohmann::json;

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class KddCrdTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto s = testlib::KubeApiServer::start();
    ASSERT_TRUE(s) << s.error();
    api_ = std::move(*s).release();
    std::vector<std::string> names;
    for (const auto& f : std::filesystem::directory_iterator(CALICO_MANIFESTS_DIR "/crds")) {
      auto docs = api::yaml_to_json_documents(slurp(f.path()));
      ASSERT_TRUE(docs) << f.path();
      ASSERT_EQ(docs->size(), 1U) << f.path();
      auto r = api_->request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                             (*docs)[0].dump());
      ASSERT_TRUE(r) << r.error();
      ASSERT_EQ(r->status, 201) << f.path() << ": " << r->body;
      names.push_back((*docs)[0]["metadata"]["name"]);
    }
    ASSERT_EQ(names.size(), 22U);
    // Every CRD must become Established.
    for (const auto& n : names) {
      bool established = false;
      for (int i = 0; i < 200 && !established; ++i) {
        auto r =
            api_->request("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/" + n);
        ASSERT_TRUE(r) << r.error();
        const Json j = Json::parse(r->body, nullptr, false);
        for (const auto& c : j.value("status", Json::object()).value("conditions", Json::array())) {
          established |= c.value("type", "") == "Established" && c.value("status", "") == "True";
        }
        if (!established) {
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
      }
      ASSERT_TRUE(established) << n;
    }
    auto ns = api_->request("POST", "/api/v1/namespaces",
                            R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop"}})");
    ASSERT_TRUE(ns && ns->status == 201);
  }
  static void TearDownTestSuite() {
    delete api_;
    api_ = nullptr;
  }

  // to_crd -> POST -> GET -> from_crd.
  static api::AnyResource round_trip(const api::AnyResource& v) {
    auto crd = to_crd(v);
    EXPECT_TRUE(crd) << crd.error().to_string();
    const auto res = crd_resource(api::kind_of(v));
    const auto& meta = api::meta_of(v);
    auto post = api_->request("POST", crd_path(*res, meta.ns, ""), crd->dump());
    EXPECT_TRUE(post) << post.error();
    EXPECT_EQ(post->status, 201) << post->body;
    auto get = api_->request("GET", crd_path(*res, meta.ns, meta.name));
    EXPECT_TRUE(get) << get.error();
    EXPECT_EQ(get->status, 200) << get->body;
    const Json stored = Json::parse(get->body);
    auto back = from_crd(api::kind_of(v), stored);
    EXPECT_TRUE(back) << back.error().to_string();
    // The server's uid comes back bit-reversed; its resourceVersion is the revision.
    EXPECT_EQ(api::meta_of(back->value).uid,
              reverse_uid(stored["metadata"]["uid"].get<std::string>()));
    EXPECT_EQ(back->revision, stored["metadata"]["resourceVersion"].get<std::string>());
    return back->value;
  }

  static testlib::KubeApiServer* api_;
};

testlib::KubeApiServer* KddCrdTest::api_ = nullptr;

TEST_F(KddCrdTest, PoolWithLabelsAndAnnotations) {
  api::IPPool p;
  p.metadata.name = "pool-a";
  p.metadata.labels = {{"zone", "a"}};
  p.metadata.annotations = {{"owner", "net-team"}};
  p.spec.cidr = "10.244.0.0/16";
  p.spec.block_size = 26;
  p.spec.nat_outgoing = true;
  p.spec.node_selector = "all()";
  const auto back = std::get<api::IPPool>(round_trip(p));
  EXPECT_EQ(back.spec, p.spec);
  EXPECT_EQ(back.metadata.labels, p.metadata.labels);
  EXPECT_EQ(back.metadata.annotations, p.metadata.annotations);
}

TEST_F(KddCrdTest, IpamObjects) {
  api::IPAMBlock b;
  b.metadata.name = "10-244-3-64-26";
  b.spec.cidr = "10.244.3.64/26";
  b.spec.affinity = "host:worker-1";
  b.spec.allocations.assign(64, std::nullopt);
  b.spec.allocations[0] = 0;
  for (int i = 1; i < 64; ++i) {
    b.spec.unallocated.push_back(i);
  }
  api::AllocationAttribute a;
  a.handle_id = "k8s-pod-network.abc";
  a.secondary = {{"node", "worker-1"}, {"pod", "web-1"}, {"namespace", "shop"}};
  b.spec.attributes.push_back(a);
  b.spec.sequence_number = 1746093600000000001ULL;
  b.spec.sequence_number_for_allocation = {{"0", 1746093600000000000ULL}};
  EXPECT_EQ(std::get<api::IPAMBlock>(round_trip(b)).spec, b.spec);

  api::BlockAffinity aff;
  aff.metadata.name = "worker-1-10-244-3-64-26";
  aff.spec = {"confirmed", "worker-1", "host", "10.244.3.64/26", "false"};
  EXPECT_EQ(std::get<api::BlockAffinity>(round_trip(aff)).spec, aff.spec);

  api::IPAMHandle h;
  h.metadata.name = "k8s-pod-network.abc";
  h.spec.handle_id = "k8s-pod-network.abc";
  h.spec.block = {{"10.244.3.64/26", 1}};
  EXPECT_EQ(std::get<api::IPAMHandle>(round_trip(h)).spec, h.spec);

  api::IPAMConfiguration c;
  c.metadata.name = "default";
  c.spec.strict_affinity = true;
  c.spec.auto_allocate_blocks = true;
  c.spec.max_blocks_per_host = 8;
  EXPECT_EQ(std::get<api::IPAMConfiguration>(round_trip(c)).spec, c.spec);
}

TEST_F(KddCrdTest, NamespacedPolicyAndClusterInformation) {
  api::NetworkPolicy np;
  np.metadata.name = "allow-web";
  np.metadata.ns = "shop";
  np.spec.selector = "app == 'web'";
  np.spec.types = {"Ingress"};
  const auto back = std::get<api::NetworkPolicy>(round_trip(np));
  EXPECT_EQ(back.metadata.ns, "shop");
  EXPECT_EQ(back.spec, np.spec);

  api::ClusterInformation ci;
  ci.metadata.name = "default";
  ci.spec.datastore_ready = true;
  ci.spec.cluster_type = "k8s,bgp";
  EXPECT_EQ(std::get<api::ClusterInformation>(round_trip(ci)).spec, ci.spec);
}

}  // namespace
}  // namespace calico::datastore::kdd
