// compile(): the whole plan for a PolicySet (policy/compile.h), and the fixed and
// per-endpoint chains (policy/compile_internal.h).
#include "policy/compile.h"

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "policy/compile_internal.h"
#include "policy/evaluate.h"

namespace calico::policy {

namespace compile_detail {

namespace {

NftRule rule_of(std::vector<NftExpr> matches, NftVerdict verdict, std::string comment = {}) {
  NftRule r;
  r.matches = std::move(matches);
  r.verdict = std::move(verdict);
  r.comment = std::move(comment);
  return r;
}

NftMatch iface_prefix(NftField field, const CompileOptions& o) {
  return NftMatch::eq(field, NftValue::ifname(o.iface_prefix + "*"));
}

NftMarkMatch mark_clear(std::uint32_t bits) {
  return NftMarkMatch{bits, 0, false};
}

NftMarkMatch mark_set(std::uint32_t bits) {
  return NftMarkMatch{bits, 0, true};
}

}  // namespace

void render_static(NftPlan& plan, const CompileOptions& o) {
  plan.table = o.table;
  const NftCtStateMatch established{kNftCtEstablished | kNftCtRelated};

  NftChain& fwd =
      plan.add_chain(kForwardChain, NftBaseChain{NftHook::Forward, NftChainType::Filter, 0, false});
  fwd.rules.push_back(rule_of({established}, NftVerdict::accept()));
  fwd.rules.push_back(rule_of({iface_prefix(NftField::Iifname, o)},
                              NftVerdict::jump(kFromWlDispatch), "from workload"));
  fwd.rules.push_back(rule_of({iface_prefix(NftField::Oifname, o)}, NftVerdict::jump(kToWlDispatch),
                              "to workload"));

  NftChain& in =
      plan.add_chain(kInputChain, NftBaseChain{NftHook::Input, NftChainType::Filter, 0, false});
  in.rules.push_back(rule_of({established}, NftVerdict::accept()));
  in.rules.push_back(rule_of({iface_prefix(NftField::Iifname, o)}, NftVerdict::go_to(kWlToHost),
                             "workload to host"));

  NftChain& out =
      plan.add_chain(kOutputChain, NftBaseChain{NftHook::Output, NftChainType::Filter, 0, false});
  out.rules.push_back(rule_of({established}, NftVerdict::accept()));
  out.rules.push_back(rule_of({iface_prefix(NftField::Oifname, o)}, NftVerdict::accept(),
                              "host to workload is not policed"));

  // Workload -> host: neighbour discovery first (a pod must resolve its gateway whatever
  // its egress policy says), then the pod's egress policy, then the configured action.
  NftChain& to_host = plan.add_chain(kWlToHost);
  to_host.rules.push_back(
      rule_of({NftMatch::in(NftField::Icmpv6Type,
                            {NftValue::proto(130), NftValue::proto(131), NftValue::proto(132),
                             NftValue::proto(133), NftValue::proto(135), NftValue::proto(136)})},
              NftVerdict::accept(), "neighbour discovery"));
  to_host.rules.push_back(rule_of({}, NftVerdict::jump(kFromWlDispatch)));
  switch (o.endpoint_to_host) {
    case EndpointToHostAction::Drop:
      to_host.rules.push_back(rule_of({}, NftVerdict::drop(), "endpoint to host: drop"));
      break;
    case EndpointToHostAction::Accept:
      to_host.rules.push_back(rule_of({}, NftVerdict::accept(), "endpoint to host: accept"));
      break;
    case EndpointToHostAction::Return:
      break;
  }

  plan.add_map(kFromWlMap, {NftType::Ifname});
  plan.add_map(kToWlMap, {NftType::Ifname});
  for (const auto& [chain, map, field] :
       {std::tuple{kFromWlDispatch, kFromWlMap, NftField::Iifname},
        std::tuple{kToWlDispatch, kToWlMap, NftField::Oifname}}) {
    NftChain& dispatch = plan.add_chain(chain);
    NftRule vmap;
    vmap.dispatch = NftDispatch{field, map};
    dispatch.rules.push_back(std::move(vmap));
    dispatch.rules.push_back(rule_of({}, NftVerdict::drop(), "unknown workload interface"));
  }
}

NftKey dispatch_key(std::string_view iface) {
  return {NftValue::ifname(iface)};
}

NftVerdict dispatch_verdict(std::string_view iface, Direction d) {
  return NftVerdict::go_to(endpoint_chain_name(iface, d));
}

NftChain render_endpoint_chain(std::string_view iface, Direction d, const Pipeline& p,
                               const CompileOptions& o) {
  NftChain chain{endpoint_chain_name(iface, d), std::nullopt, {}};
  auto& rules = chain.rules;
  if (o.drop_invalid) {
    rules.push_back(rule_of({NftCtStateMatch{kNftCtInvalid}}, NftVerdict::drop()));
  }
  NftRule clear;
  clear.mark_set = NftMarkSet{o.mark_accept | o.mark_pass, 0};
  rules.push_back(std::move(clear));
  bool first_tier = true;
  for (const TierSection& tier : p.tiers) {
    if (!first_tier) {
      NftRule start;
      start.mark_set = NftMarkSet{o.mark_pass, 0};
      start.comment = "tier " + tier.tier;
      rules.push_back(std::move(start));
    }
    first_tier = false;
    bool first_policy = true;
    for (const std::string& policy_chain : tier.policy_chains) {
      std::vector<NftExpr> guard;
      if (!first_policy) {
        guard.emplace_back(mark_clear(o.mark_pass));
      }
      first_policy = false;
      rules.push_back(rule_of(std::move(guard), NftVerdict::jump(policy_chain)));
      rules.push_back(rule_of({mark_set(o.mark_accept)}, NftVerdict::ret()));
    }
    if (tier.default_action == Action::Deny) {
      rules.push_back(
          rule_of({mark_clear(o.mark_pass)}, NftVerdict::drop(), "end of tier " + tier.tier));
    }
  }
  for (const std::string& profile_chain : p.profile_chains) {
    rules.push_back(rule_of({}, NftVerdict::jump(profile_chain)));
    rules.push_back(rule_of({mark_set(o.mark_accept)}, NftVerdict::ret()));
  }
  rules.push_back(rule_of({}, NftVerdict::drop(), "no profile matched"));
  return chain;
}

}  // namespace compile_detail

namespace {

using namespace compile_detail;

// Set members computed directly from the model (the incremental dataplane uses the label
// index instead; both follow policy/evaluate.h).
class SetFiller {
 public:
  explicit SetFiller(const PolicySet& set) : set_(set) {
    endpoint_labels_.reserve(set.endpoints.size());
    for (const auto& ep : set.endpoints) {
      endpoint_labels_.push_back(set.effective_labels(ep));
    }
    netset_labels_.reserve(set.network_sets.size());
    for (const auto& ns : set.network_sets) {
      netset_labels_.push_back(set.effective_labels(ns));
    }
  }

