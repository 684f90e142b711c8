// `calicoctl policy render`: the nftables ruleset felix would program on one node for the
// policy documents in some files, without a datastore or a kernel.  A debug command.
//
//   calicoctl policy render -f policy.yaml -f pods.yaml --node node-1
//
// Loads NetworkPolicy, GlobalNetworkPolicy, Kubernetes NetworkPolicy (networking.k8s.io/v1),
// Profile, Tier, WorkloadEndpoint, NetworkSet and GlobalNetworkSet documents (defaults
// applied and validated like `calicoctl apply`, then converted by policy::add_resource);
// other kinds are skipped with a note on stderr.  There is no Namespace kind: a namespace's
// labels come from its Profile kns.<ns>, as Calico's Kubernetes datastore synthesises it.
// The local endpoints are the WorkloadEndpoints of --node (every one if no --node), each
// with its spec.interfaceName as the host-side interface.  Everything is rendered by
// policy::compile (options --table, --iface-prefix).
//
// Output (stdout), loadable as a whole by `nft -f`:
//   1. the ruleset: policy::to_nft_text(plan);
//   2. a comment section listing each set and its members, one per line, as the compiler
//      produced them (each endpoint address, each network), before the merging of
//      adjacent ranges that the ruleset shows; each set's header names the selector (or
//      named port of a selector) it stands for, as policy::compile reports it.
// Errors (stderr, exit 1) name the file, the resource and the field:
//   policy.yaml: NetworkPolicy "ns1/web": spec.ingress[0].source.selector: ...
#pragma once

#include <iosfwd>
#include <string>

#include "calicoctl/commands/cli.h"
#include "common/result.h"
#include "policy/compile.h"
#include "policy/nft_model.h"

namespace calico::calicoctl {

struct RenderedPolicy {
  policy::NftPlan plan;
  policy::SetOrigins origins;  // set name -> "selector (...)"
};

// Loads cmd.files and renders the plan for cmd.node (pure apart from reading the files;
// `in` serves "-f -"; skipped documents are noted on `notes`).  Errors are one message
// naming file, resource and field.
Result<RenderedPolicy, std::string> render_policy(const Command& cmd, std::istream& in,
                                                  std::ostream& notes);

// The set section: "# set NAME (TYPE, N members): ORIGIN" (": ORIGIN" when known), then
// one "#   MEMBER" line each.
std::string format_set_members(const policy::NftPlan& plan, const policy::SetOrigins& origins);

// render_policy, then prints the plan and its sets; returns the exit code.
int run_policy_render(const Command& cmd, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace calico::calicoctl
