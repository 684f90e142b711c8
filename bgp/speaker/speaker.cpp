// The speaker glue (see speaker.h for the data flow and the collision handling):
// construction, start/shutdown, FSM glue, network events, RIB propagation and the kernel.
// Live reconfiguration is in speaker_peers.cpp, status and the control socket in
// speaker_status.cpp.
#include "bgp/speaker/speaker.h"

#include <algorithm>

#include "bgp/fsm/collision.h"
#include "bgp/fsm/negotiation.h"
#include "bgp/speaker/speaker_internal.h"

namespace calico::bgp {
namespace {

constexpr std::chrono::seconds kConvergenceDeadline{30};
// A peer that does not send End-of-RIB (BIRD without graceful restart) counts as having
// sent its table this long after the session came up.
constexpr std::chrono::seconds kPeerSettleTime{5};
constexpr std::chrono::milliseconds kKernelRetryMin{500};
constexpr std::chrono::milliseconds kKernelRetryMax{30000};

std::optional<MessageType> type_from_error(const DecodeError& e) {
  switch (e.code) {
    case ErrorCode::OpenMessage:
      return MessageType::Open;
    case ErrorCode::UpdateMessage:
      return MessageType::Update;
    case ErrorCode::RouteRefresh:
      return MessageType::RouteRefresh;
    default:
      return std::nullopt;
  }
}

}  // namespace

Speaker::Speaker(SpeakerConfig config, TimerService& timers, NetworkIo& net, RouteSink* kernel)
    : config_(std::move(config)), timers_(timers), net_(net), log_(Logger("bgp")) {
  adj_in_ = std::make_unique<AdjRibIn>(attrs_);
  LocRib::Options opts;
  opts.max_paths = static_cast<std::size_t>(std::max(1, config_.max_paths));
  loc_rib_ = std::make_unique<LocRib>(peer_table_, attrs_, opts);
  if (kernel != nullptr) {
    kernel_ = std::make_unique<KernelSync>(*kernel, config_.kernel.table, config_.kernel.protocol);
  }
  for (const auto& cfg : config_.peers) {
    add_peer(cfg);
  }
}

Speaker::~Speaker() {
  for (auto& p : peers_) {
    if (!p) {
      continue;
    }
    for (Session* s : {p->primary.get(), p->secondary.get()}) {
      if (s == nullptr) {
        continue;
      }
      for (auto& t : s->timers) {
        if (t != 0) {
          timers_.cancel(t);
        }
      }
    }
  }
  if (kernel_timer_ != 0) {
    timers_.cancel(kernel_timer_);
  }
  if (converge_timer_ != 0) {
    timers_.cancel(converge_timer_);
  }
  for (const auto& [seq, t] : settle_timers_) {
    timers_.cancel(t);
  }
}

Result<void, std::string> Speaker::start() {
  for (const auto& p : peers_) {
    if (!p) {
      continue;
    }
    auto v = fsm::validate_config(p->scfg);
    if (!v) {
      return fail("peer " + p->cfg.name + ": " + v.error());
    }
  }
  started_ = true;
  started_at_ = timers_.now();
  if (kernel_) {
    auto loaded = kernel_->load_existing();
    if (!loaded) {
      log_.warn("cannot read installed routes; starting from an empty FIB view",
                {kv("error", loaded.error())});
    } else if (*loaded > 0) {
      log_.info("found routes of a previous run; keeping them until convergence",
                {kv("routes", *loaded)});
    }
  }
  for (const auto& prefix : config_.originate) {
    announce(prefix);
  }
  converge_timer_ = timers_.start(kConvergenceDeadline, [this] {
    converge_timer_ = 0;
    if (kernel_ && !kernel_->converged()) {
      log_.info("convergence deadline passed; removing stale kernel routes");
      kernel_->mark_converged();
      schedule_kernel_flush(std::chrono::milliseconds(0));
    }
  });
  net_.set_peers(config_.peers);
  for (std::size_t i = 0; i < peers_.size(); ++i) {
    if (peers_[i]) {
      start_peer(i);
    }
  }
  check_convergence();
  return {};
}

void Speaker::shutdown(const std::string& communication) {
  shutting_down_ = true;
  for (auto& p : peers_) {
    if (!p) {
      continue;
    }
    for (Session* s : {p->primary.get(), p->secondary.get()}) {
      if (s != nullptr) {
        feed(p->index, s->sid, fsm::ManualStop{cease::kAdministrativeShutdown, communication});
      }
    }
  }
}

std::unique_ptr<Speaker::Session> Speaker::make_session(std::size_t peer_index) {
  return std::make_unique<Session>(++next_sid_, peers_[peer_index]->scfg);
}

Speaker::Peer* Speaker::peer_by_index(std::size_t i) {
  return i < peers_.size() ? peers_[i].get() : nullptr;
}

Speaker::Session* Speaker::session_by_id(std::size_t peer_index, std::uint64_t sid) {
  Peer* p = peer_by_index(peer_index);
  return p != nullptr ? p->session(sid) : nullptr;
}

void Speaker::feed(std::size_t peer_index, std::uint64_t sid, const fsm::Event& ev) {
  Session* s = session_by_id(peer_index, sid);
  if (s == nullptr) {
    return;
  }
  const auto before = s->fsm.state();
  const auto actions = s->fsm.handle(ev);
  Peer& p = *peers_[peer_index];
  const bool state_changed = s->fsm.state() != before;
  const bool was_up = p.up;
  if (state_changed) {
    p.log.debug("state change",
                {kv("from", fsm::to_string(before)), kv("to", fsm::to_string(s->fsm.state())),
                 kv("event", fsm::event_name(ev))});
  }
  for (const auto& a : actions) {
    execute(peer_index, sid, a);
  }
  // Only a state change moves what status() shows: UPDATEs and KEEPALIVEs (the hot path)
  // skip the comparison.
  if (Peer* q = peer_by_index(peer_index); q != nullptr && (state_changed || q->up != was_up)) {
    q->note_state(peer_state(peer_index), timers_.now());
  }
}

void Speaker::close_connection(Session& s) {
  if (s.connecting) {
    s.connecting = false;
  }
  if (s.conn) {
    conns_.erase(s.conn->id());
    s.conn->close();
    s.conn.reset();
  }
  s.framer = MessageFramer();
  s.codec = CodecOptions();
}

void Speaker::send_message(Session& s, const Message& m) {
  if (!s.conn) {
    return;
  }
  auto bytes = encode_message(m, s.codec);
  if (!bytes) {
    log_.error("cannot encode message",
               {kv("type", to_string(type_of(m))), kv("error", bytes.error())});
    return;
  }
  s.conn->send(std::move(*bytes));
}

void Speaker::execute(std::size_t peer_index, std::uint64_t sid, const fsm::Action& action) {
  Session* s = session_by_id(peer_index, sid);
  if (s == nullptr) {
    return;
  }
  Peer& p = *peers_[peer_index];
  std::visit(
      [&](const auto& a) {
        using A = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<A, fsm::ConnectTcp>) {
          s->connecting = true;
          net_.connect(peer_index, p.cfg);
        } else if constexpr (std::is_same_v<A, fsm::CloseTcp>) {
          if (s->connecting && s == p.primary.get()) {
            net_.cancel_connect(peer_index);
          }
          close_connection(*s);
        } else if constexpr (std::is_same_v<A, fsm::SendOpen>) {
          send_message(*s, a.open);
        } else if constexpr (std::is_same_v<A, fsm::SendKeepalive>) {
          send_message(*s, Keepalive{});
        } else if constexpr (std::is_same_v<A, fsm::SendNotification>) {
          p.log.warn("sending NOTIFICATION", {kv("notification", a.notification.to_string())});
          send_message(*s, a.notification);
        } else if constexpr (std::is_same_v<A, fsm::StartTimer>) {
          auto& slot = s->timers[static_cast<std::size_t>(a.timer)];
          if (slot != 0) {
            timers_.cancel(slot);
          }
          const auto kind = a.timer;
          slot = timers_.start(std::chrono::duration_cast<std::chrono::milliseconds>(a.duration),
                               [this, peer_index, sid, kind] {
                                 if (Session* t = session_by_id(peer_index, sid)) {
                                   t->timers[static_cast<std::size_t>(kind)] = 0;
                                 }
                                 feed(peer_index, sid, fsm::TimerExpires{kind});
                                 promote_if_needed(peer_index);
                               });
        } else if constexpr (std::is_same_v<A, fsm::StopTimer>) {
          auto& slot = s->timers[static_cast<std::size_t>(a.timer)];
          if (slot != 0) {
            timers_.cancel(slot);
            slot = 0;
          }
        } else if constexpr (std::is_same_v<A, fsm::SessionUp>) {
          session_up(p, *s, a.negotiated);
        } else if constexpr (std::is_same_v<A, fsm::SessionDown>) {
          session_down(p, a.reason);
        } else if constexpr (std::is_same_v<A, fsm::ProcessUpdate>) {
          if (s->pending_update) {
            apply_update(p, *s->pending_update);
          }
        } else if constexpr (std::is_same_v<A, fsm::ProcessRouteRefresh>) {
          if (s->pending_refresh && p.up && p.up_sid == sid) {
            send_full_table(p, s->pending_refresh->af);
          }
        }
      },
      action);
}

