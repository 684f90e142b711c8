// BGPPeer (projectcalico.org/v3, cluster scoped): a BGP session between Calico nodes and
// an external router (peerIP) or other Calico nodes (peerSelector).
//
// Which nodes get the session: `node` (one node), `nodeSelector`, or neither (a global
// peer, on every node).  Calico's client applies no defaults; sourceAddress unset means
// UseNodeIP and maxRestartTime unset means the daemon's default (120s).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/codec.h"
#include "api/kind.h"
#include "api/meta.h"
#include "api/resources/bgp_configuration.h"
#include "api/types.h"

namespace calico::api {

struct BGPPeerSpec {
  std::string node;
  std::string node_selector;
  std::string peer_ip;                // IPv4, IPv4:port, IPv6 or [IPv6]:port
  std::optional<ASNumber> as_number;  // required with peerIP; empty with peerSelector
  std::optional<ASNumber> local_as_number;
  std::string peer_selector;
  bool keep_original_next_hop = false;  // deprecated: use nextHopMode Keep
  std::string next_hop_mode;            // Auto | Self | Keep
  std::optional<BGPPassword> password;
  std::string source_address;    // UseNodeIP | None
  std::string max_restart_time;  // duration (graceful restart)
  std::string keepalive_time;    // duration
  std::optional<std::int32_t> num_allowed_local_as_numbers;
  std::optional<std::uint8_t> ttl_security;  // GTSM hop count
  std::string reachable_by;                  // gateway IP for a static route to peerIP
  std::vector<std::string> filters;          // BGPFilter names, in order
  std::string local_workload_selector;
  std::string reverse_peering;  // Auto | Manual

  template <class V>
  void visit(V& v) {
    v("node", node);
    v("nodeSelector", node_selector);
    v("peerIP", peer_ip);
    v("asNumber", as_number);
    v("localASNumber", local_as_number);
    v("peerSelector", peer_selector);
    v("keepOriginalNextHop", keep_original_next_hop);
    v("nextHopMode", next_hop_mode);
    v("password", password);
    v("sourceAddress", source_address);
    v("maxRestartTime", max_restart_time);
    v("keepaliveTime", keepalive_time);
    v("numAllowedLocalASNumbers", num_allowed_local_as_numbers);
    v("ttlSecurity", ttl_security);
    v("reachableBy", reachable_by);
    v("filters", filters);
    v("localWorkloadSelector", local_workload_selector);
    v("reversePeering", reverse_peering);
  }
  bool operator==(const BGPPeerSpec&) const = default;
};

struct BGPPeer {
  static constexpr Kind kKind = Kind::BGPPeer;
  ObjectMeta metadata;
  BGPPeerSpec spec;

  template <class V>
  void visit(V& v) {
    v("metadata", metadata, Emit::Always);
    v("spec", spec, Emit::Always);
  }
  bool operator==(const BGPPeer&) const = default;
};

}  // namespace calico::api
