// The BGP speaker's configuration derived from the datastore, as Calico's confd renders
// BIRD's (research: bgp.md section 2):
//
//   local AS        Node spec.bgp.asNumber, else BGPConfiguration asNumber (node.<name>
//                   first, then default), else 64512
//   router id       CALICO_ROUTER_ID when set (a dotted quad, or "hash" = derived from the
//                   node name), else the node's IPv4 address; an IPv6-only node without
//                   an override gets the name hash
//   listen port     BGPConfiguration listenPort (node.<name> first), else 179
//   route reflector Node spec.bgp.routeReflectorClusterID
//   mesh            nodeToNodeMeshEnabled (default true), taken from `default` only: one
//                   session per other node and family (IPv4 between IPv4 addresses, IPv6
//                   between IPv6 addresses), named Mesh_<ip>; passive toward nodes whose
//                   address is higher than ours, so exactly one side dials; route
//                   reflector nodes take no part in the mesh (and a reflector builds none)
//   BGPPeers        a peer applies to this node when spec.node names it, or
//                   spec.nodeSelector selects its labels, or neither is set (global).
//                   peerIP -> one session (Node_<ip> / Global_<ip>); peerSelector -> one
//                   session per selected other Node and common family, AS from that node.
//                   sourceAddress UseNodeIP (default) binds to our address of the family;
//                   keepOriginalNextHop / nextHopMode; ttlSecurity; a peer at our own
//                   address is skipped.  When this node is a reflector and the peer is a
//                   Calico node in our AS with a different (or no) cluster id, it is our
//                   route-reflector client.
//   passwords       BGPPassword secretKeyRef, resolved through a lookup supplied by the
//                   caller (Kubernetes secrets); a peer whose secret cannot be read is left
//                   out with a warning rather than run without its password.
// Two sources naming the same address and port produce one session (the first wins: mesh,
// then node-specific, then global/selector peers, in name order) and a warning.
//
// Pure: no I/O.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/resources.h"
#include "bgp/speaker/config.h"
#include "common/result.h"

namespace calico::felix {

struct BgpInputs {
  std::string node_name;
  std::map<std::string, api::Node> nodes;              // every Node of the cluster, by name
  std::optional<api::BGPConfiguration> global_config;  // "default"
  std::optional<api::BGPConfiguration> node_config;    // "node.<node_name>"
  std::vector<api::BGPPeer> peers;
};

struct BgpOptions {
  std::string router_id_override;  // CALICO_ROUTER_ID: dotted quad or "hash"
  std::string control_socket = "/var/run/calico/bgp.sock";
  bgp::KernelConfig kernel;
  std::string listen_address = "::";
  std::chrono::seconds hold_time{90};
  std::chrono::seconds connect_retry{3};  // Calico's BIRD: connect retry time 3
  // Resolves a BGPPassword secretKeyRef (secret name, key) to the password; nullopt when it
  // cannot be read.  Unset: every password-protected peer is left out.
  std::function<std::optional<std::string>(const std::string&, const std::string&)> secret;
};

struct BgpDerived {
  // False when this node has no BGP address (no Node yet, or spec.bgp without an
  // address): the speaker should not run.  `reason` says why.
  bool enabled = false;
  std::string reason;
  bgp::SpeakerConfig config;  // originate is left empty (felix sets the blocks)
  std::vector<std::string> warnings;
};

BgpDerived derive_bgp_config(const BgpInputs& in, const BgpOptions& options);

// A router id derived from the node name for IPv6-only nodes (CALICO_ROUTER_ID "hash"):
// FNV-1a (32 bit) of the name.  Stable per name; not necessarily Calico's value.
std::uint32_t router_id_from_name(const std::string& node_name);

// Calico's protocol names: Mesh_10_0_0_2, Node_10_0_0_9, Global_fd00__1_port_1790.
std::string bird_protocol_name(const std::string& prefix, const net::IpAddr& ip,
                               std::uint16_t port);

}  // namespace calico::felix
