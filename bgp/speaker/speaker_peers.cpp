// Live reconfiguration of the speaker (see "Live reconfiguration" and "Peer slots" in
// speaker.h): the originated set, the peer set and the peer slots' life cycle.
#include <algorithm>

#include "bgp/fsm/negotiation.h"
#include "bgp/speaker/speaker.h"
#include "bgp/speaker/speaker_internal.h"

namespace calico::bgp {

fsm::SessionConfig Speaker::session_config(const PeerConfig& cfg) const {
  fsm::SessionConfig s;
  s.local_as = config_.asn;
  s.local_router_id = config_.router_id;
  s.peer_as = cfg.asn;
  s.hold_time = cfg.hold_time;
  s.connect_retry_time = cfg.connect_retry;
  s.passive = cfg.passive;
  s.capabilities = fsm::SessionConfig::default_capabilities();
  s.capabilities.multiprotocol = cfg.families;
  s.capabilities.route_refresh = true;
  return s;
}

std::size_t Speaker::add_peer(const PeerConfig& cfg) {
  auto p = std::make_unique<Peer>();
  p->index = peers_.size();
  // PeerIds follow the never-reused slots, so an id never names two peers.
  p->id = static_cast<PeerId>(p->index + 1);
  p->cfg = cfg;
  p->log = Logger("bgp").with("peer", cfg.name);
  p->scfg = session_config(cfg);
  p->state_since = timers_.now();
  peers_.push_back(std::move(p));
  return peers_.size() - 1;
}

void Speaker::start_peer(std::size_t peer_index) {
  Peer& p = *peers_[peer_index];
  p.primary = make_session(peer_index);
  feed(peer_index, p.primary->sid, fsm::ManualStart{});
}

void Speaker::set_originated(const std::set<Prefix>& prefixes) {
  std::set<Prefix> want;
  for (const auto& p : prefixes) {
    want.insert(p.masked());
  }
  if (!started_) {
    config_.originate.assign(want.begin(), want.end());
    return;
  }
  const std::set<Prefix> have = originated_;
  std::size_t withdrawn = 0;
  std::size_t announced = 0;
  for (const auto& p : have) {
    if (want.count(p) == 0) {
      withdraw(p);
      ++withdrawn;
    }
  }
  for (const auto& p : want) {
    if (have.count(p) == 0) {
      announce(p);
      ++announced;
    }
  }
  config_.originate.assign(want.begin(), want.end());
  if (withdrawn + announced > 0) {
    log_.info("originated blocks changed",
              {kv("announced", announced), kv("withdrawn", withdrawn), kv("total", want.size())});
  }
}

// ---- Live peer reconfiguration ------------------------------------------------------

Result<Speaker::PeerSetChange, std::string> Speaker::set_peers(std::vector<PeerConfig> peers) {
  if (shutting_down_) {
    return fail(std::string("the speaker is shutting down"));
  }
  // Validate everything first: a bad list changes nothing.
  for (std::size_t i = 0; i < peers.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (same_peer(peers[i], peers[j])) {
        return fail("peer " + peers[i].address.to_string() + " port " +
                    std::to_string(peers[i].port) + " is listed twice");
      }
    }
    if (auto v = fsm::validate_config(session_config(peers[i])); !v) {
      return fail("peer " + peers[i].name + ": " + v.error());
    }
  }
  PeerSetChange change;
  // Slot each new entry keeps (npos: gets a new slot), and whether it replaces a reset one.
  constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  std::vector<std::size_t> kept(peers.size(), kNone);
  std::vector<bool> replaces(peers.size(), false);
  // Removed and changed peers go down first.  remove_peer() never adds slots, so the
  // bound is stable while it runs.
  const std::size_t slots = peers_.size();
  for (std::size_t i = 0; i < slots; ++i) {
    if (!peers_[i]) {
      continue;
    }
    Peer& p = *peers_[i];
    const auto it = std::find_if(peers.begin(), peers.end(),
                                 [&](const PeerConfig& c) { return same_peer(c, p.cfg); });
    if (it == peers.end()) {
      p.log.info("peer removed from the configuration");
      remove_peer(i, cease::kPeerDeconfigured);
      ++change.removed;
      continue;
    }
    const auto n = static_cast<std::size_t>(it - peers.begin());
    if (peer_needs_reset(p.cfg, *it)) {
      p.log.info("peer settings changed; resetting the session");
      remove_peer(i, cease::kOtherConfigurationChange);
      replaces[n] = true;
      ++change.reset;
      continue;
    }
    kept[n] = i;
    if (p.cfg == *it) {
      ++change.unchanged;
      continue;
    }
    // Only the display name and the connect-retry time differ: applied in place.
    if (p.cfg.name != it->name) {
      p.log.info("peer renamed", {kv("name", it->name)});
      p.log = Logger("bgp").with("peer", it->name);
    }
    p.scfg.connect_retry_time = it->connect_retry;
    for (Session* s : {p.primary.get(), p.secondary.get()}) {
      if (s != nullptr) {
        s->fsm.set_connect_retry_time(it->connect_retry);
      }
    }
    p.cfg = *it;
    ++change.updated;
  }
  // The current set, in slot order (kept peers keep their place, the rest are appended).
  std::vector<std::size_t> fresh;
  for (std::size_t n = 0; n < peers.size(); ++n) {
    if (kept[n] == kNone) {
      fresh.push_back(add_peer(peers[n]));
      if (!replaces[n]) {
        ++change.added;
      }
    }
  }
  config_.peers.clear();
  for (const auto& p : peers_) {
    if (p) {
      config_.peers.push_back(p->cfg);
    }
  }
  // The listener learns new keys before a new peer can connect to us.
  net_.set_peers(config_.peers);
  if (started_) {
    for (const auto i : fresh) {
      start_peer(i);
    }
    check_convergence();  // a removed peer no longer holds the kernel back
  }
  if (change.added + change.removed + change.reset + change.updated > 0) {
    log_.info("peers reconfigured",
              {kv("added", change.added), kv("removed", change.removed), kv("reset", change.reset),
               kv("updated", change.updated), kv("unchanged", change.unchanged)});
  }
  return change;
}

Result<Speaker::PeerSetChange, std::string> Speaker::reconfigure(const SpeakerConfig& next) {
  if (auto why = restart_reason(config_, next)) {
    return fail(*why + " changed: restart the speaker to apply it");
  }
  auto change = set_peers(next.peers);
  if (!change) {
    return change;
  }
  set_originated(std::set<Prefix>(next.originate.begin(), next.originate.end()));
  return change;
}

void Speaker::remove_peer(std::size_t peer_index, std::uint8_t cease_subcode) {
  Peer& p = *peers_[peer_index];
  // Cease on whatever connection each session has (none: it just stops); an Established
  // session reports SessionDown, which withdraws the peer's routes everywhere.
  for (Session* s : {p.secondary.get(), p.primary.get()}) {
    if (s != nullptr) {
      feed(peer_index, s->sid, fsm::ManualStop{cease_subcode, ""});
    }
  }
  if (p.primary && p.primary->connecting) {
    net_.cancel_connect(peer_index);
  }
  for (auto* s : {&p.secondary, &p.primary}) {
    if (*s) {
      discard_session(p, *s);
    }
  }
  session_down(p, "peer removed");  // no-op unless still up
  adj_in_->forget_peer(p.id);
  peer_table_.erase(p.id);
  peers_[peer_index].reset();
}

}  // namespace calico::bgp
