// BGPConfiguration: validation.  Calico's client applies no defaults (see the kBgpDefault*
// constants for the values consumers assume).
#include <algorithm>

#include "api/validation.h"

namespace calico::api {
namespace {

std::string at(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

void check_password(Checker& c, const std::string& path, const std::optional<BGPPassword>& p) {
  if (!p || !p->secret_key_ref) {
    return;
  }
  c.required(path + ".secretKeyRef.name", p->secret_key_ref->name);
  c.required(path + ".secretKeyRef.key", p->secret_key_ref->key);
}

void check_service_blocks(Checker& c, const std::string& path,
                          const std::vector<ServiceIPBlock>& blocks) {
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    if (c.required(at(path, i) + ".cidr", blocks[i].cidr)) {
      c.ip_or_cidr(at(path, i) + ".cidr", blocks[i].cidr);
    }
  }
}

}  // namespace

void apply_defaults_to(BGPConfiguration& /*r*/) {}

void validate_into(const BGPConfiguration& r, std::vector<FieldError>& errs) {
  validate_metadata(BGPConfiguration::kKind, r.metadata, errs);
  Checker c(errs);
  const auto& s = r.spec;
  c.log_severity("spec.logSeverityScreen", s.log_severity_screen);
  check_service_blocks(c, "spec.serviceLoadBalancerIPs", s.service_load_balancer_ips);
  check_service_blocks(c, "spec.serviceExternalIPs", s.service_external_ips);
  check_service_blocks(c, "spec.serviceClusterIPs", s.service_cluster_ips);
  c.one_of("spec.serviceLoadBalancerAggregation", s.service_load_balancer_aggregation,
           {"Enabled", "Disabled"});
  if (s.communities.size() > 500) {
    c.add("spec.communities", "at most 500 communities are allowed");
  }
  for (std::size_t i = 0; i < s.communities.size(); ++i) {
    const auto& cm = s.communities[i];
    if (c.required(at("spec.communities", i) + ".name", cm.name)) {
      c.dns1123_subdomain(at("spec.communities", i) + ".name", cm.name);
    }
    if (c.required(at("spec.communities", i) + ".value", cm.value)) {
      c.community(at("spec.communities", i) + ".value", cm.value);
    }
  }
  if (!s.communities.empty() && s.prefix_advertisements.empty()) {
    c.add("spec.communities", "communities are defined but not used in prefixAdvertisements");
  }
  for (std::size_t i = 0; i < s.prefix_advertisements.size(); ++i) {
    const auto& pa = s.prefix_advertisements[i];
    const std::string path = at("spec.prefixAdvertisements", i);
    if (c.required(path + ".cidr", pa.cidr)) {
      c.ip_or_cidr(path + ".cidr", pa.cidr);
    }
    for (std::size_t j = 0; j < pa.communities.size(); ++j) {
      const auto& v = pa.communities[j];
      const bool named = std::any_of(s.communities.begin(), s.communities.end(),
                                     [&](const Community& cm) { return cm.name == v; });
      if (!named) {
        // Not a defined name: must be a literal community value.
        std::vector<FieldError> literal_errs;
        Checker lc(literal_errs);
        if (!lc.community(at(path + ".communities", j), v)) {
          c.add(at(path + ".communities", j),
                "\"" + v +
                    "\" is neither a community defined in spec.communities nor a valid "
                    "community value");
        }
      }
    }
  }
  const bool mesh_off = s.node_to_node_mesh_enabled && !*s.node_to_node_mesh_enabled;
  if (mesh_off && s.node_mesh_password) {
    c.add("spec.nodeMeshPassword", "cannot be set when nodeToNodeMeshEnabled is false");
  }
  if (mesh_off && !s.node_mesh_max_restart_time.empty()) {
    c.add("spec.nodeMeshMaxRestartTime", "cannot be set when nodeToNodeMeshEnabled is false");
  }
  check_password(c, "spec.nodeMeshPassword", s.node_mesh_password);
  if (!s.node_mesh_max_restart_time.empty()) {
    c.duration("spec.nodeMeshMaxRestartTime", s.node_mesh_max_restart_time);
  }
  c.one_of("spec.bindMode", s.bind_mode, {"None", "NodeIP"});
  for (std::size_t i = 0; i < s.ignored_interfaces.size(); ++i) {
    if (c.required(at("spec.ignoredInterfaces", i), s.ignored_interfaces[i])) {
      c.interface_name(at("spec.ignoredInterfaces", i), s.ignored_interfaces[i], true);
    }
  }
  c.ipv4("spec.localWorkloadPeeringIPV4", s.local_workload_peering_ipv4);
  c.ipv6("spec.localWorkloadPeeringIPV6", s.local_workload_peering_ipv6);
  c.one_of("spec.programClusterRoutes", s.program_cluster_routes,
           {"Enabled", "Disabled", "EnabledIPIPOnly", "EnabledNoEncapOnly"});
  if (s.ipv4_normal_route_priority) {
    c.in_range("spec.ipv4NormalRoutePriority", *s.ipv4_normal_route_priority, 1, 2147483646);
  }
  if (s.ipv6_normal_route_priority) {
    c.in_range("spec.ipv6NormalRoutePriority", *s.ipv6_normal_route_priority, 1, 2147483646);
  }
}

}  // namespace calico::api
