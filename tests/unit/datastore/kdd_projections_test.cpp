// Projections of native Kubernetes objects onto projectcalico.org/v3
// (datastore/kdd/projections.h), against fixtures shaped like API server output.
#include <string_view>

#include <gtest/gtest.h>

#include "api/document.h"
#include "datastore/kdd/projections.h"

namespace calico::datastore::kdd {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kNodeJson = R"({
  "apiVersion": "v1", "kind": "Node",
  "metadata": {
    "name": "ip-10-0-0-1",
    "uid": "6a1e3c6b-5f2d-4a8e-9b3c-1d2e3f405162",
    "resourceVersion": "812",
    "creationTimestamp": "2026-01-02T03:04:05Z",
    "labels": {"kubernetes.io/hostname": "ip-10-0-0-1", "kubernetes.io/os": "linux",
               "zone": "k8s-zone"},
    "annotations": {
      "node.alpha.kubernetes.io/ttl": "0",
      "projectcalico.org/IPv4Address": "10.0.0.1/24",
      "projectcalico.org/IPv6Address": "fd00::1/64",
      "projectcalico.org/ASNumber": "64512",
      "projectcalico.org/IPv4IPIPTunnelAddr": "10.244.3.1",
      "projectcalico.org/RouteReflectorClusterID": "224.0.0.1",
      "projectcalico.org/IPv4VXLANTunnelAddr": "10.244.3.0",
      "projectcalico.org/VXLANTunnelMACAddr": "66:a0:3c:1e:22:01",
      "projectcalico.org/IPv6VXLANTunnelAddr": "fd00:10:244:3::",
      "projectcalico.org/VXLANTunnelMACAddrV6": "66-a0-3c-1e-22-02",
      "projectcalico.org/IPv4WireguardInterfaceAddr": "10.244.3.2",
      "projectcalico.org/WireguardPublicKey": "q3b2v8R0kqk5Xy1wT7m0G6j1b6l0YwzS8m1y2tU4xXo=",
      "projectcalico.org/labels": "{\"calico-only\":\"yes\",\"zone\":\"calico-zone\"}",
      "projectcalico.org/annotations": "{\"note\":\"hand-written\"}",
      "projectcalico.org/Interfaces": "[{\"name\":\"eth0\",\"addresses\":[\"10.0.0.1\",\"bogus\"]}]"
    }
  },
  "spec": {"podCIDR": "10.244.3.0/24", "podCIDRs": ["10.244.3.0/24", "fd00:10:244:3::/64"],
           "providerID": "aws:///eu-west-1a/i-0abc"},
  "status": {
    "addresses": [
      {"type": "InternalIP", "address": "10.0.0.1"},
      {"type": "Hostname", "address": "ip-10-0-0-1"},
      {"type": "ExternalIP", "address": "203.0.113.7"}
    ],
    "conditions": [{"type": "Ready", "status": "True"}]
  }
})";

constexpr std::string_view kPodJson = R"({
  "apiVersion": "v1", "kind": "Pod",
  "metadata": {
    "name": "web-7d9f", "namespace": "shop", "generateName": "web-",
    "uid": "0f4e2a9c-7b31-4d6a-8e5f-a0b1c2d3e4f5", "resourceVersion": "4711",
    "creationTimestamp": "2026-03-01T10:00:00Z",
    "labels": {"app": "web", "pod-template-hash": "7d9f"},
    "annotations": {
      "cni.projectcalico.org/containerID": "5c1d0b9e2f",
      "cni.projectcalico.org/podIP": "10.65.0.9/32",
      "cni.projectcalico.org/podIPs": "10.65.0.9/32",
      "cni.projectcalico.org/allowedSourcePrefixes": "[\"192.168.7.5/24\"]",
      "k8s.v1.cni.cncf.io/network-status": "[{\"name\":\"k8s-pod-network\"}]",
      "kubectl.kubernetes.io/restartedAt": "2026-03-01T09:59:00Z"
    }
  },
  "spec": {
    "nodeName": "ip-10-0-0-1",
    "serviceAccountName": "web-sa",
    "initContainers": [{"name": "init", "image": "busybox",
                        "ports": [{"name": "init-metrics", "containerPort": 9100}]}],
    "containers": [
      {"name": "app", "image": "nginx",
       "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"},
                 {"containerPort": 8443, "protocol": "TCP"},
                 {"containerPort": 53, "hostPort": 5353, "hostIP": "10.0.0.1", "protocol": "UDP"},
                 {"name": "assoc", "containerPort": 3868, "protocol": "SCTP"},
                 {"name": "weird", "containerPort": 99, "protocol": "udp"}]},
      {"name": "sidecar", "image": "envoy",
       "ports": [{"name": "admin", "containerPort": 9901}]}
    ]
  },
  "status": {
    "phase": "Running",
    "podIP": "10.65.0.9",
    "podIPs": [{"ip": "10.65.0.9"}, {"ip": "fd00:10:65::9"}]
  }
})";

Json node_json() {
  return Json::parse(kNodeJson);
}
Json pod_json() {
  return Json::parse(kPodJson);
}

// A scheduled pod that only has the annotations written by Calico's CNI plugin (kubelet
// has not reported status yet).
Json annotated_pod() {
  return Json::parse(R"({
    "metadata": {"name": "db-0", "namespace": "data", "resourceVersion": "9",
                 "annotations": {"cni.projectcalico.org/podIPs": "10.65.1.4/32,fd00:10:65::1:4",
                                 "cni.projectcalico.org/podIP": "10.65.1.99/32"}},
    "spec": {"nodeName": "worker-2", "containers": [{"name": "db"}]},
    "status": {"phase": "Pending"}
  })");
}

const api::Node& as_node(const Object& o) {
  return std::get<api::Node>(o.value);
}
const api::WorkloadEndpoint& as_wep(const Object& o) {
  return std::get<api::WorkloadEndpoint>(o.value);
}
const api::Profile& as_profile(const Object& o) {
  return std::get<api::Profile>(o.value);
}

