// IPAMHandle.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/codec.h"
#include "api/kind.h"
#include "api/meta.h"

namespace calico::api {

// STUB: spec fields to be filled in.
struct IPAMHandleSpec {
  template <class V>
  void visit(V& /*v*/) {}
  bool operator==(const IPAMHandleSpec&) const = default;
};

struct IPAMHandle {
  static constexpr Kind kKind = Kind::IPAMHandle;
  ObjectMeta metadata;
  IPAMHandleSpec spec;

  template <class V>
  void visit(V& v) {
    v("metadata", metadata, Emit::Always);
    v("spec", spec, Emit::Always);
  }
  bool operator==(const IPAMHandle&) const = default;
};

}  // namespace calico::api
