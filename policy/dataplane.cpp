// PolicyDataplane (policy/dataplane.h).
//
// compute() turns the pending model changes into changes of the desired plan, recording a
// snapshot of every chain, set and map element it touches; the transaction is then
// diff(snapshot, new versions of the touched objects), so its size follows the change, not
// the plan.
#include "policy/dataplane.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "policy/compile_internal.h"

namespace calico::policy {

using namespace compile_detail;

namespace {

constexpr std::array<Direction, 2> kDirections{Direction::Ingress, Direction::Egress};

std::size_t dir_index(Direction d) {
  return d == Direction::Ingress ? 0 : 1;
}

std::string owner_key(char kind, const std::string& id, Direction d) {
  return std::string(1, kind) + (d == Direction::Ingress ? "i:" : "e:") + id;
}

std::string selector_id(const std::string& pid) {
  return "p:" + pid;
}

NftKey member_key(const SetMember& m, bool named) {
  if (!named) {
    return {NftValue::cidr(m.cidr)};
  }
  return {NftValue::addr(m.cidr.addr()), NftValue::proto(m.protocol), NftValue::port(m.port)};
}

std::chrono::microseconds since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                               start);
}

}  // namespace

struct PolicyDataplane::Impl {
  Impl(NftCommitter& c, CompileOptions opts) : committer(c), options(std::move(opts)) {
    render_static(plan, options);
  }

  NftCommitter& committer;
  CompileOptions options;

  // ---- Model
  std::map<std::string, Tier> tiers;
  std::map<std::string, Policy> policies;  // by policy_id()
  std::map<std::string, Profile> profiles;
  std::map<EndpointKey, Endpoint> endpoints;
  std::map<EndpointKey, std::string> local;  // local endpoint -> interface
  LabelIndex index;

  // ---- Derived
  std::map<std::string, std::set<EndpointKey>> policy_endpoints;  // pid -> local endpoints
  std::map<EndpointKey, std::set<std::string>> endpoint_policies;
  std::map<std::string, std::set<EndpointKey>> profile_users;  // profile -> local endpoints
  struct Owned {
    std::vector<std::string> chains;
    std::vector<SetRef> sets;
  };
  std::map<std::string, Owned> rendered;  // owner_key -> its chains and sets
  std::map<std::string, std::pair<SetRef, std::size_t>> set_refs;
  struct RenderedEndpoint {
    std::string iface;
    std::array<Pipeline, 2> pipelines;
  };
  std::map<EndpointKey, RenderedEndpoint> rendered_endpoints;
  NftPlan plan;

  // ---- Pending work
  std::set<std::string> dirty_policies;
  std::set<std::string> dirty_profiles;
  std::set<EndpointKey> dirty_endpoints;
  bool tiers_dirty = false;

  // ---- The transaction being built: the old version of everything touched.
  NftPlan before;
  std::set<std::string> touched_chains;
  std::set<std::string> touched_sets;
  std::map<std::string, std::set<NftKey>> touched_map_keys;
  NftBatch pending;  // computed but not yet committed
  bool synced = false;

  // ---- Snapshots
  void touch_chain(const std::string& name) {
    if (!touched_chains.insert(name).second) {
      return;
    }
    if (auto it = plan.chains.find(name); it != plan.chains.end()) {
      before.chains[name] = it->second;
    }
  }
  void touch_set(const std::string& name) {
    if (!touched_sets.insert(name).second) {
      return;
    }
    if (auto it = plan.sets.find(name); it != plan.sets.end()) {
      before.sets[name] = it->second;
    }
  }
  void touch_map_key(const std::string& map, const NftKey& key) {
    if (!touched_map_keys[map].insert(key).second) {
      return;
    }
    const NftMap& m = plan.maps.at(map);
    NftMap& b = before.maps[map];
    b.name = map;
    b.key = m.key;
    if (auto it = m.elements.find(key); it != m.elements.end()) {
      b.elements[key] = it->second;
    }
  }

