// BGPConfiguration.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/codec.h"
#include "api/kind.h"
#include "api/meta.h"

namespace calico::api {

// STUB: spec fields to be filled in.
struct BGPConfigurationSpec {
  template <class V>
  void visit(V& /*v*/) {}
  bool operator==(const BGPConfigurationSpec&) const = default;
};

struct BGPConfiguration {
  static constexpr Kind kKind = Kind::BGPConfiguration;
  ObjectMeta metadata;
  BGPConfigurationSpec spec;

  template <class V>
  void visit(V& v) {
    v("metadata", metadata, Emit::Always);
    v("spec", spec, Emit::Always);
  }
  bool operator==(const BGPConfiguration&) const = default;
};

}  // namespace calico::api
