// A table of invalid documents across kinds, each with the exact first error a user sees:
// resource, field path and message.  Decode errors (unknown fields, wrong types, malformed
// scalars) and validation errors (addresses, selectors, ports, names, cross-field rules).
#include <gtest/gtest.h>

#include "api/document.h"

namespace calico::api {
namespace {

struct BadCase {
  const char* yaml;
  const char* error;
};

// Decodes, defaults nothing, validates; returns the first error or "" if valid.
std::string first_error(const std::string& yaml) {
  auto docs = decode_yaml(yaml);
  if (!docs) {
    return docs.error().to_string();
  }
  if (docs->size() != 1) {
    return "expected one document";
  }
  auto v = validate(docs->front());
  return v ? "" : v.error().to_string();
}

constexpr const char* kV3 = "apiVersion: projectcalico.org/v3\n";

const BadCase kCases[] = {
    // ---- decoding: unknown fields at nested levels --------------------------------------
    {"kind: BGPPeer\nmetadata: {name: p}\nspec: {password: {secretKeyRef: {nmae: s, key: k}}}",
     "BGPPeer \"p\": spec.password.secretKeyRef.nmae: unknown field \"nmae\""},
    {"kind: NetworkPolicy\nmetadata: {name: np, namespace: ns}\n"
     "spec: {ingress: [{action: Allow, source: {selectr: a == 'b'}}]}",
     "NetworkPolicy \"ns/np\": spec.ingress[0].source.selectr: unknown field \"selectr\""},
    {"kind: Node\nmetadata: {name: n}\nspec: {bgp: {ipv4Adress: 10.0.0.1/24}}",
     "Node \"n\": spec.bgp.ipv4Adress: unknown field \"ipv4Adress\""},
    {"kind: FelixConfiguration\nmetadata: {name: default}\nspec: {routeTableRanges: [{min: 1, "
     "max: 2, step: 1}]}",
     "FelixConfiguration \"default\": spec.routeTableRanges[0].step: unknown field \"step\""},
    {"kind: Tier\nmetadata: {name: t, labelz: {}}\nspec: {}",
     "Tier \"t\": metadata.labelz: unknown field \"labelz\""},
    // ---- decoding: wrong types and malformed scalars ------------------------------------
    {"kind: HostEndpoint\nmetadata: {name: h}\nspec: {node: n, expectedIPs: 10.0.0.1}",
     "HostEndpoint \"h\": spec.expectedIPs: expected list, got string \"10.0.0.1\""},
    {"kind: Tier\nmetadata: {name: t}\nspec: {order: high}",
     "Tier \"t\": spec.order: expected number, got string \"high\""},
    {"kind: GlobalNetworkPolicy\nmetadata: {name: g}\nspec: {doNotTrack: \"yes\"}",
     "GlobalNetworkPolicy \"g\": spec.doNotTrack: expected boolean, got string \"yes\""},
    {"kind: BGPConfiguration\nmetadata: {name: default}\nspec: {listenPort: 70000}",
     "BGPConfiguration \"default\": spec.listenPort: 70000 is out of range"},
    {"kind: BGPPeer\nmetadata: {name: p}\nspec: {peerIP: 10.0.0.1, asNumber: 4294967296}",
     "BGPPeer \"p\": spec.asNumber: AS number 4294967296 is larger than 4294967295"},
    {"kind: BGPConfiguration\nmetadata: {name: default}\nspec: {asNumber: \"70000.1\"}",
     "BGPConfiguration \"default\": spec.asNumber: \"70000.1\" is not a valid AS number (asdot "
     "parts must be 0-65535)"},
    {"kind: Node\nmetadata: {name: n}\nspec: {bgp: {asNumber: [1]}}",
     "Node \"n\": spec.bgp.asNumber: AS number must be an integer or an \"A.B\" string, got list"},
    {"kind: NetworkPolicy\nmetadata: {name: np}\nspec: {ingress: [{action: Allow, protocol: "
     "TCPX}]}",
     "NetworkPolicy \"np\": spec.ingress[0].protocol: \"TCPX\" is not a valid protocol (TCP, "
     "UDP, ICMP, ICMPv6, SCTP, UDPLite or 1-255)"},
    {"kind: GlobalNetworkPolicy\nmetadata: {name: g}\nspec: {egress: [{action: Deny, protocol: "
     "256}]}",
     "GlobalNetworkPolicy \"g\": spec.egress[0].protocol: protocol number 256 is out of range "
     "1-255"},
    {"kind: Profile\nmetadata: {name: pr}\nspec: {ingress: [{action: Allow, protocol: TCP, "
     "destination: {ports: [70000]}}]}",
     "Profile \"pr\": spec.ingress[0].destination.ports[0]: port 70000 is out of range 0-65535"},
    {"kind: NetworkPolicy\nmetadata: {name: np}\nspec: {ingress: [{action: Allow, protocol: UDP, "
     "source: {notPorts: [\"10:99999\"]}}]}",
     "NetworkPolicy \"np\": spec.ingress[0].source.notPorts[0]: \"10:99999\" is not a valid port "
     "range"},
    // ---- addresses and CIDRs ------------------------------------------------------------
    {"kind: BGPPeer\nmetadata: {name: p}\nspec: {peerIP: 10.0.0.300, asNumber: 64512}",
     "BGPPeer \"p\": spec.peerIP: \"10.0.0.300\" is not a valid IP address"},
    {"kind: BGPPeer\nmetadata: {name: p}\nspec: {peerIP: \"10.0.0.1:0\", asNumber: 64512}",
     "BGPPeer \"p\": spec.peerIP: \"10.0.0.1:0\" is not a valid IP address"},
    {"kind: BGPPeer\nmetadata: {name: p}\nspec: {peerIP: \"[10.0.0.1]:179\", asNumber: 1}",
     "BGPPeer \"p\": spec.peerIP: \"[10.0.0.1]:179\" is not a valid IP address"},
    {"kind: BGPConfiguration\nmetadata: {name: default}\nspec: {serviceClusterIPs: [{cidr: "
     "10.96.0.0/33}]}",
     "BGPConfiguration \"default\": spec.serviceClusterIPs[0].cidr: \"10.96.0.0/33\" is not a "
     "valid IP address or CIDR"},
    {"kind: BGPFilter\nmetadata: {name: f}\nspec: {exportV4: [{action: Accept, cidr: "
     "\"fd00::/8\", matchOperator: In}]}",
     "BGPFilter \"f\": spec.exportV4[0].cidr: \"fd00::/8\" is not a valid IPv4 CIDR"},
    {"kind: Node\nmetadata: {name: n}\nspec: {bgp: {ipv4Address: 10.0.0.1/33}}",
     "Node \"n\": spec.bgp.ipv4Address: \"10.0.0.1/33\" is not a valid IPv4 address/prefix (e.g. "
     "10.0.0.1/24)"},
    {"kind: Node\nmetadata: {name: n}\nspec: {bgp: {routeReflectorClusterID: \"fd00::1\"}}",
     "Node \"n\": spec.bgp.routeReflectorClusterID: \"fd00::1\" is not a valid IPv4 address"},
    {"kind: Node\nmetadata: {name: n}\nspec: {vxlanTunnelMACAddr: \"66:cf:23:df:22\"}",
     "Node \"n\": spec.vxlanTunnelMACAddr: \"66:cf:23:df:22\" is not a valid MAC address"},
    {"kind: WorkloadEndpoint\nmetadata: {name: w, namespace: default}\nspec: {interfaceName: "
     "cali1, ipNetworks: [10.0.0.0/24]}",
     "WorkloadEndpoint \"default/w\": spec.ipNetworks[0]: \"10.0.0.0/24\" contains multiple "
     "addresses; only /32 and /128 are supported"},
    {"kind: NetworkSet\nmetadata: {name: s, namespace: default}\nspec: {nets: [300.0.0.0/8]}",
     "NetworkSet \"default/s\": spec.nets[0]: \"300.0.0.0/8\" is not a valid IP address or CIDR"},
    {"kind: IPReservation\nmetadata: {name: r}\nspec: {reservedCIDRs: [10.0.0.0/8, "
     "\"10.0.0.0/8/8\"]}",
     "IPReservation \"r\": spec.reservedCIDRs[1]: \"10.0.0.0/8/8\" is not a valid IP address or "
     "CIDR"},
    {"kind: NetworkPolicy\nmetadata: {name: np}\nspec: {ingress: [{action: Allow, ipVersion: 6, "
     "source: {nets: [10.0.0.0/8]}}]}",
     "NetworkPolicy \"np\": spec.ingress[0].source.nets: CIDR IP version does not match the "
     "rule's ipVersion 6"},
    {"kind: NetworkPolicy\nmetadata: {name: np}\nspec: {egress: [{action: Allow, source: {nets: "
     "[10.0.0.0/8]}, destination: {nets: [\"fd00::/8\"]}}]}",
     "NetworkPolicy \"np\": spec.egress[0].destination.nets: rule contains both IPv4 and IPv6 "
     "CIDRs"},
    {"kind: GlobalNetworkPolicy\nmetadata: {name: g}\nspec: {ingress: [{action: Deny, source: "
     "{notNets: [0.0.0.0/0]}}]}",
     "GlobalNetworkPolicy \"g\": spec.ingress[0].source.notNets[0]: \"0.0.0.0/0\" in notNets "
     "matches every address, so the rule matches nothing"},
    {"kind: KubernetesNetworkPolicy\nmetadata: {name: k}\nspec: {podSelector: {}, ingress: "
     "[{from: [{ipBlock: {cidr: 10.0.0.0/16, except: [10.1.0.0/24]}}]}]}",
     "NetworkPolicy \"k\": spec.ingress[0].from[0].ipBlock.except[0]: \"10.1.0.0/24\" must be "
     "strictly within 10.0.0.0/16"},
    // ---- selectors ----------------------------------------------------------------------
    {"kind: BGPPeer\nmetadata: {name: p}\nspec: {nodeSelector: \"rack ==\", peerIP: 10.0.0.1, "
     "asNumber: 1}",
     "BGPPeer \"p\": spec.nodeSelector: \"rack ==\" is not a valid selector: unexpected end of "
     "input at position 7"},
    {"kind: BGPPeer\nmetadata: {name: p}\nspec: {peerSelector: global()}",
     "BGPPeer \"p\": spec.peerSelector: global() can only be used in a rule's namespaceSelector"},
    {"kind: NetworkPolicy\nmetadata: {name: np}\nspec: {selector: \"app = 'x'\"}",
     "NetworkPolicy \"np\": spec.selector: \"app = 'x'\" is not a valid selector: expected "
     "operator after label at position 4"},
    {"kind: NetworkPolicy\nmetadata: {name: np}\nspec: {egress: [{action: Allow, destination: "
     "{namespaceSelector: \"global() && has(a)\"}}]}",
     "NetworkPolicy \"np\": spec.egress[0].destination.namespaceSelector: global() must be the "
     "whole namespaceSelector, not part of an expression"},
    {"kind: IPPool\nmetadata: {name: pool}\nspec: {cidr: 10.0.0.0/16, nodeSelector: global()}",
     "IPPool \"pool\": spec.nodeSelector: global() can only be used in a rule's "
     "namespaceSelector"},
    // ---- ports, protocols, ICMP ---------------------------------------------------------
    {"kind: NetworkPolicy\nmetadata: {name: np}\nspec: {ingress: [{action: Allow, destination: "
     "{ports: [80]}}]}",
     "NetworkPolicy \"np\": spec.ingress[0].destination.ports: numeric ports require protocol "
     "TCP, UDP or SCTP"},
    {"kind: NetworkPolicy\nmetadata: {name: np}\nspec: {ingress: [{action: Allow, protocol: ICMP, "
     "destination: {ports: [http]}}]}",
     "NetworkPolicy \"np\": spec.ingress[0].destination.ports: protocol ICMP does not support "
     "ports"},
    {"kind: NetworkPolicy\nmetadata: {name: np}\nspec: {ingress: [{action: Allow, protocol: TCP, "
     "destination: {ports: [\"90:80\"]}}]}",
     "NetworkPolicy \"np\": spec.ingress[0].destination.ports[0]: port range \"90:80\" has min > "
     "max"},
    {"kind: NetworkPolicy\nmetadata: {name: np}\nspec: {ingress: [{action: Allow, protocol: "
     "ICMP, icmp: {code: 3}}]}",
     "NetworkPolicy \"np\": spec.ingress[0].icmp.code: ICMP code specified without an ICMP type"},
    {"kind: Profile\nmetadata: {name: pr}\nspec: {egress: [{action: Allow, protocol: ICMPv6, "
     "icmp: {type: 255}}]}",
     "Profile \"pr\": spec.egress[0].icmp.type: 255 is out of range 0-254"},
    {"kind: NetworkPolicy\nmetadata: {name: np}\nspec: {ingress: [{action: Allow, protocol: TCP, "
     "icmp: {type: 8}}]}",
     "NetworkPolicy \"np\": spec.ingress[0].icmp: ICMP fields require protocol ICMP or ICMPv6"},
    {"kind: GlobalNetworkPolicy\nmetadata: {name: g}\nspec: {ingress: [{action: Allow, "
     "protocol: ICMP, ipVersion: 6}]}",
     "GlobalNetworkPolicy \"g\": spec.ingress[0].protocol: protocol ICMP requires ipVersion 4"},
    {"kind: WorkloadEndpoint\nmetadata: {name: w}\nspec: {interfaceName: cali1, ports: [{name: "
     "ping, protocol: ICMP, port: 1}]}",
     "WorkloadEndpoint \"w\": spec.ports[0].protocol: \"ICMP\" does not support ports (use TCP, "
     "UDP or SCTP)"},
    {"kind: KubernetesNetworkPolicy\nmetadata: {name: k}\nspec: {podSelector: {}, egress: "
     "[{ports: [{port: http, endPort: 90}]}]}",
     "NetworkPolicy \"k\": spec.egress[0].ports[0].endPort: may only be specified with a numeric "
     "port"},
    // ---- names and labels ---------------------------------------------------------------
    {"kind: NetworkPolicy\nmetadata: {name: Bad_Name}\nspec: {}",
     "NetworkPolicy \"Bad_Name\": metadata.name: \"Bad_Name\" is not a valid policy name "
     "(lower-case letters, digits and '-', optionally prefixed with \"<tier>.\")"},
    {"kind: Tier\nmetadata: {name: a.b}\nspec: {}",
     "Tier \"a.b\": metadata.name: \"a.b\" is not a valid label name (lower-case letters, digits "
     "and '-', at most 63 characters)"},
    {"kind: HostEndpoint\nmetadata: {name: h, labels: {app: -bad}}\nspec: {node: n, "
     "interfaceName: eth0}",
     "HostEndpoint \"h\": metadata.labels.app: label value \"-bad\" is not valid"},
    {"kind: Profile\nmetadata: {name: pr}\nspec: {labelsToApply: {\"a/b/c\": x}}",
     "Profile \"pr\": spec.labelsToApply.a/b/c: label key \"a/b/c\" is not valid"},
    {"kind: GlobalNetworkSet\nmetadata: {name: g, namespace: default}\nspec: {}",
     "GlobalNetworkSet \"default/g\": metadata.namespace: GlobalNetworkSet is cluster scoped; "
     "namespace \"default\" must not be set"},
    {"kind: ClusterInformation\nmetadata: {name: other}\nspec: {}",
     "ClusterInformation \"other\": metadata.name: ClusterInformation is a singleton and must be "
     "named \"default\""},
    // ---- ranges, enumerations, durations ------------------------------------------------
    {"kind: IPPool\nmetadata: {name: pool}\nspec: {cidr: 10.0.0.0/16, blockSize: 33}",
     "IPPool \"pool\": spec.blockSize: 33 is out of range 20-32 for IPv4"},
    {"kind: BGPFilter\nmetadata: {name: f}\nspec: {exportV4: [{action: Accept, cidr: "
     "10.0.0.0/8, matchOperator: In, prefixLength: {max: 33}}]}",
     "BGPFilter \"f\": spec.exportV4[0].prefixLength.max: 33 is out of range 0-32"},
    {"kind: NetworkPolicy\nmetadata: {name: np}\nspec: {ingress: [{action: Accept}]}",
     "NetworkPolicy \"np\": spec.ingress[0].action: \"Accept\" is not one of Allow, Deny, Log, "
     "Pass"},
    {"kind: NetworkPolicy\nmetadata: {name: np}\nspec: {egress: [{protocol: TCP}]}",
     "NetworkPolicy \"np\": spec.egress[0].action: is required"},
    {"kind: GlobalNetworkPolicy\nmetadata: {name: g}\nspec: {types: [Ingress, Ingress]}",
     "GlobalNetworkPolicy \"g\": spec.types[1]: 'Ingress' type specified more than once"},
    {"kind: Tier\nmetadata: {name: t}\nspec: {defaultAction: Allow}",
     "Tier \"t\": spec.defaultAction: \"Allow\" is not one of Deny, Pass"},
    {"kind: BGPPeer\nmetadata: {name: p}\nspec: {peerIP: 10.0.0.1, asNumber: 1, sourceAddress: "
     "Any}",
     "BGPPeer \"p\": spec.sourceAddress: \"Any\" is not one of UseNodeIP, None"},
    {"kind: BGPPeer\nmetadata: {name: p}\nspec: {peerIP: 10.0.0.1, asNumber: 1, maxRestartTime: "
     "2 minutes}",
     "BGPPeer \"p\": spec.maxRestartTime: \"2 minutes\" is not a valid duration (e.g. 90s, "
     "1m30s, 500ms)"},
    {"kind: FelixConfiguration\nmetadata: {name: default}\nspec: {routeRefreshInterval: 10 "
     "seconds}",
     "FelixConfiguration \"default\": spec.routeRefreshInterval: \"10 seconds\" is not a valid "
     "duration (e.g. 90s, 1m30s, 500ms)"},
    {"kind: FelixConfiguration\nmetadata: {name: default}\nspec: {routeTableRange: {min: 1, max: "
     "300}}",
     "FelixConfiguration \"default\": spec.routeTableRange: must be a range of route table "
     "indices within 1..250"},
    {"kind: FelixConfiguration\nmetadata: {name: default}\nspec: {kubeNodePortRanges: [http]}",
     "FelixConfiguration \"default\": spec.kubeNodePortRanges[0]: node port ranges must not "
     "contain named ports"},
    {"kind: BGPConfiguration\nmetadata: {name: default}\nspec: {communities: [{name: c, value: "
     "\"65536:1\"}], prefixAdvertisements: [{cidr: 10.0.0.0/8, communities: [c]}]}",
     "BGPConfiguration \"default\": spec.communities[0].value: \"65536:1\" is not a valid BGP "
     "community (each part must be at most 65535)"},
    {"kind: KubernetesNetworkPolicy\nmetadata: {name: k}\nspec: {podSelector: "
     "{matchExpressions: [{key: tier, operator: In}]}}",
     "NetworkPolicy \"k\": spec.podSelector.matchExpressions[0].values: must be specified when "
     "operator is In"},
    // ---- cross-field rules --------------------------------------------------------------
    {"kind: BGPPeer\nmetadata: {name: p}\nspec: {node: n1, nodeSelector: all(), peerIP: "
     "10.0.0.1, asNumber: 1}",
     "BGPPeer \"p\": spec.nodeSelector: node and nodeSelector cannot both be set"},
    {"kind: BGPPeer\nmetadata: {name: p}\nspec: {peerSelector: has(rr), asNumber: 64512}",
     "BGPPeer \"p\": spec.asNumber: asNumber must be empty when peerSelector is set"},
    {"kind: BGPPeer\nmetadata: {name: p}\nspec: {peerIP: 10.0.0.1, peerSelector: has(rr)}",
     "BGPPeer \"p\": spec.peerSelector: peerIP and peerSelector cannot both be set"},
    {"kind: BGPPeer\nmetadata: {name: p}\nspec: {peerIP: \"fd00::1\", asNumber: 1, reachableBy: "
     "10.0.0.1}",
     "BGPPeer \"p\": spec.reachableBy: reachableBy and peerIP address families differ"},
    {"kind: BGPFilter\nmetadata: {name: f}\nspec: {importV6: [{action: Reject, cidr: "
     "\"fd00::/8\"}]}",
     "BGPFilter \"f\": spec.importV6[0].matchOperator: cidr and matchOperator must both be set "
     "or both be empty"},
    {"kind: BGPFilter\nmetadata: {name: f}\nspec: {exportV4: [{action: Reject, operations: "
     "[{setPriority: {value: 10}}]}]}",
     "BGPFilter \"f\": spec.exportV4[0].operations: operations may only be used with action "
     "Accept"},
    {"kind: GlobalNetworkPolicy\nmetadata: {name: g}\nspec: {preDNAT: true, ingress: [{action: "
     "Allow}]}",
     "GlobalNetworkPolicy \"g\": spec.applyOnForward: applyOnForward must be true if either "
     "preDNAT or doNotTrack is true"},
    {"kind: GlobalNetworkPolicy\nmetadata: {name: g}\nspec: {preDNAT: true, doNotTrack: true, "
     "applyOnForward: true}",
     "GlobalNetworkPolicy \"g\": spec.preDNAT: preDNAT and doNotTrack cannot both be true"},
    {"kind: NetworkPolicy\nmetadata: {name: np}\nspec: {ingress: [{action: Allow, destination: "
     "{services: {name: svc}}}]}",
     "NetworkPolicy \"np\": spec.ingress[0].destination.services: not allowed in an ingress "
     "rule's destination"},
    {"kind: NetworkPolicy\nmetadata: {name: np}\nspec: {egress: [{action: Allow, http: {methods: "
     "[GET]}}]}",
     "NetworkPolicy \"np\": spec.egress[0].http: HTTP match is not allowed in egress rules"},
    {"kind: WorkloadEndpoint\nmetadata: {name: w}\nspec: {node: n1}",
     "WorkloadEndpoint \"w\": spec.interfaceName: is required"},
    {"kind: HostEndpoint\nmetadata: {name: h}\nspec: {interfaceName: eth0}",
     "HostEndpoint \"h\": spec.node: is required"},
    {"kind: HostEndpoint\nmetadata: {name: h}\nspec: {node: n, interfaceName: "
     "averyveryverylongname}",
     "HostEndpoint \"h\": spec.interfaceName: \"averyveryverylongname\" is not a valid interface "
     "name (at most 15 of a-z, A-Z, 0-9, '_', '.', '-')"},
    {"kind: Tier\nmetadata: {name: default}\nspec: {order: 5, defaultAction: Deny}",
     "Tier \"default\": spec.order: default tier order must be 1000000"},
    {"kind: FelixConfiguration\nmetadata: {name: default}\nspec: {nodeSelector: all()}",
     "FelixConfiguration \"default\": spec.nodeSelector: nodeSelector must not be set on the "
     "'default' or per-node ('node.*') FelixConfiguration"},
};

TEST(BadInput, EachCaseReportsTheExactError) {
  static_assert(std::size(kCases) >= 40);
  for (const auto& c : kCases) {
    std::string yaml = c.yaml;
    // Most cases are Calico v3 kinds; the Kubernetes one is marked by its kind name.
    const std::string k8s_kind = "kind: KubernetesNetworkPolicy";
    if (yaml.starts_with(k8s_kind)) {
      yaml = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy" + yaml.substr(k8s_kind.size());
    } else {
      yaml = kV3 + yaml;
    }
    EXPECT_EQ(first_error(yaml), c.error) << yaml;
  }
}

TEST(BadInput, AllErrorsAreReportedNotJustTheFirst) {
  auto docs = decode_yaml(std::string(kV3) +
                          "kind: BGPPeer\nmetadata: {name: p}\nspec: {peerIP: 1.2.3, asNumber: 1, "
                          "sourceAddress: x, filters: [Bad]}");
  ASSERT_TRUE(docs);
  auto v = validate(docs->front());
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().to_string_all(),
            "BGPPeer \"p\": spec.peerIP: \"1.2.3\" is not a valid IP address\n"
            "BGPPeer \"p\": spec.sourceAddress: \"x\" is not one of UseNodeIP, None\n"
            "BGPPeer \"p\": spec.filters[0]: \"Bad\" is not a valid name (lower-case letters, "
            "digits, '-' and '.', at most 253 characters, starting and ending with a letter or "
            "digit)");
}

TEST(BadInput, ValidBoundaryValuesPass) {
  const char* ok[] = {
      "kind: BGPPeer\nmetadata: {name: p}\nspec: {peerIP: \"[fd00::1]:1179\", asNumber: "
      "\"65535.65535\"}",
      "kind: BGPPeer\nmetadata: {name: p}\nspec: {peerIP: 10.0.0.1:179, asNumber: 4294967295}",
      "kind: NetworkPolicy\nmetadata: {name: knp.default.allow-dns}\nspec: {}",
      "kind: NetworkPolicy\nmetadata: {name: security.allow}\nspec: {tier: security}",
      "kind: NetworkPolicy\nmetadata: {name: np}\nspec: {ingress: [{action: Allow, source: "
      "{ports: [http]}}]}",
      "kind: NetworkPolicy\nmetadata: {name: np}\nspec: {ingress: [{action: Allow, protocol: 1, "
      "icmp: {type: 254, code: 255}}]}",
      "kind: HostEndpoint\nmetadata: {name: h}\nspec: {node: n, interfaceName: \"*\"}",
      "kind: HostEndpoint\nmetadata: {name: h}\nspec: {node: n, expectedIPs: [10.0.0.1]}",
      "kind: Tier\nmetadata: {name: kube-admin}\nspec: {order: 1000, defaultAction: Pass}",
      "kind: FelixConfiguration\nmetadata: {name: rack-1-config}\nspec: {nodeSelector: rack == "
      "'1'}",
  };
  for (const char* y : ok) {
    EXPECT_EQ(first_error(std::string(kV3) + y), "") << y;
  }
}

}  // namespace
}  // namespace calico::api