// ---- Node ----

TEST(KddProjectionNode, MapsIdentityLabelsAndAnnotations) {
  auto obj = node_from_k8s(node_json());
  ASSERT_TRUE(obj) << obj.error().to_string();
  EXPECT_EQ(obj->key.kind, api::Kind::Node);
  EXPECT_EQ(obj->key.name, "ip-10-0-0-1");
  EXPECT_EQ(obj->revision, "812");
  const api::Node& n = as_node(*obj);
  EXPECT_EQ(n.metadata.name, "ip-10-0-0-1");
  EXPECT_EQ(n.metadata.resource_version, "812");
  EXPECT_EQ(n.metadata.uid, "6a1e3c6b-5f2d-4a8e-9b3c-1d2e3f405162");  // not reversed
  EXPECT_EQ(n.metadata.creation_timestamp, "2026-01-02T03:04:05Z");
  // Calico-only labels from the annotation, Kubernetes labels on top (k8s wins on "zone").
  const std::map<std::string, std::string> labels = {{"calico-only", "yes"},
                                                     {"kubernetes.io/hostname", "ip-10-0-0-1"},
                                                     {"kubernetes.io/os", "linux"},
                                                     {"zone", "k8s-zone"}};
  EXPECT_EQ(n.metadata.labels, labels);
  // Annotations: only the Calico ones, plus the kube-labels snapshot.
  EXPECT_EQ(n.metadata.annotations.size(), 2U);
  EXPECT_EQ(n.metadata.annotations.at("note"), "hand-written");
  const Json snapshot = Json::parse(n.metadata.annotations.at("projectcalico.org/kube-labels"));
  EXPECT_EQ(snapshot, Json::parse(kNodeJson)["metadata"]["labels"]);
  EXPECT_FALSE(n.metadata.annotations.contains("node.alpha.kubernetes.io/ttl"));
}

TEST(KddProjectionNode, MapsSpecAndStatus) {
  auto obj = node_from_k8s(node_json());
  ASSERT_TRUE(obj) << obj.error().to_string();
  const api::Node& n = as_node(*obj);
  ASSERT_TRUE(n.spec.bgp.has_value());
  EXPECT_EQ(n.spec.bgp->ipv4_address, "10.0.0.1/24");
  EXPECT_EQ(n.spec.bgp->ipv6_address, "fd00::1/64");
  ASSERT_TRUE(n.spec.bgp->as_number.has_value());
  EXPECT_EQ(n.spec.bgp->as_number->value(), 64512U);
  EXPECT_EQ(n.spec.bgp->ipv4_ipip_tunnel_addr, "10.244.3.1");
  EXPECT_EQ(n.spec.bgp->route_reflector_cluster_id, "224.0.0.1");
  EXPECT_EQ(n.spec.ipv4_vxlan_tunnel_addr, "10.244.3.0");
  EXPECT_EQ(n.spec.vxlan_tunnel_mac_addr, "66:a0:3c:1e:22:01");
  EXPECT_EQ(n.spec.ipv6_vxlan_tunnel_addr, "fd00:10:244:3::");
  EXPECT_EQ(n.spec.vxlan_tunnel_mac_addr_v6, "66-a0-3c-1e-22-02");
  ASSERT_TRUE(n.spec.wireguard.has_value());
  EXPECT_EQ(n.spec.wireguard->interface_ipv4_address, "10.244.3.2");
  EXPECT_EQ(n.spec.wireguard->interface_ipv6_address, "");
  EXPECT_EQ(n.status.wireguard_public_key, "q3b2v8R0kqk5Xy1wT7m0G6j1b6l0YwzS8m1y2tU4xXo=");
  ASSERT_EQ(n.spec.orch_refs.size(), 1U);
  EXPECT_EQ(n.spec.orch_refs[0].node_name, "ip-10-0-0-1");
  EXPECT_EQ(n.spec.orch_refs[0].orchestrator, "k8s");
  // CalicoNodeIP entries carry the annotation's CIDR verbatim; Hostname is skipped.
  const std::vector<api::NodeAddress> addresses = {{"10.0.0.1/24", "CalicoNodeIP"},
                                                   {"fd00::1/64", "CalicoNodeIP"},
                                                   {"10.0.0.1", "InternalIP"},
                                                   {"203.0.113.7", "ExternalIP"}};
  EXPECT_EQ(n.spec.addresses, addresses);
  const std::vector<std::string> pod_cidrs = {"10.244.3.0/24", "fd00:10:244:3::/64"};
  EXPECT_EQ(n.status.pod_cidrs, pod_cidrs);
  // Interfaces from JSON, with the address that is not an IP dropped.
  ASSERT_EQ(n.spec.interfaces.size(), 1U);
  EXPECT_EQ(n.spec.interfaces[0].name, "eth0");
  EXPECT_EQ(n.spec.interfaces[0].addresses, std::vector<std::string>{"10.0.0.1"});
  // The projection is a valid v3 Node.
  auto v = api::validate(obj->value);
  EXPECT_TRUE(v) << v.error().to_string_all();
}

TEST(KddProjectionNode, AsdotASNumberIsReadAsItsValue) {
  Json j = node_json();
  j["metadata"]["annotations"]["projectcalico.org/ASNumber"] = "1.10";
  auto obj = node_from_k8s(j);
  ASSERT_TRUE(obj) << obj.error().to_string();
  ASSERT_TRUE(as_node(*obj).spec.bgp->as_number.has_value());
  EXPECT_EQ(as_node(*obj).spec.bgp->as_number->value(), 65546U);
}

