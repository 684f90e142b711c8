// IPAMConfiguration.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/codec.h"
#include "api/kind.h"
#include "api/meta.h"

namespace calico::api {

// STUB: spec fields to be filled in.
struct IPAMConfigurationSpec {
  template <class V>
  void visit(V& /*v*/) {}
  bool operator==(const IPAMConfigurationSpec&) const = default;
};

struct IPAMConfiguration {
  static constexpr Kind kKind = Kind::IPAMConfiguration;
  ObjectMeta metadata;
  IPAMConfigurationSpec spec;

  template <class V>
  void visit(V& v) {
    v("metadata", metadata, Emit::Always);
    v("spec", spec, Emit::Always);
  }
  bool operator==(const IPAMConfiguration&) const = default;
};

}  // namespace calico::api
