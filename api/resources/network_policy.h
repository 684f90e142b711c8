// NetworkPolicy, GlobalNetworkPolicy.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/codec.h"
#include "api/kind.h"
#include "api/meta.h"

namespace calico::api {

// STUB: spec fields to be filled in.
struct NetworkPolicySpec {
  template <class V>
  void visit(V& /*v*/) {}
  bool operator==(const NetworkPolicySpec&) const = default;
};

struct NetworkPolicy {
  static constexpr Kind kKind = Kind::NetworkPolicy;
  ObjectMeta metadata;
  NetworkPolicySpec spec;

  template <class V>
  void visit(V& v) {
    v("metadata", metadata, Emit::Always);
    v("spec", spec, Emit::Always);
  }
  bool operator==(const NetworkPolicy&) const = default;
};

// STUB: spec fields to be filled in.
struct GlobalNetworkPolicySpec {
  template <class V>
  void visit(V& /*v*/) {}
  bool operator==(const GlobalNetworkPolicySpec&) const = default;
};

struct GlobalNetworkPolicy {
  static constexpr Kind kKind = Kind::GlobalNetworkPolicy;
  ObjectMeta metadata;
  GlobalNetworkPolicySpec spec;

  template <class V>
  void visit(V& v) {
    v("metadata", metadata, Emit::Always);
    v("spec", spec, Emit::Always);
  }
  bool operator==(const GlobalNetworkPolicy&) const = default;
};

}  // namespace calico::api