TEST(KddProjectionNode, InvalidAnnotationValuesAreIgnoredLikeCalico) {
  Json j = node_json();
  auto& a = j["metadata"]["annotations"];
  a["projectcalico.org/IPv4Address"] = "fd00::1/64";  // v6 in the v4 annotation
  a["projectcalico.org/IPv6Address"] = "not-an-ip";
  a["projectcalico.org/ASNumber"] = "sixty-four";
  a["projectcalico.org/IPv4IPIPTunnelAddr"] = "10.244.3.1/24";  // host bits set
  a["projectcalico.org/RouteReflectorClusterID"] = "";
  a["projectcalico.org/VXLANTunnelMACAddr"] = "66:a0:3c:1e:22";  // 5 octets
  a["projectcalico.org/Interfaces"] = "{not json";
  auto obj = node_from_k8s(j);
  ASSERT_TRUE(obj) << obj.error().to_string();
  const api::Node& n = as_node(*obj);
  EXPECT_FALSE(n.spec.bgp.has_value());
  EXPECT_EQ(n.spec.vxlan_tunnel_mac_addr, "");
  EXPECT_EQ(n.spec.ipv4_vxlan_tunnel_addr, "10.244.3.0");  // the valid ones survive
  EXPECT_TRUE(n.spec.interfaces.empty());
  // No CalicoNodeIP without a BGP address.
  ASSERT_EQ(n.spec.addresses.size(), 2U);
  EXPECT_EQ(n.spec.addresses[0].type, "InternalIP");
}

TEST(KddProjectionNode, PlainKubernetesNodeAndPodCIDRFallback) {
  Json j = Json::parse(R"({"metadata": {"name": "worker-2", "resourceVersion": "5"},
                           "spec": {"podCIDR": "10.244.7.0/24"}})");
  auto obj = node_from_k8s(j);
  ASSERT_TRUE(obj) << obj.error().to_string();
  const api::Node& n = as_node(*obj);
  EXPECT_FALSE(n.spec.bgp.has_value());
  EXPECT_FALSE(n.spec.wireguard.has_value());
  EXPECT_TRUE(n.spec.addresses.empty());
  EXPECT_EQ(n.status.pod_cidrs, std::vector<std::string>{"10.244.7.0/24"});
  EXPECT_EQ(n.metadata.labels.size(), 0U);
  EXPECT_EQ(n.metadata.annotations.at("projectcalico.org/kube-labels"), "{}");
}

TEST(KddProjectionNode, ErrorsNameTheObjectAndField) {
  auto no_name = node_from_k8s(Json::parse(R"({"metadata": {"uid": "x"}})"));
  ASSERT_FALSE(no_name);
  EXPECT_EQ(no_name.error().code, ErrorCode::Invalid);
  EXPECT_NE(no_name.error().message.find("metadata.name"), std::string::npos);

  auto not_object = node_from_k8s(Json::array());
  ASSERT_FALSE(not_object);
  EXPECT_EQ(not_object.error().code, ErrorCode::Invalid);

  Json bad_labels = node_json();
  bad_labels["metadata"]["labels"]["zone"] = 7;
  auto bl = node_from_k8s(bad_labels);
  ASSERT_FALSE(bl);
  EXPECT_EQ(bl.error().code, ErrorCode::Invalid);
  EXPECT_NE(bl.error().message.find("Node ip-10-0-0-1"), std::string::npos);
  EXPECT_NE(bl.error().message.find("metadata.labels.zone"), std::string::npos);
}

TEST(KddProjectionNode, WriteBackSetsAndRemovesCalicoAnnotationsOnly) {
  const Json k8s = node_json();
  auto obj = node_from_k8s(k8s);
  ASSERT_TRUE(obj) << obj.error().to_string();
  api::Node n = as_node(*obj);
  n.spec.bgp->ipv4_address = "10.0.0.2/24";
  n.spec.bgp->as_number.reset();
  n.spec.bgp->route_reflector_cluster_id.clear();
  n.spec.ipv6_vxlan_tunnel_addr.clear();
  n.spec.wireguard.reset();
  n.status.wireguard_public_key_v6 = "djZrZXk=";
  n.metadata.labels["rack"] = "r12";                  // new Calico label
  n.metadata.labels["kubernetes.io/os"] = "windows";  // shadowed by k8s: not written
  n.metadata.labels.erase("calico-only");
  n.metadata.annotations["owner"] = "netops";

  auto out = node_to_k8s(n, k8s);
  ASSERT_TRUE(out) << out.error().to_string();
  const Json& a = (*out)["metadata"]["annotations"];
  EXPECT_EQ(a["projectcalico.org/IPv4Address"], "10.0.0.2/24");
  EXPECT_EQ(a["projectcalico.org/IPv6Address"], "fd00::1/64");
  EXPECT_FALSE(a.contains("projectcalico.org/ASNumber"));
  EXPECT_FALSE(a.contains("projectcalico.org/RouteReflectorClusterID"));
  EXPECT_FALSE(a.contains("projectcalico.org/IPv6VXLANTunnelAddr"));
  EXPECT_FALSE(a.contains("projectcalico.org/IPv4WireguardInterfaceAddr"));
  EXPECT_EQ(a["projectcalico.org/WireguardPublicKeyV6"], "djZrZXk=");
  EXPECT_EQ(a["projectcalico.org/IPv4IPIPTunnelAddr"], "10.244.3.1");
  EXPECT_EQ(a["node.alpha.kubernetes.io/ttl"], "0");  // foreign annotations untouched
  // Only the Calico-owned labels go to the labels annotation; the snapshot is not stored.
  EXPECT_EQ(Json::parse(a["projectcalico.org/labels"].get<std::string>()),
            Json::parse(R"({"rack": "r12"})"));
  EXPECT_EQ(Json::parse(a["projectcalico.org/annotations"].get<std::string>()),
            Json::parse(R"({"note": "hand-written", "owner": "netops"})"));
  EXPECT_FALSE(a.contains("projectcalico.org/kube-labels"));
  EXPECT_EQ(Json::parse(a["projectcalico.org/Interfaces"].get<std::string>()),
            Json::parse(R"([{"name": "eth0", "addresses": ["10.0.0.1"]}])"));
  // Kubernetes labels, spec and status are never changed.
  EXPECT_EQ((*out)["metadata"]["labels"], k8s["metadata"]["labels"]);
  EXPECT_EQ((*out)["spec"], k8s["spec"]);
  EXPECT_EQ((*out)["status"], k8s["status"]);
  EXPECT_EQ((*out)["metadata"]["resourceVersion"], "812");

  // Reading the result back gives the edited node (k8s labels still win).
  auto again = node_from_k8s(*out);
  ASSERT_TRUE(again) << again.error().to_string();
  const api::Node& m = as_node(*again);
  EXPECT_EQ(m.spec.bgp, n.spec.bgp);
  EXPECT_EQ(m.metadata.labels.at("rack"), "r12");
  EXPECT_EQ(m.metadata.labels.at("kubernetes.io/os"), "linux");
  EXPECT_FALSE(m.metadata.labels.contains("calico-only"));
  EXPECT_EQ(m.status.wireguard_public_key_v6, "djZrZXk=");
}