  // ---- Sets
  void ref_set(const SetRef& ref) {
    auto [it, inserted] = set_refs.try_emplace(ref.name, ref, 0);
    if (++it->second.second == 1) {
      touch_set(ref.name);
      plan.sets[ref.name] = declare_set(ref);
      index.add_ip_set(ref.name, IpSetSpec{ref.selector, ref.named_port});
    }
  }
  void unref_set(const std::string& name) {
    auto it = set_refs.find(name);
    if (it == set_refs.end() || --it->second.second > 0) {
      return;
    }
    set_refs.erase(it);
    touch_set(name);
    plan.sets.erase(name);
    index.remove_ip_set(name);
  }

  // ---- Chains of policies and profiles
  void render_owner(const std::string& owner, RenderedChains rc) {
    Owned& o = rendered[owner];
    std::set<std::string> names;
    for (auto& c : rc.chains) {
      names.insert(c.name);
      touch_chain(c.name);
      std::string name = c.name;
      plan.chains[name] = std::move(c);
    }
    for (const auto& name : o.chains) {
      if (names.count(name) == 0) {
        touch_chain(name);
        plan.chains.erase(name);
      }
    }
    for (const auto& s : rc.sets) {
      ref_set(s);
    }
    for (const auto& s : o.sets) {
      unref_set(s.name);
    }
    o.chains.assign(names.begin(), names.end());
    o.sets = std::move(rc.sets);
  }
  void unrender_owner(const std::string& owner) {
    auto it = rendered.find(owner);
    if (it == rendered.end()) {
      return;
    }
    for (const auto& name : it->second.chains) {
      touch_chain(name);
      plan.chains.erase(name);
    }
    for (const auto& s : it->second.sets) {
      unref_set(s.name);
    }
    rendered.erase(it);
  }

  void refresh_policy(const std::string& pid, bool content_changed) {
    auto p = policies.find(pid);
    auto eps = policy_endpoints.find(pid);
    const bool active = p != policies.end() && eps != policy_endpoints.end() &&
                        !eps->second.empty() && find_tier(p->second.tier).has_value();
    for (const Direction d : kDirections) {
      const std::string owner = owner_key('P', pid, d);
      if (!active || !p->second.governs(d)) {
        unrender_owner(owner);
      } else if (content_changed || rendered.count(owner) == 0) {
        render_owner(owner,
                     render_rules(policy_chain_name(p->second, d), p->second.rules(d), options));
      }
    }
  }

  void refresh_profile(const std::string& name, bool content_changed) {
    auto p = profiles.find(name);
    auto users = profile_users.find(name);
    const bool active =
        p != profiles.end() && users != profile_users.end() && !users->second.empty();
    for (const Direction d : kDirections) {
      const std::string owner = owner_key('R', name, d);
      if (!active) {
        unrender_owner(owner);
      } else if (content_changed || rendered.count(owner) == 0) {
        render_owner(owner, render_rules(profile_chain_name(name, d), p->second.rules(d), options));
      }
    }
  }

  // Forgets that local endpoint `key` lists `names` (no-op for a remote endpoint).
  void drop_profile_uses(const EndpointKey& key, const std::vector<std::string>& names) {
    for (const auto& p : names) {
      auto users = profile_users.find(p);
      if (users != profile_users.end() && users->second.erase(key) != 0 && users->second.empty()) {
        dirty_profiles.insert(p);
      }
    }
  }

  // ---- Endpoint chains
  std::optional<Tier> find_tier(const std::string& name) const {
    if (auto it = tiers.find(name); it != tiers.end()) {
      return it->second;
    }
    for (const Tier& t : builtin_tiers()) {
      if (t.name == name) {
        return t;
      }
    }
    return std::nullopt;
  }

