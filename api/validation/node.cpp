// Node: validation (no defaults; calico-node fills the spec at startup).
#include <regex>

#include "api/validation.h"

namespace calico::api {

void apply_defaults_to(Node& /*r*/) {}

void validate_into(const Node& r, std::vector<FieldError>& errs) {
  validate_metadata(Node::kKind, r.metadata, errs);
  Checker c(errs);
  const auto& s = r.spec;
  if (s.bgp) {
    const auto& b = *s.bgp;
    if (b == NodeBGPSpec{}) {
      c.add("spec.bgp", "must not be empty");
    }
    c.address_prefix("spec.bgp.ipv4Address", b.ipv4_address, 4);
    c.address_prefix("spec.bgp.ipv6Address", b.ipv6_address, 6);
    c.ipv4("spec.bgp.ipv4IPIPTunnelAddr", b.ipv4_ipip_tunnel_addr);
    c.ipv4("spec.bgp.routeReflectorClusterID", b.route_reflector_cluster_id);
  }
  c.ipv4("spec.ipv4VXLANTunnelAddr", s.ipv4_vxlan_tunnel_addr);
  c.ipv6("spec.ipv6VXLANTunnelAddr", s.ipv6_vxlan_tunnel_addr);
  c.mac("spec.vxlanTunnelMACAddr", s.vxlan_tunnel_mac_addr);
  c.mac("spec.vxlanTunnelMACAddrV6", s.vxlan_tunnel_mac_addr_v6);
  if (s.wireguard) {
    c.ipv4("spec.wireguard.interfaceIPv4Address", s.wireguard->interface_ipv4_address);
    c.ipv6("spec.wireguard.interfaceIPv6Address", s.wireguard->interface_ipv6_address);
  }
  for (std::size_t i = 0; i < s.addresses.size(); ++i) {
    const std::string path = "spec.addresses[" + std::to_string(i) + "]";
    if (c.required(path + ".address", s.addresses[i].address)) {
      c.ip_or_cidr(path + ".address", s.addresses[i].address);
    }
    c.one_of(path + ".type", s.addresses[i].type, {"CalicoNodeIP", "InternalIP", "ExternalIP"});
  }
  for (std::size_t i = 0; i < s.interfaces.size(); ++i) {
    const std::string path = "spec.interfaces[" + std::to_string(i) + "]";
    c.interface_name(path + ".name", s.interfaces[i].name);
    for (std::size_t j = 0; j < s.interfaces[i].addresses.size(); ++j) {
      c.ip_or_cidr(path + ".addresses[" + std::to_string(j) + "]", s.interfaces[i].addresses[j]);
    }
  }
  // WireGuard public keys are 32 bytes, base64: 43 characters and one '='.
  static const std::regex kWgKey("[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=");
  const auto check_key = [&](const std::string& path, const std::string& key) {
    if (!key.empty() && !std::regex_match(key, kWgKey)) {
      c.add(path, "\"" + key + "\" is not a valid WireGuard public key");
    }
  };
  check_key("status.wireguardPublicKey", r.status.wireguard_public_key);
  check_key("status.wireguardPublicKeyV6", r.status.wireguard_public_key_v6);
  for (std::size_t i = 0; i < r.status.pod_cidrs.size(); ++i) {
    c.cidr("status.podCIDRs[" + std::to_string(i) + "]", r.status.pod_cidrs[i]);
  }
}

}  // namespace calico::api
