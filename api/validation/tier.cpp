// Tier: defaults (defaultAction Deny, the CRD default) and the built-in tiers' fixed
// order and action.
#include "api/validation.h"

namespace calico::api {

void apply_defaults_to(Tier& r) {
  if (r.spec.default_action.empty()) {
    r.spec.default_action = "Deny";
  }
  // Order is left unset (= last) as Calico does; built-in tiers are created with theirs.
}

void validate_into(const Tier& r, std::vector<FieldError>& errs) {
  validate_metadata(Tier::kKind, r.metadata, errs);
  Checker c(errs);
  const auto& s = r.spec;
  c.one_of("spec.defaultAction", s.default_action, {"Deny", "Pass"});
  struct BuiltIn {
    std::string_view name;
    double order;
    std::string_view action;
  };
  for (const BuiltIn& b : {BuiltIn{kDefaultTierName, kDefaultTierOrder, "Deny"},
                           BuiltIn{kKubeAdminTierName, kKubeAdminTierOrder, "Pass"},
                           BuiltIn{kKubeBaselineTierName, kKubeBaselineTierOrder, "Pass"}}) {
    if (r.metadata.name != b.name) {
      continue;
    }
    if (!s.order || *s.order != b.order) {
      c.add("spec.order", std::string(b.name) + " tier order must be " +
                              std::to_string(static_cast<long long>(b.order)));
    }
    if (!s.default_action.empty() && s.default_action != b.action) {
      c.add("spec.defaultAction", "the " + std::string(b.name) + " tier must have default action " +
                                      std::string(b.action));
    }
  }
}

}  // namespace calico::api
