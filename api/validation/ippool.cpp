#include "api/validation.h"
#include "common/net/ip.h"

namespace calico::api {

void apply_defaults_to(IPPool& r) {
  auto& s = r.spec;
  const auto cidr = net::Cidr::parse(s.cidr);
  if (s.block_size == 0 && cidr) {
    s.block_size = cidr->family() == net::Family::V4 ? kDefaultBlockSizeV4 : kDefaultBlockSizeV6;
  }
  if (s.ipip_mode.empty()) {
    s.ipip_mode = "Never";
  }
  if (s.vxlan_mode.empty()) {
    s.vxlan_mode = "Never";
  }
  if (s.node_selector.empty()) {
    s.node_selector = "all()";
  }
  if (s.allowed_uses.empty()) {
    s.allowed_uses = {"Workload", "Tunnel"};
  }
  if (s.assignment_mode.empty()) {
    s.assignment_mode = "Automatic";
  }
}

void validate_into(const IPPool& r, std::vector<FieldError>& errs) {
  validate_metadata(Kind::IPPool, r.metadata, errs);
  Checker c(errs);
  const auto& s = r.spec;
  if (s.cidr.empty()) {
    c.add("spec.cidr", "is required");
    return;
  }
  const auto cidr = net::Cidr::parse(s.cidr);
  if (!cidr) {
    c.add("spec.cidr", "\"" + s.cidr + "\" is not a valid CIDR");
    return;
  }
  if (!cidr->is_masked()) {
    c.add("spec.cidr", "\"" + s.cidr + "\" has host bits set (did you mean \"" +
                           cidr->masked().to_string() + "\"?)");
  }
  const bool v4 = cidr->family() == net::Family::V4;
  const auto link_local = v4 ? net::Cidr::parse("169.254.0.0/16") : net::Cidr::parse("fe80::/10");
  if (link_local && cidr->overlaps(*link_local)) {
    c.add("spec.cidr",
          "\"" + s.cidr + "\" overlaps the link-local range " + link_local->to_string());
  }
  if (s.block_size != 0) {
    const int lo = v4 ? 20 : 116;
    const int hi = v4 ? 32 : 128;
    if (s.block_size < lo || s.block_size > hi) {
      c.add("spec.blockSize", std::to_string(s.block_size) + " is out of range " +
                                  std::to_string(lo) + "-" + std::to_string(hi) + " for IPv" +
                                  (v4 ? "4" : "6"));
    } else if (cidr->prefix_len() > s.block_size && !s.disabled) {
      c.add("spec.blockSize", "pool prefix /" + std::to_string(cidr->prefix_len()) +
                                  " is smaller than the block size /" +
                                  std::to_string(s.block_size));
    }
  }
  c.one_of("spec.ipipMode", s.ipip_mode, {"Never", "Always", "CrossSubnet"});
  c.one_of("spec.vxlanMode", s.vxlan_mode, {"Never", "Always", "CrossSubnet"});
  const bool ipip = !s.ipip_mode.empty() && s.ipip_mode != "Never";
  const bool vxlan = !s.vxlan_mode.empty() && s.vxlan_mode != "Never";
  if (ipip && vxlan) {
    c.add("spec.ipipMode", "ipipMode and vxlanMode cannot both be enabled");
  }
  if (ipip && !v4) {
    c.add("spec.ipipMode", "IPIP is not supported on IPv6 pools");
  }
  if (!s.node_selector.empty()) {
    c.selector("spec.nodeSelector", s.node_selector);
  }
  if (!s.namespace_selector.empty()) {
    c.selector("spec.namespaceSelector", s.namespace_selector);
  }
  bool lb = false;
  for (std::size_t i = 0; i < s.allowed_uses.size(); ++i) {
    const auto path = "spec.allowedUses[" + std::to_string(i) + "]";
    c.one_of(path, s.allowed_uses[i], {"Workload", "Tunnel", "LoadBalancer"}, false);
    lb = lb || s.allowed_uses[i] == "LoadBalancer";
  }
  if (lb && s.allowed_uses.size() > 1) {
    c.add("spec.allowedUses", "LoadBalancer cannot be combined with other uses");
  }
  c.one_of("spec.assignmentMode", s.assignment_mode, {"Automatic", "Manual"});
}

}  // namespace calico::api
