// The normalised policy model: what the evaluator (policy/evaluate.h) and, later, the
// nftables compiler work on.  Built from the projectcalico.org/v3 resources and Kubernetes
// NetworkPolicy by the converters in policy/convert.h.
//
// The model is Calico's "v1" view of policy (what felix sees after libcalico-go's update
// processors), not the v3 API:
//   - every selector is a single parsed api::Selector in which the namespace scoping, the
//     namespaceSelector (pcns.-prefixed) and the service-account selectors (pcsa.-prefixed)
//     have already been folded in (research doc section 1.5);
//   - a Kubernetes NetworkPolicy is already a Calico policy (knp.default.<name>, order 1000,
//     tier "default", one Allow rule per protocol and peer; section 2.10);
//   - CIDRs are parsed and masked, protocols are numbers, ports are ranges or names.
// Labels an endpoint is matched with are its effective labels: its own, the ones Calico
// adds (projectcalico.org/namespace, /orchestrator, /serviceaccount) and the labelsToApply
// of its profiles (kns.<ns> carries pcns.*, ksa.<ns>.<sa> carries pcsa.*); see
// PolicySet::effective_labels.
//
// Ordering (section 3.2): tiers by order (unset last), then name; policies inside a tier by
// order (unset last), then by the string "name/namespace/kind" as felix's PolKVLess does.
//
// Plain value types; no shared state; safe to use from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/selector.h"
#include "common/net/ip.h"

