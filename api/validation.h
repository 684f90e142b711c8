// Validation and defaulting: per-kind hooks plus the reusable field checks they use.
//
// Each kind has one apply_defaults_to() and one validate_into() overload, defined in
// api/validation/<kind>.cpp.  Checks append FieldErrors (path + message) and never stop
// at the first problem, so a user sees everything wrong with a document at once.
#pragma once

#include <cstdint>
#include <map>
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
  // Selector syntax (api/selector.h), at most 1024 characters, and no global(): that is
  // only valid in a rule's namespaceSelector (see namespace_selector).
  bool selector(const std::string& path, const std::string& value);
  // A rule's namespaceSelector: like selector(), but global() is allowed as the whole
  // expression.
  bool namespace_selector(const std::string& path, const std::string& value);
  bool one_of(const std::string& path, const std::string& value,
              std::initializer_list<std::string_view> allowed, bool allow_empty = true);
  bool duration(const std::string& path, const std::string& value);  // Go duration

  // The checks below accept an empty value (callers check presence with required()).
  bool required(const std::string& path, const std::string& value);  // "is required"
  bool ipv4(const std::string& path, const std::string& value);
  bool ipv6(const std::string& path, const std::string& value);
  // "IPv4", "IPv4:port", "IPv6" or "[IPv6]:port" (BGPPeer peerIP); port 1-65535.
  bool ip_port(const std::string& path, const std::string& value);
  // A CIDR (host bits allowed) of the given IP version (4 or 6).
  bool cidr_of_version(const std::string& path, const std::string& value, int version);
  // "address/prefix" or a bare address of the given IP version (Node bgp.ipv4Address).
  bool address_prefix(const std::string& path, const std::string& value, int version);
  bool mac(const std::string& path, const std::string& value);  // 6 bytes, ':' or '-'
  // Linux interface name: [a-zA-Z0-9_.-]{1,15}; `wildcards` also allows '*' (globs).
  bool interface_name(const std::string& path, const std::string& value, bool wildcards = false);
  // Port semantics: range order, named-port syntax, numbers 1-65535.
  bool port(const std::string& path, const Port& value);
  // BGP community "aa:nn" (16-bit parts) or "aa:nn:mm" (32-bit parts).
  bool community(const std::string& path, const std::string& value);
  // Log level: Trace, Debug, Info, Warning, Error, Fatal (case-insensitive).
  bool log_severity(const std::string& path, const std::string& value);
  bool in_range(const std::string& path, std::int64_t value, std::int64_t min, std::int64_t max);
  // Annotation keys: qualified names like label keys; values are free-form.
  bool annotations(const std::string& path, const std::map<std::string, std::string>& annotations);

 private:
  std::vector<FieldError>& errs_;
};

// Checks the metadata rules every kind shares: name present and well-formed for the kind
// (DNS-1123 subdomain; a DNS-1123 label for Tier; Calico's policy-name forms for
// NetworkPolicy and GlobalNetworkPolicy), namespace only on namespaced kinds, labels and
// annotation keys well-formed.
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
