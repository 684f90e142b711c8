// The speaker's read side: status(), routes() and the control socket requests.
#include <algorithm>
#include <sstream>

#include "bgp/speaker/speaker.h"
#include "bgp/speaker/speaker_internal.h"

namespace calico::bgp {
namespace {

using nlohmann::json;

std::string origin_name(Origin o) {
  switch (o) {
    case Origin::Igp:
      return "igp";
    case Origin::Egp:
      return "egp";
    case Origin::Incomplete:
      return "incomplete";
  }
  return "?";
}

json families_json(const std::vector<AfiSafi>& fams) {
  json a = json::array();
  for (const auto& f : fams) {
    a.push_back(to_string(f));
  }
  return a;
}

json counts_json(const fsm::MessageCounts& c) {
  return {{"open", c.open},
          {"update", c.update},
          {"notification", c.notification},
          {"keepalive", c.keepalive},
          {"routeRefresh", c.route_refresh}};
}

json attrs_json(const PathAttributes& a) {
  json j;
  json path = json::array();
  for (const auto& seg : a.as_path.segments) {
    for (auto asn : seg.asns) {
      path.push_back(asn);
    }
  }
  j["asPath"] = path;
  j["asPathText"] = a.as_path.to_string();
  j["origin"] = origin_name(a.origin);
  if (a.next_hop) {
    j["nextHop"] = a.next_hop->to_string();
  }
  if (a.link_local_next_hop) {
    j["linkLocalNextHop"] = a.link_local_next_hop->to_string();
  }
  if (a.local_pref) {
    j["localPref"] = *a.local_pref;
  }
  if (a.med) {
    j["med"] = *a.med;
  }
  if (!a.communities.empty()) {
    json c = json::array();
    for (auto v : a.communities) {
      c.push_back(std::to_string(v >> 16) + ":" + std::to_string(v & 0xFFFF));
    }
    j["communities"] = c;
  }
  if (!a.large_communities.empty()) {
    json c = json::array();
    for (const auto& v : a.large_communities) {
      c.push_back(std::to_string(v.global_admin) + ":" + std::to_string(v.local1) + ":" +
                  std::to_string(v.local2));
    }
    j["largeCommunities"] = c;
  }
  if (a.originator_id) {
    j["originatorId"] = format_router_id(*a.originator_id);
  }
  if (!a.cluster_list.empty()) {
    json c = json::array();
    for (auto v : a.cluster_list) {
      c.push_back(format_router_id(v));
    }
    j["clusterList"] = c;
  }
  return j;
}

}  // namespace

std::optional<std::size_t> Speaker::peer_index(const net::IpAddr& address,
                                               std::uint16_t port) const {
  for (const auto& p : peers_) {
    if (p && p->cfg.address == address && p->cfg.port == port) {
      return p->index;
    }
  }
  return std::nullopt;
}

std::string Speaker::peer_state(std::size_t peer_index) const {
  if (peer_index >= peers_.size() || !peers_[peer_index] || !peers_[peer_index]->primary) {
    return "";
  }
  const Peer& p = *peers_[peer_index];
  if (p.up) {
    return "Established";
  }
  return std::string(fsm::to_string(p.primary->fsm.state()));
}

json Speaker::status() const {
  json peers = json::array();
  const auto now = timers_.now();
  // The one wall-clock read: SINCE times are shown as dates, while the speaker keeps
  // steady time, so they are converted here as their age back from the current wall
  // time (as BIRD does; a clock step moves them, the ages stay right).
  const auto wall_now = std::chrono::system_clock::now();
  for (const auto& pp : peers_) {
    if (!pp) {
      continue;
    }
    const Peer& p = *pp;
    json j;
    j["name"] = p.cfg.name;
    j["address"] = p.cfg.address.to_string();
    j["port"] = p.cfg.port;
    j["asNumber"] = p.cfg.asn;
    j["type"] = p.cfg.asn == config_.asn ? "iBGP" : "eBGP";
    j["passive"] = p.cfg.passive;
    j["routeReflectorClient"] = p.cfg.rr_client;
    j["state"] = peer_state(p.index);
    std::string err = p.last_error;
    if (p.primary && !p.primary->fsm.last_error().empty()) {
      err = p.primary->fsm.last_error();
    }
    j["lastError"] = err;
    j["establishedTransitions"] = p.established_transitions;
    const auto since = wall_now - std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                      now - p.state_since);
    j["sinceUnix"] =
        std::chrono::duration_cast<std::chrono::seconds>(since.time_since_epoch()).count();
    if (p.up && p.negotiated) {
      const auto& n = *p.negotiated;
      j["uptimeSeconds"] =
          std::chrono::duration_cast<std::chrono::seconds>(now - p.up_since).count();
      j["holdTime"] = n.hold_time.count();
      j["keepaliveTime"] = n.keepalive_time.count();
      j["peerRouterId"] = format_router_id(n.peer_router_id);
      if (p.local_address) {
        j["localAddress"] = p.local_address->to_string();
      }
      json caps;
      caps["fourOctetAs"] = n.four_octet_as;
      caps["routeRefresh"] = n.route_refresh;
      caps["enhancedRouteRefresh"] = n.enhanced_route_refresh;
      caps["extendedMessage"] = n.extended_message;
      caps["families"] = families_json(n.families);
      caps["peerGracefulRestart"] = n.peer_graceful_restart.has_value();
      if (n.peer_graceful_restart) {
        caps["peerRestartTime"] = n.peer_graceful_restart->restart_time_s;
      }
      j["capabilities"] = caps;
      json eor = json::array();
      for (const auto& f : p.eor_received) {
        eor.push_back(to_string(f));
      }
      j["endOfRibReceived"] = eor;
    }
    const auto st = adj_in_->stats(p.id);
    j["prefixes"] = {{"received", st.received},
                     {"accepted", st.accepted},
                     {"rejected", st.rejected},
                     {"withdrawn", st.withdrawn},
                     {"current", adj_in_->route_count(p.id)},
                     {"advertised", p.out ? p.out->advertised_count() : 0}};
    fsm::Counters c = p.counters_before;
    for (const Session* s : {p.primary.get(), p.secondary.get()}) {
      if (s != nullptr) {
        const auto& f = s->fsm.counters();
        c.received.open += f.received.open;
        c.received.update += f.received.update;
        c.received.notification += f.received.notification;
        c.received.keepalive += f.received.keepalive;
        c.received.route_refresh += f.received.route_refresh;
        c.sent.open += f.sent.open;
        c.sent.update += f.sent.update;
        c.sent.notification += f.sent.notification;
        c.sent.keepalive += f.sent.keepalive;
        c.sent.route_refresh += f.sent.route_refresh;
      }
    }
    j["messages"] = {{"received", counts_json(c.received)}, {"sent", counts_json(c.sent)}};
    j["errorsHandled"] = {{"treatAsWithdraw", p.treat_as_withdraw},
                          {"attributeDiscard", p.attribute_discards}};
    peers.push_back(j);
  }
  json out;
  out["asNumber"] = config_.asn;
  out["routerId"] = format_router_id(config_.router_id);
  out["routeReflector"] = config_.cluster_id.has_value();
  out["peers"] = peers;
  out["rib"] = {{"prefixes", loc_rib_->prefix_count()},
                {"paths", loc_rib_->path_count()},
                {"attributeSets", attrs_.size()},
                {"memoryBytes", loc_rib_->memory_bytes() + adj_in_->memory_bytes()}};
  if (kernel_) {
    out["kernel"] = {{"installed", kernel_->installed()},
                     {"desired", kernel_->desired()},
                     {"converged", kernel_->converged()},
                     {"errors", kernel_->errors_total()},
                     {"lastError", kernel_->last_error().value_or("")},
                     {"protocol", config_.kernel.protocol},
                     {"table", config_.kernel.table}};
  }
  return out;
}

