// BlockAffinity.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/codec.h"
#include "api/kind.h"
#include "api/meta.h"

namespace calico::api {

// STUB: spec fields to be filled in.
struct BlockAffinitySpec {
  template <class V>
  void visit(V& /*v*/) {}
  bool operator==(const BlockAffinitySpec&) const = default;
};

struct BlockAffinity {
  static constexpr Kind kKind = Kind::BlockAffinity;
  ObjectMeta metadata;
  BlockAffinitySpec spec;

  template <class V>
  void visit(V& v) {
    v("metadata", metadata, Emit::Always);
    v("spec", spec, Emit::Always);
  }
  bool operator==(const BlockAffinity&) const = default;
};

}  // namespace calico::api
