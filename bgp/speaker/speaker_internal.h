// Private to the speaker's .cpp files (speaker.cpp, speaker_peers.cpp, speaker_status.cpp):
// the per-peer and per-session state behind Speaker's peer slots.  Not part of the API.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "bgp/speaker/speaker.h"

namespace calico::bgp {

struct Speaker::Session {
  std::uint64_t sid = 0;
  fsm::SessionFsm fsm;
  std::unique_ptr<Connection> conn;
  MessageFramer framer;
  CodecOptions codec;
  std::array<TimerService::TimerId, fsm::kTimerKinds> timers{};
  bool connecting = false;
  std::optional<Decoded> pending_update;
  std::optional<RouteRefresh> pending_refresh;

  Session(std::uint64_t id, const fsm::SessionConfig& cfg) : sid(id), fsm(cfg) {}
};

struct Speaker::Peer {
  std::size_t index = 0;
  PeerId id = 0;
  PeerConfig cfg;
  fsm::SessionConfig scfg;
  Logger log{"bgp"};
  std::unique_ptr<Session> primary;
  std::unique_ptr<Session> secondary;
  // Session state as the RIB sees it.
  bool up = false;
  std::uint64_t up_sid = 0;
  SteadyTime up_since{};
  std::string last_error;
  // The state status() reports (Speaker::peer_state) and when it last changed, or when
  // the peer was configured if it never did: `calicoctl node status`'s SINCE column.
  std::string shown_state;
  SteadyTime state_since{};
  std::optional<fsm::Negotiated> negotiated;
  std::optional<net::IpAddr> local_address;
  std::unique_ptr<AdjRibOut> out;
  std::set<AfiSafi> eor_received;
  std::uint64_t established_transitions = 0;
  std::uint64_t treat_as_withdraw = 0;
  std::uint64_t attribute_discards = 0;
  fsm::Counters counters_before;  // counters of discarded FSMs

  // Records `state` (Speaker::peer_state of this peer) observed at `now`.
  void note_state(const std::string& state, SteadyTime now) {
    if (state != shown_state) {
      shown_state = state;
      state_since = now;
    }
  }

  Session* session(std::uint64_t sid) const {
    if (primary && primary->sid == sid) {
      return primary.get();
    }
    if (secondary && secondary->sid == sid) {
      return secondary.get();
    }
    return nullptr;
  }
};

}  // namespace calico::bgp