TEST(KddProjectionNode, RoundTripIsIdentity) {
  auto obj = node_from_k8s(node_json());
  ASSERT_TRUE(obj) << obj.error().to_string();
  auto out = node_to_k8s(as_node(*obj), node_json());
  ASSERT_TRUE(out) << out.error().to_string();
  auto again = node_from_k8s(*out);
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_EQ(as_node(*again), as_node(*obj));
}

TEST(KddProjectionNode, WriteBackWithoutBgpClearsAllBgpAnnotations) {
  api::Node n;
  n.metadata.name = "ip-10-0-0-1";
  auto out = node_to_k8s(n, node_json());
  ASSERT_TRUE(out) << out.error().to_string();
  const Json& a = (*out)["metadata"]["annotations"];
  for (const char* k :
       {"projectcalico.org/IPv4Address", "projectcalico.org/IPv6Address",
        "projectcalico.org/ASNumber", "projectcalico.org/IPv4IPIPTunnelAddr",
        "projectcalico.org/RouteReflectorClusterID", "projectcalico.org/IPv4VXLANTunnelAddr",
        "projectcalico.org/VXLANTunnelMACAddr", "projectcalico.org/WireguardPublicKey",
        "projectcalico.org/IPv4WireguardInterfaceAddr", "projectcalico.org/labels",
        "projectcalico.org/annotations", "projectcalico.org/Interfaces"}) {
    EXPECT_FALSE(a.contains(k)) << k;
  }
  EXPECT_EQ(a["node.alpha.kubernetes.io/ttl"], "0");
  // No v3 resourceVersion: the Kubernetes one is kept (unconditional write).
  EXPECT_EQ((*out)["metadata"]["resourceVersion"], "812");
}

TEST(KddProjectionNode, WriteBackAsdotNumberIsDecimalAndRevisionIsTheCasToken) {
  api::Node n;
  n.metadata.name = "worker-2";
  n.metadata.resource_version = "77";
  n.spec.bgp = api::NodeBGPSpec{};
  n.spec.bgp->as_number = api::ASNumber::parse("1.10");
  auto out = node_to_k8s(n, Json::parse(R"({"metadata": {"name": "worker-2",
                                                         "resourceVersion": "80"}})"));
  ASSERT_TRUE(out) << out.error().to_string();
  EXPECT_EQ((*out)["metadata"]["annotations"]["projectcalico.org/ASNumber"], "65546");
  EXPECT_EQ((*out)["metadata"]["resourceVersion"], "77");
}

TEST(KddProjectionNode, WriteBackErrors) {
  api::Node n;
  n.metadata.name = "other";
  auto mismatch = node_to_k8s(n, node_json());
  ASSERT_FALSE(mismatch);
  EXPECT_EQ(mismatch.error().code, ErrorCode::Invalid);
  EXPECT_NE(mismatch.error().message.find("ip-10-0-0-1"), std::string::npos);

  n.metadata.name = "ip-10-0-0-1";
  n.metadata.annotations["projectcalico.org/kube-labels"] = "[1, 2]";
  auto bad_snapshot = node_to_k8s(n, node_json());
  ASSERT_FALSE(bad_snapshot);
  EXPECT_EQ(bad_snapshot.error().code, ErrorCode::Invalid);
  EXPECT_NE(bad_snapshot.error().message.find("projectcalico.org/kube-labels"), std::string::npos);

  auto no_meta = node_to_k8s(n, Json::object());
  ASSERT_FALSE(no_meta);
  EXPECT_EQ(no_meta.error().code, ErrorCode::Invalid);
}

// ---- WorkloadEndpoint ----

TEST(KddProjectionWep, NameDoublesDashesInEverySegment) {
  EXPECT_EQ(wep_name("ip-10-0-0-1", "web-7d9f"), "ip--10--0--0--1-k8s-web--7d9f-eth0");
  EXPECT_EQ(wep_name("node1", "pod", "net-1"), "node1-k8s-pod-net--1");
  EXPECT_EQ(wep_name("n", "p"), "n-k8s-p-eth0");
}

TEST(KddProjectionWep, InterfaceNameIsCaliPlusSha1Prefix) {
  // sha1("default.nginx") = c440f455693b..., sha1("web.frontend-7d9f") = 22f7686e1b89...
  // (computed with sha1sum); 4 + 11 = 15 characters (IFNAMSIZ - 1).
  EXPECT_EQ(workload_interface_name("default", "nginx"), "calic440f455693");
  EXPECT_EQ(workload_interface_name("web", "frontend-7d9f"), "cali22f7686e1b8");
  EXPECT_EQ(workload_interface_name("web", "frontend-7d9f").size(), 15U);
}

