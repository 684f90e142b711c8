// A synthetic but realistic cluster for the policy benchmarks (issue 4): endpoints,
// namespace and service-account profiles, tiers, network sets and policies, the policies
// written as the YAML a user applies (kubectl / calicoctl) and converted by the real
// converters (api decode + defaults + validation, then policy::add_resource).
//
// Layout (deterministic; no randomness):
//   namespaces ns-0 .. ns-<N-1>, namespace k owns 10.0.k.0/24 and labels
//     kubernetes.io/metadata.name, team = team-<k/4> (aligned /22), env = prod (k < 32),
//     staging (k < 48), dev (aligned /19, /20, /23): every namespaceSelector peer of the
//     Kubernetes policies is one CIDR;
//   4 apps per namespace (app-<4k+j>), app j's pods at 10.0.k.(64j + m), m < pods/4, so an
//     app is one aligned /26; labels app, role (5 values: m % 5), version (v1..v3);
//     named ports http (TCP 8080), metrics (TCP 9090), grpc (TCP 50051); service account
//     sa-<app>;
//   policies (index i): 80% Kubernetes NetworkPolicies selecting one app with ingress from
//     another app / a team / prod frontends / an ipBlock with except / role In [...] with
//     port lists, endPort ranges and named ports, one in ten with egress rules; 15% Calico
//     NetworkPolicies (`in`, has(), notNets, notSelector, named ports, ordered); 5%
//     GlobalNetworkPolicies in the tiers "security" and "platform" (namespaceSelector,
//     Deny rules, a network-set selector, then Pass).  `kubernetes_only` keeps only the
//     first kind (the packet benchmark's linear peer needs literal addresses).
//
// For the Kubernetes policies the generator also returns the LINEAR rendering an iptables
// style dataplane evaluates: one literal rule per (policy rule, peer, port) with the peer's
// enclosing CIDR (exact for app, namespace and ipBlock peers, a superset for role-filtered
// peers), in evaluation order, then the isolation drops.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/net/ip.h"
#include "common/result.h"
#include "policy/model.h"
#include "tests/lib/netpol_cases.h"

namespace calico::bench {

struct ClusterShape {
  std::size_t namespaces = 50;
  std::size_t pods_per_namespace = 200;  // at most 256: 4 apps of at most 64 pods
  std::size_t policies = 1000;
  bool kubernetes_only = false;
};

// One literal rule of the linear rendering: ip saddr/daddr prefixes, optional
// `ip saddr != except`, l4 protocol and destination port range (nullopt: any).
struct LinearRule {
  std::optional<net::Cidr> src;
  std::optional<net::Cidr> src_except;
  std::optional<net::Cidr> dst;
  std::uint8_t protocol = policy::kProtoTcp;
  std::optional<policy::PortRange> dport;
  bool accept = true;  // false: drop (isolation)
};

struct SyntheticCluster {
  policy::PolicySet set;
  std::vector<LinearRule> linear;            // kubernetes_only: the policies' allow rules in order
  std::vector<LinearRule> linear_isolation;  // drops for isolated app blocks
  std::string yaml;                          // every policy, tier and network set
};

inline constexpr std::size_t kAppsPerNamespace = 4;
inline constexpr std::uint16_t kPortHttp = 8080;
inline constexpr std::uint16_t kPortMetrics = 9090;
inline constexpr std::uint16_t kPortGrpc = 50051;

std::string namespace_name(std::size_t k);
std::string app_name(std::size_t app);
std::string pod_name(std::size_t app, std::size_t m);
// The app's /26 and the namespace's /24.
net::Cidr app_block(std::size_t app);
net::Cidr namespace_block(std::size_t k);
policy::Labels namespace_labels(std::size_t k);
// Pod m of `app` (m < pods_per_namespace / 4), with its profiles and named ports.
policy::Endpoint make_pod(std::size_t app, std::size_t m);

// Builds the cluster; errors name the generated resource that did not convert.
Result<SyntheticCluster, std::string> make_cluster(const ClusterShape& shape);

// Converts extra YAML resources (decode, defaults, validation) into `set`.
using testlib::netpol::add_yaml;

}  // namespace calico::bench
