// Every kind decodes from a documentation-style example (tests/unit/api/testdata), validates
// clean before and after defaulting, and round-trips through YAML and JSON.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "api/document.h"
#include "api/selector.h"

namespace calico::api {
namespace {

std::string read_testdata(const std::string& file) {
  std::ifstream in(std::string(CALICO_TESTDATA_DIR) + "/" + file);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Example {
  const char* file;
  Kind kind;
};

class ExampleTest : public ::testing::TestWithParam<Example> {};

TEST_P(ExampleTest, DecodesValidatesAndRoundTrips) {
  const auto& ex = GetParam();
  const std::string text = read_testdata(ex.file);
  ASSERT_FALSE(text.empty()) << "missing testdata " << ex.file;
  auto docs = decode_yaml(text, ex.file);
  ASSERT_TRUE(docs) << docs.error().to_string();
  ASSERT_EQ(docs->size(), 1u);
  const AnyResource& r = docs->front();
  EXPECT_EQ(kind_of(r), ex.kind);

  auto valid = validate(r);
  EXPECT_TRUE(valid) << valid.error().to_string_all();

  const std::string yaml = encode_yaml(r);
  auto again = decode_yaml(yaml);
  ASSERT_TRUE(again) << again.error().to_string() << "\n" << yaml;
  EXPECT_EQ(again->front(), r) << yaml;

  const std::string json = encode_json_text(r);
  auto from_json = decode_json_text(json);
  ASSERT_TRUE(from_json) << from_json.error().to_string() << "\n" << json;
  EXPECT_EQ(*from_json, r) << json;

  AnyResource defaulted = r;
  apply_defaults(defaulted);
  auto still_valid = validate(defaulted);
  EXPECT_TRUE(still_valid) << still_valid.error().to_string_all();
  // Defaulting is idempotent.
  AnyResource twice = defaulted;
  apply_defaults(twice);
  EXPECT_EQ(twice, defaulted);
}

INSTANTIATE_TEST_SUITE_P(
    AllKinds, ExampleTest,
    ::testing::Values(Example{"ipreservation.yaml", Kind::IPReservation},
                      Example{"bgp_configuration.yaml", Kind::BGPConfiguration},
                      Example{"bgp_peer.yaml", Kind::BGPPeer},
                      Example{"bgp_filter.yaml", Kind::BGPFilter}, Example{"node.yaml", Kind::Node},
                      Example{"workload_endpoint.yaml", Kind::WorkloadEndpoint},
                      Example{"host_endpoint.yaml", Kind::HostEndpoint},
                      Example{"network_policy.yaml", Kind::NetworkPolicy},
                      Example{"global_network_policy.yaml", Kind::GlobalNetworkPolicy},
                      Example{"profile.yaml", Kind::Profile},
                      Example{"network_set.yaml", Kind::NetworkSet},
                      Example{"global_network_set.yaml", Kind::GlobalNetworkSet},
                      Example{"tier.yaml", Kind::Tier},
                      Example{"felix_configuration.yaml", Kind::FelixConfiguration},
                      Example{"cluster_information.yaml", Kind::ClusterInformation},
                      Example{"k8s_network_policy.yaml", Kind::KubernetesNetworkPolicy}),
    [](const ::testing::TestParamInfo<Example>& param_info) {
      std::string name = param_info.param.file;
      return name.substr(0, name.find('.'));
    });

template <class T>
T load(const char* file) {
  auto docs = decode_yaml(read_testdata(file), file);
  EXPECT_TRUE(docs) << docs.error().to_string();
  if (!docs || docs->empty() || !std::holds_alternative<T>(docs->front())) {
    ADD_FAILURE() << file << " did not decode as the expected kind";
    return T{};
  }
  return std::get<T>(docs->front());
}

TEST(Examples, NetworkPolicyFieldsLandWhereExpected) {
  const auto p = load<NetworkPolicy>("network_policy.yaml");
  EXPECT_EQ(p.metadata.ns, "production");
  ASSERT_TRUE(p.spec.order.has_value());
  EXPECT_DOUBLE_EQ(*p.spec.order, 100.5);
  ASSERT_EQ(p.spec.ingress.size(), 6u);
  const Rule& r = p.spec.ingress[1];
  EXPECT_EQ(r.protocol, Protocol::named("TCP"));
  ASSERT_EQ(r.destination.ports.size(), 3u);
  EXPECT_EQ(r.destination.ports[0], Port::number(6379));
  EXPECT_TRUE(r.destination.ports[1].is_range());
  EXPECT_EQ(r.destination.ports[1].max(), 7010);
  EXPECT_TRUE(r.destination.ports[2].is_named());
  ASSERT_TRUE(r.source.service_accounts.has_value());
  EXPECT_EQ(r.source.service_accounts->names, (std::vector<std::string>{"frontend", "proxy"}));
  ASSERT_TRUE(r.metadata.has_value());
  EXPECT_EQ(r.metadata->annotations.at("from"), "frontend");
  ASSERT_TRUE(p.spec.ingress[2].icmp.has_value());
  EXPECT_EQ(p.spec.ingress[2].icmp->type, 8);
  EXPECT_EQ(p.spec.ingress[2].icmp->code, 0);  // explicit zero survives
  EXPECT_EQ(p.spec.egress[2].action, "Pass");
  EXPECT_EQ(p.spec.egress[0].destination.namespace_selector, "global()");
}

TEST(Examples, BgpPeerKeepsAsdotAndPortForms) {
  const auto p = load<BGPPeer>("bgp_peer.yaml");
  ASSERT_TRUE(p.spec.local_as_number.has_value());
  EXPECT_EQ(p.spec.local_as_number->value(), 65546u);  // 1.10 = 1*65536 + 10
  EXPECT_EQ(p.spec.local_as_number->to_string(), "1.10");
  EXPECT_EQ(p.spec.as_number->value(), 64567u);
  EXPECT_EQ(p.spec.ttl_security, 1);
  ASSERT_TRUE(p.spec.password && p.spec.password->secret_key_ref);
  EXPECT_EQ(p.spec.password->secret_key_ref->key, "rack1-password");
  EXPECT_NE(encode_yaml(AnyResource(p)).find("localASNumber: \"1.10\""), std::string::npos);
}

TEST(Examples, FelixConfigurationKeepsEmptyListAndHexMask) {
  const auto f = load<FelixConfiguration>("felix_configuration.yaml");
  ASSERT_TRUE(f.spec.failsafe_outbound_host_ports.has_value());
  EXPECT_TRUE(f.spec.failsafe_outbound_host_ports->empty());  // [] = no failsafe ports
  EXPECT_FALSE(f.spec.wireguard_enabled_v6.has_value());
  EXPECT_EQ(f.spec.iptables_mark_mask, 0xffff0000LL);
  EXPECT_EQ(f.spec.ipip_mtu, 1440);
  ASSERT_EQ(f.spec.kube_node_port_ranges->size(), 2u);
  EXPECT_EQ((*f.spec.kube_node_port_ranges)[0].min(), 30000);
  const std::string yaml = encode_yaml(AnyResource(f));
  EXPECT_NE(yaml.find("failsafeOutboundHostPorts: []"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("bpfLogLevel: \"\""), std::string::npos) << yaml;
}

TEST(Examples, KubernetesPolicyKeepsEmptyVersusAbsentSelectors) {
  const auto k = load<KubernetesNetworkPolicy>("k8s_network_policy.yaml");
  ASSERT_EQ(k.spec.ingress.size(), 2u);
  EXPECT_EQ(k.spec.ingress[1], K8sNetworkPolicyIngressRule{});  // `- {}`: allow all
  const auto& peers = k.spec.ingress[0].from;
  ASSERT_EQ(peers.size(), 3u);
  EXPECT_FALSE(peers[1].pod_selector.has_value());
  ASSERT_TRUE(k.spec.egress[0].to[1].pod_selector.has_value());
  EXPECT_TRUE(k.spec.egress[0].to[1].pod_selector->empty());  // `{}`: all pods
  EXPECT_EQ(k.spec.egress[0].ports[0].end_port, 32768);
  EXPECT_FALSE(k.spec.egress[0].ports[1].port->is_int());
  EXPECT_EQ(k8s_selector_to_calico(&*peers[2].namespace_selector, K8sSelectorRole::Namespace),
            "team in { 'a', 'b' } && ! has(legacy)");
  const std::string yaml = encode_yaml(AnyResource(k));
  EXPECT_NE(yaml.find("podSelector: {}"), std::string::npos) << yaml;
}

TEST(Examples, NodeAndTierStatus) {
  const auto n = load<Node>("node.yaml");
  ASSERT_TRUE(n.spec.bgp.has_value());
  EXPECT_EQ(n.spec.bgp->ipv4_address, "10.244.0.1/24");
  EXPECT_EQ(n.status.pod_cidrs, (std::vector<std::string>{"192.168.0.0/24"}));
  const auto t = load<Tier>("tier.yaml");
  ASSERT_EQ(t.status.conditions.size(), 1u);
  EXPECT_EQ(t.status.conditions[0].status, "True");
  // A tier without status encodes none.
  Tier bare;
  bare.metadata.name = "t";
  EXPECT_EQ(encode_yaml(AnyResource(bare)).find("status"), std::string::npos);
}

}  // namespace
}  // namespace calico::api