TEST(KddProjectionWep, PodMapsToEndpoint) {
  auto obj = wep_from_pod(pod_json());
  ASSERT_TRUE(obj) << obj.error().to_string();
  EXPECT_EQ(obj->key.kind, api::Kind::WorkloadEndpoint);
  EXPECT_EQ(obj->key.ns, "shop");
  EXPECT_EQ(obj->key.name, "ip--10--0--0--1-k8s-web--7d9f-eth0");
  EXPECT_EQ(obj->revision, "4711");
  const api::WorkloadEndpoint& w = as_wep(*obj);
  EXPECT_EQ(w.metadata.name, "ip--10--0--0--1-k8s-web--7d9f-eth0");
  EXPECT_EQ(w.metadata.ns, "shop");
  EXPECT_EQ(w.metadata.resource_version, "4711");
  EXPECT_EQ(w.metadata.uid, "0f4e2a9c-7b31-4d6a-8e5f-a0b1c2d3e4f5");
  EXPECT_EQ(w.metadata.generate_name, "web-");
  EXPECT_EQ(w.metadata.creation_timestamp, "2026-03-01T10:00:00Z");
  const std::map<std::string, std::string> labels = {
      {"app", "web"},
      {"pod-template-hash", "7d9f"},
      {"projectcalico.org/namespace", "shop"},
      {"projectcalico.org/orchestrator", "k8s"},
      {"projectcalico.org/serviceaccount", "web-sa"}};
  EXPECT_EQ(w.metadata.labels, labels);
  const std::map<std::string, std::string> annotations = {
      {"k8s.v1.cni.cncf.io/network-status", "[{\"name\":\"k8s-pod-network\"}]"}};
  EXPECT_EQ(w.metadata.annotations, annotations);

  EXPECT_EQ(w.spec.orchestrator, "k8s");
  EXPECT_EQ(w.spec.node, "ip-10-0-0-1");
  EXPECT_EQ(w.spec.pod, "web-7d9f");
  EXPECT_EQ(w.spec.endpoint, "eth0");
  EXPECT_EQ(w.spec.container_id, "5c1d0b9e2f");
  EXPECT_EQ(w.spec.service_account_name, "web-sa");
  EXPECT_EQ(w.spec.interface_name, workload_interface_name("shop", "web-7d9f"));
  const std::vector<std::string> profiles = {"kns.shop", "ksa.shop.web-sa"};
  EXPECT_EQ(w.spec.profiles, profiles);
  // status.podIPs wins over status.podIP and the annotations.
  const std::vector<std::string> ips = {"10.65.0.9/32", "fd00:10:65::9/128"};
  EXPECT_EQ(w.spec.ip_networks, ips);
  EXPECT_TRUE(w.spec.ip_nats.empty());
  // CIDRs are masked, as cnet.ParseCIDR returns the network.
  EXPECT_EQ(w.spec.allow_spoofed_source_prefixes, std::vector<std::string>{"192.168.7.0/24"});

  auto v = api::validate(obj->value);
  EXPECT_TRUE(v) << v.error().to_string_all();
}

TEST(KddProjectionWep, PortsFollowAppendEndpointPorts) {
  auto obj = wep_from_pod(pod_json());
  ASSERT_TRUE(obj) << obj.error().to_string();
  const auto& ports = as_wep(*obj).spec.ports;
  // Containers first, then init containers.  Skipped: the unnamed port without hostPort
  // and the lower-case "udp" protocol (not a Kubernetes protocol value).
  ASSERT_EQ(ports.size(), 5U);
  EXPECT_EQ(ports[0].name, "http");
  EXPECT_EQ(ports[0].protocol, api::Protocol::named("TCP"));
  EXPECT_EQ(ports[0].port, 8080);
  EXPECT_EQ(ports[0].host_port, 0);
  EXPECT_EQ(ports[1].name, "");  // unnamed but exposed on the host
  EXPECT_EQ(ports[1].protocol, api::Protocol::named("UDP"));
  EXPECT_EQ(ports[1].port, 53);
  EXPECT_EQ(ports[1].host_port, 5353);
  EXPECT_EQ(ports[1].host_ip, "10.0.0.1");
  EXPECT_EQ(ports[2].name, "assoc");
  EXPECT_EQ(ports[2].protocol, api::Protocol::named("SCTP"));
  EXPECT_EQ(ports[3].name, "admin");
  EXPECT_EQ(ports[3].protocol, api::Protocol::named("TCP"));  // protocol absent -> TCP
  EXPECT_EQ(ports[3].port, 9901);
  EXPECT_EQ(ports[4].name, "init-metrics");
  EXPECT_EQ(ports[4].port, 9100);
  // The v3 JSON spells protocols in upper case.
  const api::Json doc = api::encode_json(obj->value);
  EXPECT_EQ(doc["spec"]["ports"][0]["protocol"], "TCP");
}

TEST(KddProjectionWep, IpSourcesInOrderOfPrecedence) {
  // Only the Calico annotations: the plural one wins over the singular one.
  auto only_annotations = wep_from_pod(annotated_pod());
  ASSERT_TRUE(only_annotations) << only_annotations.error().to_string();
  const std::vector<std::string> from_plural = {"10.65.1.4/32", "fd00:10:65::1:4/128"};
  EXPECT_EQ(as_wep(*only_annotations).spec.ip_networks, from_plural);
  EXPECT_EQ(as_wep(*only_annotations).spec.profiles, std::vector<std::string>{"kns.data"});
  EXPECT_FALSE(
      as_wep(*only_annotations).metadata.labels.contains("projectcalico.org/serviceaccount"));

  Json singular = annotated_pod();
  singular["metadata"]["annotations"].erase("cni.projectcalico.org/podIPs");
  auto s = wep_from_pod(singular);
  ASSERT_TRUE(s) << s.error().to_string();
  EXPECT_EQ(as_wep(*s).spec.ip_networks, std::vector<std::string>{"10.65.1.99/32"});

  Json status_ip = annotated_pod();
  status_ip["status"]["podIP"] = "10.65.1.5";
  status_ip["status"]["podIPs"] = Json::array();  // empty: falls through to podIP
  auto p = wep_from_pod(status_ip);
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(as_wep(*p).spec.ip_networks, std::vector<std::string>{"10.65.1.5/32"});

  Json aws = annotated_pod();
  aws["metadata"]["annotations"] = Json::parse(R"({"vpc.amazonaws.com/pod-ips": "172.31.4.7"})");
  auto a = wep_from_pod(aws);
  ASSERT_TRUE(a) << a.error().to_string();
  EXPECT_EQ(as_wep(*a).spec.ip_networks, std::vector<std::string>{"172.31.4.7/32"});

  // Like cnet.ParseCIDROrIP, a CIDR is reduced to its network.
  Json wide = annotated_pod();
  wide["metadata"]["annotations"]["cni.projectcalico.org/podIPs"] = "10.65.1.4/26";
  auto wd = wep_from_pod(wide);
  ASSERT_TRUE(wd) << wd.error().to_string();
  EXPECT_EQ(as_wep(*wd).spec.ip_networks, std::vector<std::string>{"10.65.1.0/26"});

  Json none = annotated_pod();
  none["metadata"].erase("annotations");
  auto n = wep_from_pod(none);
  ASSERT_TRUE(n) << n.error().to_string();
  EXPECT_TRUE(as_wep(*n).spec.ip_networks.empty());
}

