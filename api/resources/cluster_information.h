// ClusterInformation.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/codec.h"
#include "api/kind.h"
#include "api/meta.h"

namespace calico::api {

// STUB: spec fields to be filled in.
struct ClusterInformationSpec {
  template <class V>
  void visit(V& /*v*/) {}
  bool operator==(const ClusterInformationSpec&) const = default;
};

struct ClusterInformation {
  static constexpr Kind kKind = Kind::ClusterInformation;
  ObjectMeta metadata;
  ClusterInformationSpec spec;

  template <class V>
  void visit(V& v) {
    v("metadata", metadata, Emit::Always);
    v("spec", spec, Emit::Always);
  }
  bool operator==(const ClusterInformation&) const = default;
};

}  // namespace calico::api
