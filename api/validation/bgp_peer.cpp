// BGPPeer: validation.  Calico's client applies no defaults.
#include <algorithm>

#include "api/validation.h"
#include "common/net/ip.h"

namespace calico::api {
namespace {

std::string at(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

}  // namespace

void apply_defaults_to(BGPPeer& /*r*/) {}

void validate_into(const BGPPeer& r, std::vector<FieldError>& errs) {
  validate_metadata(BGPPeer::kKind, r.metadata, errs);
  Checker c(errs);
  const auto& s = r.spec;
  if (!s.node.empty()) {
    c.dns1123_subdomain("spec.node", s.node);
  }
  if (!s.node_selector.empty()) {
    c.selector("spec.nodeSelector", s.node_selector);
    if (!s.node.empty()) {
      c.add("spec.nodeSelector", "node and nodeSelector cannot both be set");
    }
  }
  c.ip_port("spec.peerIP", s.peer_ip);
  if (!s.peer_selector.empty()) {
    c.selector("spec.peerSelector", s.peer_selector);
    if (!s.peer_ip.empty()) {
      c.add("spec.peerSelector", "peerIP and peerSelector cannot both be set");
    }
    if (s.as_number) {
      c.add("spec.asNumber", "asNumber must be empty when peerSelector is set");
    }
  }
  if (!s.local_workload_selector.empty()) {
    c.selector("spec.localWorkloadSelector", s.local_workload_selector);
    if (!s.peer_ip.empty()) {
      c.add("spec.peerIP", "peerIP must be empty when localWorkloadSelector is set");
    }
    if (!s.peer_selector.empty()) {
      c.add("spec.peerSelector", "peerSelector must be empty when localWorkloadSelector is set");
    }
    if (!s.as_number) {
      c.add("spec.asNumber", "asNumber is required when localWorkloadSelector is set");
    }
  }
  if (!s.reachable_by.empty()) {
    if (s.peer_ip.empty()) {
      c.add("spec.reachableBy", "reachableBy must be empty when peerIP is empty");
    }
    if (c.ip("spec.reachableBy", s.reachable_by)) {
      // Compare families with the peer address ("[v6]:port" / "v4:port" forms stripped).
      std::string host = s.peer_ip;
      if (!host.empty() && host.front() == '[') {
        host = host.substr(1, host.find(']') - 1);
      } else if (std::count(host.begin(), host.end(), ':') == 1) {
        host = host.substr(0, host.find(':'));
      }
      const auto peer = net::IpAddr::parse(host);
      const auto gw = net::IpAddr::parse(s.reachable_by);
      if (peer && gw && peer->family() != gw->family()) {
        c.add("spec.reachableBy", "reachableBy and peerIP address families differ");
      }
    }
  }
  if (s.keep_original_next_hop && !s.next_hop_mode.empty()) {
    c.add("spec.nextHopMode",
          "keepOriginalNextHop and nextHopMode cannot both be set; keepOriginalNextHop is "
          "deprecated, use nextHopMode instead");
  }
  c.one_of("spec.nextHopMode", s.next_hop_mode, {"Auto", "Self", "Keep"});
  c.one_of("spec.sourceAddress", s.source_address, {"UseNodeIP", "None"});
  c.one_of("spec.reversePeering", s.reverse_peering, {"Auto", "Manual"});
  if (s.password && s.password->secret_key_ref) {
    c.required("spec.password.secretKeyRef.name", s.password->secret_key_ref->name);
    c.required("spec.password.secretKeyRef.key", s.password->secret_key_ref->key);
  }
  if (!s.max_restart_time.empty()) {
    c.duration("spec.maxRestartTime", s.max_restart_time);
  }
  if (!s.keepalive_time.empty()) {
    c.duration("spec.keepaliveTime", s.keepalive_time);
  }
  if (s.num_allowed_local_as_numbers) {
    c.in_range("spec.numAllowedLocalASNumbers", *s.num_allowed_local_as_numbers, 0, 2147483647);
  }
  for (std::size_t i = 0; i < s.filters.size(); ++i) {
    c.dns1123_subdomain(at("spec.filters", i), s.filters[i]);
  }
}

}  // namespace calico::api
