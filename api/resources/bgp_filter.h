// BGPFilter.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/codec.h"
#include "api/kind.h"
#include "api/meta.h"

namespace calico::api {

// STUB: spec fields to be filled in.
struct BGPFilterSpec {
  template <class V>
  void visit(V& /*v*/) {}
  bool operator==(const BGPFilterSpec&) const = default;
};

struct BGPFilter {
  static constexpr Kind kKind = Kind::BGPFilter;
  ObjectMeta metadata;
  BGPFilterSpec spec;

  template <class V>
  void visit(V& v) {
    v("metadata", metadata, Emit::Always);
    v("spec", spec, Emit::Always);
  }
  bool operator==(const BGPFilter&) const = default;
};

}  // namespace calico::api
