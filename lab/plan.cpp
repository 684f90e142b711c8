#include "lab/plan.h"

#include <cctype>
#include <sstream>

namespace calico::lab {
namespace {

bool is_label_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

bool dns_label(const std::string& s, std::size_t max) {
  if (s.empty() || s.size() > max || s.front() == '-' || s.back() == '-') {
    return false;
  }
  for (char c : s) {
    if (!is_label_char(c)) {
      return false;
    }
  }
  return true;
}

bool dns_subdomain(const std::string& s) {
  if (s.empty() || s.size() > 253) {
    return false;
  }
  std::size_t start = 0;
  while (true) {
    const auto dot = s.find('.', start);
    if (!dns_label(s.substr(start, dot - start), 63)) {
      return false;
    }
    if (dot == std::string::npos) {
      return true;
    }
    start = dot + 1;
  }
}

}  // namespace

std::string to_string(Topology t) {
  switch (t) {
    case Topology::Tor:
      return "tor";
    case Topology::Mesh:
      return "mesh";
    case Topology::RouteReflector:
      return "rr";
  }
  return "?";
}

std::string to_string(TorDaemon d) {
  return d == TorDaemon::Bird ? "bird" : "frr";
}

Result<Topology, std::string> parse_topology(const std::string& s) {
  if (s == "tor") {
    return Topology::Tor;
  }
  if (s == "mesh") {
    return Topology::Mesh;
  }
  if (s == "rr") {
    return Topology::RouteReflector;
  }
  return fail("unknown topology '" + s + "': expected tor, mesh or rr");
}

Result<TorDaemon, std::string> parse_tor_daemon(const std::string& s) {
  if (s == "bird") {
    return TorDaemon::Bird;
  }
  if (s == "frr") {
    return TorDaemon::Frr;
  }
  return fail("unknown ToR daemon '" + s + "': expected bird or frr");
}

Result<Plan, std::string> make_plan(const Options& options) {
  if (!dns_label(options.name, 12) || !std::isalpha(static_cast<unsigned char>(options.name[0]))) {
    return fail("lab name '" + options.name +
                "': expected 1 to 12 characters [a-z0-9-], starting with a letter");
  }
  if (options.nodes < 1 || options.nodes > kMaxNodes) {
    return fail("--nodes " + std::to_string(options.nodes) + ": expected 1 to " +
                std::to_string(kMaxNodes));
  }
  if (options.nodes_per_rack < 1) {
    return fail("--nodes-per-rack " + std::to_string(options.nodes_per_rack) +
                ": expected at least 1");
  }
  Plan plan;
  plan.options = options;
  plan.tor_netns = options.name + "-tor";
  plan.ctl_netns = options.name + "-ctl";
  for (int i = 0; i < options.nodes; ++i) {
    PlannedNode n;
    n.name = "node" + std::to_string(i + 1);
    n.netns = options.name + "-" + n.name;
    n.ip = "10.99.0." + std::to_string(i + 1);
    n.port = n.name;
    n.rack = i / options.nodes_per_rack + 1;
    n.as = options.topology == Topology::Tor ? kTorAs + n.rack : kClusterAs;
    n.route_reflector = options.topology == Topology::RouteReflector && i == 0;
    plan.nodes.push_back(n);
  }
  return plan;
}

std::string pod_netns(const Plan& plan, const std::string& ns, const std::string& pod) {
  return plan.options.name + "-" + ns + "." + pod;
}

bool valid_namespace_name(const std::string& s) {
  return dns_label(s, 63);
}

Result<std::pair<std::string, std::string>, std::string> parse_pod_ref(const std::string& ref) {
  const auto slash = ref.find('/');
  std::string ns = slash == std::string::npos ? "default" : ref.substr(0, slash);
  std::string name = slash == std::string::npos ? ref : ref.substr(slash + 1);
  if (!valid_namespace_name(ns)) {
    return fail("pod '" + ref + "': namespace '" + ns +
                "' is not a valid Kubernetes namespace name (lower-case letters, digits, '-')");
  }
  if (!dns_subdomain(name)) {
    return fail("pod '" + ref + "': '" + name +
                "' is not a valid pod name (lower-case letters, digits, '-', '.')");
  }
  return std::make_pair(ns, name);
}

std::string calico_resources_yaml(const Plan& plan) {
  const Topology topo = plan.options.topology;
  std::ostringstream y;
  y << "apiVersion: projectcalico.org/v3\nkind: BGPConfiguration\nmetadata:\n  name: default\n"
    << "spec:\n  logSeverityScreen: Info\n  nodeToNodeMeshEnabled: "
    << (topo == Topology::Mesh ? "true" : "false") << "\n  asNumber: " << kClusterAs << "\n";
  y << "---\napiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: "
    << "default-ipv4-ippool\nspec:\n  cidr: " << kPoolCidr
    << "\n  blockSize: 26\n  natOutgoing: true\n  nodeSelector: all()\n";
  for (const auto& n : plan.nodes) {
    y << "---\napiVersion: projectcalico.org/v3\nkind: Node\nmetadata:\n  name: " << n.name
      << "\n  labels:\n    kubernetes.io/hostname: " << n.name << "\n    kubernetes.io/os: linux\n"
      << "    rack: rack" << n.rack << "\n";
    if (n.route_reflector) {
      y << "    route-reflector: \"true\"\n";
    }
    y << "spec:\n  bgp:\n    ipv4Address: " << n.ip << "/" << plan.prefix_len
      << "\n    asNumber: " << n.as << "\n";
    if (n.route_reflector) {
      y << "    routeReflectorClusterID: " << kRouteReflectorClusterId << "\n";
    }
  }
  // Every node peers with the ToR (the physical fabric), whatever the topology.
  y << "---\napiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata:\n  name: tor\nspec:\n"
    << "  peerIP: " << plan.tor_ip << "\n  asNumber: " << kTorAs << "\n";
  if (topo == Topology::RouteReflector) {
    y << "---\napiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata:\n  name: "
      << "peer-with-route-reflectors\nspec:\n  nodeSelector: all()\n"
      << "  peerSelector: route-reflector == 'true'\n";
  }
  return y.str();
}

std::string bird_config(const Plan& plan, const std::string& dir) {
  std::ostringstream c;
  c << "# The lab's top-of-rack router (generated by calico-lab).\n"
    << "log \"" << dir << "/bird.log\" all;\n"
    << "router id " << plan.tor_ip << ";\n"
    << "protocol device { scan time 10; }\n"
    << "# Learned routes go to the ToR's kernel table: it forwards between the racks.\n"
    << "protocol kernel kernel4 { ipv4 { import none; export where source = RTS_BGP; }; "
       "merge paths on; }\n"
    << "template bgp node_tpl {\n"
    << "  local " << plan.tor_ip << " as " << kTorAs << ";\n"
    << "  hold time 90;\n  connect retry time 5;\n  error wait time 5, 30;\n"
    << "  ipv4 { import all; export all; };\n}\n";
  for (const auto& n : plan.nodes) {
    c << "protocol bgp " << n.name << " from node_tpl { neighbor " << n.ip << " as " << n.as
      << "; }\n";
  }
  return c.str();
}

std::string frr_config(const Plan& plan) {
  std::ostringstream c;
  c << "! The lab's top-of-rack router (generated by calico-lab).\n"
    << "hostname " << plan.tor_netns << "\n!\n"
    << "router bgp " << kTorAs << "\n"
    << " bgp router-id " << plan.tor_ip << "\n"
    << " no bgp ebgp-requires-policy\n"
    << " no bgp default ipv4-unicast\n";
  for (const auto& n : plan.nodes) {
    c << " neighbor " << n.ip << " remote-as " << n.as << "\n"
      << " neighbor " << n.ip << " timers connect 5\n";
  }
  c << " !\n address-family ipv4 unicast\n";
  for (const auto& n : plan.nodes) {
    c << "  neighbor " << n.ip << " activate\n";
  }
  c << " exit-address-family\nexit\n!\n";
  return c.str();
}

}  // namespace calico::lab
