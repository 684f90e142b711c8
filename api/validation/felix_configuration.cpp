// FelixConfiguration: validation (Calico applies no defaults: unset = Felix's built-in
// default).  Enumerations are case-insensitive where Calico's CRD patterns are.
#include <algorithm>
#include <cctype>
#include <regex>

#include "api/validation.h"
#include "common/net/ip.h"

namespace calico::api {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

void enum_ci(Checker& c, const std::string& path, const std::string& value,
             std::initializer_list<std::string_view> allowed) {
  if (value.empty()) {
    return;
  }
  for (auto a : allowed) {
    if (iequals(a, value)) {
      return;
    }
  }
  c.one_of(path, value, allowed);  // records the error with the list of values
}

void port_number(Checker& c, const std::string& path, const std::optional<int>& p) {
  if (p) {
    c.in_range(path, *p, 1, 65535);
  }
}

void check_failsafe(Checker& c, const std::string& path,
                    const std::optional<std::vector<ProtoPort>>& ports) {
  if (!ports) {
    return;
  }
  for (std::size_t i = 0; i < ports->size(); ++i) {
    const auto& p = (*ports)[i];
    const std::string pp = path + "[" + std::to_string(i) + "]";
    enum_ci(c, pp + ".protocol", p.protocol, {"TCP", "UDP", "SCTP"});
    if (!p.net.empty()) {
      c.ip_or_cidr(pp + ".net", p.net);
    }
  }
}

}  // namespace

void apply_defaults_to(FelixConfiguration& /*r*/) {}

