// Converters from the projectcalico.org/v3 resources and Kubernetes NetworkPolicy into the
// normalised model of policy/model.h, following libcalico-go (research doc sections 1.5,
// 1.7, 2.10, 3.2).
//
//   auto pol = from_k8s_network_policy(knp);       // knp.default.<name>, order 1000
//   if (!pol) { log(pol.error().to_string()); }    // names the resource and the field
//
// Selector folding (section 1.5), applied to every policy and rule:
//   NetworkPolicy in ns N    selector := (<spec.selector>) && projectcalico.org/namespace == 'N'
//                            [&& (<pcsa.-prefixed serviceAccountSelector>)]
//   GlobalNetworkPolicy      selector := <spec.selector> [&& (<pcns.-prefixed namespaceSelector>)]
//                            [&& (<pcsa.-prefixed serviceAccountSelector>)]; with a namespace
//                            (service-account) selector every all() becomes
//                            has(projectcalico.org/namespace) (.../serviceaccount)
//   rule source/destination  ns part := pcns.-prefixed namespaceSelector with all() ->
//                            has(projectcalico.org/namespace) and global() ->
//                            !has(projectcalico.org/namespace); else, in a namespaced
//                            policy, projectcalico.org/namespace == '<ns>'.
//                            endpoint part := serviceAccounts (names as
//                            projectcalico.org/serviceaccount in {...}, selector
//                            pcsa.-prefixed) && selector.
//                            The ns part is added only when selector, serviceAccounts,
//                            notSelector or namespaceSelector is used: a rule with only
//                            nets/ports matches any address.  notSelector stays separate.
// Calico does this on text (strings.Replace); we do it on the parsed tree, which differs
// only for a quoted value that itself contains "all()".
//
// Not modelled (conversion fails naming the field): rule `services` and `http` matches.
// Both need state this model does not have (Service endpoints; an L7 proxy).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "api/resources.h"
#include "common/result.h"
#include "policy/model.h"

namespace calico::policy {

// Calico NetworkPolicy.  `types` and `tier` default as Calico's client does when absent.
Result<Policy, ConvertError> from_network_policy(const api::NetworkPolicy& np);
Result<Policy, ConvertError> from_global_network_policy(const api::GlobalNetworkPolicy& gnp);

// Kubernetes NetworkPolicy -> Calico NetworkPolicy, as K8sNetworkPolicyToCalico (2.10):
//   - the input is first defaulted as the Kubernetes API server does (port protocol TCP;
//     policyTypes = Ingress, plus Egress when there are egress rules), so a document that
//     did not pass through an API server behaves as in a cluster;
//   - name knp.default.<name>, order 1000, tier default, types from policyTypes ([Ingress]
//     if none);
//   - spec.selector = pod selector with projectcalico.org/orchestrator == 'k8s';
//   - each k8s rule becomes one Allow rule per (protocol, peer): ports grouped by protocol,
//     a port entry without `port` means every port of its protocol and is never narrowed by
//     another entry (2.9 #2), numeric ports merged into ranges, endPort -> port:endPort,
//     named ports kept by name; a rule without ports is protocol-less;
//   - a peer: ipBlock -> nets [cidr] + notNets except on that rule only (2.9 #5);
//     otherwise selector = pod selector (orchestrator clause; absent = every pod) and
//     namespaceSelector = namespace selector ({} -> all(); absent -> the policy's ns).
// A rule that cannot be converted is dropped and recorded in `dropped` (Calico keeps the
// rest of the policy; dropping an Allow rule only narrows it).
Result<api::NetworkPolicy, ConvertError> k8s_network_policy_to_calico(
    const api::KubernetesNetworkPolicy& knp, std::vector<ConvertError>* dropped = nullptr);
// The above, then from_network_policy; kind KubernetesNetworkPolicy; dropped rules are in
// Policy::dropped_rules.
Result<Policy, ConvertError> from_k8s_network_policy(const api::KubernetesNetworkPolicy& knp);

// Calico SimplifyPorts: named ports first (input order), then the numeric ports merged
// into the fewest ranges, ascending.  [80, 81, 82, 9090, "foo"] -> ["foo", 80:82, 9090].
std::vector<api::Port> simplify_ports(const std::vector<api::Port>& ports);

Result<Profile, ConvertError> from_profile(const api::Profile& profile);
Result<Tier, ConvertError> from_tier(const api::Tier& tier);
// ipNetworks become addresses; ports without a name are dropped (felix ignores them).
Result<Endpoint, ConvertError> from_workload_endpoint(const api::WorkloadEndpoint& wep);
// A namespaced set inherits the kns.<ns> profile (namespace labels), as libcalico-go does.
Result<NetworkSetEntry, ConvertError> from_network_set(const api::NetworkSet& set);
Result<NetworkSetEntry, ConvertError> from_global_network_set(const api::GlobalNetworkSet& set);

// The profiles Calico synthesises for Kubernetes (NamespaceToProfile,
// ServiceAccountToProfile):
//   kns.<ns>: labelsToApply pcns.<k> for each namespace label plus
//             pcns.projectcalico.org/name = <ns>; one Allow rule per direction.  This
//             allow-all profile is how an endpoint that no policy selects in a direction
//             gets Kubernetes' "not isolated" default allow (section 3.4).
//   ksa.<ns>.<sa>: labelsToApply pcsa.<k> plus pcsa.projectcalico.org/name = <sa>; no rules.
Profile namespace_profile(std::string_view ns, const Labels& namespace_labels);
Profile service_account_profile(std::string_view ns, std::string_view sa,
                                const Labels& service_account_labels);
std::string namespace_profile_name(std::string_view ns);
std::string service_account_profile_name(std::string_view ns, std::string_view sa);

// Converts `r` and adds it to `set` (NetworkPolicy, GlobalNetworkPolicy, Kubernetes
// NetworkPolicy, Profile, Tier, WorkloadEndpoint, NetworkSet, GlobalNetworkSet).  Other
// kinds are an error.  `set` is unchanged on error.
Result<void, ConvertError> add_resource(PolicySet& set, const api::AnyResource& r);

}  // namespace calico::policy
