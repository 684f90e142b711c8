// IPReservation.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/codec.h"
#include "api/kind.h"
#include "api/meta.h"

namespace calico::api {

// STUB: spec fields to be filled in.
struct IPReservationSpec {
  template <class V>
  void visit(V& /*v*/) {}
  bool operator==(const IPReservationSpec&) const = default;
};

struct IPReservation {
  static constexpr Kind kKind = Kind::IPReservation;
  ObjectMeta metadata;
  IPReservationSpec spec;

  template <class V>
  void visit(V& v) {
    v("metadata", metadata, Emit::Always);
    v("spec", spec, Emit::Always);
  }
  bool operator==(const IPReservation&) const = default;
};

}  // namespace calico::api
