// The node agent's core (see agent.h).
#include "felix/agent.h"

#include <algorithm>

#include "felix/nat.h"
#include "policy/convert.h"

namespace calico::felix {
namespace {

using datastore::Event;
using datastore::EventType;
using datastore::Key;

bool is_policy_kind(api::Kind k) {
  switch (k) {
    case api::Kind::NetworkPolicy:
    case api::Kind::GlobalNetworkPolicy:
    case api::Kind::KubernetesNetworkPolicy:
    case api::Kind::Profile:
    case api::Kind::Tier:
    case api::Kind::NetworkSet:
    case api::Kind::GlobalNetworkSet:
    case api::Kind::WorkloadEndpoint:
      return true;
    default:
      return false;
  }
}

bool is_bgp_kind(api::Kind k) {
  return k == api::Kind::Node || k == api::Kind::BGPConfiguration || k == api::Kind::BGPPeer;
}

// True when `a` and `b` configure the speaker identically (nothing to reconfigure).
bool same_speaker_config(const BgpDerived& a, const BgpDerived& b) {
  const bgp::SpeakerConfig& x = a.config;
  const bgp::SpeakerConfig& y = b.config;
  return a.enabled == b.enabled && x.asn == y.asn && x.router_id == y.router_id &&
         x.listen_address == y.listen_address && x.listen_port == y.listen_port &&
         x.hold_time == y.hold_time && x.connect_retry == y.connect_retry &&
         x.control_socket == y.control_socket && x.cluster_id == y.cluster_id &&
         x.max_paths == y.max_paths && x.kernel == y.kernel && x.originate == y.originate &&
         x.peers == y.peers;
}

// Where a converted object went in the policy dataplane, to remove it later.
struct PolicySlot {
  api::Kind kind;
  policy::PolicyKind policy_kind = policy::PolicyKind::NetworkPolicy;
  std::string ns;
  std::string name;
};

}  // namespace

struct Agent::Impl {
  AgentConfig cfg;
  AgentSeams seams;
  Logger log{"felix"};
  std::map<Key, api::AnyResource> objects;
  std::set<api::Kind> synced;
  std::map<Key, PolicySlot> policy_slots;
  std::unique_ptr<policy::PolicyDataplane> dataplane;
  policy::CompileOptions compile_options;
  bgp::KernelSync routes;

  bool routes_dirty = true;
  bool policy_dirty = true;
  bool nat_dirty = true;
  bool bgp_dirty = true;
  bool blocks_dirty = true;
  bool felix_config_dirty = true;
  bool nat_resync = true;
  bool routes_converged = false;
  bool programmed = false;
  bool forwarding_done = false;

  std::set<net::Cidr> desired_route_dsts;
  std::map<std::string, int> configured_ifaces;  // iface -> ifindex its sysctls were set for
  std::optional<BgpDerived> last_bgp;
  std::set<net::Cidr> last_blocks;
  bool blocks_sent = false;
  policy::NftPlan nat_have;
  AgentStatus st;

  Impl(AgentConfig c, AgentSeams s)
      : cfg(std::move(c)), seams(s), routes(s.routes, cfg.route_table, cfg.route_protocol) {
    compile_options.table = cfg.policy_table;
    dataplane = std::make_unique<policy::PolicyDataplane>(seams.nft, compile_options);
  }

  template <class T>
  std::vector<const T*> all_of(api::Kind kind) const {
    std::vector<const T*> out;
    const Key lo{kind, "", ""};
    for (auto it = objects.lower_bound(lo); it != objects.end() && it->first.kind == kind; ++it) {
      if (const T* v = std::get_if<T>(&it->second)) {
        out.push_back(v);
      }
    }
    return out;
  }

  template <class T>
  const T* find(api::Kind kind, const std::string& name) const {
    auto it = objects.find(Key{kind, "", name});
    return it == objects.end() ? nullptr : std::get_if<T>(&it->second);
  }

  bool is_local(const api::WorkloadEndpoint& w) const { return w.spec.node == cfg.node_name; }

  // ---- policy ----------------------------------------------------------------------

  void record_error(const std::string& e) {
    ++st.errors;
    st.last_error = e;
  }