namespace calico::policy {

using Labels = std::map<std::string, std::string>;

// IANA protocol numbers the model gives names to.
inline constexpr std::uint8_t kProtoIcmp = 1;
inline constexpr std::uint8_t kProtoTcp = 6;
inline constexpr std::uint8_t kProtoUdp = 17;
inline constexpr std::uint8_t kProtoIcmpV6 = 58;
inline constexpr std::uint8_t kProtoSctp = 132;
inline constexpr std::uint8_t kProtoUdpLite = 136;

// True for the protocols whose packets carry ports (TCP, UDP, SCTP, UDPLite).
bool protocol_has_ports(std::uint8_t protocol);

// Labels and name prefixes Calico uses (research doc section 1.7).
inline constexpr std::string_view kLabelNamespace = "projectcalico.org/namespace";
inline constexpr std::string_view kLabelOrchestrator = "projectcalico.org/orchestrator";
inline constexpr std::string_view kLabelServiceAccount = "projectcalico.org/serviceaccount";
inline constexpr std::string_view kLabelName = "projectcalico.org/name";
inline constexpr std::string_view kNamespaceLabelPrefix = "pcns.";
inline constexpr std::string_view kServiceAccountLabelPrefix = "pcsa.";
inline constexpr std::string_view kNamespaceProfilePrefix = "kns.";
inline constexpr std::string_view kServiceAccountProfilePrefix = "ksa.";
inline constexpr std::string_view kOrchestratorK8s = "k8s";
// Name prefix and order Calico gives a converted Kubernetes NetworkPolicy.
inline constexpr std::string_view kK8sPolicyNamePrefix = "knp.default.";
inline constexpr double kK8sPolicyOrder = 1000.0;

enum class Action : std::uint8_t { Allow, Deny, Pass, Log };
enum class Direction : std::uint8_t { Ingress, Egress };
enum class PolicyKind : std::uint8_t {
  NetworkPolicy,
  GlobalNetworkPolicy,
  KubernetesNetworkPolicy
};

std::string_view to_string(Action a);
std::string_view to_string(Direction d);
// The kind names felix uses ("NetworkPolicy", "GlobalNetworkPolicy", "KubernetesNetworkPolicy").
std::string_view to_string(PolicyKind k);

// A failed conversion: which resource, which field, what is wrong.
//   NetworkPolicy "x/allow-web": spec.ingress[0].source.selector: unexpected ... at position 3
struct ConvertError {
  std::string resource;  // `NetworkPolicy "x/allow-web"`
  std::string field;     // dotted path with [index]; empty for the whole resource
  std::string message;
  std::string to_string() const;
  bool operator==(const ConvertError&) const = default;
};

// Inclusive port range; a single port has min == max.
struct PortRange {
  std::uint16_t min = 0;
  std::uint16_t max = 0;
  bool contains(std::uint16_t port) const { return port >= min && port <= max; }
  bool operator==(const PortRange&) const = default;
};

// A ports / notPorts list: numeric ranges plus named ports.  Empty = no constraint.
struct PortMatch {
  std::vector<PortRange> ranges;
  std::vector<std::string> names;  // resolved per endpoint (section 2.6)
  bool empty() const { return ranges.empty() && names.empty(); }
  bool operator==(const PortMatch&) const = default;
};

struct IcmpMatch {
  std::uint8_t type = 0;
  std::optional<std::uint8_t> code;  // unset: any code
  bool operator==(const IcmpMatch&) const = default;
};

// Source or destination match of a rule.  All present constraints must hold.
struct EntityMatch {
  std::vector<net::Cidr> nets;      // address in at least one (when non-empty)
  std::vector<net::Cidr> not_nets;  // address in none
  // The endpoints / network sets whose addresses match: the rule's selector,
  // namespaceSelector, serviceAccounts and the policy's namespace folded into one
  // expression (section 1.5).  Unset: no selector constraint.
  std::optional<api::Selector> selector;
  // Not namespace-scoped, never folded (section 1.5 step 5).  Unset: none.
  std::optional<api::Selector> not_selector;
  PortMatch ports;      // destination ports for `destination`, source ports for `source`
  PortMatch not_ports;  // port in none
  bool operator==(const EntityMatch&) const = default;
};

struct Rule {
  Action action = Action::Allow;
  std::optional<net::Family> ip_version;
  std::optional<std::uint8_t> protocol;
  std::optional<std::uint8_t> not_protocol;
  std::optional<IcmpMatch> icmp;
  std::optional<IcmpMatch> not_icmp;
  EntityMatch source;
  EntityMatch destination;
  bool operator==(const Rule&) const = default;
};

// Which directions a policy governs (its `types`).
struct PolicyTypes {
  bool ingress = false;
  bool egress = false;
  bool operator==(const PolicyTypes&) const = default;
};

struct Policy {
  PolicyKind kind = PolicyKind::NetworkPolicy;
  std::string ns;    // empty for GlobalNetworkPolicy
  std::string name;  // knp.default.<name> for a Kubernetes NetworkPolicy
  std::string tier = "default";
  std::optional<double> order;  // unset: after every ordered policy of the tier
  PolicyTypes types;
  // Which endpoints the policy applies to, with namespace / namespaceSelector /
  // serviceAccountSelector folded in (section 1.5).
  api::Selector selector;
  std::vector<Rule> ingress;
  std::vector<Rule> egress;
  // Kubernetes rules that could not be converted; Calico drops such a rule and keeps the
  // rest of the policy (section 2.10), which can only narrow what the policy allows.
  std::vector<ConvertError> dropped_rules;

