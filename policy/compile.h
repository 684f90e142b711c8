// The policy compiler: the model (policy/model.h) rendered into the nftables plan
// (policy/nft_model.h) for the endpoints local to this node.
//
//   std::vector<LocalEndpoint> local{{{"x", "a"}, "cali1a2b3c4d5e6"}};
//   auto plan = compile(set, local);          // one inet table "calico"
//   committer.commit(diff(committer.read_table("calico"), *plan));
//
// Layout (research doc 4.3-4.8, adapted to one inet table):
//   filter-FORWARD  hook forward, filter, priority 0, policy accept:
//     ct state established,related accept; ct state invalid drop;
//     clear our mark bits;
//     iifname vmap @from-wl      ("cali1..." : jump fw-cali1...)  egress of the sender
//     iifname "cali*" drop       unknown workload interface (fail closed)
//     oifname vmap @to-wl        ("cali1..." : jump tw-cali1...)  ingress of the receiver
//     oifname "cali*" drop
//   filter-INPUT    hook input: workload -> host: ICMPv6 neighbour discovery accepted,
//     then the sender's egress policy (from-wl), then the endpoint-to-host action.
//   filter-OUTPUT   hook output: host -> local workload is not policed (accept).
//   fw-<iface> / tw-<iface>   one chain per local endpoint and direction (4.6): per tier
//     with policies for it: clear pass; jump each policy chain unless pass is set; return
//     if accept is set; end-of-tier drop unless pass is set (tier default Deny).  Then each
//     profile chain; return if accept is set.  Then drop.
//   pi-<id> / po-<id>  a policy's ingress / egress rules, shared by every endpoint it
//     selects (<id> = np/<ns>/<name>, gnp/<name>, knp/<ns>/<name>); pri-/pro-<profile>.
//     Allow: set the accept mark and return.  Pass: set the pass mark and return.
//     Deny: drop.  Log: log (prefix "calico-<pi|po>...") and go on.  A rule that needs an
//     OR (numeric and named ports; a notICMP with a code) gets a sub-chain <chain>-r<n>.
//   Sets: s4-<h> / s6-<h> (ipv4_addr / ipv6_addr, interval): the addresses a selector
//     matches (endpoint /32 and /128, network-set CIDRs); n4-<h> / n6-<h> (addr .
//     inet_proto . inet_service): the named port <name> of the endpoints a selector
//     matches.  <h> hashes the canonical selector (and the port name), so every rule with
//     the same selector shares one set, and a label change only changes set elements.
// Rules with an address match (nets, selector, named ports) are rendered once per IP family
// that can match; others once, for both families.
//
// Pure; no kernel access.  The result passes validate().
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/result.h"
#include "policy/model.h"
#include "policy/nft_model.h"

namespace calico::policy {

enum class EndpointToHostAction : std::uint8_t { Drop, Return, Accept };

struct CompileOptions {
  std::string table = "calico";
  // Host-side names of workload interfaces ("cali" + 11 hex characters from the CNI
  // plugin).  Packets from or to an interface with this prefix that has no endpoint are
  // dropped.
  std::string iface_prefix = "cali";
  // What happens to workload -> host traffic after the endpoint's egress policy allowed it
  // (FelixConfiguration defaultEndpointToHostAction; Calico's default is Drop).
  EndpointToHostAction endpoint_to_host = EndpointToHostAction::Drop;
  bool drop_invalid = true;  // ct state invalid drop
  std::uint32_t mark_accept = 0x10000;
  std::uint32_t mark_pass = 0x20000;
};

// An endpoint hosted on this node and the host side of its veth.
struct LocalEndpoint {
  EndpointKey key;
  std::string iface;
};

// Where each set of a compiled plan comes from, for the debug output:
// "s4-0123456789abcdef" -> "selector (app == \"web\")", "n4-..." -> "named port web of
// selector all()".
using SetOrigins = std::map<std::string, std::string>;

// Renders the policy for `local` (each key must name an endpoint of `set`).  Errors name
// the endpoint or policy that could not be rendered.  `origins`, if given, receives the
// origin of every set.
Result<NftPlan, std::string> compile(const PolicySet& set, const std::vector<LocalEndpoint>& local,
                                     const CompileOptions& options = {},
                                     SetOrigins* origins = nullptr);

}  // namespace calico::policy