void Speaker::discard_session(Peer& p, std::unique_ptr<Session>& s) {
  for (auto& t : s->timers) {
    if (t != 0) {
      timers_.cancel(t);
      t = 0;
    }
  }
  close_connection(*s);
  p.counters_before.received.open += s->fsm.counters().received.open;
  p.counters_before.received.update += s->fsm.counters().received.update;
  p.counters_before.received.keepalive += s->fsm.counters().received.keepalive;
  p.counters_before.received.notification += s->fsm.counters().received.notification;
  p.counters_before.sent.open += s->fsm.counters().sent.open;
  p.counters_before.sent.update += s->fsm.counters().sent.update;
  p.counters_before.sent.keepalive += s->fsm.counters().sent.keepalive;
  p.counters_before.sent.notification += s->fsm.counters().sent.notification;
  s.reset();
}

void Speaker::promote_if_needed(std::size_t peer_index) {
  Peer* p = peer_by_index(peer_index);
  if (p == nullptr) {
    return;
  }
  auto discard = [&](std::unique_ptr<Session>& s) { discard_session(*p, s); };
  if (p->secondary) {
    const auto st = p->secondary->fsm.state();
    const bool live = st == fsm::State::OpenSent || st == fsm::State::OpenConfirm ||
                      st == fsm::State::Established;
    if (!live) {
      discard(p->secondary);
    } else if (p->primary && p->primary->fsm.state() == fsm::State::Idle && !shutting_down_) {
      // The primary lost the collision: the peer's connection carries on as primary.
      if (!p->primary->fsm.last_error().empty()) {
        p->last_error = p->primary->fsm.last_error();
      }
      discard(p->primary);
      p->primary = std::move(p->secondary);
    }
  }
  p->note_state(peer_state(peer_index), timers_.now());
}