  Pipeline pipeline(const Endpoint& ep, Direction d) const {
    std::vector<std::pair<Tier, std::vector<const Policy*>>> by_tier;
    if (auto it = endpoint_policies.find(ep.key()); it != endpoint_policies.end()) {
      for (const std::string& pid : it->second) {
        const Policy& p = policies.at(pid);
        if (!p.governs(d)) {
          continue;
        }
        std::optional<Tier> tier = find_tier(p.tier);
        if (!tier) {
          continue;  // policies of a tier that does not exist are not applied
        }
        auto slot = std::find_if(by_tier.begin(), by_tier.end(),
                                 [&](const auto& e) { return e.first.name == tier->name; });
        if (slot == by_tier.end()) {
          by_tier.emplace_back(*tier, std::vector<const Policy*>{});
          slot = std::prev(by_tier.end());
        }
        slot->second.push_back(&p);
      }
    }
    std::sort(by_tier.begin(), by_tier.end(),
              [](const auto& a, const auto& b) { return tier_less(a.first, b.first); });
    Pipeline out;
    for (auto& [tier, ps] : by_tier) {
      std::sort(ps.begin(), ps.end(),
                [](const Policy* a, const Policy* b) { return policy_less(*a, *b); });
      TierSection section{tier.name, tier.default_action, {}};
      for (const Policy* p : ps) {
        section.policy_chains.push_back(policy_chain_name(*p, d));
      }
      out.tiers.push_back(std::move(section));
    }
    for (const std::string& name : ep.profiles) {
      if (profiles.count(name) != 0) {
        out.profile_chains.push_back(profile_chain_name(name, d));
      }
    }
    return out;
  }

  void set_dispatch(const std::string& iface, bool present) {
    const NftKey key = dispatch_key(iface);
    for (const Direction d : kDirections) {
      const std::string map = d == Direction::Ingress ? kToWlMap : kFromWlMap;
      touch_map_key(map, key);
      if (present) {
        plan.maps.at(map).elements[key] = dispatch_verdict(iface, d);
      } else {
        plan.maps.at(map).elements.erase(key);
      }
    }
  }

  void unrender_endpoint(const EndpointKey& key) {
    auto it = rendered_endpoints.find(key);
    if (it == rendered_endpoints.end()) {
      return;
    }
    set_dispatch(it->second.iface, false);
    for (const Direction d : kDirections) {
      const std::string name = endpoint_chain_name(it->second.iface, d);
      touch_chain(name);
      plan.chains.erase(name);
    }
    rendered_endpoints.erase(it);
  }

  void refresh_endpoint(const EndpointKey& key) {
    auto l = local.find(key);
    auto ep = endpoints.find(key);
    if (l == local.end() || ep == endpoints.end()) {
      unrender_endpoint(key);
      return;
    }
    if (auto r = rendered_endpoints.find(key);
        r != rendered_endpoints.end() && r->second.iface != l->second) {
      unrender_endpoint(key);
    }
    auto [it, fresh] = rendered_endpoints.try_emplace(key);
    it->second.iface = l->second;
    for (const Direction d : kDirections) {
      Pipeline p = pipeline(ep->second, d);
      Pipeline& have = it->second.pipelines[dir_index(d)];
      if (!fresh && p == have) {
        continue;
      }
      NftChain chain = render_endpoint_chain(l->second, d, p, options);
      touch_chain(chain.name);
      std::string name = chain.name;
      plan.chains[name] = std::move(chain);
      have = std::move(p);
    }
    if (fresh) {
      set_dispatch(l->second, true);
    }
  }

  // ---- The whole step
  void compute() {
    std::set<std::string> policies_to_check;
    for (const auto& d : index.take_match_deltas()) {
      const std::string pid = d.selector_id.substr(2);
      if (d.matched) {
        policy_endpoints[pid].insert(d.endpoint);
        endpoint_policies[d.endpoint].insert(pid);
      } else {
        policy_endpoints[pid].erase(d.endpoint);
        endpoint_policies[d.endpoint].erase(pid);
      }
      dirty_endpoints.insert(d.endpoint);
      policies_to_check.insert(pid);
    }
    for (const auto& pid : dirty_policies) {
      refresh_policy(pid, true);
      policies_to_check.erase(pid);
    }
    if (tiers_dirty) {
      for (const auto& [pid, policy] : policies) {
        policies_to_check.insert(pid);
      }
    }
    for (const auto& pid : policies_to_check) {
      refresh_policy(pid, false);
    }
    for (const auto& name : dirty_profiles) {
      refresh_profile(name, true);
    }
    if (tiers_dirty) {
      for (const auto& [key, iface] : local) {
        dirty_endpoints.insert(key);
      }
    }
    for (const auto& key : dirty_endpoints) {
      refresh_endpoint(key);
    }
    for (const auto& d : index.take_member_deltas()) {
      auto it = plan.sets.find(d.set_id);
      if (it == plan.sets.end()) {
        continue;
      }
      touch_set(d.set_id);
      const bool named = it->second.key.size() > 1;
      const net::Family family =
          it->second.key.front() == NftType::Ipv4Addr ? net::Family::V4 : net::Family::V6;
      // The index keeps one membership per selector; each family has its own set.
      for (const auto& m : d.removed) {
        if (m.cidr.family() == family) {
          it->second.elements.erase(member_key(m, named));
        }
      }
      for (const auto& m : d.added) {
        if (m.cidr.family() == family) {
          it->second.elements.insert(member_key(m, named));
        }
      }
    }
    dirty_policies.clear();
    dirty_profiles.clear();
    dirty_endpoints.clear();
    tiers_dirty = false;
    if (synced) {
      append_batch();
    } else {
      clear_touched();  // the next apply() diffs the whole plan against the kernel anyway
    }
  }

