// FelixConfiguration.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/codec.h"
#include "api/kind.h"
#include "api/meta.h"

namespace calico::api {

// STUB: spec fields to be filled in.
struct FelixConfigurationSpec {
  template <class V>
  void visit(V& /*v*/) {}
  bool operator==(const FelixConfigurationSpec&) const = default;
};

struct FelixConfiguration {
  static constexpr Kind kKind = Kind::FelixConfiguration;
  ObjectMeta metadata;
  FelixConfigurationSpec spec;

  template <class V>
  void visit(V& v) {
    v("metadata", metadata, Emit::Always);
    v("spec", spec, Emit::Always);
  }
  bool operator==(const FelixConfiguration&) const = default;
};

}  // namespace calico::api
