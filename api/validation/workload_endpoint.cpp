// WorkloadEndpoint: validation (no defaults; the CNI plugin / KDD projection fill it).
#include <regex>

#include "api/validation.h"
#include "common/net/ip.h"

namespace calico::api {
namespace {

std::string at(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

void check_name_field(Checker& c, const std::string& path, const std::string& value) {
  if (!value.empty()) {
    c.dns1123_subdomain(path, value);
  }
}

// DSCP: 0-63 or a well-known class name.
void check_dscp(Checker& c, const std::string& path, const IntOrString& d) {
  if (d.is_int()) {
    c.in_range(path, d.int_value(), 0, 63);
    return;
  }
  static const std::regex kNames("DF|EF|AF[1-4][1-3]|CS[0-7]");
  if (!std::regex_match(d.str_value(), kNames)) {
    c.add(path, "\"" + d.str_value() + "\" is not a valid DSCP value (0-63, DF, EF, AFxy, CSx)");
  }
}

}  // namespace

void apply_defaults_to(WorkloadEndpoint& /*r*/) {}

void validate_into(const WorkloadEndpoint& r, std::vector<FieldError>& errs) {
  validate_metadata(WorkloadEndpoint::kKind, r.metadata, errs);
  Checker c(errs);
  const auto& s = r.spec;
  check_name_field(c, "spec.orchestrator", s.orchestrator);
  check_name_field(c, "spec.workload", s.workload);
  check_name_field(c, "spec.node", s.node);
  check_name_field(c, "spec.pod", s.pod);
  check_name_field(c, "spec.endpoint", s.endpoint);
  check_name_field(c, "spec.serviceAccountName", s.service_account_name);
  static const std::regex kContainerId("[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?");
  if (!s.container_id.empty() && !std::regex_match(s.container_id, kContainerId)) {
    c.add("spec.containerID", "\"" + s.container_id + "\" is not a valid container ID");
  }
  std::vector<net::Cidr> networks;
  for (std::size_t i = 0; i < s.ip_networks.size(); ++i) {
    const auto n = net::Cidr::parse_addr_or_cidr(s.ip_networks[i]);
    if (!n) {
      c.add(at("spec.ipNetworks", i),
            "\"" + s.ip_networks[i] + "\" is not a valid IP address or CIDR");
    } else if (n->prefix_len() != n->addr().bits()) {
      c.add(at("spec.ipNetworks", i), "\"" + s.ip_networks[i] +
                                          "\" contains multiple addresses; only /32 and /128 "
                                          "are supported");
    } else {
      networks.push_back(*n);
    }
  }
  for (std::size_t i = 0; i < s.ip_nats.size(); ++i) {
    const std::string path = at("spec.ipNATs", i);
    const bool in_ok = c.ip(path + ".internalIP", s.ip_nats[i].internal_ip);
    const bool ex_ok = c.ip(path + ".externalIP", s.ip_nats[i].external_ip);
    if (!in_ok || !ex_ok) {
      continue;
    }
    const auto in = net::IpAddr::parse(s.ip_nats[i].internal_ip);
    const auto ex = net::IpAddr::parse(s.ip_nats[i].external_ip);
    if (in->family() != ex->family()) {
      c.add(path, "internalIP and externalIP must be of the same IP version");
    }
    bool inside = false;
    for (const auto& n : networks) {
      inside = inside || n.contains(*in);
    }
    if (!inside) {
      c.add(path + ".internalIP",
            "\"" + s.ip_nats[i].internal_ip + "\" is not one of the endpoint's ipNetworks");
    }
  }
  c.ipv4("spec.ipv4Gateway", s.ipv4_gateway);
  c.ipv6("spec.ipv6Gateway", s.ipv6_gateway);
  for (std::size_t i = 0; i < s.profiles.size(); ++i) {
    c.dns1123_subdomain(at("spec.profiles", i), s.profiles[i]);
  }
  if (c.required("spec.interfaceName", s.interface_name)) {
    c.interface_name("spec.interfaceName", s.interface_name);
  }
  c.mac("spec.mac", s.mac);
  for (std::size_t i = 0; i < s.ports.size(); ++i) {
    const auto& p = s.ports[i];
    const std::string path = at("spec.ports", i);
    if (!p.name.empty()) {
      c.port(path + ".name", Port::named(p.name));
    } else if (p.host_port == 0) {
      c.add(path + ".name", "is required when no hostPort is given");
    }
    if (!p.protocol.supports_ports()) {
      c.add(path + ".protocol",
            "\"" + p.protocol.to_string() + "\" does not support ports (use TCP, UDP or SCTP)");
    }
    if (p.port == 0) {
      c.add(path + ".port", "must be 1-65535");
    }
    if (!p.host_ip.empty()) {
      c.ip_or_cidr(path + ".hostIP", p.host_ip);
    }
  }
  for (std::size_t i = 0; i < s.allow_spoofed_source_prefixes.size(); ++i) {
    c.ip_or_cidr(at("spec.allowSpoofedSourcePrefixes", i), s.allow_spoofed_source_prefixes[i]);
  }
  if (s.qos_controls) {
    const auto& q = *s.qos_controls;
    const std::pair<const char*, std::int64_t> limits[] = {
        {"ingressBandwidth", q.ingress_bandwidth},
        {"ingressBurst", q.ingress_burst},
        {"ingressPeakrate", q.ingress_peakrate},
        {"ingressMinburst", q.ingress_minburst},
        {"egressBandwidth", q.egress_bandwidth},
        {"egressBurst", q.egress_burst},
        {"egressPeakrate", q.egress_peakrate},
        {"egressMinburst", q.egress_minburst},
        {"ingressPacketRate", q.ingress_packet_rate},
        {"ingressPacketBurst", q.ingress_packet_burst},
        {"egressPacketRate", q.egress_packet_rate},
        {"egressPacketBurst", q.egress_packet_burst},
        {"ingressMaxConnections", q.ingress_max_connections},
        {"egressMaxConnections", q.egress_max_connections}};
    for (const auto& [name, value] : limits) {
      if (value < 0) {
        c.add(std::string("spec.qosControls.") + name, "must not be negative");
      }
    }
    if (q.dscp) {
      check_dscp(c, "spec.qosControls.dscp", *q.dscp);
    }
  }
}

}  // namespace calico::api
