// Helpers for the speaker tests (speaker_test.cpp, speaker_reconfigure_test.cpp): peer
// and speaker configs with short timers, and a Node = speaker + in-memory host + fake
// kernel.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "bgp/speaker/speaker.h"
#include "tests/lib/fake_route_sink.h"
#include "tests/lib/memory_network.h"

namespace calico::bgp::speaker_test {

using testlib::FakeRouteSink;
using testlib::MemoryNetwork;

inline net::IpAddr ip(const char* s) {
  return *net::IpAddr::parse(s);
}
inline net::Cidr cidr(const char* s) {
  return *net::Cidr::parse(s);
}

inline PeerConfig peer(const char* addr, std::uint32_t asn) {
  PeerConfig p;
  p.name = addr;
  p.address = ip(addr);
  p.asn = asn;
  p.hold_time = std::chrono::seconds(9);
  p.connect_retry = std::chrono::seconds(2);
  p.multihop_ttl = 64;
  p.families = {kIpv4Unicast};
  return p;
}

inline SpeakerConfig speaker(const char* router_id, std::uint32_t asn,
                             std::vector<const char*> blocks, std::vector<PeerConfig> peers) {
  SpeakerConfig c;
  c.asn = asn;
  c.router_id = *parse_router_id(router_id);
  c.hold_time = std::chrono::seconds(9);
  c.connect_retry = std::chrono::seconds(2);
  for (auto b : blocks) {
    c.originate.push_back(cidr(b));
  }
  c.peers = std::move(peers);
  return c;
}

// One speaker with its network host and fake kernel.
struct Node {
  FakeRouteSink kernel;
  MemoryNetwork::Host* host = nullptr;
  std::unique_ptr<Speaker> bgp;

  Node(MemoryNetwork& net, ManualTimers& clock, const char* addr, SpeakerConfig cfg) {
    host = &net.add_host(ip(addr));
    bgp = std::make_unique<Speaker>(std::move(cfg), clock, *host, &kernel);
    host->attach(*bgp);
  }
  // By slot (peers configured at construction: slot = list position).
  std::string state(std::size_t i = 0) const { return bgp->peer_state(i); }
  const Route* route(const char* dst) const { return kernel.find(cidr(dst)); }
  nlohmann::json peer_status(std::size_t i = 0) const { return bgp->status()["peers"][i]; }
  // By peer address (slots move when peers are reconfigured).  "" / null when unknown.
  std::string state_of(const char* addr) const {
    const auto i = bgp->peer_index(ip(addr));
    return i ? bgp->peer_state(*i) : "";
  }
  nlohmann::json status_of(const char* addr) const {
    const auto st = bgp->status();
    for (const auto& p : st["peers"]) {
      if (p["address"] == addr) {
        return p;
      }
    }
    return nullptr;
  }
};

inline std::string gateway(const Route* r) {
  if (r == nullptr || r->next_hops.empty()) {
    return "";
  }
  return r->next_hops.front().gateway.to_string();
}

}  // namespace calico::bgp::speaker_test