  bool governs(Direction d) const { return d == Direction::Ingress ? types.ingress : types.egress; }
  const std::vector<Rule>& rules(Direction d) const {
    return d == Direction::Ingress ? ingress : egress;
  }
  // "ns/name" for namespaced kinds, "name" otherwise.
  std::string id() const;
  bool operator==(const Policy&) const = default;
};

// Rules applied after every tier, and labels inherited by the endpoints that list it.
struct Profile {
  std::string name;
  Labels labels_to_apply;
  std::vector<Rule> ingress;
  std::vector<Rule> egress;
  const std::vector<Rule>& rules(Direction d) const {
    return d == Direction::Ingress ? ingress : egress;
  }
  bool operator==(const Profile&) const = default;
};

struct Tier {
  std::string name;
  std::optional<double> order;           // unset: after every ordered tier
  Action default_action = Action::Deny;  // Deny or Pass: for selected, unmatched traffic
  bool operator==(const Tier&) const = default;
};

// A named container port of an endpoint (pod spec containers[].ports[]).
struct NamedPort {
  std::string name;
  std::uint8_t protocol = kProtoTcp;
  std::uint16_t port = 0;
  bool operator==(const NamedPort&) const = default;
};

struct EndpointKey {
  std::string ns;  // empty for a non-namespaced endpoint (host endpoint)
  std::string name;
  std::string to_string() const { return ns.empty() ? name : ns + "/" + name; }
  auto operator<=>(const EndpointKey&) const = default;
};

// A workload (or host) endpoint.
struct Endpoint {
  std::string ns;
  std::string name;
  Labels labels;  // its own labels (pcns.* / pcsa.* are ignored, as Calico strips them)
  std::vector<net::IpAddr> addrs;                            // IPv4 and IPv6
  std::string service_account;                               // empty: none
  std::string orchestrator = std::string(kOrchestratorK8s);  // empty: none
  std::vector<NamedPort> ports;
  std::vector<std::string> profiles;  // k8s pods: kns.<ns>, ksa.<ns>.<sa>

  EndpointKey key() const { return {ns, name}; }
  bool operator==(const Endpoint&) const = default;
};

// A NetworkSet (ns set) or GlobalNetworkSet (ns empty): labelled CIDRs that selectors match.
struct NetworkSetEntry {
  std::string ns;
  std::string name;
  Labels labels;
  std::vector<net::Cidr> nets;
  std::vector<std::string> profiles;  // a namespaced set inherits kns.<ns> like a pod
  bool operator==(const NetworkSetEntry&) const = default;
};

// Everything the evaluator needs.  Plain aggregate: fill the vectors (or use add_resource
// from policy/convert.h).  Tiers "default" (order 1e6, Deny), "kube-admin" (1000, Pass)
// and "kube-baseline" (1e7, Pass) exist implicitly unless given.  Policies of a tier that
// does not exist are not applied (felix skips invalid tiers).
struct PolicySet {
  std::vector<Tier> tiers;
  std::vector<Policy> policies;
  std::vector<Profile> profiles;
  std::vector<Endpoint> endpoints;
  std::vector<NetworkSetEntry> network_sets;

  const Endpoint* find_endpoint(const EndpointKey& key) const;
  const Profile* find_profile(std::string_view name) const;
  // Explicit tier, else a built-in one, else null.
  std::optional<Tier> find_tier(std::string_view name) const;

  // Own labels (minus pcns.* / pcsa.*), then the labels Calico adds (these override own
  // labels of the same name), then each listed profile's labelsToApply where the label is
  // not already set (own labels win; an earlier profile wins over a later one).
  Labels effective_labels(const Endpoint& ep) const;
  // Own labels plus projectcalico.org/namespace, then profile labels (namespaced sets).
  Labels effective_labels(const NetworkSetEntry& set) const;
};

// The two halves of PolicySet::effective_labels, shared with the incremental index
// (policy/label_index.h) so that both compute labels the same way.
// Own labels (minus pcns.* / pcsa.* for an endpoint), then the labels Calico adds.
Labels labels_before_profiles(const Endpoint& ep);
Labels labels_before_profiles(const NetworkSetEntry& set);
// Adds one profile's labelsToApply where the label is not already set; applied to the
// listed profiles in order, own labels and earlier profiles win.  `added` (optional)
// receives the names of the labels it added.
void inherit_labels(Labels& labels, const Labels& labels_to_apply,
                    std::vector<std::string>* added = nullptr);

// The built-in tiers (section 3.1).
std::vector<Tier> builtin_tiers();

// Section 3.2 comparators (strict weak orders).
bool tier_less(const Tier& a, const Tier& b);
bool policy_less(const Policy& a, const Policy& b);

// Every existing tier (explicit and built-in) in evaluation order.
std::vector<Tier> ordered_tiers(const PolicySet& set);
// The policies of `tier` in evaluation order.
std::vector<const Policy*> ordered_policies(const PolicySet& set, std::string_view tier);

}  // namespace calico::policy