  void clear_touched() {
    before = NftPlan{};
    touched_chains.clear();
    touched_sets.clear();
    touched_map_keys.clear();
  }

  // Appends diff(before, after) of the touched objects to `pending`.
  void append_batch() {
    if (touched_chains.empty() && touched_sets.empty() && touched_map_keys.empty()) {
      return;
    }
    NftPlan after;
    after.table = before.table = plan.table;
    for (const auto& name : touched_chains) {
      if (auto it = plan.chains.find(name); it != plan.chains.end()) {
        after.chains[name] = it->second;
      }
    }
    for (const auto& name : touched_sets) {
      if (auto it = plan.sets.find(name); it != plan.sets.end()) {
        after.sets[name] = it->second;
      }
    }
    for (const auto& [map, keys] : touched_map_keys) {
      const NftMap& m = plan.maps.at(map);
      NftMap& a = after.maps[map];
      a.name = map;
      a.key = m.key;
      for (const auto& k : keys) {
        if (auto it = m.elements.find(k); it != m.elements.end()) {
          a.elements[k] = it->second;
        }
      }
      NftMap& b = before.maps[map];
      b.name = map;
      b.key = m.key;
    }
    NftBatch batch = diff(before, after);
    pending.table = plan.table;
    for (auto& op : batch.ops) {
      pending.ops.push_back(std::move(op));
    }
    clear_touched();
  }

  Result<ApplyStats, std::string> apply() {
    ApplyStats stats;
    auto start = std::chrono::steady_clock::now();
    compute();
    stats.compute = since(start);
    start = std::chrono::steady_clock::now();
    if (!synced) {
      stats.full_resync = true;
      auto have = committer.read_table(plan.table);
      if (!have) {
        return fail("reading table " + plan.table + ": " + have.error());
      }
      pending = diff(*have, plan);
    }
    stats.ops = pending.ops.size();
    if (!pending.empty()) {
      if (auto ok = committer.commit(pending); !ok) {
        synced = false;
        pending = NftBatch{};
        return fail(ok.error());
      }
    }
    pending = NftBatch{};
    synced = true;
    stats.commit = since(start);
    return stats;
  }
};

PolicyDataplane::PolicyDataplane(NftCommitter& committer, CompileOptions options)
    : impl_(std::make_unique<Impl>(committer, std::move(options))) {}

PolicyDataplane::~PolicyDataplane() = default;

void PolicyDataplane::upsert_tier(const Tier& tier) {
  impl_->tiers[tier.name] = tier;
  impl_->tiers_dirty = true;
}

void PolicyDataplane::remove_tier(const std::string& name) {
  impl_->tiers.erase(name);
  impl_->tiers_dirty = true;
}

void PolicyDataplane::upsert_policy(const Policy& policy) {
  const std::string pid = policy_id(policy);
  auto& slot = impl_->policies[pid];
  const bool selector_changed = slot.selector != policy.selector || slot.name.empty();
  const bool order_changed =
      slot.order != policy.order || slot.tier != policy.tier || slot.types != policy.types;
  slot = policy;
  if (selector_changed) {
    impl_->index.add_endpoint_selector(selector_id(pid), policy.selector);
  }
  impl_->dirty_policies.insert(pid);
  if (order_changed) {
    // Endpoints it already selects get their chains re-ordered.
    if (auto it = impl_->policy_endpoints.find(pid); it != impl_->policy_endpoints.end()) {
      impl_->dirty_endpoints.insert(it->second.begin(), it->second.end());
    }
  }
}

