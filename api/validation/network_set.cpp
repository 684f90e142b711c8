// NetworkSet, GlobalNetworkSet and IPReservation: CIDR lists (no defaults).
#include "api/validation.h"

namespace calico::api {
namespace {

void check_nets(Checker& c, const std::string& path, const std::vector<std::string>& nets) {
  for (std::size_t i = 0; i < nets.size(); ++i) {
    c.ip_or_cidr(path + "[" + std::to_string(i) + "]", nets[i]);
  }
}

// projectcalico.org/namespace is set by Calico on the v1 model; users may not set it.
void check_reserved_label(Checker& c, const ObjectMeta& meta) {
  if (meta.labels.contains("projectcalico.org/namespace")) {
    c.add("metadata.labels.projectcalico.org/namespace",
          "projectcalico.org/namespace is reserved and cannot be set");
  }
}

}  // namespace

void apply_defaults_to(NetworkSet& /*r*/) {}

void validate_into(const NetworkSet& r, std::vector<FieldError>& errs) {
  validate_metadata(NetworkSet::kKind, r.metadata, errs);
  Checker c(errs);
  check_reserved_label(c, r.metadata);
  check_nets(c, "spec.nets", r.spec.nets);
}

void apply_defaults_to(GlobalNetworkSet& /*r*/) {}

void validate_into(const GlobalNetworkSet& r, std::vector<FieldError>& errs) {
  validate_metadata(GlobalNetworkSet::kKind, r.metadata, errs);
  Checker c(errs);
  check_reserved_label(c, r.metadata);
  check_nets(c, "spec.nets", r.spec.nets);
}

void apply_defaults_to(IPReservation& /*r*/) {}

void validate_into(const IPReservation& r, std::vector<FieldError>& errs) {
  validate_metadata(IPReservation::kKind, r.metadata, errs);
  Checker c(errs);
  check_nets(c, "spec.reservedCIDRs", r.spec.reserved_cidrs);
}

}  // namespace calico::api