void validate_into(const FelixConfiguration& r, std::vector<FieldError>& errs) {
  validate_metadata(FelixConfiguration::kKind, r.metadata, errs);
  Checker c(errs);
  const auto& s = r.spec;
  const auto& name = r.metadata.name;
  if (s.node_selector) {
    if (name == "default" || name.starts_with("node.")) {
      c.add("spec.nodeSelector",
            "nodeSelector must not be set on the 'default' or per-node ('node.*') "
            "FelixConfiguration");
    }
    c.selector("spec.nodeSelector", *s.node_selector);
  }
  const std::pair<const char*, const std::string*> durations[] = {
      {"dataplaneWatchdogTimeout", &s.dataplane_watchdog_timeout},
      {"routeRefreshInterval", &s.route_refresh_interval},
      {"interfaceRefreshInterval", &s.interface_refresh_interval},
      {"iptablesRefreshInterval", &s.iptables_refresh_interval},
      {"iptablesPostWriteCheckInterval", &s.iptables_post_write_check_interval},
      {"iptablesLockProbeInterval", &s.iptables_lock_probe_interval},
      {"ipsetsRefreshInterval", &s.ipsets_refresh_interval},
      {"xdpRefreshInterval", &s.xdp_refresh_interval},
      {"netlinkTimeout", &s.netlink_timeout},
      {"reportingInterval", &s.reporting_interval},
      {"reportingTTL", &s.reporting_ttl},
      {"endpointReportingDelay", &s.endpoint_reporting_delay},
      {"usageReportingInitialDelay", &s.usage_reporting_initial_delay},
      {"usageReportingInterval", &s.usage_reporting_interval},
      {"debugSimulateCalcGraphHangAfter", &s.debug_simulate_calc_graph_hang_after},
      {"debugSimulateDataplaneHangAfter", &s.debug_simulate_dataplane_hang_after},
      {"debugSimulateDataplaneApplyDelay", &s.debug_simulate_dataplane_apply_delay},
      {"nftablesRefreshInterval", &s.nftables_refresh_interval},
      {"bpfIPFragTimeout", &s.bpf_ip_frag_timeout},
      {"bpfKubeProxyMinSyncPeriod", &s.bpf_kube_proxy_min_sync_period},
      {"flowLogsFlushInterval", &s.flow_logs_flush_interval},
      {"liveMigrationRouteConvergenceTime", &s.live_migration_route_convergence_time},
      {"wireguardKeepAlive", &s.wireguard_keep_alive},
      {"localSubnetL2ReachabilityRefreshInterval",
       &s.local_subnet_l2_reachability_refresh_interval},
  };
  for (const auto& [field, value] : durations) {
    if (!value->empty()) {
      c.duration(std::string("spec.") + field, *value);
    }
  }
  c.log_severity("spec.logSeverityScreen", s.log_severity_screen);
  c.log_severity("spec.logSeverityFile", s.log_severity_file);
  c.log_severity("spec.logSeveritySys", s.log_severity_sys);
  enum_ci(c, "spec.iptablesBackend", s.iptables_backend, {"Auto", "Legacy", "NFT"});
  enum_ci(c, "spec.chainInsertMode", s.chain_insert_mode, {"Insert", "Append"});
  enum_ci(c, "spec.defaultEndpointToHostAction", s.default_endpoint_to_host_action,
          {"Drop", "Accept", "Return"});
  enum_ci(c, "spec.iptablesFilterAllowAction", s.iptables_filter_allow_action,
          {"Accept", "Return"});
  enum_ci(c, "spec.iptablesMangleAllowAction", s.iptables_mangle_allow_action,
          {"Accept", "Return"});
  enum_ci(c, "spec.iptablesFilterDenyAction", s.iptables_filter_deny_action, {"Drop", "Reject"});
  enum_ci(c, "spec.nftablesFilterAllowAction", s.nftables_filter_allow_action,
          {"Accept", "Return"});
  enum_ci(c, "spec.nftablesMangleAllowAction", s.nftables_mangle_allow_action,
          {"Accept", "Return"});
  enum_ci(c, "spec.nftablesFilterDenyAction", s.nftables_filter_deny_action, {"Drop", "Reject"});
  c.one_of("spec.nftablesMode", s.nftables_mode, {"Disabled", "Enabled", "Auto"});
  c.one_of("spec.programClusterRoutes", s.program_cluster_routes,
           {"Enabled", "Disabled", "EnabledIPIPOnly", "EnabledNoEncapOnly"});
  c.one_of("spec.ipForwarding", s.ip_forwarding, {"Enabled", "Disabled"});
  enum_ci(c, "spec.routeSource", s.route_source, {"WorkloadIPs", "CalicoIPAM"});
  enum_ci(c, "spec.bpfLogLevel", s.bpf_log_level, {"Off", "Info", "Debug"});
  enum_ci(c, "spec.bpfExternalServiceMode", s.bpf_external_service_mode, {"Tunnel", "DSR"});
  enum_ci(c, "spec.bpfEnforceRPF", s.bpf_enforce_rpf, {"Disabled", "Strict", "Loose"});
  enum_ci(c, "spec.serviceLoopPrevention", s.service_loop_prevention,
          {"Drop", "Reject", "Disabled"});
  enum_ci(c, "spec.workloadSourceSpoofing", s.workload_source_spoofing, {"Disabled", "Any"});
  c.one_of("spec.natOutgoingExclusions", s.nat_outgoing_exclusions,
           {"IPPoolsOnly", "IPPoolsAndHostIPs"});
  c.one_of("spec.floatingIPs", s.floating_ips, {"Enabled", "Disabled"});
  c.one_of("spec.awsSrcDstCheck", s.aws_src_dst_check, {"DoNothing", "Enable", "Disable"});
  static const std::regex kRateLimit("[1-9][0-9]{0,3}/(second|minute|hour|day)");
  if (s.log_action_rate_limit && !std::regex_match(*s.log_action_rate_limit, kRateLimit)) {
    c.add("spec.logActionRateLimit",
          "\"" + *s.log_action_rate_limit + "\" is not a valid rate (e.g. 10/second)");
  }
  if (s.log_action_rate_limit_burst) {
    c.in_range("spec.logActionRateLimitBurst", *s.log_action_rate_limit_burst, 0, 9999);
  }
  port_number(c, "spec.healthPort", s.health_port);
  port_number(c, "spec.prometheusMetricsPort", s.prometheus_metrics_port);
  port_number(c, "spec.vxlanPort", s.vxlan_port);
  port_number(c, "spec.wireguardListeningPort", s.wireguard_listening_port);
  port_number(c, "spec.wireguardListeningPortV6", s.wireguard_listening_port_v6);
  port_number(c, "spec.debugPort", s.debug_port);
  port_number(c, "spec.metadataPort", s.metadata_port);
  if (s.vxlan_vni) {
    c.in_range("spec.vxlanVNI", *s.vxlan_vni, 1, 16777215);
  }
  if (s.iptables_mark_mask) {
    c.in_range("spec.iptablesMarkMask", *s.iptables_mark_mask, 0, 4294967295LL);
  }
  if (s.nftables_mark_mask) {
    c.in_range("spec.nftablesMarkMask", *s.nftables_mark_mask, 0, 4294967295LL);
  }
  check_failsafe(c, "spec.failsafeInboundHostPorts", s.failsafe_inbound_host_ports);
  check_failsafe(c, "spec.failsafeOutboundHostPorts", s.failsafe_outbound_host_ports);
  if (s.kube_node_port_ranges) {
    const auto& ranges = *s.kube_node_port_ranges;
    if (ranges.size() > 7) {
      c.add("spec.kubeNodePortRanges", "node port ranges list is too long (max 7)");
    }
    for (std::size_t i = 0; i < ranges.size(); ++i) {
      const std::string path = "spec.kubeNodePortRanges[" + std::to_string(i) + "]";
      if (ranges[i].is_named()) {
        c.add(path, "node port ranges must not contain named ports");
      } else {
        c.port(path, ranges[i]);
      }
    }
  }
  if (s.nat_port_range) {
    c.port("spec.natPortRange", *s.nat_port_range);
  }
  c.ipv4("spec.natOutgoingAddress", s.nat_outgoing_address);
  c.ipv4("spec.deviceRouteSourceAddress", s.device_route_source_address);
  c.ipv6("spec.deviceRouteSourceAddressIPv6", s.device_route_source_address_ipv6);
  if (s.external_nodes_list) {
    for (std::size_t i = 0; i < s.external_nodes_list->size(); ++i) {
      const std::string path = "spec.externalNodesList[" + std::to_string(i) + "]";
      const auto& v = (*s.external_nodes_list)[i];
      const auto cidr = net::Cidr::parse_addr_or_cidr(v);
      if (!cidr || cidr->family() != net::Family::V4) {
        c.add(path, "\"" + v + "\" is not a valid IPv4 CIDR");
      }
    }
  }
  if (s.route_table_range && s.route_table_ranges) {
    c.add("spec.routeTableRange", "routeTableRange and routeTableRanges cannot both be set");
  }
  if (s.route_table_range) {
    const auto& rr = *s.route_table_range;
    if (rr.min < 1 || rr.max < rr.min || rr.max > 250) {
      c.add("spec.routeTableRange", "must be a range of route table indices within 1..250");
    }
  }
  if (s.route_table_ranges) {
    for (std::size_t i = 0; i < s.route_table_ranges->size(); ++i) {
      const auto& rr = (*s.route_table_ranges)[i];
      const std::string path = "spec.routeTableRanges[" + std::to_string(i) + "]";
      if (rr.min < 1) {
        c.add(path + ".min", "min must be >= 1");
      } else if (rr.min > rr.max) {
        c.add(path, "min must not be greater than max");
      }
    }
  }
  if (!s.openstack_region.empty()) {
    // Used inside the namespace name "openstack-region-<region>" (a 63-char label).
    if (s.openstack_region.size() > 46) {
      c.add("spec.openstackRegion", "is too long (at most 46 characters)");
    } else {
      c.dns1123_label("spec.openstackRegion", s.openstack_region);
    }
  }
  static const std::regex kHealthName("[a-zA-Z0-9_ -]+");
  for (std::size_t i = 0; i < s.health_timeout_overrides.size(); ++i) {
    const auto& h = s.health_timeout_overrides[i];
    const std::string path = "spec.healthTimeoutOverrides[" + std::to_string(i) + "]";
    if (!std::regex_match(h.name, kHealthName)) {
      c.add(path + ".name", "\"" + h.name + "\" is not a valid name ([a-zA-Z0-9_ -]+)");
    }
    c.duration(path + ".timeout", h.timeout);
  }
  if (!s.interface_prefix.empty()) {
    static const std::regex kPrefixes("[a-zA-Z0-9_-]{1,15}(,[a-zA-Z0-9_-]{1,15})*");
    if (!std::regex_match(s.interface_prefix, kPrefixes)) {
      c.add("spec.interfacePrefix",
            "\"" + s.interface_prefix + "\" is not a comma-separated list of interface prefixes");
    }
  }
}

}  // namespace calico::api
