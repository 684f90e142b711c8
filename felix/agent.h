// Agent: felix's calculation and programming core for one node, over small seams.
//
// Input: datastore events of every kind the node watches (watched_kinds()), per-kind
// in-sync notifications.  It keeps the objects in memory and marks what they affect:
//
//   WorkloadEndpoint   all: policy IP-set membership; this node's: a /32 (/128) device
//                      route per address via its host-side veth (our route protocol,
//                      kRouteProtocolCalicoFelix), Calico's host-side sysctls, and the
//                      endpoint's policy chains
//   (Global)NetworkPolicy, KubernetesNetworkPolicy, Profile, Tier, (Global)NetworkSet
//                      -> policy::PolicyDataplane (incremental nftables transactions)
//   IPPool             -> NAT-outgoing table (nat.h)
//   BlockAffinity      (this host's, confirmed) -> the blocks the BGP speaker originates
//                      (it installs their blackhole routes)
//   Node, BGPConfiguration, BGPPeer -> the speaker's configuration (bgp_config.h)
//   FelixConfiguration default + node.<name>: logSeverityScreen, interfacePrefix,
//                      defaultEndpointToHostAction, ipv6Support
//
// apply() programs what changed.  Nothing is programmed before every watch has been in
// sync once, so a restarted agent never programs a partial view (no policy gap, no route
// flap): the route reconciler keeps the routes a previous run installed until the first
// complete computation, and the policy dataplane's first apply diffs against the table
// already in the kernel.  While a watch is reconnecting, the model simply stops changing:
// the dataplane stays as it is.  A failed step keeps its dirty mark; apply() reports
// `done = false` and the caller retries with backoff.
//
// Pure logic over RouteSink, NftCommitter, HostNet and BgpControl; one owner thread.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bgp/speaker/kernel_sync.h"
#include "common/log.h"
#include "common/route_sink.h"
#include "datastore/datastore.h"
#include "felix/bgp_config.h"
#include "policy/dataplane.h"
#include "policy/nft_committer.h"

namespace calico::felix {

// Host-side interface lookups and sysctls (real: /proc/sys + rtnetlink in the node's
// namespace; tests: a fake).
class HostNet {
 public:
  virtual ~HostNet() = default;
  virtual Result<int, std::string> ifindex(const std::string& iface) = 0;
  // proxy_arp=1, neigh proxy_delay=0, forwarding=1, route_localnet=1 and, with ipv6,
  // proxy_ndp=1, forwarding=1, accept_ra=0 on the host side of a workload veth.
  virtual Result<void, std::string> configure_workload_iface(const std::string& iface,
                                                             bool ipv6) = 0;
  // net.ipv4.ip_forward (and IPv6 forwarding) = 1.
  virtual Result<void, std::string> enable_forwarding(bool ipv6) = 0;
};

// The BGP speaker as felix drives it (real: posted to the speaker's event loop).
class BgpControl {
 public:
  virtual ~BgpControl() = default;
  // The configuration changed (enabled = false: no speaker should run).
  virtual void configure(const BgpDerived& derived) = 0;
  // The blocks this node owns (originated, with blackhole routes).
  virtual void set_blocks(const std::set<net::Cidr>& blocks) = 0;
};

struct AgentConfig {
  std::string node_name;
  std::string policy_table = "calico";
  std::string nat_table = "calico-nat";
  std::uint32_t route_table = 254;
  std::uint8_t route_protocol = kRouteProtocolCalicoFelix;
  BgpOptions bgp;
};

struct AgentSeams {
  RouteSink& routes;
  policy::NftCommitter& nft;
  HostNet& host;
  BgpControl& bgp;
};

struct AgentStatus {
  bool in_sync = false;     // every watch has delivered its initial list
  bool programmed = false;  // at least one complete apply() since start
  std::size_t local_endpoints = 0;
  std::size_t endpoints = 0;
  std::size_t workload_routes = 0;
  std::size_t policies = 0;
  std::size_t owned_blocks = 0;
  std::size_t bgp_peers = 0;
  std::size_t applies = 0;
  std::size_t errors = 0;  // failed apply steps since start
  std::string last_error;
  std::chrono::microseconds last_policy_apply{0};  // compute + commit of the last batch
  std::vector<std::string> bgp_warnings;
};

class Agent {
 public:
  Agent(AgentConfig config, AgentSeams seams);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // The kinds a node agent watches (BlockAffinity: this host's only).
  static const std::vector<api::Kind>& watched_kinds();

  // Reads the routes a previous run left (kept until the first complete computation).
  void start();
  void on_events(const std::vector<datastore::Event>& events);
  void on_in_sync(api::Kind kind);
  bool in_sync() const;

  struct ApplyResult {
    bool done = true;  // false: something failed or is waiting (retry later)
    std::vector<std::string> errors;
  };
  ApplyResult apply();
  bool dirty() const;
  // Periodic refresh: re-read the kernel's routes and nftables tables on the next apply.
  void force_resync();

  AgentStatus status() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace calico::felix
