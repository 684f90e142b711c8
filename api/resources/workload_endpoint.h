// WorkloadEndpoint (projectcalico.org/v3, namespaced): a pod's (or other workload's)
// network interface.  In Kubernetes it is a projection of the Pod, not stored by itself.
//
// Name format: <node>-<orchestrator>-<id>-<endpoint>, each segment with '-' doubled
// (node ip-10-0-0-1, pod web-7d9f, eth0 -> ip--10--0--0--1-k8s-web--7d9f-eth0).
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

// A named container port (from the pod spec), optionally exposed as a host port.
struct WorkloadEndpointPort {
  std::string name;
  Protocol protocol;  // TCP | UDP | SCTP
  std::uint16_t port = 0;
  std::uint16_t host_port = 0;
  std::string host_ip;

  template <class V>
  void visit(V& v) {
    v("name", name, Emit::Always);
    v("protocol", protocol);
    v("port", port, Emit::Always);
    v("hostPort", host_port, Emit::Always);
    v("hostIP", host_ip, Emit::Always);
  }
  bool operator==(const WorkloadEndpointPort&) const = default;
};

// A floating IP: 1:1 DNAT from external_ip to internal_ip (one of the endpoint's IPs).
struct IPNAT {
  std::string internal_ip;
  std::string external_ip;

  template <class V>
  void visit(V& v) {
    v("internalIP", internal_ip, Emit::Always);
    v("externalIP", external_ip, Emit::Always);
  }
  bool operator==(const IPNAT&) const = default;
};

// Bandwidth, packet-rate and connection limits (from qos.projectcalico.org/* and
// kubernetes.io/{ingress,egress}-bandwidth pod annotations).  0 = no limit.
struct QoSControls {
  std::int64_t ingress_bandwidth = 0;  // bits/s
  std::int64_t ingress_burst = 0;      // bits
  std::int64_t ingress_peakrate = 0;
  std::int64_t ingress_minburst = 0;
  std::int64_t egress_bandwidth = 0;
  std::int64_t egress_burst = 0;
  std::int64_t egress_peakrate = 0;
  std::int64_t egress_minburst = 0;
  std::int64_t ingress_packet_rate = 0;  // packets/s
  std::int64_t ingress_packet_burst = 0;
  std::int64_t egress_packet_rate = 0;
  std::int64_t egress_packet_burst = 0;
  std::int64_t ingress_max_connections = 0;
  std::int64_t egress_max_connections = 0;
  std::optional<IntOrString> dscp;  // 0-63 or a name (EF, AF11...)

  template <class V>
  void visit(V& v) {
    v("ingressBandwidth", ingress_bandwidth);
    v("ingressBurst", ingress_burst);
    v("ingressPeakrate", ingress_peakrate);
    v("ingressMinburst", ingress_minburst);
    v("egressBandwidth", egress_bandwidth);
    v("egressBurst", egress_burst);
    v("egressPeakrate", egress_peakrate);
    v("egressMinburst", egress_minburst);
    v("ingressPacketRate", ingress_packet_rate);
    v("ingressPacketBurst", ingress_packet_burst);
    v("egressPacketRate", egress_packet_rate);
    v("egressPacketBurst", egress_packet_burst);
    v("ingressMaxConnections", ingress_max_connections);
    v("egressMaxConnections", egress_max_connections);
    v("dscp", dscp);
  }
  bool operator==(const QoSControls&) const = default;
};

struct WorkloadEndpointSpec {
  std::string orchestrator;  // k8s, cni, libnetwork...
  std::string workload;      // non-k8s workload id
  std::string node;
  std::string container_id;  // active sandbox
  std::string pod;
  std::string endpoint;  // container-side interface (k8s: eth0)
  std::string service_account_name;
  std::vector<std::string> ip_networks;  // /32 and /128 only
  std::vector<IPNAT> ip_nats;
  std::string ipv4_gateway;
  std::string ipv6_gateway;
  std::vector<std::string> profiles;  // k8s: kns.<ns>, ksa.<ns>.<sa>
  std::string interface_name;         // host-side veth (required)
  std::string mac;                    // container-side MAC
  std::vector<WorkloadEndpointPort> ports;
  std::vector<std::string> allow_spoofed_source_prefixes;
  std::optional<QoSControls> qos_controls;

  template <class V>
  void visit(V& v) {
    v("orchestrator", orchestrator);
    v("workload", workload);
    v("node", node);
    v("containerID", container_id);
    v("pod", pod);
    v("endpoint", endpoint);
    v("serviceAccountName", service_account_name);
    v("ipNetworks", ip_networks);
    v("ipNATs", ip_nats);
    v("ipv4Gateway", ipv4_gateway);
    v("ipv6Gateway", ipv6_gateway);
    v("profiles", profiles);
    v("interfaceName", interface_name);
    v("mac", mac);
    v("ports", ports);
    v("allowSpoofedSourcePrefixes", allow_spoofed_source_prefixes);
    v("qosControls", qos_controls);
  }
  bool operator==(const WorkloadEndpointSpec&) const = default;
};

struct WorkloadEndpoint {
  static constexpr Kind kKind = Kind::WorkloadEndpoint;
  ObjectMeta metadata;
  WorkloadEndpointSpec spec;

  template <class V>
  void visit(V& v) {
    v("metadata", metadata, Emit::Always);
    v("spec", spec, Emit::Always);
  }
  bool operator==(const WorkloadEndpoint&) const = default;
};

}  // namespace calico::api
