// STUB hooks: each kind moves to api/validation/<kind>.cpp as it is implemented.
#include "api/validation.h"

namespace calico::api {

void apply_defaults_to(IPReservation& /*r*/) {}
void validate_into(const IPReservation& r, std::vector<FieldError>& errs) {
  validate_metadata(IPReservation::kKind, r.metadata, errs);
}

void apply_defaults_to(BGPConfiguration& /*r*/) {}
void validate_into(const BGPConfiguration& r, std::vector<FieldError>& errs) {
  validate_metadata(BGPConfiguration::kKind, r.metadata, errs);
}

void apply_defaults_to(BGPPeer& /*r*/) {}
void validate_into(const BGPPeer& r, std::vector<FieldError>& errs) {
  validate_metadata(BGPPeer::kKind, r.metadata, errs);
}

void apply_defaults_to(BGPFilter& /*r*/) {}
void validate_into(const BGPFilter& r, std::vector<FieldError>& errs) {
  validate_metadata(BGPFilter::kKind, r.metadata, errs);
}

void apply_defaults_to(Node& /*r*/) {}
void validate_into(const Node& r, std::vector<FieldError>& errs) {
  validate_metadata(Node::kKind, r.metadata, errs);
}

void apply_defaults_to(WorkloadEndpoint& /*r*/) {}
void validate_into(const WorkloadEndpoint& r, std::vector<FieldError>& errs) {
  validate_metadata(WorkloadEndpoint::kKind, r.metadata, errs);
}

void apply_defaults_to(HostEndpoint& /*r*/) {}
void validate_into(const HostEndpoint& r, std::vector<FieldError>& errs) {
  validate_metadata(HostEndpoint::kKind, r.metadata, errs);
}

void apply_defaults_to(NetworkPolicy& /*r*/) {}
void validate_into(const NetworkPolicy& r, std::vector<FieldError>& errs) {
  validate_metadata(NetworkPolicy::kKind, r.metadata, errs);
}

void apply_defaults_to(GlobalNetworkPolicy& /*r*/) {}
void validate_into(const GlobalNetworkPolicy& r, std::vector<FieldError>& errs) {
  validate_metadata(GlobalNetworkPolicy::kKind, r.metadata, errs);
}

void apply_defaults_to(Profile& /*r*/) {}
void validate_into(const Profile& r, std::vector<FieldError>& errs) {
  validate_metadata(Profile::kKind, r.metadata, errs);
}

void apply_defaults_to(NetworkSet& /*r*/) {}
void validate_into(const NetworkSet& r, std::vector<FieldError>& errs) {
  validate_metadata(NetworkSet::kKind, r.metadata, errs);
}

void apply_defaults_to(GlobalNetworkSet& /*r*/) {}
void validate_into(const GlobalNetworkSet& r, std::vector<FieldError>& errs) {
  validate_metadata(GlobalNetworkSet::kKind, r.metadata, errs);
}

void apply_defaults_to(Tier& /*r*/) {}
void validate_into(const Tier& r, std::vector<FieldError>& errs) {
  validate_metadata(Tier::kKind, r.metadata, errs);
}

void apply_defaults_to(FelixConfiguration& /*r*/) {}
void validate_into(const FelixConfiguration& r, std::vector<FieldError>& errs) {
  validate_metadata(FelixConfiguration::kKind, r.metadata, errs);
}

void apply_defaults_to(ClusterInformation& /*r*/) {}
void validate_into(const ClusterInformation& r, std::vector<FieldError>& errs) {
  validate_metadata(ClusterInformation::kKind, r.metadata, errs);
}

void apply_defaults_to(KubernetesNetworkPolicy& /*r*/) {}
void validate_into(const KubernetesNetworkPolicy& r, std::vector<FieldError>& errs) {
  validate_metadata(KubernetesNetworkPolicy::kKind, r.metadata, errs);
}

}  // namespace calico::api
