// Profile: validation (Calico applies no defaults).
#include "api/validation.h"
#include "api/validation/rules.h"

namespace calico::api {

void apply_defaults_to(Profile& /*r*/) {}

void validate_into(const Profile& r, std::vector<FieldError>& errs) {
  validate_metadata(Profile::kKind, r.metadata, errs);
  Checker c(errs);
  detail::validate_rules(c, "spec.ingress", r.spec.ingress, detail::RuleDirection::Ingress,
                         detail::RuleOwner::Profile);
  detail::validate_rules(c, "spec.egress", r.spec.egress, detail::RuleDirection::Egress,
                         detail::RuleOwner::Profile);
  c.labels("spec.labelsToApply", r.spec.labels_to_apply);
}

}  // namespace calico::api