  void policy_remove(const Key& key) {
    auto it = policy_slots.find(key);
    if (it == policy_slots.end()) {
      return;
    }
    const PolicySlot& s = it->second;
    switch (s.kind) {
      case api::Kind::NetworkPolicy:
      case api::Kind::GlobalNetworkPolicy:
      case api::Kind::KubernetesNetworkPolicy:
        dataplane->remove_policy(s.policy_kind, s.ns, s.name);
        break;
      case api::Kind::Profile:
        dataplane->remove_profile(s.name);
        break;
      case api::Kind::Tier:
        dataplane->remove_tier(s.name);
        break;
      case api::Kind::NetworkSet:
      case api::Kind::GlobalNetworkSet:
        dataplane->remove_network_set(s.ns, s.name);
        break;
      case api::Kind::WorkloadEndpoint:
        dataplane->remove_endpoint(policy::EndpointKey{s.ns, s.name});
        break;
      default:
        break;
    }
    policy_slots.erase(it);
  }

  // Converts and upserts one object; on a conversion error the previous version stays.
  void policy_upsert(const Key& key, const api::AnyResource& r) {
    auto warn = [&](const policy::ConvertError& e) {
      log.warn("cannot use resource for policy; keeping its previous version",
               {kv("error", e.to_string())});
      record_error(e.to_string());
    };
    auto put_policy = [&](const Result<policy::Policy, policy::ConvertError>& p) {
      if (!p) {
        warn(p.error());
        return;
      }
      policy_remove(key);
      dataplane->upsert_policy(*p);
      policy_slots[key] = PolicySlot{key.kind, p->kind, p->ns, p->name};
    };
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, api::NetworkPolicy>) {
            put_policy(policy::from_network_policy(v));
          } else if constexpr (std::is_same_v<T, api::GlobalNetworkPolicy>) {
            put_policy(policy::from_global_network_policy(v));
          } else if constexpr (std::is_same_v<T, api::KubernetesNetworkPolicy>) {
            put_policy(policy::from_k8s_network_policy(v));
          } else if constexpr (std::is_same_v<T, api::Profile>) {
            auto p = policy::from_profile(v);
            if (!p) {
              return warn(p.error());
            }
            dataplane->upsert_profile(*p);
            policy_slots[key] = PolicySlot{key.kind, {}, "", p->name};
          } else if constexpr (std::is_same_v<T, api::Tier>) {
            auto t = policy::from_tier(v);
            if (!t) {
              return warn(t.error());
            }
            dataplane->upsert_tier(*t);
            policy_slots[key] = PolicySlot{key.kind, {}, "", t->name};
          } else if constexpr (std::is_same_v<T, api::NetworkSet>) {
            auto n = policy::from_network_set(v);
            if (!n) {
              return warn(n.error());
            }
            dataplane->upsert_network_set(*n);
            policy_slots[key] = PolicySlot{key.kind, {}, n->ns, n->name};
          } else if constexpr (std::is_same_v<T, api::GlobalNetworkSet>) {
            auto n = policy::from_global_network_set(v);
            if (!n) {
              return warn(n.error());
            }
            dataplane->upsert_network_set(*n);
            policy_slots[key] = PolicySlot{key.kind, {}, n->ns, n->name};
          } else if constexpr (std::is_same_v<T, api::WorkloadEndpoint>) {
            auto e = policy::from_workload_endpoint(v);
            if (!e) {
              return warn(e.error());
            }
            if (auto old = policy_slots.find(key);
                old != policy_slots.end() &&
                (old->second.ns != e->ns || old->second.name != e->name)) {
              policy_remove(key);
            }
            dataplane->upsert_endpoint(*e, is_local(v) ? v.spec.interface_name : "");
            policy_slots[key] = PolicySlot{key.kind, {}, e->ns, e->name};
          }
        },
        r);
  }

  void apply_felix_config() {
    // node.<name> overrides default, field by field.
    const auto* def = find<api::FelixConfiguration>(api::Kind::FelixConfiguration, "default");
    const auto* node =
        find<api::FelixConfiguration>(api::Kind::FelixConfiguration, "node." + cfg.node_name);
    std::string log_sev, prefix, to_host;
    for (const auto* c : {def, node}) {
      if (c == nullptr) {
        continue;
      }
      if (!c->spec.log_severity_screen.empty()) {
        log_sev = c->spec.log_severity_screen;
      }
      if (!c->spec.interface_prefix.empty()) {
        prefix = c->spec.interface_prefix;
      }
      if (!c->spec.default_endpoint_to_host_action.empty()) {
        to_host = c->spec.default_endpoint_to_host_action;
      }
    }
    if (!log_sev.empty()) {
      LogLevel level;
      std::string l = log_sev;
      std::transform(l.begin(), l.end(), l.begin(), ::tolower);
      if (l == "fatal" || l == "panic") {
        l = "error";
      } else if (l == "trace") {
        l = "debug";
      }
      if (parse_log_level(l, level)) {
        set_log_level(level);
      }
    }
    policy::CompileOptions o = compile_options;
    o.iface_prefix = prefix.empty() ? "cali" : prefix.substr(0, prefix.find(','));
    o.endpoint_to_host = policy::EndpointToHostAction::Drop;
    if (to_host == "Accept" || to_host == "ACCEPT") {
      o.endpoint_to_host = policy::EndpointToHostAction::Accept;
    } else if (to_host == "Return" || to_host == "RETURN") {
      o.endpoint_to_host = policy::EndpointToHostAction::Return;
    }
    if (o.iface_prefix != compile_options.iface_prefix ||
        o.endpoint_to_host != compile_options.endpoint_to_host) {
      log.info("policy options changed; rebuilding the policy dataplane",
               {kv("interface_prefix", o.iface_prefix)});
      compile_options = o;
      dataplane = std::make_unique<policy::PolicyDataplane>(seams.nft, compile_options);
      policy_slots.clear();
      for (const auto& [key, r] : objects) {
        if (is_policy_kind(key.kind)) {
          policy_upsert(key, r);
        }
      }
      policy_dirty = true;
    }
  }

  // ---- routes ----------------------------------------------------------------------

  // Recomputes the local workload routes; false if an interface is not there yet.
  bool compute_routes(std::vector<std::string>& errors) {
    bool complete = true;
    std::set<net::Cidr> want;
    std::set<std::string> local_ifaces;
    std::size_t locals = 0;
    for (const auto* w : all_of<api::WorkloadEndpoint>(api::Kind::WorkloadEndpoint)) {
      if (!is_local(*w)) {
        continue;
      }
      ++locals;
      const std::string& iface = w->spec.interface_name;
      local_ifaces.insert(iface);
      auto idx = seams.host.ifindex(iface);
      if (!idx) {
        complete = false;
        errors.push_back("workload " + w->metadata.ns + "/" + w->metadata.name + ": " +
                         idx.error());
        continue;
      }
      bool v6 = false;
      std::vector<net::Cidr> dsts;
      for (const auto& n : w->spec.ip_networks) {
        auto c = net::Cidr::parse_addr_or_cidr(n);
        if (!c) {
          continue;
        }
        v6 = v6 || c->family() == net::Family::V6;
        dsts.push_back(c->masked());
      }
      if (auto it = configured_ifaces.find(iface);
          it == configured_ifaces.end() || it->second != *idx) {
        if (auto r = seams.host.configure_workload_iface(iface, v6); !r) {
          complete = false;
          errors.push_back("interface " + iface + ": " + r.error());
        } else {
          configured_ifaces[iface] = *idx;
        }
      }
      for (const auto& dst : dsts) {
        if (!want.insert(dst).second) {
          log.warn("two local workloads claim one address; keeping the first",
                   {kv("address", dst.to_string()), kv("workload", w->metadata.name)});
          continue;
        }
        Route r;
        r.dst = dst;
        r.type = RouteType::Unicast;
        const net::IpAddr any = dst.family() == net::Family::V4
                                    ? net::IpAddr::v4(0)
                                    : net::IpAddr::v6(std::array<std::uint8_t, 16>{});
        r.next_hops.push_back(NextHop{any, *idx, false, 1});
        routes.set_desired(dst, r);
      }
    }
    for (const auto& old : desired_route_dsts) {
      if (want.count(old) == 0) {
        routes.set_desired(old, std::nullopt);
      }
    }
    // Interfaces of workloads that are gone: forget, so a new veth of the same name is
    // configured again.
    std::erase_if(configured_ifaces,
                  [&](const auto& entry) { return local_ifaces.count(entry.first) == 0; });
    desired_route_dsts = std::move(want);
    st.local_endpoints = locals;
    return complete;
  }

  // ---- BGP -------------------------------------------------------------------------

  void compute_bgp() {
    BgpInputs in;
    in.node_name = cfg.node_name;
    for (const auto* n : all_of<api::Node>(api::Kind::Node)) {
      in.nodes[n->metadata.name] = *n;
    }
    if (const auto* g = find<api::BGPConfiguration>(api::Kind::BGPConfiguration, "default")) {
      in.global_config = *g;
    }
    if (const auto* n =
            find<api::BGPConfiguration>(api::Kind::BGPConfiguration, "node." + cfg.node_name)) {
      in.node_config = *n;
    }
    for (const auto* p : all_of<api::BGPPeer>(api::Kind::BGPPeer)) {
      in.peers.push_back(*p);
    }
    BgpDerived d = derive_bgp_config(in, cfg.bgp);
    st.bgp_peers = d.enabled ? d.config.peers.size() : 0;
    if (last_bgp && same_speaker_config(*last_bgp, d)) {
      return;
    }
    for (const auto& w : d.warnings) {
      log.warn("BGP configuration", {kv("warning", w)});
    }
    if (!d.enabled) {
      log.warn("BGP not configured for this node", {kv("reason", d.reason)});
    } else {
      log.info("BGP configuration",
               {kv("as", d.config.asn), kv("router_id", bgp::format_router_id(d.config.router_id)),
                kv("peers", d.config.peers.size())});
    }
    st.bgp_warnings = d.warnings;
    seams.bgp.configure(d);
    last_bgp = std::move(d);
  }

  void compute_blocks() {
    std::vector<net::Cidr> no_export;
    for (const auto* p : all_of<api::IPPool>(api::Kind::IPPool)) {
      if (p->spec.disable_bgp_export) {
        if (auto c = net::Cidr::parse(p->spec.cidr)) {
          no_export.push_back(*c);
        }
      }
    }
    std::set<net::Cidr> blocks;
    for (const auto& [key, r] : objects) {
      const auto* a = std::get_if<api::BlockAffinity>(&r);
      if (a == nullptr || a->spec.node != cfg.node_name || a->spec.deleted == "true" ||
          (a->spec.type != "" && a->spec.type != "host") ||
          (a->spec.state != "" && a->spec.state != "confirmed")) {
        continue;
      }
      auto c = net::Cidr::parse(a->spec.cidr);
      if (!c) {
        continue;
      }
      const bool hidden = std::any_of(no_export.begin(), no_export.end(),
                                      [&](const net::Cidr& p) { return p.contains(*c); });
      if (!hidden) {
        blocks.insert(c->masked());
      }
    }
    st.owned_blocks = blocks.size();
    if (blocks_sent && blocks == last_blocks) {
      return;
    }
    last_blocks = blocks;
    blocks_sent = true;
    seams.bgp.set_blocks(blocks);
  }

  // ---- NAT -------------------------------------------------------------------------

  bool apply_nat(std::vector<std::string>& errors) {
    std::vector<api::IPPool> pools;
    for (const auto* p : all_of<api::IPPool>(api::Kind::IPPool)) {
      pools.push_back(*p);
    }
    policy::NftPlan want = nat_outgoing_plan(cfg.nat_table, pools);
    if (nat_resync) {
      auto have = seams.nft.read_table(cfg.nat_table);
      if (!have) {
        errors.push_back("reading nftables table " + cfg.nat_table + ": " + have.error());
        return false;
      }
      nat_have = std::move(*have);
    }
    policy::NftBatch batch = policy::diff(nat_have, want);
    if (!batch.ops.empty()) {
      if (auto r = seams.nft.commit(batch); !r) {
        nat_resync = true;
        errors.push_back("NAT-outgoing table: " + r.error());
        return false;
      }
    }
    nat_have = std::move(want);
    nat_resync = false;
    return true;
  }
};