  void fill(const SetRef& ref, NftSet& out) const {
    for (std::size_t i = 0; i < set_.endpoints.size(); ++i) {
      const Endpoint& ep = set_.endpoints[i];
      if (!ref.selector.evaluate(endpoint_labels_[i])) {
        continue;
      }
      for (const auto& addr : ep.addrs) {
        if (addr.family() != ref.family) {
          continue;
        }
        if (ref.named_port.empty()) {
          out.elements.insert({NftValue::addr(addr)});
          continue;
        }
        for (const auto& port : ep.ports) {
          if (port.name == ref.named_port) {
            out.elements.insert(
                {NftValue::addr(addr), NftValue::proto(port.protocol), NftValue::port(port.port)});
          }
        }
      }
    }
    if (!ref.named_port.empty()) {
      return;
    }
    for (std::size_t i = 0; i < set_.network_sets.size(); ++i) {
      if (!ref.selector.evaluate(netset_labels_[i])) {
        continue;
      }
      for (const auto& net : set_.network_sets[i].nets) {
        if (net.family() == ref.family) {
          out.elements.insert({NftValue::cidr(net)});
        }
      }
    }
  }

 private:
  const PolicySet& set_;
  std::vector<Labels> endpoint_labels_;
  std::vector<Labels> netset_labels_;
};

}  // namespace

Result<NftPlan, std::string> compile(const PolicySet& set, const std::vector<LocalEndpoint>& local,
                                     const CompileOptions& options, SetOrigins* origins) {
  NftPlan plan;
  render_static(plan, options);
  std::vector<SetRef> sets;
  const auto take = [&](RenderedChains&& rendered) {
    for (auto& c : rendered.chains) {
      std::string name = c.name;
      plan.chains[name] = std::move(c);
    }
    for (auto& s : rendered.sets) {
      if (std::find(sets.begin(), sets.end(), s) == sets.end()) {
        sets.push_back(std::move(s));
      }
    }
  };

  const std::vector<Tier> tiers = ordered_tiers(set);
  std::set<std::string> rendered_policies;
  std::set<std::string> rendered_profiles;
  std::set<std::string> ifaces;
  for (const LocalEndpoint& le : local) {
    const Endpoint* ep = set.find_endpoint(le.key);
    if (ep == nullptr) {
      return fail("local endpoint " + le.key.to_string() + ": no such endpoint");
    }
    if (le.iface.empty() || le.iface.size() > 15) {
      return fail("local endpoint " + le.key.to_string() + ": bad interface name '" + le.iface +
                  "'");
    }
    if (!ifaces.insert(le.iface).second) {
      return fail("local endpoint " + le.key.to_string() + ": interface " + le.iface +
                  " is used by another endpoint");
    }
    for (const Direction d : {Direction::Ingress, Direction::Egress}) {
      Pipeline pipeline;
      for (const Tier& tier : tiers) {
        TierSection section{tier.name, tier.default_action, {}};
        for (const Policy* p : ordered_policies(set, tier.name)) {
          if (!p->governs(d) || !policy_selects(set, *p, *ep)) {
            continue;
          }
          std::string chain = policy_chain_name(*p, d);
          if (rendered_policies.insert(chain).second) {
            take(render_rules(chain, p->rules(d), options));
          }
          section.policy_chains.push_back(std::move(chain));
        }
        if (!section.policy_chains.empty()) {
          pipeline.tiers.push_back(std::move(section));
        }
      }
      for (const std::string& name : ep->profiles) {
        const Profile* profile = set.find_profile(name);
        if (profile == nullptr) {
          continue;  // a profile that does not exist is skipped (as in the evaluator)
        }
        std::string chain = profile_chain_name(name, d);
        if (rendered_profiles.insert(chain).second) {
          take(render_rules(chain, profile->rules(d), options));
        }
        pipeline.profile_chains.push_back(std::move(chain));
      }
      NftChain chain = render_endpoint_chain(le.iface, d, pipeline, options);
      std::string name = chain.name;
      plan.chains[name] = std::move(chain);
      NftMap& map = plan.maps[d == Direction::Ingress ? kToWlMap : kFromWlMap];
      map.elements[dispatch_key(le.iface)] = dispatch_verdict(le.iface, d);
    }
  }

  const SetFiller filler(set);
  for (const SetRef& ref : sets) {
    NftSet s = declare_set(ref);
    filler.fill(ref, s);
    plan.sets[s.name] = std::move(s);
    if (origins != nullptr) {
      (*origins)[ref.name] = set_origin(ref);
    }
  }
  if (auto ok = validate(plan); !ok) {
    return fail("rendered plan is invalid: " + ok.error());
  }
  return plan;
}

}  // namespace calico::policy