TEST(KddProjectionWep, FinishedPodsHaveNoIPs) {
  for (const char* phase : {"Succeeded", "Failed"}) {
    Json pod = pod_json();
    pod["status"]["phase"] = phase;
    auto obj = wep_from_pod(pod);
    ASSERT_TRUE(obj) << obj.error().to_string();
    EXPECT_TRUE(as_wep(*obj).spec.ip_networks.empty()) << phase;
    EXPECT_EQ(as_wep(*obj).spec.node, "ip-10-0-0-1");  // the endpoint still exists
  }
  // Being deleted with the podIP annotation blanked by the CNI plugin.
  Json deleting = pod_json();
  deleting["metadata"]["deletionTimestamp"] = "2026-03-02T00:00:00Z";
  deleting["metadata"]["annotations"]["cni.projectcalico.org/podIP"] = "";
  auto d = wep_from_pod(deleting);
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_TRUE(as_wep(*d).spec.ip_networks.empty());
  // Being deleted but still holding its IP.
  Json grace = pod_json();
  grace["metadata"]["deletionTimestamp"] = "2026-03-02T00:00:00Z";
  auto g = wep_from_pod(grace);
  ASSERT_TRUE(g) << g.error().to_string();
  EXPECT_EQ(as_wep(*g).spec.ip_networks.size(), 2U);
}

TEST(KddProjectionWep, HostNetworkAndUnscheduledPodsHaveNoEndpoint) {
  Json host = pod_json();
  host["spec"]["hostNetwork"] = true;
  EXPECT_TRUE(pod_is_host_networked(host));
  EXPECT_FALSE(pod_is_host_networked(pod_json()));
  auto h = wep_from_pod(host);
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code, ErrorCode::NotFound);
  EXPECT_NE(h.error().message.find("shop/web-7d9f"), std::string::npos);

  Json pending = pod_json();
  pending["spec"].erase("nodeName");
  auto p = wep_from_pod(pending);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, ErrorCode::NotFound);
}

TEST(KddProjectionWep, LongServiceAccountNameIsNotALabel) {
  Json pod = pod_json();
  const std::string sa(63, 'a');
  pod["spec"]["serviceAccountName"] = sa;
  auto obj = wep_from_pod(pod);
  ASSERT_TRUE(obj) << obj.error().to_string();
  EXPECT_FALSE(as_wep(*obj).metadata.labels.contains("projectcalico.org/serviceaccount"));
  EXPECT_EQ(as_wep(*obj).spec.profiles.back(), "ksa.shop." + sa);

  pod["spec"]["serviceAccountName"] = std::string(62, 'a');
  auto shorter = wep_from_pod(pod);
  ASSERT_TRUE(shorter) << shorter.error().to_string();
  EXPECT_TRUE(as_wep(*shorter).metadata.labels.contains("projectcalico.org/serviceaccount"));
}

TEST(KddProjectionWep, FloatingIPsMapToThePodAddressOfTheSameFamily) {
  Json pod = pod_json();
  pod["metadata"]["annotations"]["cni.projectcalico.org/floatingIPs"] =
      R"(["198.51.100.10", "2001:db8::10"])";
  auto obj = wep_from_pod(pod);
  ASSERT_TRUE(obj) << obj.error().to_string();
  const std::vector<api::IPNAT> nats = {{"10.65.0.9", "198.51.100.10"},
                                        {"fd00:10:65::9", "2001:db8::10"}};
  EXPECT_EQ(as_wep(*obj).spec.ip_nats, nats);
}

TEST(KddProjectionWep, MalformedInputIsInvalidNamingTheField) {
  Json bad_annotation = annotated_pod();
  bad_annotation["metadata"]["annotations"]["cni.projectcalico.org/podIPs"] = "10.65.1.4/32,bogus";
  auto a = wep_from_pod(bad_annotation);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, ErrorCode::Invalid);
  EXPECT_NE(a.error().message.find("Pod data/db-0"), std::string::npos);
  EXPECT_NE(a.error().message.find("annotation cni.projectcalico.org/podIPs"), std::string::npos);
  EXPECT_NE(a.error().message.find("bogus"), std::string::npos);

  Json bad_singular = annotated_pod();
  bad_singular["metadata"]["annotations"].erase("cni.projectcalico.org/podIPs");
  bad_singular["metadata"]["annotations"]["cni.projectcalico.org/podIP"] = "10.65.1.300";
  auto s = wep_from_pod(bad_singular);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("annotation cni.projectcalico.org/podIP:"), std::string::npos);

  Json bad_status = pod_json();
  bad_status["status"].erase("podIPs");
  bad_status["status"]["podIP"] = "10.65.0";
  auto st = wep_from_pod(bad_status);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("status.podIP"), std::string::npos);

  Json bad_prefixes = pod_json();
  bad_prefixes["metadata"]["annotations"]["cni.projectcalico.org/allowedSourcePrefixes"] =
      R"(["10.0.0.1"])";  // a prefix length is required
  auto bp = wep_from_pod(bad_prefixes);
  ASSERT_FALSE(bp);
  EXPECT_NE(bp.error().message.find("cni.projectcalico.org/allowedSourcePrefixes"),
            std::string::npos);

  Json bad_floating = pod_json();
  bad_floating["metadata"]["annotations"]["cni.projectcalico.org/floatingIPs"] = "10.1.1.1";
  auto bf = wep_from_pod(bad_floating);
  ASSERT_FALSE(bf);
  EXPECT_NE(bf.error().message.find("cni.projectcalico.org/floatingIPs"), std::string::npos);

  Json bad_port = pod_json();
  bad_port["spec"]["containers"][0]["ports"][0]["containerPort"] = "8080";
  auto p = wep_from_pod(bad_port);
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message.find("spec.containers[0].ports[0].containerPort"), std::string::npos);

  Json no_name = pod_json();
  no_name["metadata"].erase("name");
  auto n = wep_from_pod(no_name);
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().code, ErrorCode::Invalid);
  EXPECT_NE(n.error().message.find("metadata.name"), std::string::npos);

  Json no_ns = pod_json();
  no_ns["metadata"].erase("namespace");
  auto ns = wep_from_pod(no_ns);
  ASSERT_FALSE(ns);
  EXPECT_NE(ns.error().message.find("metadata.namespace"), std::string::npos);
}

