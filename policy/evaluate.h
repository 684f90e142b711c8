// The reference evaluator: what Calico does with one packet, computed directly from the
// model (policy/model.h) with no indexes, sets or caching.  It is the oracle the nftables
// compiler and the real-traffic tests are checked against, so it is written to be
// obviously correct, not fast (every selector is evaluated against every endpoint).
//
//   Verdict v = evaluate(set, Packet{.src = a_ip, .dst = b_ip, .src_endpoint = a.key(),
//                                    .dst_endpoint = b.key(), .protocol = kProtoTcp,
//                                    .dst_port = 80});
//   if (!v.allowed) { std::cout << v.to_string(); }   // which direction, tier, policy, rule
//
// A packet passes the egress pipeline of its source endpoint (when the source is one of
// the set's endpoints), then the ingress pipeline of its destination endpoint (likewise);
// both must allow it.  Each pipeline is section 3.4 of the research doc:
//
//   for each tier in order (policy/model.h):
//     the tier's policies that select the endpoint and govern this direction, in order;
//     none: the tier is skipped.  Otherwise each rule in turn; the first match decides:
//       Allow -> allowed (later tiers and profiles are not consulted)
//       Deny  -> denied
//       Pass  -> continue at the next tier
//       Log   -> recorded in Verdict::logged, evaluation continues with the next rule
//     no rule matched: the tier's default action (Deny: denied, "end of tier";
//     Pass: next tier)
//   then the endpoint's profiles in the order listed, each like a one-policy tier whose
//   Pass moves on to the next profile; a profile that does not exist is skipped;
//   nothing matched: denied.
//
// How Kubernetes' default allow is modelled: exactly as Calico does it, with no special
// case here.  A pod's endpoint lists the profile kns.<namespace> (policy/convert.h
// namespace_profile), whose rules are a single Allow per direction.  When no policy selects
// the pod for a direction, every tier is skipped and that profile allows the packet
// ("not isolated").  As soon as a Kubernetes NetworkPolicy (tier default, order 1000)
// selects the pod for that direction, unmatched packets meet the default tier's end-of-tier
// Deny and never reach the profile ("isolated"; section 2.2).  An endpoint without an
// allow-all profile (a bare host or non-k8s endpoint) is therefore denied by default.
//
// Two cases bypass policy, as in the dataplane:
//   - loopback: source and destination are the same endpoint; the packet never leaves the
//     pod's network namespace (a pod cannot block traffic to itself);
//   - from_host: the destination's own node sends the packet (kubelet probes); Calico does
//     not police host -> local workload traffic with the workload's ingress policy
//     (2.9 #14).
//
// Matching (section 3.1): a rule matches when every field it has matches.
//   ipVersion: packet family.  protocol / notProtocol: packet protocol number.
//   icmp / notICMP: the packet must be ICMP (v4: 1, v6: 58); type, and code if given.
//   nets / notNets: the address is in some / none of the CIDRs.
//   selector / notSelector: the address belongs to some / no endpoint or network set the
//     selector matches (what the selector's IP set would hold: endpoint addresses, and
//     network-set CIDRs).
//   ports / notPorts: the packet carries ports (TCP, UDP, SCTP, UDPLite) and the port is in
//     some / none of the ranges or named ports.  A named port matches (address, protocol,
//     port) of an endpoint with that port name and protocol among the endpoints the same
//     side's selector matches (all endpoints without one) -- resolved per endpoint, never
//     widened to the union of numbers (2.9 #7, #8).
//   Destination fields apply to the destination address and port, source fields to the
//   source address and port.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/net/ip.h"
#include "policy/model.h"

namespace calico::policy {

struct Packet {
  net::IpAddr src;
  net::IpAddr dst;
  std::optional<EndpointKey> src_endpoint;  // egress policy of this endpoint applies
  std::optional<EndpointKey> dst_endpoint;  // ingress policy of this endpoint applies
  std::uint8_t protocol = kProtoTcp;
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  std::uint8_t icmp_type = 0;  // ICMP / ICMPv6 only
  std::uint8_t icmp_code = 0;
  bool from_host = false;  // sent by the node hosting dst_endpoint: ingress not policed
};

enum class Reason : std::uint8_t {
  Rule,              // a policy rule's Allow / Deny
  EndOfTier,         // selected by a tier, no rule matched, tier default action Deny
  Profile,           // a profile rule's Allow / Deny
  NoProfileMatched,  // every tier skipped or passed, no profile rule matched
  Loopback,          // source endpoint == destination endpoint
  FromHost,          // host -> local workload, not policed
  UnknownEndpoint,   // the packet names an endpoint that is not in the set: denied
};
std::string_view to_string(Reason r);

// The outcome of one endpoint's pipeline in one direction.
struct DirectionVerdict {
  bool allowed = false;
  Reason reason = Reason::NoProfileMatched;
  std::string tier;        // Rule, EndOfTier
  std::string policy;      // Rule: Policy::id(); Profile: the profile name
  std::int64_t rule = -1;  // Rule, Profile: index in the direction's rule list
  std::string to_string() const;
};

// A Log rule the packet matched.
struct LogEntry {
  Direction direction = Direction::Ingress;
  std::string tier;    // empty for a profile
  std::string policy;  // Policy::id() or profile name
  std::size_t rule = 0;
  bool operator==(const LogEntry&) const = default;
};

struct Verdict {
  bool allowed = false;
  std::optional<DirectionVerdict> egress;   // unset: the source is not an endpoint
  std::optional<DirectionVerdict> ingress;  // unset: the destination is not an endpoint
  std::vector<LogEntry> logged;
  std::string to_string() const;  // "allowed" / "denied by ingress: end of tier default ..."
};

Verdict evaluate(const PolicySet& set, const Packet& packet);

// One endpoint, one direction; appends matched Log rules to `logged` (may be null).
DirectionVerdict evaluate_endpoint(const PolicySet& set, const Endpoint& ep, Direction d,
                                   const Packet& packet, std::vector<LogEntry>* logged);

// The building blocks, exposed so compiler tests can compare piece by piece.
bool policy_selects(const PolicySet& set, const Policy& policy, const Endpoint& ep);
bool rule_matches(const PolicySet& set, const Rule& rule, const Packet& packet);
// Whether `addr` is in the IP set `selector` would produce.
bool selector_matches_addr(const PolicySet& set, const api::Selector& selector,
                           const net::IpAddr& addr);

}  // namespace calico::policy
