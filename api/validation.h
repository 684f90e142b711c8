// Validation and defaulting: per-kind hooks plus the reusable field checks they use.
//
// Each kind has one apply_defaults_to() and one validate_into() overload, defined in
// api/validation/<kind>.cpp.  Checks append FieldErrors (path + message) and never stop
// at the first problem, so a user sees everything wrong with a document at once.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "api/error.h"
#include "api/resources.h"

namespace calico::api {

// Collects field errors under a path prefix.
class Checker {
 public:
  explicit Checker(std::vector<FieldError>& errs) : errs_(errs) {}

  void add(std::string path, std::string message) {
    errs_.push_back({std::move(path), std::move(message)});
  }
  bool ok() const { return errs_.empty(); }

  // Value checks: each returns true when valid, else records an error at `path`.
  bool cidr(const std::string& path, const std::string& value);         // any CIDR, host bits ok
  bool masked_cidr(const std::string& path, const std::string& value);  // host bits zero
  bool ip(const std::string& path, const std::string& value);
  bool ip_or_cidr(const std::string& path, const std::string& value);
  bool dns1123_subdomain(const std::string& path, const std::string& value);  // names
  bool dns1123_label(const std::string& path, const std::string& value);
  bool label_key(const std::string& path, const std::string& key);
  bool label_value(const std::string& path, const std::string& value);
  bool labels(const std::string& path, const std::map<std::string, std::string>& labels);
  bool selector(const std::string& path, const std::string& value);  // syntax only
  bool one_of(const std::string& path, const std::string& value,
              std::initializer_list<std::string_view> allowed, bool allow_empty = true);
  bool duration(const std::string& path, const std::string& value);  // Go duration

 private:
  std::vector<FieldError>& errs_;
};

// Checks the metadata rules every kind shares: name present and well-formed for the
// kind, namespace present iff the kind is namespaced, labels well-formed.
void validate_metadata(Kind kind, const ObjectMeta& meta, std::vector<FieldError>& errs);

#define CALICO_API_KIND_HOOKS(T) \
  void apply_defaults_to(T& r);  \
  void validate_into(const T& r, std::vector<FieldError>& errs);

CALICO_API_KIND_HOOKS(IPPool)
CALICO_API_KIND_HOOKS(IPReservation)
CALICO_API_KIND_HOOKS(IPAMConfiguration)
CALICO_API_KIND_HOOKS(BGPConfiguration)
CALICO_API_KIND_HOOKS(BGPPeer)
CALICO_API_KIND_HOOKS(BGPFilter)
CALICO_API_KIND_HOOKS(Node)
CALICO_API_KIND_HOOKS(WorkloadEndpoint)
CALICO_API_KIND_HOOKS(HostEndpoint)
CALICO_API_KIND_HOOKS(NetworkPolicy)
CALICO_API_KIND_HOOKS(GlobalNetworkPolicy)
CALICO_API_KIND_HOOKS(Profile)
CALICO_API_KIND_HOOKS(NetworkSet)
CALICO_API_KIND_HOOKS(GlobalNetworkSet)
CALICO_API_KIND_HOOKS(Tier)
CALICO_API_KIND_HOOKS(FelixConfiguration)
CALICO_API_KIND_HOOKS(ClusterInformation)
CALICO_API_KIND_HOOKS(IPAMBlock)
CALICO_API_KIND_HOOKS(BlockAffinity)
CALICO_API_KIND_HOOKS(IPAMHandle)
CALICO_API_KIND_HOOKS(KubernetesNetworkPolicy)

#undef CALICO_API_KIND_HOOKS

}  // namespace calico::api
