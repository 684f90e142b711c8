// HostEndpoint: validation (no defaults).
#include "api/validation.h"

namespace calico::api {

void apply_defaults_to(HostEndpoint& /*r*/) {}

void validate_into(const HostEndpoint& r, std::vector<FieldError>& errs) {
  validate_metadata(HostEndpoint::kKind, r.metadata, errs);
  Checker c(errs);
  const auto& s = r.spec;
  if (c.required("spec.node", s.node)) {
    c.dns1123_subdomain("spec.node", s.node);
  }
  if (s.interface_name != "*") {
    c.interface_name("spec.interfaceName", s.interface_name);
  }
  if (s.interface_name.empty() && s.expected_ips.empty()) {
    c.add("spec.interfaceName", "at least one of interfaceName or expectedIPs must be specified");
  }
  for (std::size_t i = 0; i < s.expected_ips.size(); ++i) {
    c.ip("spec.expectedIPs[" + std::to_string(i) + "]", s.expected_ips[i]);
  }
  for (std::size_t i = 0; i < s.profiles.size(); ++i) {
    c.dns1123_subdomain("spec.profiles[" + std::to_string(i) + "]", s.profiles[i]);
  }
  for (std::size_t i = 0; i < s.ports.size(); ++i) {
    const auto& p = s.ports[i];
    const std::string path = "spec.ports[" + std::to_string(i) + "]";
    if (c.required(path + ".name", p.name)) {
      c.port(path + ".name", Port::named(p.name));
    }
    if (!p.protocol.supports_ports()) {
      c.add(path + ".protocol",
            "\"" + p.protocol.to_string() + "\" does not support ports (use TCP, UDP or SCTP)");
    }
    if (p.port == 0) {
      c.add(path + ".port", "must be 1-65535");
    }
  }
}

}  // namespace calico::api
