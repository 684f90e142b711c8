// Kubernetes networking.k8s.io/v1 NetworkPolicy, as read from the Kubernetes API (Calico
// converts it to a NetworkPolicy named knp.default.<name> in the default tier).
//
// Absent and empty differ here and both must survive a round trip: a peer's podSelector
// absent vs `{}`, and (per Kubernetes) `from`/`to` absent or empty both mean "all peers".
// Optional selectors are therefore std::optional<LabelSelector>.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/codec.h"
#include "api/kind.h"
#include "api/meta.h"
#include "api/resources/label_selector.h"
#include "api/types.h"

namespace calico::api {

struct K8sIPBlock {
  std::string cidr;                 // required
  std::vector<std::string> except;  // CIDRs inside cidr

  template <class V>
  void visit(V& v) {
    v("cidr", cidr, Emit::Always);
    v("except", except);
  }
  bool operator==(const K8sIPBlock&) const = default;
};

// One peer: ipBlock alone, or podSelector and/or namespaceSelector.
struct K8sNetworkPolicyPeer {
  std::optional<LabelSelector> pod_selector;
  std::optional<LabelSelector> namespace_selector;
  std::optional<K8sIPBlock> ip_block;

  template <class V>
  void visit(V& v) {
    v("podSelector", pod_selector);
    v("namespaceSelector", namespace_selector);
    v("ipBlock", ip_block);
  }
  bool operator==(const K8sNetworkPolicyPeer&) const = default;
};

struct K8sNetworkPolicyPort {
  std::string protocol;                  // TCP | UDP | SCTP (defaulted to TCP)
  std::optional<IntOrString> port;       // number or named port; absent = all ports
  std::optional<std::int32_t> end_port;  // range end; needs a numeric port

  template <class V>
  void visit(V& v) {
    v("protocol", protocol);
    v("port", port);
    v("endPort", end_port);
  }
  bool operator==(const K8sNetworkPolicyPort&) const = default;
};

struct K8sNetworkPolicyIngressRule {
  std::vector<K8sNetworkPolicyPort> ports;
  std::vector<K8sNetworkPolicyPeer> from;

  template <class V>
  void visit(V& v) {
    v("ports", ports);
    v("from", from);
  }
  bool operator==(const K8sNetworkPolicyIngressRule&) const = default;
};

struct K8sNetworkPolicyEgressRule {
  std::vector<K8sNetworkPolicyPort> ports;
  std::vector<K8sNetworkPolicyPeer> to;

  template <class V>
  void visit(V& v) {
    v("ports", ports);
    v("to", to);
  }
  bool operator==(const K8sNetworkPolicyEgressRule&) const = default;
};

struct KubernetesNetworkPolicySpec {
  LabelSelector pod_selector;  // always present; `{}` selects every pod in the namespace
  std::vector<K8sNetworkPolicyIngressRule> ingress;
  std::vector<K8sNetworkPolicyEgressRule> egress;
  std::vector<std::string> policy_types;  // Ingress | Egress (defaulted)

  template <class V>
  void visit(V& v) {
    v("podSelector", pod_selector, Emit::Always);
    v("ingress", ingress);
    v("egress", egress);
    v("policyTypes", policy_types);
  }
  bool operator==(const KubernetesNetworkPolicySpec&) const = default;
};

struct KubernetesNetworkPolicy {
  static constexpr Kind kKind = Kind::KubernetesNetworkPolicy;
  ObjectMeta metadata;
  KubernetesNetworkPolicySpec spec;

  template <class V>
  void visit(V& v) {
    v("metadata", metadata, Emit::Always);
    v("spec", spec, Emit::Always);
  }
  bool operator==(const KubernetesNetworkPolicy&) const = default;
};

}  // namespace calico::api