json Speaker::routes() const {
  json arr = json::array();
  std::vector<Prefix> prefixes;
  loc_rib_->for_each_best([&](const Prefix& p, const RibPath&) { prefixes.push_back(p); });
  std::sort(prefixes.begin(), prefixes.end());
  for (const auto& prefix : prefixes) {
    json r;
    r["prefix"] = prefix.to_string();
    json paths = json::array();
    for (const auto& v : loc_rib_->routes(prefix)) {
      json pj = v.attrs ? attrs_json(*v.attrs) : json::object();
      pj["local"] = v.peer == kLocalPeerId;
      pj["best"] = v.best;
      pj["multipath"] = v.multipath;
      if (v.peer != kLocalPeerId && v.peer <= peers_.size() && peers_[v.peer - 1]) {
        pj["peer"] = peers_[v.peer - 1]->cfg.address.to_string();
        pj["peerName"] = peers_[v.peer - 1]->cfg.name;
      }
      paths.push_back(pj);
    }
    r["paths"] = paths;
    if (auto step = loc_rib_->decided_by(prefix)) {
      r["decidedBy"] = std::string(to_string(*step));
    }
    arr.push_back(r);
  }
  return {{"routes", arr}};
}

std::string Speaker::handle_control(const std::string& request) {
  std::istringstream in(request);
  std::string cmd, arg;
  in >> cmd >> arg;
  if (cmd == "status") {
    return status().dump();
  }
  if (cmd == "routes") {
    return routes().dump();
  }
  if (cmd == "announce" || cmd == "withdraw") {
    const auto cidr = net::Cidr::parse(arg, /*strict=*/true);
    if (!cidr) {
      return json{{"error", "\"" + arg + "\" is not a CIDR with host bits zero"}}.dump();
    }
    if (cmd == "announce") {
      announce(*cidr);
    } else {
      withdraw(*cidr);
    }
    return json{{"ok", true}, {cmd, cidr->to_string()}}.dump();
  }
  return json{{"error", "unknown command \"" + cmd +
                            "\" (status, routes, announce <cidr>, withdraw <cidr>)"}}
      .dump();
}

}  // namespace calico::bgp
