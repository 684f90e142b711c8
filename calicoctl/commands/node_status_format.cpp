#include "calicoctl/commands/node_status_format.h"

#include <ctime>
#include <regex>

#include "calicoctl/commands/table.h"

namespace calico::calicoctl {
namespace {

using nlohmann::json;

// BIRD 1.x's default `timeformat protocol`: {"%T", "%F", 20*3600} (sysdep/unix/config).
constexpr std::chrono::hours kBirdRecentLimit{20};

// Peer names as Calico's confd templates (and felix/bgp_config.cpp) build them.
const std::regex& peer_name_regex() {
  static const std::regex kName("^(Global|Node|Mesh)_(.+)$");
  return kName;
}

std::string peer_type(const std::string& prefix) {
  if (prefix == "Mesh") {
    return "node-to-node mesh";
  }
  if (prefix == "Node") {
    return "node specific";
  }
  return "global";
}

// The address encoded in a name suffix ("10_0_0_1", "fd00__1", "10_0_0_1_port_1790"), for
// a status entry without an address field: Calico's own way of finding it.
std::string address_from_name(std::string suffix) {
  static const std::regex kPort("_port_[0-9]+$");
  suffix = std::regex_replace(suffix, kPort, "");
  const bool v4 = suffix.find_first_not_of("0123456789_") == std::string::npos;
  for (char& c : suffix) {
    if (c == '_') {
      c = v4 ? '.' : ':';
    }
  }
  return suffix;
}

std::string string_field(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// BIRD's protocol state column for our FSM state.
std::string bird_state(const std::string& fsm_state) {
  if (fsm_state == "Established") {
    return "up";
  }
  if (fsm_state.empty()) {
    return "down";  // no session: the peer is being removed or the speaker is stopping
  }
  return "start";
}

std::string peer_table(const std::vector<NodeStatusPeer>& peers, bool ipv6) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : peers) {
    if (p.ipv6 == ipv6) {
      rows.push_back({p.address, p.type, p.state, p.since, p.info});
    }
  }
  const std::string family = ipv6 ? "IPv6" : "IPv4";
  std::string out = "\n" + family + " BGP status\n";
  if (rows.empty()) {
    return out + "No " + family + " peers found.\n";
  }
  return out + render_table({"PEER ADDRESS", "PEER TYPE", "STATE", "SINCE", "INFO"}, rows);
}

}  // namespace

std::string format_bird_since(std::chrono::system_clock::time_point since,
                              std::chrono::system_clock::time_point now) {
  const std::time_t t = std::chrono::system_clock::to_time_t(since);
  std::tm tm{};
  if (localtime_r(&t, &tm) == nullptr) {
    return "?";
  }
  const char* fmt = now - since < kBirdRecentLimit ? "%H:%M:%S" : "%Y-%m-%d";
  char buf[32];
  const std::size_t n = std::strftime(buf, sizeof(buf), fmt, &tm);
  return std::string(buf, n);
}

std::vector<NodeStatusPeer> node_status_peers(const json& status,
                                              std::chrono::system_clock::time_point now) {
  std::vector<NodeStatusPeer> out;
  const auto peers = status.find("peers");
  if (peers == status.end() || !peers->is_array()) {
    return out;
  }
  for (const auto& p : *peers) {
    if (!p.is_object()) {
      continue;
    }
    const std::string name = string_field(p, "name");
    std::smatch m;
    if (!std::regex_match(name, m, peer_name_regex())) {
      continue;
    }
    NodeStatusPeer row;
    row.address = string_field(p, "address");
    if (row.address.empty()) {
      row.address = address_from_name(m[2].str());
    }
    row.ipv6 = row.address.find(':') != std::string::npos;
    row.type = peer_type(m[1].str());
    const std::string fsm_state = string_field(p, "state");
    row.state = bird_state(fsm_state);
    if (const auto since = p.find("sinceUnix"); since != p.end() && since->is_number_integer()) {
      const std::chrono::seconds s(since->get<std::int64_t>());
      row.since = format_bird_since(std::chrono::system_clock::time_point(s), now);
    }
    row.info = fsm_state.empty() ? "Idle" : fsm_state;
    const std::string error = string_field(p, "lastError");
    if (fsm_state != "Established" && !error.empty()) {
      row.info += " " + error;
    }
    out.push_back(std::move(row));
  }
  return out;
}

std::string format_node_status(const json& status, std::chrono::system_clock::time_point now) {
  const auto peers = node_status_peers(status, now);
  // Calico prints an empty line before each section and one after the last (the table
  // library ends on the table's last line).
  return "Calico process is running.\n" + peer_table(peers, false) + peer_table(peers, true) + "\n";
}

}  // namespace calico::calicoctl