// ---- Profiles ----

TEST(KddProjectionProfile, NamespaceProfile) {
  auto obj = profile_from_namespace(Json::parse(R"({
    "apiVersion": "v1", "kind": "Namespace",
    "metadata": {"name": "shop", "uid": "6a1e3c6b-5f2d-4a8e-9b3c-1d2e3f405162",
                 "resourceVersion": "300", "creationTimestamp": "2026-01-01T00:00:00Z",
                 "labels": {"team": "payments", "kubernetes.io/metadata.name": "shop"}},
    "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}
  })"));
  ASSERT_TRUE(obj) << obj.error().to_string();
  EXPECT_EQ(obj->key.kind, api::Kind::Profile);
  EXPECT_EQ(obj->key.name, "kns.shop");
  EXPECT_EQ(obj->revision, "300");
  const api::Profile& p = as_profile(*obj);
  EXPECT_EQ(p.metadata.resource_version, "300");
  EXPECT_EQ(p.metadata.creation_timestamp, "2026-01-01T00:00:00Z");
  EXPECT_EQ(p.metadata.uid, "56783cd6-fab4-4a71-9b3c-b874fc028a46");  // ConvertUID
  const std::map<std::string, std::string> labels = {{"pcns.team", "payments"},
                                                     {"pcns.kubernetes.io/metadata.name", "shop"},
                                                     {"pcns.projectcalico.org/name", "shop"}};
  EXPECT_EQ(p.spec.labels_to_apply, labels);
  ASSERT_EQ(p.spec.ingress.size(), 1U);
  ASSERT_EQ(p.spec.egress.size(), 1U);
  EXPECT_EQ(p.spec.ingress[0].action, "Allow");
  EXPECT_EQ(p.spec.egress[0].action, "Allow");
  api::Rule allow;
  allow.action = "Allow";
  EXPECT_EQ(p.spec.ingress[0], allow);  // nothing else set
  EXPECT_EQ(p.spec.egress[0], allow);
  auto v = api::validate(obj->value);
  EXPECT_TRUE(v) << v.error().to_string_all();
}

TEST(KddProjectionProfile, ServiceAccountProfile) {
  auto obj = profile_from_service_account(Json::parse(R"({
    "apiVersion": "v1", "kind": "ServiceAccount",
    "metadata": {"name": "web-sa", "namespace": "shop", "resourceVersion": "301",
                 "uid": "0f4e2a9c-7b31-4d6a-8e5f-a0b1c2d3e4f5", "labels": {"tier": "frontend"}},
    "secrets": [{"name": "web-sa-token"}]
  })"));
  ASSERT_TRUE(obj) << obj.error().to_string();
  EXPECT_EQ(obj->key.name, "ksa.shop.web-sa");
  EXPECT_EQ(obj->revision, "301");
  const api::Profile& p = as_profile(*obj);
  EXPECT_EQ(p.metadata.uid, "f0725439-de8c-4d56-8efa-058d43cb27af");
  const std::map<std::string, std::string> labels = {{"pcsa.tier", "frontend"},
                                                     {"pcsa.projectcalico.org/name", "web-sa"}};
  EXPECT_EQ(p.spec.labels_to_apply, labels);
  EXPECT_TRUE(p.spec.ingress.empty());
  EXPECT_TRUE(p.spec.egress.empty());
}

TEST(KddProjectionProfile, DefaultAllow) {
  const Object obj = default_allow_profile();
  EXPECT_EQ(obj.key.name, "projectcalico-default-allow");
  EXPECT_EQ(obj.revision, "1");
  const api::Profile& p = as_profile(obj);
  EXPECT_EQ(p.metadata.resource_version, "1");
  ASSERT_EQ(p.spec.ingress.size(), 1U);
  ASSERT_EQ(p.spec.egress.size(), 1U);
  EXPECT_EQ(p.spec.ingress[0].action, "Allow");
  EXPECT_EQ(p.spec.egress[0].action, "Allow");
  EXPECT_TRUE(p.spec.labels_to_apply.empty());
}

TEST(KddProjectionProfile, Errors) {
  auto no_name = profile_from_namespace(Json::parse(R"({"metadata": {}})"));
  ASSERT_FALSE(no_name);
  EXPECT_EQ(no_name.error().code, ErrorCode::Invalid);
  EXPECT_NE(no_name.error().message.find("metadata.name"), std::string::npos);

  auto bad_uid = profile_from_namespace(Json::parse(R"({"metadata": {"name": "x", "uid": "42"}})"));
  ASSERT_FALSE(bad_uid);
  EXPECT_NE(bad_uid.error().message.find("metadata.uid"), std::string::npos);

  auto sa_no_name =
      profile_from_service_account(Json::parse(R"({"metadata": {"namespace": "a"}})"));
  ASSERT_FALSE(sa_no_name);
  EXPECT_EQ(sa_no_name.error().code, ErrorCode::Invalid);

  auto bad_labels = profile_from_service_account(
      Json::parse(R"({"metadata": {"name": "s", "namespace": "a", "labels": ["x"]}})"));
  ASSERT_FALSE(bad_labels);
  EXPECT_NE(bad_labels.error().message.find("ServiceAccount a/s: metadata.labels"),
            std::string::npos);
}