Agent::Agent(AgentConfig config, AgentSeams seams)
    : impl_(std::make_unique<Impl>(std::move(config), seams)) {}

Agent::~Agent() = default;

const std::vector<api::Kind>& Agent::watched_kinds() {
  static const std::vector<api::Kind> kinds = {api::Kind::Node,
                                               api::Kind::BGPConfiguration,
                                               api::Kind::BGPPeer,
                                               api::Kind::IPPool,
                                               api::Kind::BlockAffinity,
                                               api::Kind::FelixConfiguration,
                                               api::Kind::Tier,
                                               api::Kind::Profile,
                                               api::Kind::NetworkPolicy,
                                               api::Kind::GlobalNetworkPolicy,
                                               api::Kind::KubernetesNetworkPolicy,
                                               api::Kind::NetworkSet,
                                               api::Kind::GlobalNetworkSet,
                                               api::Kind::WorkloadEndpoint};
  return kinds;
}

void Agent::start() {
  auto loaded = impl_->routes.load_existing();
  if (!loaded) {
    impl_->log.warn("cannot read installed workload routes", {kv("error", loaded.error())});
  } else if (*loaded > 0) {
    impl_->log.info("found workload routes of a previous run; keeping them until in sync",
                    {kv("routes", *loaded)});
  }
}

