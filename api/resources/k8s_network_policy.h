// KubernetesNetworkPolicy.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/codec.h"
#include "api/kind.h"
#include "api/meta.h"

namespace calico::api {

// STUB: spec fields to be filled in.
struct KubernetesNetworkPolicySpec {
  template <class V>
  void visit(V& /*v*/) {}
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
