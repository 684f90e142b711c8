// FelixConfiguration (projectcalico.org/v3, cluster scoped): the per-node agent's
// settings.  "default" applies everywhere, "node.<nodename>" overrides it for one node, and
// since 3.32 a config with spec.nodeSelector (any other name) applies to matching nodes.
//
// Every field of Calico's FelixConfigurationSpec is listed, so configs exported from a real
// cluster decode strictly.  Calico's client applies no defaults: an unset field means
// "Felix's built-in default" (noted per field for the ones our agent uses).  Durations are
// kept as Go duration strings ("90s", "1m30s"); pointer fields of Calico's API are
// std::optional where an explicit zero/false/empty differs from unset.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/codec.h"
#include "api/kind.h"
#include "api/meta.h"
#include "api/types.h"

namespace calico::api {

// Overrides the timeout of one health-reporting component.
struct HealthTimeoutOverride {
  std::string name;
  std::string timeout;  // duration

  template <class V>
  void visit(V& v) {
    v("name", name, Emit::Always);
    v("timeout", timeout, Emit::Always);
  }
  bool operator==(const HealthTimeoutOverride&) const = default;
};

// Legacy single route-table range: 1..250.
struct RouteTableRange {
  int min = 0;
  int max = 0;

  template <class V>
  void visit(V& v) {
    v("min", min, Emit::Always);
    v("max", max, Emit::Always);
  }
  bool operator==(const RouteTableRange&) const = default;
};

// One entry of routeTableRanges: kernel routing tables Felix may use.
struct RouteTableIDRange {
  int min = 0;
  int max = 0;

  template <class V>
  void visit(V& v) {
    v("min", min, Emit::Always);
    v("max", max, Emit::Always);
  }
  bool operator==(const RouteTableIDRange&) const = default;
};

// A failsafe port: protocol TCP | UDP | SCTP, port, optional peer CIDR.
struct ProtoPort {
  std::string protocol;
  std::uint16_t port = 0;
  std::string net;

  template <class V>
  void visit(V& v) {
    v("protocol", protocol);
    v("port", port, Emit::Always);
    v("net", net);
  }
  bool operator==(const ProtoPort&) const = default;
};

// eBPF conntrack timeouts: each a duration or "Auto".
struct BPFConntrackTimeouts {
  std::string creation_grace_period;
  std::string tcp_syn_sent;
  std::string tcp_established;
  std::string tcp_fins_seen;
  std::string tcp_reset_seen;
  std::string udp_timeout;
  std::string generic_timeout;
  std::string icmp_timeout;