bool Speaker::resolve_collision(std::size_t peer_index, std::uint64_t sid, const Open& open) {
  Peer& p = *peers_[peer_index];
  Session* self = p.session(sid);
  Session* other = self == p.primary.get() ? p.secondary.get() : p.primary.get();
  if (self == nullptr || other == nullptr) {
    return true;
  }
  if (!fsm::negotiate(self->fsm.config(), open)) {
    return true;  // the FSM rejects the OPEN itself
  }
  const auto verdict = fsm::check_collision(self->fsm, other->fsm, open.bgp_id, open.asn());
  if (verdict == fsm::CollisionVerdict::CloseThis) {
    p.log.info("connection collision: closing the new connection");
    feed(peer_index, sid, fsm::OpenCollisionDump{});
    return false;
  }
  if (verdict == fsm::CollisionVerdict::CloseOther) {
    p.log.info("connection collision: closing the older connection");
    feed(peer_index, other->sid, fsm::OpenCollisionDump{});
  }
  return true;
}

void Speaker::process_messages(std::size_t peer_index, std::uint64_t sid) {
  // Bounded by what is buffered: each iteration consumes one message or stops.
  for (;;) {
    Session* s = session_by_id(peer_index, sid);
    if (s == nullptr || !s->conn) {
      return;
    }
    auto next = s->framer.next(s->codec);
    if (!next) {
      return;
    }
    Peer& p = *peers_[peer_index];
    if (!*next) {
      const DecodeError e = next->error();
      p.log.warn("malformed message", {kv("error", e.to_string())});
      feed(peer_index, sid, fsm::decode_error_event(e, type_from_error(e)));
      continue;
    }
    Decoded d = std::move(**next);
    for (const auto& e : d.soft_errors) {
      p.log.warn("UPDATE error handled per RFC 7606", {kv("error", e.to_string())});
    }
    if (d.action == ErrorAction::TreatAsWithdraw) {
      ++p.treat_as_withdraw;
    } else if (d.action == ErrorAction::AttributeDiscard) {
      ++p.attribute_discards;
    }
    if (auto* open = std::get_if<Open>(&d.message)) {
      if (resolve_collision(peer_index, sid, *open)) {
        feed(peer_index, sid, fsm::BgpOpen{*open});
      }
    } else if (std::holds_alternative<Update>(d.message)) {
      s->pending_update = std::move(d);
      feed(peer_index, sid, fsm::UpdateMsg{});
      if (Session* t = session_by_id(peer_index, sid)) {
        t->pending_update.reset();
      }
    } else if (auto* n = std::get_if<Notification>(&d.message)) {
      p.log.warn("received NOTIFICATION", {kv("notification", n->to_string())});
      feed(peer_index, sid, fsm::NotifMsg{*n});
    } else if (std::holds_alternative<Keepalive>(d.message)) {
      feed(peer_index, sid, fsm::KeepAliveMsg{});
    } else if (auto* rr = std::get_if<RouteRefresh>(&d.message)) {
      s->pending_refresh = *rr;
      feed(peer_index, sid, fsm::RouteRefreshMsg{});
      if (Session* t = session_by_id(peer_index, sid)) {
        t->pending_refresh.reset();
      }
    }
  }
}

