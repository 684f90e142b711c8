// STUB hooks: each kind moves to api/validation/<kind>.cpp as it is implemented.
#include "api/validation.h"

namespace calico::api {

void apply_defaults_to(IPAMConfiguration& /*r*/) {}
void validate_into(const IPAMConfiguration& r, std::vector<FieldError>& errs) {
  validate_metadata(IPAMConfiguration::kKind, r.metadata, errs);
}

void apply_defaults_to(IPAMBlock& /*r*/) {}
void validate_into(const IPAMBlock& r, std::vector<FieldError>& errs) {
  validate_metadata(IPAMBlock::kKind, r.metadata, errs);
}

void apply_defaults_to(BlockAffinity& /*r*/) {}
void validate_into(const BlockAffinity& r, std::vector<FieldError>& errs) {
  validate_metadata(BlockAffinity::kKind, r.metadata, errs);
}

void apply_defaults_to(IPAMHandle& /*r*/) {}
void validate_into(const IPAMHandle& r, std::vector<FieldError>& errs) {
  validate_metadata(IPAMHandle::kKind, r.metadata, errs);
}

}  // namespace calico::api
