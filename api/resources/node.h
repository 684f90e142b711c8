// Node (projectcalico.org/v3, cluster scoped): a Calico node's BGP identity, tunnel
// addresses and interfaces.  In Kubernetes it is a projection of the Node object plus
// projectcalico.org/* annotations; its labels are the Kubernetes Node's labels.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/codec.h"
#include "api/kind.h"
#include "api/meta.h"
#include "api/types.h"

namespace calico::api {

struct NodeBGPSpec {
  std::optional<ASNumber> as_number;  // unset: BGPConfiguration's asNumber
  std::string ipv4_address;           // address/prefix, e.g. 10.0.0.1/24
  std::string ipv6_address;           // address/prefix
  std::string ipv4_ipip_tunnel_addr;
  std::string route_reflector_cluster_id;  // IPv4; makes the node a route reflector

  template <class V>
  void visit(V& v) {
    v("asNumber", as_number);
    v("ipv4Address", ipv4_address);
    v("ipv6Address", ipv6_address);
    v("ipv4IPIPTunnelAddr", ipv4_ipip_tunnel_addr);
    v("routeReflectorClusterID", route_reflector_cluster_id);
  }
  bool operator==(const NodeBGPSpec&) const = default;
};

struct OrchRef {
  std::string node_name;
  std::string orchestrator;  // KDD: "k8s"

  template <class V>
  void visit(V& v) {
    v("nodeName", node_name);
    v("orchestrator", orchestrator, Emit::Always);
  }
  bool operator==(const OrchRef&) const = default;
};

struct NodeWireguardSpec {
  std::string interface_ipv4_address;
  std::string interface_ipv6_address;

  template <class V>
  void visit(V& v) {
    v("interfaceIPv4Address", interface_ipv4_address);
    v("interfaceIPv6Address", interface_ipv6_address);
  }
  bool operator==(const NodeWireguardSpec&) const = default;
};

inline constexpr std::string_view kNodeAddressCalicoNodeIP = "CalicoNodeIP";
inline constexpr std::string_view kNodeAddressInternalIP = "InternalIP";
inline constexpr std::string_view kNodeAddressExternalIP = "ExternalIP";

struct NodeAddress {
  std::string address;  // IP or CIDR
  std::string type;     // CalicoNodeIP | InternalIP | ExternalIP

  template <class V>
  void visit(V& v) {
    v("address", address, Emit::Always);
    v("type", type);
  }
  bool operator==(const NodeAddress&) const = default;
};

struct NodeInterface {
  std::string name;
  std::vector<std::string> addresses;

  template <class V>
  void visit(V& v) {
    v("name", name);
    v("addresses", addresses);
  }
  bool operator==(const NodeInterface&) const = default;
};

struct NodeSpec {
  std::optional<NodeBGPSpec> bgp;
  std::string ipv4_vxlan_tunnel_addr;
  std::string vxlan_tunnel_mac_addr;
  std::string ipv6_vxlan_tunnel_addr;
  std::string vxlan_tunnel_mac_addr_v6;
  std::vector<OrchRef> orch_refs;
  std::optional<NodeWireguardSpec> wireguard;
  std::vector<NodeAddress> addresses;
  std::vector<NodeInterface> interfaces;

  template <class V>
  void visit(V& v) {
    v("bgp", bgp);
    v("ipv4VXLANTunnelAddr", ipv4_vxlan_tunnel_addr);
    v("vxlanTunnelMACAddr", vxlan_tunnel_mac_addr);
    v("ipv6VXLANTunnelAddr", ipv6_vxlan_tunnel_addr);
    v("vxlanTunnelMACAddrV6", vxlan_tunnel_mac_addr_v6);
    v("orchRefs", orch_refs);
    v("wireguard", wireguard);
    v("addresses", addresses);
    v("interfaces", interfaces);
  }
  bool operator==(const NodeSpec&) const = default;
};

struct NodeStatus {
  std::string wireguard_public_key;  // base64 of 32 bytes
  std::string wireguard_public_key_v6;
  std::vector<std::string> pod_cidrs;  // mirror of the k8s Node's spec.podCIDRs

  template <class V>
  void visit(V& v) {
    v("wireguardPublicKey", wireguard_public_key);
    v("wireguardPublicKeyV6", wireguard_public_key_v6);
    v("podCIDRs", pod_cidrs);
  }
  bool operator==(const NodeStatus&) const = default;
};

struct Node {
  static constexpr Kind kKind = Kind::Node;
  ObjectMeta metadata;
  NodeSpec spec;
  NodeStatus status;

  template <class V>
  void visit(V& v) {
    v("metadata", metadata, Emit::Always);
    v("spec", spec, Emit::Always);
    v("status", status, Emit::OmitZero);
  }
  bool operator==(const Node&) const = default;
};

}  // namespace calico::api