void Agent::on_events(const std::vector<Event>& events) {
  Impl& m = *impl_;
  for (const Event& e : events) {
    const Key& key = e.object.key;
    const bool deleted = e.type == EventType::Deleted;
    if (deleted) {
      m.objects.erase(key);
    } else {
      m.objects[key] = e.object.value;
    }
    if (is_policy_kind(key.kind)) {
      if (deleted) {
        m.policy_remove(key);
      } else {
        m.policy_upsert(key, e.object.value);
      }
      m.policy_dirty = true;
    }
    switch (key.kind) {
      case api::Kind::WorkloadEndpoint:
        m.routes_dirty = true;
        break;
      case api::Kind::IPPool:
        m.nat_dirty = true;
        m.blocks_dirty = true;
        break;
      case api::Kind::BlockAffinity:
        m.blocks_dirty = true;
        break;
      case api::Kind::FelixConfiguration:
        m.felix_config_dirty = true;
        break;
      default:
        break;
    }
    if (is_bgp_kind(key.kind)) {
      m.bgp_dirty = true;
    }
  }
}

void Agent::on_in_sync(api::Kind kind) {
  impl_->synced.insert(kind);
}

bool Agent::in_sync() const {
  for (auto k : watched_kinds()) {
    if (impl_->synced.count(k) == 0) {
      return false;
    }
  }
  return true;
}