// ---- NetworkEvents ----------------------------------------------------------------

void Speaker::on_connected(std::size_t peer_index, std::unique_ptr<Connection> conn) {
  Peer* p = peer_by_index(peer_index);
  if (p == nullptr || !p->primary || !p->primary->connecting || shutting_down_) {
    return;  // nobody waits for it any more: dropping the handle closes it
  }
  Session& s = *p->primary;
  s.connecting = false;
  conns_[conn->id()] = {peer_index, s.sid};
  s.conn = std::move(conn);
  feed(peer_index, s.sid, fsm::TcpConnectionAcknowledged{});
  promote_if_needed(peer_index);
}

void Speaker::on_connect_failed(std::size_t peer_index, const std::string& reason) {
  Peer* p = peer_by_index(peer_index);
  if (p == nullptr || !p->primary || !p->primary->connecting) {
    return;
  }
  p->primary->connecting = false;
  p->log.debug("connect failed", {kv("error", reason)});
  feed(peer_index, p->primary->sid, fsm::TcpConnectionFails{reason});
  promote_if_needed(peer_index);
}

void Speaker::on_accepted(std::unique_ptr<Connection> conn) {
  const auto remote = conn->remote_address();
  std::size_t index = peers_.size();
  for (const auto& p : peers_) {
    if (p && p->cfg.address == remote) {
      index = p->index;
      break;
    }
  }
  if (index == peers_.size()) {
    log_.warn("refusing connection from an unconfigured address",
              {kv("remote", remote.to_string())});
    return;
  }
  Peer& p = *peers_[index];
  if (shutting_down_ || !p.primary) {
    return;
  }
  Session* target = nullptr;
  if (p.primary->fsm.accepts_connection()) {
    if (p.primary->connecting) {
      net_.cancel_connect(index);
      p.primary->connecting = false;
    }
    target = p.primary.get();
  } else if (!p.secondary && (p.primary->fsm.state() == fsm::State::OpenSent ||
                              p.primary->fsm.state() == fsm::State::OpenConfirm ||
                              p.primary->fsm.state() == fsm::State::Established)) {
    p.secondary = make_session(index);
    feed(index, p.secondary->sid, fsm::ManualStart{true});
    target = p.secondary.get();
  }
  if (target == nullptr) {
    p.log.debug("refusing connection", {kv("state", fsm::to_string(p.primary->fsm.state()))});
    return;
  }
  conns_[conn->id()] = {index, target->sid};
  target->conn = std::move(conn);
  feed(index, target->sid, fsm::TcpConnectionConfirmed{});
  promote_if_needed(index);
}

void Speaker::on_bytes(ConnId conn, std::span<const std::uint8_t> bytes) {
  auto it = conns_.find(conn);
  if (it == conns_.end()) {
    return;
  }
  const auto [peer_index, sid] = it->second;
  Session* s = session_by_id(peer_index, sid);
  if (s == nullptr) {
    return;
  }
  s->framer.feed(bytes);
  process_messages(peer_index, sid);
  promote_if_needed(peer_index);
}

