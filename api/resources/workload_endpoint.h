// WorkloadEndpoint.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/codec.h"
#include "api/kind.h"
#include "api/meta.h"

namespace calico::api {

// STUB: spec fields to be filled in.
struct WorkloadEndpointSpec {
  template <class V>
  void visit(V& /*v*/) {}
  bool operator==(const WorkloadEndpointSpec&) const = default;
};

struct WorkloadEndpoint {
  static constexpr Kind kKind = Kind::WorkloadEndpoint;
  ObjectMeta metadata;
  WorkloadEndpointSpec spec;

  template <class V>
  void visit(V& v) {
    v("metadata", metadata, Emit::Always);
    v("spec", spec, Emit::Always);
  }
  bool operator==(const WorkloadEndpoint&) const = default;
};

}  // namespace calico::api
