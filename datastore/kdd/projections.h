// How Calico's Kubernetes datastore presents native Kubernetes objects as
// projectcalico.org/v3 resources (research notes calico-model.md §1.7, §1.8, §1.14, §2.1),
// following libcalico-go lib/backend/k8s/resources/node.go and lib/backend/k8s/conversion.
// Pure: JSON as returned by the API server in, v3 values out; the Kubernetes backend does
// the HTTP.
//
//   auto node = node_from_k8s(k8s_node_json);          // Object{Node(<name>), ..., rv}
//   auto body = node_to_k8s(updated_v3_node, current);  // PUT /api/v1/nodes/<name>/status
//   auto wep  = wep_from_pod(pod_json);                 // NotFound for host-network pods
//
// Every Object's revision is the Kubernetes object's metadata.resourceVersion, also written
// to the v3 value's metadata.resourceVersion.  Errors are StoreError{Invalid} naming the
// object and the field ("Pod shop/web-1: annotation cni.projectcalico.org/podIP: ...");
// wep_from_pod uses NotFound for pods that have no WorkloadEndpoint at all.
//
// Node (node.go K8sNodeToCalico / mergeCalicoNodeIntoK8sNode):
//   * name, uid (unchanged), creationTimestamp, resourceVersion from the Kubernetes Node.
//   * labels: the Calico-only labels kept as JSON in annotation projectcalico.org/labels,
//     overlaid with every Kubernetes label (Kubernetes wins).  A JSON snapshot of the
//     Kubernetes labels is added as the v3 annotation projectcalico.org/kube-labels so a
//     write can tell the two apart.  Other v3 annotations come from the JSON annotation
//     projectcalico.org/annotations; plain Kubernetes annotations are not shown.
//   * spec.bgp / vxlan / wireguard / interfaces and status.wireguardPublicKey* from the
//     projectcalico.org/* annotations (kNode* below).  As in Calico, a value that fails
//     validation (not a v4 CIDR, not a MAC...) is ignored rather than failing the node:
//     one bad hand-written annotation must not hide the node from BGP and Felix.
//   * spec.orchRefs = [{nodeName: <name>, orchestrator: k8s}].
//   * spec.addresses: CalicoNodeIP for bgp.ipv4Address then bgp.ipv6Address (verbatim,
//     i.e. with their prefix length, as Calico does), then InternalIP / ExternalIP entries
//     of status.addresses in their order (other types skipped).
//   * status.podCIDRs = spec.podCIDRs (spec.podCIDR when podCIDRs is absent).
//   Not modelled: Calico's host-local IPAM mode (usePodCIDR), which derives the IPIP and
//   WireGuard addresses from spec.podCIDR instead of the annotations.
//
// Writing a Node back (node_to_k8s) changes only the Calico annotations, never the
// Kubernetes labels: labels listed in the projectcalico.org/kube-labels snapshot are
// removed (they came from Kubernetes), the rest go to projectcalico.org/labels; the v3
// annotations minus the snapshot go to projectcalico.org/annotations.  Calico sends the
// result with UpdateStatus (PUT .../nodes/<name>/status; RBAC nodes/status), which keeps
// the Node's spec but stores metadata changes.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "api/resources.h"
#include "datastore/datastore.h"

