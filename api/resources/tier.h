// Tier.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/codec.h"
#include "api/kind.h"
#include "api/meta.h"

namespace calico::api {

// STUB: spec fields to be filled in.
struct TierSpec {
  template <class V>
  void visit(V& /*v*/) {}
  bool operator==(const TierSpec&) const = default;
};

struct Tier {
  static constexpr Kind kKind = Kind::Tier;
  ObjectMeta metadata;
  TierSpec spec;

  template <class V>
  void visit(V& v) {
    v("metadata", metadata, Emit::Always);
    v("spec", spec, Emit::Always);
  }
  bool operator==(const Tier&) const = default;
};

}  // namespace calico::api