// ---- Kubernetes NetworkPolicy ----

constexpr std::string_view kNetworkPolicyJson = R"({
  "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
  "metadata": {
    "name": "allow-web", "namespace": "shop", "uid": "6a1e3c6b-5f2d-4a8e-9b3c-1d2e3f405162",
    "resourceVersion": "555", "generation": 2, "creationTimestamp": "2026-02-02T00:00:00Z",
    "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"},
    "managedFields": [{"manager": "kubectl"}]
  },
  "spec": {
    "podSelector": {"matchLabels": {"app": "web"}},
    "policyTypes": ["Ingress", "Egress"],
    "ingress": [{
      "from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}},
               {"namespaceSelector": {"matchLabels": {"team": "payments"}}}],
      "ports": [{"protocol": "TCP", "port": 8080}]
    }],
    "egress": [{
      "to": [{"namespaceSelector": {}, "podSelector": {"matchExpressions":
               [{"key": "app", "operator": "In", "values": ["db"]}]}}],
      "ports": [{"protocol": "TCP", "port": 5432, "endPort": 5433}, {"protocol": "UDP",
                 "port": "dns"}]
    }]
  }
})";

TEST(KddProjectionNetworkPolicy, DecodesTheKubernetesObject) {
  auto obj = k8s_network_policy_from_k8s(Json::parse(kNetworkPolicyJson));
  ASSERT_TRUE(obj) << obj.error().to_string();
  EXPECT_EQ(obj->key.kind, api::Kind::KubernetesNetworkPolicy);
  EXPECT_EQ(obj->key.ns, "shop");
  EXPECT_EQ(obj->key.name, "allow-web");  // no knp.default. prefix here
  EXPECT_EQ(obj->revision, "555");
  const auto& k = std::get<api::KubernetesNetworkPolicy>(obj->value);
  EXPECT_EQ(k.metadata.resource_version, "555");
  EXPECT_EQ(k.metadata.uid, "6a1e3c6b-5f2d-4a8e-9b3c-1d2e3f405162");
  EXPECT_EQ(k.metadata.creation_timestamp, "2026-02-02T00:00:00Z");
  EXPECT_TRUE(k.metadata.annotations.empty());
  EXPECT_EQ(k.spec.pod_selector.match_labels.at("app"), "web");
  const std::vector<std::string> types = {"Ingress", "Egress"};
  EXPECT_EQ(k.spec.policy_types, types);
  ASSERT_EQ(k.spec.ingress.size(), 1U);
  ASSERT_EQ(k.spec.ingress[0].from.size(), 2U);
  ASSERT_TRUE(k.spec.ingress[0].from[0].ip_block.has_value());
  EXPECT_EQ(k.spec.ingress[0].from[0].ip_block->cidr, "10.0.0.0/8");
  EXPECT_EQ(k.spec.ingress[0].from[0].ip_block->except, std::vector<std::string>{"10.1.0.0/16"});
  EXPECT_FALSE(k.spec.ingress[0].from[0].namespace_selector.has_value());
  ASSERT_TRUE(k.spec.ingress[0].from[1].namespace_selector.has_value());
  EXPECT_EQ(k.spec.ingress[0].from[1].namespace_selector->match_labels.at("team"), "payments");
  ASSERT_EQ(k.spec.ingress[0].ports.size(), 1U);
  EXPECT_EQ(k.spec.ingress[0].ports[0].port, api::IntOrString::of(8080));
  ASSERT_EQ(k.spec.egress.size(), 1U);
  ASSERT_EQ(k.spec.egress[0].to.size(), 1U);
  // namespaceSelector {} (all namespaces) is kept distinct from absent.
  ASSERT_TRUE(k.spec.egress[0].to[0].namespace_selector.has_value());
  EXPECT_TRUE(k.spec.egress[0].to[0].namespace_selector->match_labels.empty());
  ASSERT_TRUE(k.spec.egress[0].to[0].pod_selector.has_value());
  ASSERT_EQ(k.spec.egress[0].ports.size(), 2U);
  EXPECT_EQ(k.spec.egress[0].ports[0].end_port, 5433);
  EXPECT_EQ(k.spec.egress[0].ports[1].protocol, "UDP");
  EXPECT_EQ(k.spec.egress[0].ports[1].port, api::IntOrString::of(std::string("dns")));
}

TEST(KddProjectionNetworkPolicy, Errors) {
  Json unknown = Json::parse(kNetworkPolicyJson);
  unknown["spec"]["ingress"][0]["fromm"] = Json::array();
  auto u = k8s_network_policy_from_k8s(unknown);
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error().code, ErrorCode::Invalid);
  EXPECT_NE(u.error().message.find("NetworkPolicy shop/allow-web"), std::string::npos);
  EXPECT_NE(u.error().message.find("fromm"), std::string::npos);

  Json no_name = Json::parse(kNetworkPolicyJson);
  no_name["metadata"].erase("name");
  auto n = k8s_network_policy_from_k8s(no_name);
  ASSERT_FALSE(n);
  EXPECT_NE(n.error().message.find("metadata.name"), std::string::npos);

  Json no_ns = Json::parse(kNetworkPolicyJson);
  no_ns["metadata"].erase("namespace");
  auto ns = k8s_network_policy_from_k8s(no_ns);
  ASSERT_FALSE(ns);
  EXPECT_NE(ns.error().message.find("metadata.namespace"), std::string::npos);
}

}  // namespace
}  // namespace calico::datastore::kdd