  template <class V>
  void visit(V& v) {
    v("creationGracePeriod", creation_grace_period);
    v("tcpSynSent", tcp_syn_sent);
    v("tcpEstablished", tcp_established);
    v("tcpFinsSeen", tcp_fins_seen);
    v("tcpResetSeen", tcp_reset_seen);
    v("udpTimeout", udp_timeout);
    v("genericTimeout", generic_timeout);
    v("icmpTimeout", icmp_timeout);
  }
  bool operator==(const BPFConntrackTimeouts&) const = default;
};

struct FelixConfigurationSpec {
  std::optional<std::string>
      node_selector;  // 3.32+: nodes this (non default, non node.*) config applies to
  std::optional<bool> use_internal_dataplane_driver;
  std::string dataplane_driver;
  std::string dataplane_watchdog_timeout;          // duration
  std::optional<bool> ipv6_support;                // default true
  std::string route_refresh_interval;              // duration; default 90s
  std::string interface_refresh_interval;          // duration
  std::string iptables_refresh_interval;           // duration; Felix default 180s
  std::string iptables_post_write_check_interval;  // duration
  std::string iptables_lock_probe_interval;        // duration
  std::string feature_detect_override;
  std::string feature_gates;
  std::string ipsets_refresh_interval;  // duration
  std::optional<int> max_ipset_size;
  std::string iptables_backend;      // Auto (default) | Legacy | NFT
  std::string xdp_refresh_interval;  // duration
  std::string netlink_timeout;       // duration
  std::string metadata_addr;
  std::optional<int> metadata_port;
  std::string openstack_region;
  std::string interface_prefix;                 // default "cali"; comma list
  std::string interface_exclude;                // default "kube-ipvs0"; comma list, /regex/ allowed
  std::string chain_insert_mode;                // Insert (default) | Append
  std::string default_endpoint_to_host_action;  // Drop (default) | Accept | Return
  std::string iptables_filter_allow_action;
  std::string iptables_mangle_allow_action;
  std::string iptables_filter_deny_action;
  std::string log_prefix;
  std::optional<std::string> log_action_rate_limit;
  std::optional<int> log_action_rate_limit_burst;
  std::string log_file_path;
  std::string log_severity_file;
  std::string log_severity_screen;  // default Info
  std::string log_severity_sys;
  std::string log_debug_filename_regex;
  std::optional<bool> ipip_enabled;   // unset: derived from IP pools
  std::optional<int> ipip_mtu;        // 0 = auto
  std::optional<bool> vxlan_enabled;  // unset: derived from IP pools
  std::optional<int> vxlan_mtu;       // 0 = auto
  std::optional<int> vxlan_mtu_v6;
  std::optional<int> vxlan_port;  // default 4789
  std::optional<int> vxlan_vni;   // default 4096
  std::optional<bool> allow_vxlan_packets_from_workloads;
  std::optional<bool> allow_ipip_packets_from_workloads;
  std::string reporting_interval;                  // duration; default 30s
  std::string reporting_ttl;                       // duration
  std::optional<bool> endpoint_reporting_enabled;  // default false
  std::string endpoint_reporting_delay;            // duration
  std::string endpoint_status_path_prefix;         // default /var/run/calico
  std::optional<std::int64_t> iptables_mark_mask;  // default 0xffff0000
  std::optional<bool> disable_conntrack_invalid_check;
  std::optional<bool> health_enabled;      // default false
  std::optional<std::string> health_host;  // default localhost
  std::optional<int> health_port;          // default 9099
  std::vector<HealthTimeoutOverride> health_timeout_overrides;
  std::optional<bool> prometheus_metrics_enabled;  // default false
  std::string prometheus_metrics_host;
  std::optional<int> prometheus_metrics_port;  // default 9091
  std::optional<bool> prometheus_go_metrics_enabled;
  std::optional<bool> prometheus_process_metrics_enabled;
  std::optional<bool> prometheus_wireguard_metrics_enabled;
  std::optional<std::string> prometheus_metrics_ca_file;
  std::optional<std::string> prometheus_metrics_cert_file;
  std::optional<std::string> prometheus_metrics_key_file;
  std::string prometheus_metrics_client_auth;
  std::optional<std::vector<ProtoPort>>
      failsafe_inbound_host_ports;  // unset: tcp:22, udp:68, tcp:179, tcp:2379, tcp:2380, tcp:5473,
                                    // tcp:6443, tcp:6666, tcp:6667; [] = none
  std::optional<std::vector<ProtoPort>>
      failsafe_outbound_host_ports;  // unset: udp:53, udp:67, tcp:179, tcp:2379, tcp:2380,
                                     // tcp:5473, tcp:6443, tcp:6666, tcp:6667
  std::optional<std::vector<Port>>
      kube_node_port_ranges;  // default ["30000:32767"]; at most 7, numeric only
  std::string policy_sync_path_prefix;
  std::optional<bool> usage_reporting_enabled;
  std::string usage_reporting_initial_delay;  // duration
  std::string usage_reporting_interval;       // duration
  std::optional<Port> nat_port_range;
  std::string nat_outgoing_address;     // empty: MASQUERADE
  std::string nat_outgoing_exclusions;  // IPPoolsOnly (default) | IPPoolsAndHostIPs
  std::string device_route_source_address;
  std::string device_route_source_address_ipv6;
  std::optional<int> device_route_protocol;    // default 3
  std::optional<bool> remove_external_routes;  // default true
  std::string program_cluster_routes;          // Felix side of the BGPConfiguration split
  std::string ip_forwarding;                   // Enabled (default) | Disabled
  std::optional<std::vector<std::string>>
      external_nodes_list;  // IPv4 CIDRs of non-Calico nodes allowed to send IPIP/VXLAN
  std::string debug_memory_profile_path;
  std::optional<bool> debug_disable_log_dropping;
  std::string debug_simulate_calc_graph_hang_after;  // duration
  std::string debug_simulate_dataplane_hang_after;   // duration
  std::string debug_simulate_dataplane_apply_delay;  // duration
  std::optional<std::string> debug_host;
  std::optional<int> debug_port;
  std::string iptables_nat_outgoing_interface_filter;
  std::optional<bool> sidecar_acceleration_enabled;
  std::optional<bool> xdp_enabled;
  std::optional<bool> generic_xdp_enabled;
  std::string nftables_mode;  // Auto (default) | Enabled | Disabled
  std::string nftables_flow_table_offload;
  std::string nftables_flow_table_data_iface_pattern;
  std::string nftables_refresh_interval;  // duration; Felix default 180s
  std::string nftables_filter_allow_action;
  std::string nftables_mangle_allow_action;
  std::string nftables_filter_deny_action;
  std::optional<std::int64_t> nftables_mark_mask;  // default 0xffff0000
  std::optional<bool> bpf_enabled;                 // default false
  std::string bpf_overlay_host_source_ip;
  std::optional<bool> bpf_disable_unprivileged;
  std::string bpf_jit_hardening;
  std::string bpf_log_level;  // always emitted (no omitempty in Calico)
  std::string bpf_conntrack_log_level;
  std::string bpf_conntrack_mode;
  std::optional<BPFConntrackTimeouts> bpf_conntrack_timeouts;
  std::string bpf_ip_frag_timeout;  // duration
  std::optional<std::map<std::string, std::string>> bpf_log_filters;
  std::string bpf_ctlb_log_filter;
  std::string bpf_data_iface_pattern;
  std::string bpf_l3_iface_pattern;
  std::optional<bool> bpf_connect_time_load_balancing_enabled;
  std::string bpf_connect_time_load_balancing;
  std::string bpf_host_networked_nat_without_ctlb;
  std::string bpf_external_service_mode;
  std::optional<std::vector<std::string>> bpf_dsr_optout_cidrs;
  std::optional<int> bpf_ext_to_service_connmark;
  std::optional<bool> bpf_kube_proxy_iptables_cleanup_enabled;
  std::string bpf_kube_proxy_min_sync_period;  // duration
  std::optional<int> bpf_kube_proxy_healthz_port;
  std::optional<Port> bpf_psnat_ports;
  std::optional<int> bpf_map_size_nat_frontend;
  std::optional<int> bpf_map_size_nat_backend;
  std::optional<int> bpf_map_size_nat_affinity;
  std::optional<int> bpf_map_size_route;
  std::optional<int> bpf_map_size_conntrack;
  std::optional<int> bpf_map_size_per_cpu_conntrack;
  std::string bpf_map_size_conntrack_scaling;
  std::optional<int> bpf_map_size_conntrack_cleanup_queue;
  std::optional<int> bpf_map_size_ip_sets;
  std::optional<int> bpf_map_size_if_state;
  std::optional<bool> bpf_host_conntrack_bypass;
  std::optional<bool> bpf_ip_fragment_reassembly_enabled;
  std::string bpf_enforce_rpf;
  std::optional<bool> bpf_policy_debug_enabled;
  std::optional<std::vector<std::string>> bpf_force_track_packets_from_ifaces;
  std::string bpf_disable_gro_for_ifaces;
  std::optional<std::vector<std::string>> bpf_exclude_cidrs_from_nat;
  std::optional<int> bpf_export_buffer_size_mb;
  std::string istio_ambient_mode;
  std::optional<IntOrString> istio_dscp_mark;
  std::string cgroup_v2_path;
  std::string flow_logs_policy_evaluation_mode;
  std::string bpf_redirect_to_peer;
  std::string bpf_attach_type;
  std::string flow_logs_flush_interval;  // duration
  std::optional<bool> flow_logs_collector_debug_trace;
  std::optional<std::string> flow_logs_goldmane_server;
  std::optional<std::string> flow_logs_local_reporter;
  std::string bpf_profiling;
  std::string route_source;  // CalicoIPAM (default) | WorkloadIPs
  std::optional<std::vector<RouteTableIDRange>> route_table_ranges;  // default [{min: 1, max: 250}]
  std::optional<RouteTableRange> route_table_range;
  std::optional<bool> route_sync_disabled;
  std::optional<int> ipv4_normal_route_priority;
  std::optional<int> ipv4_elevated_route_priority;
  std::optional<int> ipv6_normal_route_priority;
  std::optional<int> ipv6_elevated_route_priority;
  std::string live_migration_route_convergence_time;  // duration
  std::optional<bool> wireguard_enabled;              // default false
  std::optional<bool> wireguard_enabled_v6;
  std::optional<bool> wireguard_threading_enabled;
  std::optional<int> wireguard_listening_port;     // default 51820
  std::optional<int> wireguard_listening_port_v6;  // default 51821
  std::optional<int> wireguard_routing_rule_priority;
  std::string wireguard_interface_name;     // default wireguard.cali
  std::string wireguard_interface_name_v6;  // default wg-v6.cali
  std::optional<int> wireguard_mtu;
  std::optional<int> wireguard_mtu_v6;
  std::optional<bool> wireguard_host_encryption_enabled;
  std::string wireguard_keep_alive;  // duration
  std::string aws_src_dst_check;
  std::string service_loop_prevention;
  std::string workload_source_spoofing;
  std::string mtu_iface_pattern;  // host interfaces used for MTU detection
  std::string floating_ips;
  std::string local_subnet_l2_reachability;
  std::string local_subnet_l2_reachability_refresh_interval;  // duration
  std::string windows_manage_firewall_rules;
  std::optional<int> go_gc_threshold;
  std::optional<int> go_memory_limit_mb;
  std::optional<int> go_max_procs;
  std::optional<bool> require_mtu_file;
  std::optional<int> bpf_maglev_max_endpoints_per_service;
  std::optional<int> bpf_maglev_max_services;

