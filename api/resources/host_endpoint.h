// HostEndpoint.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/codec.h"
#include "api/kind.h"
#include "api/meta.h"

namespace calico::api {

// STUB: spec fields to be filled in.
struct HostEndpointSpec {
  template <class V>
  void visit(V& /*v*/) {}
  bool operator==(const HostEndpointSpec&) const = default;
};

struct HostEndpoint {
  static constexpr Kind kKind = Kind::HostEndpoint;
  ObjectMeta metadata;
  HostEndpointSpec spec;

  template <class V>
  void visit(V& v) {
    v("metadata", metadata, Emit::Always);
    v("spec", spec, Emit::Always);
  }
  bool operator==(const HostEndpoint&) const = default;
};

}  // namespace calico::api