void Speaker::on_closed(ConnId conn, const std::string& reason) {
  auto it = conns_.find(conn);
  if (it == conns_.end()) {
    return;
  }
  const auto [peer_index, sid] = it->second;
  conns_.erase(it);
  Session* s = session_by_id(peer_index, sid);
  if (s == nullptr) {
    return;
  }
  s->conn.reset();
  feed(peer_index, sid, fsm::TcpConnectionFails{reason});
  promote_if_needed(peer_index);
}

// ---- RIB ----------------------------------------------------------------------------

void Speaker::session_up(Peer& p, Session& s, const fsm::Negotiated& n) {
  p.up = true;
  p.up_sid = s.sid;
  p.up_since = timers_.now();
  p.negotiated = n;
  ++p.established_transitions;
  p.eor_received.clear();
  s.codec = n.codec_options();
  PeerInfo info;
  info.id = p.id;
  info.address = p.cfg.address;
  info.peer_as = n.peer_as;
  info.local_as = config_.asn;
  info.router_id = n.peer_router_id;
  info.local_router_id = config_.router_id;
  info.cluster_id = config_.cluster_id;
  info.rr_client = p.cfg.rr_client;
  info.next_hop_self = p.cfg.next_hop_self;
  if (s.conn) {
    p.local_address = s.conn->local_address();
    if (p.local_address->is_v4()) {
      info.local_v4 = *p.local_address;
    } else {
      info.local_v6 = *p.local_address;
    }
  }
  if (p.cfg.local_address_v6) {
    info.local_v6 = *p.cfg.local_address_v6;
  }
  peer_table_.upsert(info);
  AdjRibOut::Config oc;
  oc.target = info;
  oc.families = n.families;
  const CodecOptions codec = s.codec;
  oc.pack.max_message_size = codec.max_message_size();
  oc.pack.update_size = [codec](const PathAttributes& a, std::optional<AfiSafi> f) {
    return encoded_update_size(a, f, codec);
  };
  p.out = std::make_unique<AdjRibOut>(peer_table_, attrs_, oc);
  p.log.info("session established",
             {kv("peer_as", n.peer_as), kv("peer_router_id", format_router_id(n.peer_router_id)),
              kv("hold_time", n.hold_time.count()), kv("families", n.families.size()),
              kv("four_octet_as", n.four_octet_as)});
  send_full_table(p, std::nullopt);
  check_convergence();
  if (kernel_ && !kernel_->converged()) {
    const auto id = ++settle_seq_;
    settle_timers_[id] = timers_.start(kPeerSettleTime, [this, id] {
      settle_timers_.erase(id);
      check_convergence();
    });
  }
}

void Speaker::session_down(Peer& p, const std::string& reason) {
  if (!p.up) {
    return;
  }
  p.up = false;
  p.up_sid = 0;
  p.last_error = reason;
  p.log.info("session down", {kv("reason", reason)});
  auto withdrawals = adj_in_->withdraw_all(p.id);
  auto changes = loc_rib_->apply(p.id, withdrawals);
  p.out.reset();
  propagate(changes);
  peer_table_.erase(p.id);
}

void Speaker::apply_update(Peer& p, const Decoded& d) {
  const auto& u = std::get<Update>(d.message);
  if (auto eor = u.end_of_rib()) {
    p.eor_received.insert(*eor);
    p.log.debug("End-of-RIB received", {kv("family", to_string(*eor))});
    check_convergence();
    return;
  }
  const PeerInfo* info = peer_table_.find(p.id);
  if (info == nullptr) {
    return;
  }
  auto res = adj_in_->apply(*info, u, d.action == ErrorAction::TreatAsWithdraw);
  for (const auto& r : res.rejections) {
    p.log.debug("routes rejected", {kv("reason", to_string(r.reason)),
                                    kv("family", to_string(r.af)), kv("prefixes", r.prefixes)});
  }
  if (res.changes.empty()) {
    return;
  }
  propagate(loc_rib_->apply(p.id, res.changes));
}

void Speaker::propagate(const std::vector<LocRibChange>& changes) {
  if (changes.empty()) {
    return;
  }
  kernel_update(changes);
  for (auto& p : peers_) {
    if (p && p->up && p->out) {
      p->out->stage(changes);
      send_updates(*p, p->out->take_updates());
    }
  }
}