namespace calico::datastore::kdd {

// ---- Node annotations (libcalico-go resources/node.go) ----
inline constexpr std::string_view kNodeIPv4AddressAnnotation = "projectcalico.org/IPv4Address";
inline constexpr std::string_view kNodeIPv6AddressAnnotation = "projectcalico.org/IPv6Address";
inline constexpr std::string_view kNodeASNumberAnnotation = "projectcalico.org/ASNumber";
inline constexpr std::string_view kNodeIPv4IPIPTunnelAddrAnnotation =
    "projectcalico.org/IPv4IPIPTunnelAddr";
inline constexpr std::string_view kNodeRouteReflectorClusterIDAnnotation =
    "projectcalico.org/RouteReflectorClusterID";
inline constexpr std::string_view kNodeIPv4VXLANTunnelAddrAnnotation =
    "projectcalico.org/IPv4VXLANTunnelAddr";
inline constexpr std::string_view kNodeIPv6VXLANTunnelAddrAnnotation =
    "projectcalico.org/IPv6VXLANTunnelAddr";
inline constexpr std::string_view kNodeVXLANTunnelMACAddrAnnotation =
    "projectcalico.org/VXLANTunnelMACAddr";
inline constexpr std::string_view kNodeVXLANTunnelMACAddrV6Annotation =
    "projectcalico.org/VXLANTunnelMACAddrV6";
inline constexpr std::string_view kNodeWireguardIPv4AddrAnnotation =
    "projectcalico.org/IPv4WireguardInterfaceAddr";
inline constexpr std::string_view kNodeWireguardIPv6AddrAnnotation =
    "projectcalico.org/IPv6WireguardInterfaceAddr";
inline constexpr std::string_view kNodeWireguardPublicKeyAnnotation =
    "projectcalico.org/WireguardPublicKey";
inline constexpr std::string_view kNodeWireguardPublicKeyV6Annotation =
    "projectcalico.org/WireguardPublicKeyV6";
inline constexpr std::string_view kNodeInterfacesAnnotation = "projectcalico.org/Interfaces";
inline constexpr std::string_view kNodeKubeLabelsAnnotation = "projectcalico.org/kube-labels";
// Calico metadata of non-CRD resources (resources.go): JSON maps.
inline constexpr std::string_view kCalicoLabelsAnnotation = "projectcalico.org/labels";
inline constexpr std::string_view kCalicoAnnotationsAnnotation = "projectcalico.org/annotations";

// ---- Pod annotations written by the Calico CNI plugin (conversion/constants.go) ----
inline constexpr std::string_view kPodIPAnnotation = "cni.projectcalico.org/podIP";
inline constexpr std::string_view kPodIPsAnnotation = "cni.projectcalico.org/podIPs";
inline constexpr std::string_view kContainerIDAnnotation = "cni.projectcalico.org/containerID";
inline constexpr std::string_view kFloatingIPsAnnotation = "cni.projectcalico.org/floatingIPs";
inline constexpr std::string_view kAllowedSourcePrefixesAnnotation =
    "cni.projectcalico.org/allowedSourcePrefixes";
inline constexpr std::string_view kAwsPodIPsAnnotation = "vpc.amazonaws.com/pod-ips";
inline constexpr std::string_view kNetworkStatusAnnotation = "k8s.v1.cni.cncf.io/network-status";

inline constexpr std::string_view kDefaultAllowProfileName = "projectcalico-default-allow";

// ---- Node ----

// The v3 Node for a Kubernetes Node (see the file comment).  Errors: not an object, no
// metadata.name, or a field of the wrong JSON type (Invalid).
Result<Object, StoreError> node_from_k8s(const nlohmann::json& k8s_node);

// `k8s_node` (the current Kubernetes Node) with the Calico annotations set from `node`:
// each projectcalico.org/* annotation is written when the v3 field is set and removed when
// it is empty; labels/annotations as in the file comment.  metadata.resourceVersion is
// set from node.metadata.resourceVersion when that is non-empty, so the write is a
// compare-and-swap.  Errors (Invalid): `k8s_node` without metadata.name, a name that
// differs from node's, or a v3 projectcalico.org/kube-labels annotation that is not a JSON
// map.
Result<nlohmann::json, StoreError> node_to_k8s(const api::Node& node, nlohmann::json k8s_node);

// ---- WorkloadEndpoint ----

// Calico's WorkloadEndpoint name for a Kubernetes pod: <node>-k8s-<pod>-<endpoint> with
// every '-' inside a segment doubled (names.CalculateWorkloadEndpointName).
//   wep_name("ip-10-0-0-1", "web-7d9f") == "ip--10--0--0--1-k8s-web--7d9f-eth0"
std::string wep_name(const std::string& node, const std::string& pod,
                     const std::string& endpoint = "eth0");

// The host-side veth name Calico's CNI plugin and Felix agree on: "cali" + the first 11
// hex digits of SHA-1("<namespace>.<pod>") (VethNameForWorkload with the default
// FELIX_INTERFACEPREFIX).
std::string workload_interface_name(std::string_view ns, std::string_view pod);

// spec.hostNetwork: such pods share the node's network namespace and have no endpoint.
bool pod_is_host_networked(const nlohmann::json& pod);

// The v3 WorkloadEndpoint for a Pod (podToDefaultWorkloadEndpoint):
//   * name wep_name(spec.nodeName, pod), namespace, uid, generateName, creationTimestamp;
//     labels = pod labels + projectcalico.org/namespace, projectcalico.org/orchestrator=k8s
//     and projectcalico.org/serviceaccount (only when the name is < 63 characters);
//     annotation k8s.v1.cni.cncf.io/network-status copied when present.
//   * spec: orchestrator k8s, node, pod, endpoint eth0, containerID (annotation
//     cni.projectcalico.org/containerID), serviceAccountName, interfaceName
//     (workload_interface_name), profiles [kns.<ns>, ksa.<ns>.<sa> if the pod has an SA].
//   * ipNetworks: the first non-empty of status.podIPs, status.podIP, annotation
//     cni.projectcalico.org/podIPs (comma separated), cni.projectcalico.org/podIP,
//     vpc.amazonaws.com/pod-ips; each an IP (-> /32, /128) or CIDR, written as its masked
//     network.  A finished pod (phase Succeeded, Failed or Completed, or being deleted with
//     the podIP annotation blanked by the CNI plugin) has none, but its IPs still must
//     parse.
//   * ipNATs from cni.projectcalico.org/floatingIPs (JSON list) against the pod's IPv4 /
//     IPv6 address; allowSpoofedSourcePrefixes from
//     cni.projectcalico.org/allowedSourcePrefixes (JSON list of CIDRs, masked).
//   * ports: every container and init-container port with a containerPort and a name or
//     a hostPort; protocol TCP (also when empty), UDP or SCTP, other protocols skipped.
//   Not modelled: qosControls (qos.projectcalico.org/* bandwidth annotations).
// Errors: NotFound for a host-network pod or one without spec.nodeName (no endpoint
// exists: callers skip such pods, and a pod that becomes host-networked cannot happen);
// Invalid for a missing name/namespace, a malformed IP, CIDR or JSON annotation (naming
// the field or annotation), or a field of the wrong JSON type.
Result<Object, StoreError> wep_from_pod(const nlohmann::json& pod);

// ---- Profiles (read-only, synthesised) ----

// kns.<namespace>: one Allow rule per direction; labelsToApply pcns.<k>=<v> for each
// namespace label plus pcns.projectcalico.org/name=<namespace>.  uid = the namespace's
// uid with reverse_uid applied (Calico's ConvertUID).  Calico's KVPair revision is the
// joined "<nsRV>/" form; here it is the namespace's resourceVersion.
Result<Object, StoreError> profile_from_namespace(const nlohmann::json& ns);

// ksa.<namespace>.<serviceaccount> (namespace "default" when absent): no rules;
// labelsToApply pcsa.<k>=<v> plus pcsa.projectcalico.org/name=<sa>.  uid reversed as
// above; revision = the service account's resourceVersion (Calico: "/<saRV>").
Result<Object, StoreError> profile_from_service_account(const nlohmann::json& sa);

// projectcalico-default-allow: Allow both ways, revision "1" (static, never changes).
Object default_allow_profile();

// ---- Kubernetes NetworkPolicy ----

// The networking.k8s.io/v1 NetworkPolicy as api::KubernetesNetworkPolicy: name and
// namespace kept as in Kubernetes (the knp.default. prefix, order 1000 and the selector
// rewriting are applied by policy::k8s_network_policy_to_calico); metadata keeps uid
// (unchanged), creationTimestamp and resourceVersion, as Calico's conversion does; spec
// decoded strictly (an unknown field is Invalid, naming it).
Result<Object, StoreError> k8s_network_policy_from_k8s(const nlohmann::json& np);

}  // namespace calico::datastore::kdd
