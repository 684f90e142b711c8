// ClusterInformation: no defaults (calico-node fills it at startup).
#include "api/validation.h"

namespace calico::api {

void apply_defaults_to(ClusterInformation& /*r*/) {}

void validate_into(const ClusterInformation& r, std::vector<FieldError>& errs) {
  validate_metadata(ClusterInformation::kKind, r.metadata, errs);
  Checker c(errs);
  if (!r.metadata.name.empty() && r.metadata.name != "default") {
    c.add("metadata.name", "ClusterInformation is a singleton and must be named \"default\"");
  }
}

}  // namespace calico::api
