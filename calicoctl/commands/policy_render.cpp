// `calicoctl policy render`: documents -> policy::PolicySet -> policy::compile -> nft text.
// Contract in policy_render.h.
#include "calicoctl/commands/policy_render.h"

#include <iostream>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "api/document.h"
#include "api/kind.h"
#include "calicoctl/commands/resources.h"
#include "policy/compile.h"
#include "policy/convert.h"
#include "policy/model.h"

namespace calico::calicoctl {
namespace {

// The kinds policy::add_resource converts.
bool is_policy_input(api::Kind kind) {
  switch (kind) {
    case api::Kind::NetworkPolicy:
    case api::Kind::GlobalNetworkPolicy:
    case api::Kind::KubernetesNetworkPolicy:
    case api::Kind::Profile:
    case api::Kind::Tier:
    case api::Kind::WorkloadEndpoint:
    case api::Kind::NetworkSet:
    case api::Kind::GlobalNetworkSet:
      return true;
    default:
      return false;
  }
}

// `Kind "ns/name"`, as the converters name resources.
std::string resource_name(const api::AnyResource& r) {
  const api::ObjectMeta& meta = api::meta_of(r);
  return std::string(api::info(api::kind_of(r)).name) + " \"" +
         (meta.ns.empty() ? meta.name : meta.ns + "/" + meta.name) + "\"";
}

// Adds one document to `set` (and, for a WorkloadEndpoint on the node, to `local`).
Result<void, std::string> add_document(const Command& cmd, const std::string& file,
                                       api::AnyResource r, policy::PolicySet& set,
                                       std::vector<policy::LocalEndpoint>& local) {
  api::apply_defaults(r);
  if (auto valid = api::validate(r); !valid) {
    api::Error e = valid.error();
    e.source = file;
    return fail(e.to_string_all());
  }
  if (auto added = policy::add_resource(set, r); !added) {
    return fail(file + ": " + added.error().to_string());
  }
  const auto* wep = std::get_if<api::WorkloadEndpoint>(&r);
  if (wep == nullptr || (!cmd.node.empty() && wep->spec.node != cmd.node)) {
    return {};
  }
  if (wep->spec.interface_name.empty()) {
    const policy::ConvertError e{resource_name(r), "spec.interfaceName",
                                 "required to render a local endpoint"};
    return fail(file + ": " + e.to_string());
  }
  local.push_back({{wep->metadata.ns, wep->metadata.name}, wep->spec.interface_name});
  return {};
}

}  // namespace

Result<RenderedPolicy, std::string> render_policy(const Command& cmd, std::istream& in,
                                                  std::ostream& notes) {
  policy::PolicySet set;
  std::vector<policy::LocalEndpoint> local;
  for (const std::string& file : cmd.files) {
    auto docs = load_file(file, in);
    if (!docs) {
      return fail(docs.error());
    }
    for (api::AnyResource& r : *docs) {
      if (auto& meta = api::meta_of(r); api::info(api::kind_of(r)).namespaced && meta.ns.empty()) {
        meta.ns = cmd.ns.empty() ? "default" : cmd.ns;
      }
      if (!is_policy_input(api::kind_of(r))) {
        notes << "Skipping " << resource_name(r) << " in " << file
              << ": not a policy or endpoint resource\n";
        continue;
      }
      if (auto added = add_document(cmd, file, std::move(r), set, local); !added) {
        return fail(added.error());
      }
    }
  }
  if (local.empty()) {
    notes << "No WorkloadEndpoint" << (cmd.node.empty() ? "" : " on node " + cmd.node)
          << ": rendering the node's fixed chains only\n";
  }
  policy::CompileOptions options;
  options.table = cmd.table;
  options.iface_prefix = cmd.iface_prefix;
  RenderedPolicy out;
  auto plan = policy::compile(set, local, options, &out.origins);
  if (!plan) {
    return fail(plan.error());
  }
  out.plan = std::move(*plan);
  return out;
}

std::string format_set_members(const policy::NftPlan& plan, const policy::SetOrigins& origins) {
  std::string out = "# Sets of table inet " + plan.table + ", one member per line\n";
  for (const auto& [name, set] : plan.sets) {
    std::string types;
    for (const policy::NftType t : set.key) {
      types += (types.empty() ? "" : " . ") + std::string(policy::nft_type_name(t));
    }
    // As the compiler listed them (one per endpoint address or network): the ruleset above
    // shows them merged into canonical ranges.
    const std::set<policy::NftKey>& members = set.elements;
    const auto origin = origins.find(name);
    out.append("# set ").append(name).append(" (").append(types).append(", ");
    out += std::to_string(members.size());
    out += members.size() == 1 ? " member)" : " members)";
    if (origin != origins.end()) {
      out += ": " + origin->second;
    }
    out += "\n";
    for (const policy::NftKey& k : members) {
      out += "#   " + policy::format_key(set.key, k) + "\n";
    }
  }
  return out;
}

int run_policy_render(const Command& cmd, std::istream& in, std::ostream& out, std::ostream& err) {
  auto rendered = render_policy(cmd, in, err);
  if (!rendered) {
    err << "Failed to render policy: " << rendered.error() << "\n";
    return 1;
  }
  out << policy::to_nft_text(rendered->plan) << "\n"
      << format_set_members(rendered->plan, rendered->origins);
  return 0;
}

}  // namespace calico::calicoctl
