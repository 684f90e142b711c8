// IPAMBlock.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/codec.h"
#include "api/kind.h"
#include "api/meta.h"

namespace calico::api {

// STUB: spec fields to be filled in.
struct IPAMBlockSpec {
  template <class V>
  void visit(V& /*v*/) {}
  bool operator==(const IPAMBlockSpec&) const = default;
};

struct IPAMBlock {
  static constexpr Kind kKind = Kind::IPAMBlock;
  ObjectMeta metadata;
  IPAMBlockSpec spec;

  template <class V>
  void visit(V& v) {
    v("metadata", metadata, Emit::Always);
    v("spec", spec, Emit::Always);
  }
  bool operator==(const IPAMBlock&) const = default;
};

}  // namespace calico::api
