// IPReservation (projectcalico.org/v3, cluster scoped): addresses that IPAM must never hand
// out in new allocations.  Existing allocations inside a reservation are left alone.
#pragma once

#include <string>
#include <vector>

#include "api/codec.h"
#include "api/kind.h"
#include "api/meta.h"

namespace calico::api {

struct IPReservationSpec {
  // CIDRs or single addresses (a /32 or /128 reserves one address).
  std::vector<std::string> reserved_cidrs;

  template <class V>
  void visit(V& v) {
    v("reservedCIDRs", reserved_cidrs);
  }
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
