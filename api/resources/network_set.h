// NetworkSet, GlobalNetworkSet.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/codec.h"
#include "api/kind.h"
#include "api/meta.h"

namespace calico::api {

// STUB: spec fields to be filled in.
struct NetworkSetSpec {
  template <class V>
  void visit(V& /*v*/) {}
  bool operator==(const NetworkSetSpec&) const = default;
};

struct NetworkSet {
  static constexpr Kind kKind = Kind::NetworkSet;
  ObjectMeta metadata;
  NetworkSetSpec spec;

  template <class V>
  void visit(V& v) {
    v("metadata", metadata, Emit::Always);
    v("spec", spec, Emit::Always);
  }
  bool operator==(const NetworkSet&) const = default;
};

// STUB: spec fields to be filled in.
struct GlobalNetworkSetSpec {
  template <class V>
  void visit(V& /*v*/) {}
  bool operator==(const GlobalNetworkSetSpec&) const = default;
};

struct GlobalNetworkSet {
  static constexpr Kind kKind = Kind::GlobalNetworkSet;
  ObjectMeta metadata;
  GlobalNetworkSetSpec spec;

  template <class V>
  void visit(V& v) {
    v("metadata", metadata, Emit::Always);
    v("spec", spec, Emit::Always);
  }
  bool operator==(const GlobalNetworkSet&) const = default;
};

}  // namespace calico::api