void Speaker::send_updates(Peer& p, std::vector<Update> updates) {
  Session* s = p.session(p.up_sid);
  if (s == nullptr) {
    return;
  }
  const std::size_t index = p.index;
  const std::uint64_t sid = s->sid;
  for (const auto& u : updates) {
    s = session_by_id(index, sid);
    if (s == nullptr || !s->conn) {
      return;
    }
    send_message(*s, u);
    feed(index, sid, fsm::UpdateSent{});
  }
}

void Speaker::send_full_table(Peer& p, std::optional<AfiSafi> only) {
  if (!p.out) {
    return;
  }
  send_updates(p, p.out->full_table(*loc_rib_, only, true));
}

void Speaker::announce(const Prefix& prefix) {
  originated_.insert(prefix.masked());
  PathAttributes attrs;
  attrs.origin = Origin::Igp;
  auto changes = loc_rib_->originate(prefix.masked(), attrs);
  if (!changes) {
    log_.warn("cannot originate", {kv("prefix", prefix.to_string()), kv("error", changes.error())});
    return;
  }
  propagate(*changes);
}

void Speaker::withdraw(const Prefix& prefix) {
  originated_.erase(prefix.masked());
  propagate(loc_rib_->withdraw_local(prefix.masked()));
}

// ---- Kernel -------------------------------------------------------------------------

void Speaker::kernel_update(const std::vector<LocRibChange>& changes) {
  if (!kernel_ || shutting_down_) {
    return;  // at shutdown the routes stay for the next run to reconcile
  }
  for (const auto& c : changes) {
    if (!c.new_best) {
      kernel_->set_desired(c.prefix, std::nullopt);
    } else if (c.new_best.peer == kLocalPeerId) {
      if (config_.kernel.blackhole_own_blocks) {
        Route r;
        r.type = RouteType::Blackhole;
        kernel_->set_desired(c.prefix, r);
      } else {
        kernel_->set_desired(c.prefix, std::nullopt);
      }
    } else if (c.next_hops.empty()) {
      kernel_->set_desired(c.prefix, std::nullopt);
    } else {
      Route r;
      r.type = RouteType::Unicast;
      for (const auto& nh : c.next_hops) {
        r.next_hops.push_back(NextHop{nh, 0, false, 1});
      }
      kernel_->set_desired(c.prefix, r);
    }
  }
  schedule_kernel_flush(std::chrono::milliseconds(0));
}

void Speaker::schedule_kernel_flush(std::chrono::milliseconds delay) {
  if (!kernel_ || kernel_timer_ != 0) {
    return;
  }
  kernel_timer_ = timers_.start(delay, [this] {
    kernel_timer_ = 0;
    kernel_flush();
  });
}

void Speaker::kernel_flush() {
  auto r = kernel_->flush();
  if (!r.errors.empty()) {
    kernel_backoff_ = std::min(kKernelRetryMax, std::max(kKernelRetryMin, kernel_backoff_ * 2));
    log_.warn("kernel route programming failed; will retry",
              {kv("failed", r.errors.size()), kv("first", r.errors.front().message),
               kv("retry_ms", kernel_backoff_.count())});
    schedule_kernel_flush(kernel_backoff_);
    return;
  }
  kernel_backoff_ = std::chrono::milliseconds(0);
  if (r.replaced + r.deleted > 0) {
    log_.debug("kernel routes programmed", {kv("replaced", r.replaced), kv("deleted", r.deleted)});
  }
  if (kernel_->dirty()) {
    schedule_kernel_flush(std::chrono::milliseconds(0));
  }
}

void Speaker::check_convergence() {
  if (!kernel_ || kernel_->converged()) {
    return;
  }
  const auto now = timers_.now();
  for (const auto& p : peers_) {
    if (!p) {
      continue;  // removed: nothing to wait for
    }
    if (!p->up || !p->negotiated) {
      return;
    }
    if (now - p->up_since >= kPeerSettleTime) {
      continue;
    }
    for (const auto& f : p->negotiated->families) {
      if (p->eor_received.count(f) == 0) {
        return;
      }
    }
  }
  log_.info("all sessions up with their tables received; reconciling kernel routes");
  kernel_->mark_converged();
  schedule_kernel_flush(std::chrono::milliseconds(0));
}

}  // namespace calico::bgp
