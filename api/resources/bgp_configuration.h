// BGPConfiguration (projectcalico.org/v3, cluster scoped): cluster-wide BGP settings in
// "default", per-node overrides in "node.<nodename>".
//
// Calico's client applies no defaults to this kind: unset fields keep their meaning
// "use the built-in value", listed as the kBgpDefault* constants below, which consumers
// (the BGP daemon configurator) apply when reading.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/codec.h"
#include "api/kind.h"
#include "api/meta.h"
#include "api/types.h"

namespace calico::api {

inline constexpr std::uint32_t kBgpDefaultASNumber = 64512;
inline constexpr std::uint16_t kBgpDefaultListenPort = 179;
inline constexpr bool kBgpDefaultNodeToNodeMesh = true;
inline constexpr std::string_view kBgpDefaultLogSeverity = "Info";

// Kubernetes core/v1 SecretKeySelector: a key of a Secret in calico-node's namespace.
struct SecretKeySelector {
  std::string name;
  std::string key;
  std::optional<bool> optional;

  template <class V>
  void visit(V& v) {
    v("name", name);
    v("key", key, Emit::Always);
    v("optional", optional);
  }
  bool operator==(const SecretKeySelector&) const = default;
};

struct BGPPassword {
  std::optional<SecretKeySelector> secret_key_ref;

  template <class V>
  void visit(V& v) {
    v("secretKeyRef", secret_key_ref);
  }
  bool operator==(const BGPPassword&) const = default;
};

// A Service IP range to advertise (serviceClusterIPs / serviceExternalIPs /
// serviceLoadBalancerIPs).
struct ServiceIPBlock {
  std::string cidr;

  template <class V>
  void visit(V& v) {
    v("cidr", cidr);
  }
  bool operator==(const ServiceIPBlock&) const = default;
};

// A named BGP community: value "aa:nn" (16-bit parts) or "aa:nn:mm" (32-bit parts).
struct Community {
  std::string name;
  std::string value;

  template <class V>
  void visit(V& v) {
    v("name", name);
    v("value", value);
  }
  bool operator==(const Community&) const = default;
};

// Communities (by name or literal value) attached to routes within `cidr`.
struct PrefixAdvertisement {
  std::string cidr;
  std::vector<std::string> communities;

  template <class V>
  void visit(V& v) {
    v("cidr", cidr);
    v("communities", communities);
  }
  bool operator==(const PrefixAdvertisement&) const = default;
};

struct BGPConfigurationSpec {
  std::string log_severity_screen;  // Trace | Debug | Info | Warning | Error | Fatal
  std::optional<bool> node_to_node_mesh_enabled;
  std::optional<ASNumber> as_number;
  std::vector<ServiceIPBlock> service_load_balancer_ips;
  std::vector<ServiceIPBlock> service_external_ips;
  std::vector<ServiceIPBlock> service_cluster_ips;
  std::string service_load_balancer_aggregation;  // Enabled | Disabled
  std::vector<Community> communities;
  std::vector<PrefixAdvertisement> prefix_advertisements;
  std::uint16_t listen_port = 0;  // 0 = unset (179)
  std::optional<BGPPassword> node_mesh_password;
  std::string node_mesh_max_restart_time;  // duration
  std::string bind_mode;                   // None | NodeIP
  std::vector<std::string> ignored_interfaces;
  std::string local_workload_peering_ipv4;
  std::string local_workload_peering_ipv6;
  std::string program_cluster_routes;  // Enabled | Disabled | EnabledIPIPOnly | ...
  std::optional<int> ipv4_normal_route_priority;
  std::optional<int> ipv6_normal_route_priority;

  template <class V>
  void visit(V& v) {
    v("logSeverityScreen", log_severity_screen);
    v("nodeToNodeMeshEnabled", node_to_node_mesh_enabled);
    v("asNumber", as_number);
    v("serviceLoadBalancerIPs", service_load_balancer_ips);
    v("serviceExternalIPs", service_external_ips);
    v("serviceClusterIPs", service_cluster_ips);
    v("serviceLoadBalancerAggregation", service_load_balancer_aggregation);
    v("communities", communities);
    v("prefixAdvertisements", prefix_advertisements);
    v("listenPort", listen_port);
    v("nodeMeshPassword", node_mesh_password);
    v("nodeMeshMaxRestartTime", node_mesh_max_restart_time);
    v("bindMode", bind_mode);
    v("ignoredInterfaces", ignored_interfaces);
    v("localWorkloadPeeringIPV4", local_workload_peering_ipv4);
    v("localWorkloadPeeringIPV6", local_workload_peering_ipv6);
    v("programClusterRoutes", program_cluster_routes);
    v("ipv4NormalRoutePriority", ipv4_normal_route_priority);
    v("ipv6NormalRoutePriority", ipv6_normal_route_priority);
  }
  bool operator==(const BGPConfigurationSpec&) const = default;
};

struct BGPConfiguration {
  static constexpr Kind kKind = Kind::BGPConfiguration;
  ObjectMeta metadata;
  BGPConfigurationSpec spec;

  template <class V>
  void visit(V& v) {
    v("metadata", metadata, Emit::Always);
    v("spec", spec, Emit::Always);
  }
  bool operator==(const BGPConfiguration&) const = default;
};

}  // namespace calico::api