void PolicyDataplane::remove_policy(PolicyKind kind, const std::string& ns,
                                    const std::string& name) {
  Policy key;
  key.kind = kind;
  key.ns = ns;
  key.name = name;
  const std::string pid = policy_id(key);
  if (impl_->policies.erase(pid) == 0) {
    return;
  }
  impl_->index.remove_endpoint_selector(selector_id(pid));
  if (auto it = impl_->policy_endpoints.find(pid); it != impl_->policy_endpoints.end()) {
    for (const auto& ep : it->second) {
      impl_->endpoint_policies[ep].erase(pid);
      impl_->dirty_endpoints.insert(ep);
    }
    impl_->policy_endpoints.erase(it);
  }
  impl_->dirty_policies.insert(pid);
}

void PolicyDataplane::upsert_profile(const Profile& profile) {
  const bool existed = impl_->profiles.count(profile.name) != 0;
  impl_->profiles[profile.name] = profile;
  impl_->index.upsert_profile(profile.name, profile.labels_to_apply);
  impl_->dirty_profiles.insert(profile.name);
  if (!existed) {
    if (auto it = impl_->profile_users.find(profile.name); it != impl_->profile_users.end()) {
      impl_->dirty_endpoints.insert(it->second.begin(), it->second.end());
    }
  }
}

void PolicyDataplane::remove_profile(const std::string& name) {
  if (impl_->profiles.erase(name) == 0) {
    return;
  }
  impl_->index.remove_profile(name);
  impl_->dirty_profiles.insert(name);
  if (auto it = impl_->profile_users.find(name); it != impl_->profile_users.end()) {
    impl_->dirty_endpoints.insert(it->second.begin(), it->second.end());
  }
}

void PolicyDataplane::upsert_endpoint(const Endpoint& endpoint, const std::string& local_iface) {
  const EndpointKey key = endpoint.key();
  if (auto it = impl_->endpoints.find(key); it != impl_->endpoints.end()) {
    impl_->drop_profile_uses(key, it->second.profiles);
  }
  impl_->local.erase(key);
  impl_->endpoints[key] = endpoint;
  impl_->index.upsert_endpoint(endpoint, !local_iface.empty());
  if (!local_iface.empty()) {
    impl_->local[key] = local_iface;
    for (const auto& p : endpoint.profiles) {
      auto& users = impl_->profile_users[p];
      if (users.insert(key).second && users.size() == 1) {
        impl_->dirty_profiles.insert(p);
      }
    }
  }
  impl_->dirty_endpoints.insert(key);
}

void PolicyDataplane::remove_endpoint(const EndpointKey& key) {
  auto it = impl_->endpoints.find(key);
  if (it == impl_->endpoints.end()) {
    return;
  }
  impl_->drop_profile_uses(key, it->second.profiles);
  impl_->local.erase(key);
  impl_->endpoints.erase(it);
  impl_->index.remove_endpoint(key);
  impl_->dirty_endpoints.insert(key);
}

void PolicyDataplane::upsert_network_set(const NetworkSetEntry& set) {
  impl_->index.upsert_network_set(set);
}

void PolicyDataplane::remove_network_set(const std::string& ns, const std::string& name) {
  impl_->index.remove_network_set(ns, name);
}

Result<ApplyStats, std::string> PolicyDataplane::apply() {
  return impl_->apply();
}

void PolicyDataplane::compute() {
  impl_->compute();
}

const NftPlan& PolicyDataplane::plan() const {
  return impl_->plan;
}

SetOrigins PolicyDataplane::set_origins() const {
  SetOrigins out;
  for (const auto& [name, ref] : impl_->set_refs) {
    out[name] = set_origin(ref.first);
  }
  return out;
}

void PolicyDataplane::invalidate() {
  impl_->synced = false;
}

}  // namespace calico::policy
