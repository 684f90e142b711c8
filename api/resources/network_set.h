// NetworkSet (namespaced) and GlobalNetworkSet (cluster scoped): named lists of CIDRs.
// Policy rules select them by their labels, like endpoints.
#pragma once

#include <string>
#include <vector>

#include "api/codec.h"
#include "api/kind.h"
#include "api/meta.h"

namespace calico::api {

struct NetworkSetSpec {
  std::vector<std::string> nets;  // CIDRs or single addresses

  template <class V>
  void visit(V& v) {
    v("nets", nets);
  }
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

struct GlobalNetworkSetSpec {
  std::vector<std::string> nets;  // CIDRs or single addresses

  template <class V>
  void visit(V& v) {
    v("nets", nets);
  }
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