bool Agent::dirty() const {
  const Impl& m = *impl_;
  return m.routes_dirty || m.policy_dirty || m.nat_dirty || m.bgp_dirty || m.blocks_dirty ||
         m.felix_config_dirty || m.routes.dirty();
}

void Agent::force_resync() {
  Impl& m = *impl_;
  m.dataplane->invalidate();
  m.policy_dirty = true;
  m.nat_resync = true;
  m.nat_dirty = true;
  m.routes_dirty = true;
  m.configured_ifaces.clear();
  if (auto loaded = m.routes.load_existing(); !loaded) {
    m.log.warn("cannot re-read workload routes", {kv("error", loaded.error())});
  }
  if (m.routes_converged) {
    m.routes.mark_converged();
  }
}

Agent::ApplyResult Agent::apply() {
  Impl& m = *impl_;
  ApplyResult res;
  if (!in_sync()) {
    res.done = false;
    return res;
  }
  ++m.st.applies;
  if (!m.forwarding_done) {
    if (auto r = m.seams.host.enable_forwarding(true); !r) {
      res.errors.push_back("enabling IP forwarding: " + r.error());
    } else {
      m.forwarding_done = true;
    }
  }
  if (m.felix_config_dirty) {
    m.apply_felix_config();
    m.felix_config_dirty = false;
  }
  if (m.policy_dirty) {
    auto r = m.dataplane->apply();
    if (!r) {
      res.errors.push_back("policy: " + r.error());
    } else {
      m.policy_dirty = false;
      m.st.last_policy_apply = r->compute + r->commit;
    }
  }
  if (m.routes_dirty) {
    std::vector<std::string> waiting;
    const bool complete = m.compute_routes(waiting);
    m.routes_dirty = !complete;
    if (!complete) {
      for (auto& w : waiting) {
        res.errors.push_back(std::move(w));
      }
    }
    if (!m.routes_converged) {
      // The first computation from a complete view decides which leftovers go.
      m.routes.mark_converged();
      m.routes_converged = true;
    }
  }
  if (m.routes.dirty()) {
    auto fr = m.routes.flush();
    for (const auto& e : fr.errors) {
      res.errors.push_back("route " + e.message);
    }
  }
  if (m.nat_dirty) {
    std::vector<std::string> errs;
    if (m.apply_nat(errs)) {
      m.nat_dirty = false;
    }
    res.errors.insert(res.errors.end(), errs.begin(), errs.end());
  }
  if (m.bgp_dirty) {
    m.compute_bgp();
    m.bgp_dirty = false;
  }
  if (m.blocks_dirty) {
    m.compute_blocks();
    m.blocks_dirty = false;
  }
  m.st.workload_routes = m.routes.installed();
  for (const auto& e : res.errors) {
    m.record_error(e);
  }
  res.done = res.errors.empty() && !dirty();
  if (res.done) {
    m.programmed = true;
  }
  return res;
}

AgentStatus Agent::status() const {
  AgentStatus s = impl_->st;
  s.in_sync = in_sync();
  s.programmed = impl_->programmed;
  s.endpoints = 0;
  s.policies = 0;
  for (const auto& [key, slot] : impl_->policy_slots) {
    if (key.kind == api::Kind::WorkloadEndpoint) {
      ++s.endpoints;
    } else if (key.kind == api::Kind::NetworkPolicy || key.kind == api::Kind::GlobalNetworkPolicy ||
               key.kind == api::Kind::KubernetesNetworkPolicy) {
      ++s.policies;
    }
  }
  return s;
}

}  // namespace calico::felix
