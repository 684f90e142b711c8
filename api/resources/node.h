// Node.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/codec.h"
#include "api/kind.h"
#include "api/meta.h"

namespace calico::api {

// STUB: spec fields to be filled in.
struct NodeSpec {
  template <class V>
  void visit(V& /*v*/) {}
  bool operator==(const NodeSpec&) const = default;
};

struct Node {
  static constexpr Kind kKind = Kind::Node;
  ObjectMeta metadata;
  NodeSpec spec;

  template <class V>
  void visit(V& v) {
    v("metadata", metadata, Emit::Always);
    v("spec", spec, Emit::Always);
  }
  bool operator==(const Node&) const = default;
};

}  // namespace calico::api