  template <class V>
  void visit(V& v) {
    v("nodeSelector", node_selector);
    v("useInternalDataplaneDriver", use_internal_dataplane_driver);
    v("dataplaneDriver", dataplane_driver);
    v("dataplaneWatchdogTimeout", dataplane_watchdog_timeout);
    v("ipv6Support", ipv6_support);
    v("routeRefreshInterval", route_refresh_interval);
    v("interfaceRefreshInterval", interface_refresh_interval);
    v("iptablesRefreshInterval", iptables_refresh_interval);
    v("iptablesPostWriteCheckInterval", iptables_post_write_check_interval);
    v("iptablesLockProbeInterval", iptables_lock_probe_interval);
    v("featureDetectOverride", feature_detect_override);
    v("featureGates", feature_gates);
    v("ipsetsRefreshInterval", ipsets_refresh_interval);
    v("maxIpsetSize", max_ipset_size);
    v("iptablesBackend", iptables_backend);
    v("xdpRefreshInterval", xdp_refresh_interval);
    v("netlinkTimeout", netlink_timeout);
    v("metadataAddr", metadata_addr);
    v("metadataPort", metadata_port);
    v("openstackRegion", openstack_region);
    v("interfacePrefix", interface_prefix);
    v("interfaceExclude", interface_exclude);
    v("chainInsertMode", chain_insert_mode);
    v("defaultEndpointToHostAction", default_endpoint_to_host_action);
    v("iptablesFilterAllowAction", iptables_filter_allow_action);
    v("iptablesMangleAllowAction", iptables_mangle_allow_action);
    v("iptablesFilterDenyAction", iptables_filter_deny_action);
    v("logPrefix", log_prefix);
    v("logActionRateLimit", log_action_rate_limit);
    v("logActionRateLimitBurst", log_action_rate_limit_burst);
    v("logFilePath", log_file_path);
    v("logSeverityFile", log_severity_file);
    v("logSeverityScreen", log_severity_screen);
    v("logSeveritySys", log_severity_sys);
    v("logDebugFilenameRegex", log_debug_filename_regex);
    v("ipipEnabled", ipip_enabled);
    v("ipipMTU", ipip_mtu);
    v("vxlanEnabled", vxlan_enabled);
    v("vxlanMTU", vxlan_mtu);
    v("vxlanMTUV6", vxlan_mtu_v6);
    v("vxlanPort", vxlan_port);
    v("vxlanVNI", vxlan_vni);
    v("allowVXLANPacketsFromWorkloads", allow_vxlan_packets_from_workloads);
    v("allowIPIPPacketsFromWorkloads", allow_ipip_packets_from_workloads);
    v("reportingInterval", reporting_interval);
    v("reportingTTL", reporting_ttl);
    v("endpointReportingEnabled", endpoint_reporting_enabled);
    v("endpointReportingDelay", endpoint_reporting_delay);
    v("endpointStatusPathPrefix", endpoint_status_path_prefix);
    v("iptablesMarkMask", iptables_mark_mask);
    v("disableConntrackInvalidCheck", disable_conntrack_invalid_check);
    v("healthEnabled", health_enabled);
    v("healthHost", health_host);
    v("healthPort", health_port);
    v("healthTimeoutOverrides", health_timeout_overrides);
    v("prometheusMetricsEnabled", prometheus_metrics_enabled);
    v("prometheusMetricsHost", prometheus_metrics_host);
    v("prometheusMetricsPort", prometheus_metrics_port);
    v("prometheusGoMetricsEnabled", prometheus_go_metrics_enabled);
    v("prometheusProcessMetricsEnabled", prometheus_process_metrics_enabled);
    v("prometheusWireGuardMetricsEnabled", prometheus_wireguard_metrics_enabled);
    v("prometheusMetricsCAFile", prometheus_metrics_ca_file);
    v("prometheusMetricsCertFile", prometheus_metrics_cert_file);
    v("prometheusMetricsKeyFile", prometheus_metrics_key_file);
    v("prometheusMetricsClientAuth", prometheus_metrics_client_auth);
    v("failsafeInboundHostPorts", failsafe_inbound_host_ports);
    v("failsafeOutboundHostPorts", failsafe_outbound_host_ports);
    v("kubeNodePortRanges", kube_node_port_ranges);
    v("policySyncPathPrefix", policy_sync_path_prefix);
    v("usageReportingEnabled", usage_reporting_enabled);
    v("usageReportingInitialDelay", usage_reporting_initial_delay);
    v("usageReportingInterval", usage_reporting_interval);
    v("natPortRange", nat_port_range);
    v("natOutgoingAddress", nat_outgoing_address);
    v("natOutgoingExclusions", nat_outgoing_exclusions);
    v("deviceRouteSourceAddress", device_route_source_address);
    v("deviceRouteSourceAddressIPv6", device_route_source_address_ipv6);
    v("deviceRouteProtocol", device_route_protocol);
    v("removeExternalRoutes", remove_external_routes);
    v("programClusterRoutes", program_cluster_routes);
    v("ipForwarding", ip_forwarding);
    v("externalNodesList", external_nodes_list);
    v("debugMemoryProfilePath", debug_memory_profile_path);
    v("debugDisableLogDropping", debug_disable_log_dropping);
    v("debugSimulateCalcGraphHangAfter", debug_simulate_calc_graph_hang_after);
    v("debugSimulateDataplaneHangAfter", debug_simulate_dataplane_hang_after);
    v("debugSimulateDataplaneApplyDelay", debug_simulate_dataplane_apply_delay);
    v("debugHost", debug_host);
    v("debugPort", debug_port);
    v("iptablesNATOutgoingInterfaceFilter", iptables_nat_outgoing_interface_filter);
    v("sidecarAccelerationEnabled", sidecar_acceleration_enabled);
    v("xdpEnabled", xdp_enabled);
    v("genericXDPEnabled", generic_xdp_enabled);
    v("nftablesMode", nftables_mode);
    v("nftablesFlowTableOffload", nftables_flow_table_offload);
    v("nftablesFlowTableDataIfacePattern", nftables_flow_table_data_iface_pattern);
    v("nftablesRefreshInterval", nftables_refresh_interval);
    v("nftablesFilterAllowAction", nftables_filter_allow_action);
    v("nftablesMangleAllowAction", nftables_mangle_allow_action);
    v("nftablesFilterDenyAction", nftables_filter_deny_action);
    v("nftablesMarkMask", nftables_mark_mask);
    v("bpfEnabled", bpf_enabled);
    v("bpfOverlayHostSourceIP", bpf_overlay_host_source_ip);
    v("bpfDisableUnprivileged", bpf_disable_unprivileged);
    v("bpfJITHardening", bpf_jit_hardening);
    v("bpfLogLevel", bpf_log_level, Emit::Always);
    v("bpfConntrackLogLevel", bpf_conntrack_log_level);
    v("bpfConntrackMode", bpf_conntrack_mode);
    v("bpfConntrackTimeouts", bpf_conntrack_timeouts);
    v("bpfIPFragTimeout", bpf_ip_frag_timeout);
    v("bpfLogFilters", bpf_log_filters);
    v("bpfCTLBLogFilter", bpf_ctlb_log_filter);
    v("bpfDataIfacePattern", bpf_data_iface_pattern);
    v("bpfL3IfacePattern", bpf_l3_iface_pattern);
    v("bpfConnectTimeLoadBalancingEnabled", bpf_connect_time_load_balancing_enabled);
    v("bpfConnectTimeLoadBalancing", bpf_connect_time_load_balancing);
    v("bpfHostNetworkedNATWithoutCTLB", bpf_host_networked_nat_without_ctlb);
    v("bpfExternalServiceMode", bpf_external_service_mode);
    v("bpfDSROptoutCIDRs", bpf_dsr_optout_cidrs);
    v("bpfExtToServiceConnmark", bpf_ext_to_service_connmark);
    v("bpfKubeProxyIptablesCleanupEnabled", bpf_kube_proxy_iptables_cleanup_enabled);
    v("bpfKubeProxyMinSyncPeriod", bpf_kube_proxy_min_sync_period);
    v("bpfKubeProxyHealthzPort", bpf_kube_proxy_healthz_port);
    v("bpfPSNATPorts", bpf_psnat_ports);
    v("bpfMapSizeNATFrontend", bpf_map_size_nat_frontend);
    v("bpfMapSizeNATBackend", bpf_map_size_nat_backend);
    v("bpfMapSizeNATAffinity", bpf_map_size_nat_affinity);
    v("bpfMapSizeRoute", bpf_map_size_route);
    v("bpfMapSizeConntrack", bpf_map_size_conntrack);
    v("bpfMapSizePerCpuConntrack", bpf_map_size_per_cpu_conntrack);
    v("bpfMapSizeConntrackScaling", bpf_map_size_conntrack_scaling);
    v("bpfMapSizeConntrackCleanupQueue", bpf_map_size_conntrack_cleanup_queue);
    v("bpfMapSizeIPSets", bpf_map_size_ip_sets);
    v("bpfMapSizeIfState", bpf_map_size_if_state);
    v("bpfHostConntrackBypass", bpf_host_conntrack_bypass);
    v("bpfIPFragmentReassemblyEnabled", bpf_ip_fragment_reassembly_enabled);
    v("bpfEnforceRPF", bpf_enforce_rpf);
    v("bpfPolicyDebugEnabled", bpf_policy_debug_enabled);
    v("bpfForceTrackPacketsFromIfaces", bpf_force_track_packets_from_ifaces);
    v("bpfDisableGROForIfaces", bpf_disable_gro_for_ifaces);
    v("bpfExcludeCIDRsFromNAT", bpf_exclude_cidrs_from_nat);
    v("bpfExportBufferSizeMB", bpf_export_buffer_size_mb);
    v("istioAmbientMode", istio_ambient_mode);
    v("istioDSCPMark", istio_dscp_mark);
    v("cgroupV2Path", cgroup_v2_path);
    v("flowLogsPolicyEvaluationMode", flow_logs_policy_evaluation_mode);
    v("bpfRedirectToPeer", bpf_redirect_to_peer);
    v("bpfAttachType", bpf_attach_type);
    v("flowLogsFlushInterval", flow_logs_flush_interval);
    v("flowLogsCollectorDebugTrace", flow_logs_collector_debug_trace);
    v("flowLogsGoldmaneServer", flow_logs_goldmane_server);
    v("flowLogsLocalReporter", flow_logs_local_reporter);
    v("bpfProfiling", bpf_profiling);
    v("routeSource", route_source);
    v("routeTableRanges", route_table_ranges);
    v("routeTableRange", route_table_range);
    v("routeSyncDisabled", route_sync_disabled);
    v("ipv4NormalRoutePriority", ipv4_normal_route_priority);
    v("ipv4ElevatedRoutePriority", ipv4_elevated_route_priority);
    v("ipv6NormalRoutePriority", ipv6_normal_route_priority);
    v("ipv6ElevatedRoutePriority", ipv6_elevated_route_priority);
    v("liveMigrationRouteConvergenceTime", live_migration_route_convergence_time);
    v("wireguardEnabled", wireguard_enabled);
    v("wireguardEnabledV6", wireguard_enabled_v6);
    v("wireguardThreadingEnabled", wireguard_threading_enabled);
    v("wireguardListeningPort", wireguard_listening_port);
    v("wireguardListeningPortV6", wireguard_listening_port_v6);
    v("wireguardRoutingRulePriority", wireguard_routing_rule_priority);
    v("wireguardInterfaceName", wireguard_interface_name);
    v("wireguardInterfaceNameV6", wireguard_interface_name_v6);
    v("wireguardMTU", wireguard_mtu);
    v("wireguardMTUV6", wireguard_mtu_v6);
    v("wireguardHostEncryptionEnabled", wireguard_host_encryption_enabled);
    v("wireguardKeepAlive", wireguard_keep_alive);
    v("awsSrcDstCheck", aws_src_dst_check);
    v("serviceLoopPrevention", service_loop_prevention);
    v("workloadSourceSpoofing", workload_source_spoofing);
    v("mtuIfacePattern", mtu_iface_pattern);
    v("floatingIPs", floating_ips);
    v("localSubnetL2Reachability", local_subnet_l2_reachability);
    v("localSubnetL2ReachabilityRefreshInterval", local_subnet_l2_reachability_refresh_interval);
    v("windowsManageFirewallRules", windows_manage_firewall_rules);
    v("goGCThreshold", go_gc_threshold);
    v("goMemoryLimitMB", go_memory_limit_mb);
    v("goMaxProcs", go_max_procs);
    v("requireMTUFile", require_mtu_file);
    v("bpfMaglevMaxEndpointsPerService", bpf_maglev_max_endpoints_per_service);
    v("bpfMaglevMaxServices", bpf_maglev_max_services);
  }
  bool operator==(const FelixConfigurationSpec&) const = default;
};

struct FelixConfiguration {
  static constexpr Kind kKind = Kind::FelixConfiguration;
  ObjectMeta metadata;
  FelixConfigurationSpec spec;

  template <class V>
  void visit(V& v) {
    v("metadata", metadata, Emit::Always);
    v("spec", spec, Emit::Always);
  }
  bool operator==(const FelixConfiguration&) const = default;
};

}  // namespace calico::api
