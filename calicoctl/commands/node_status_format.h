// `calicoctl node status` output, pure: the BGP speaker's status document (the control
// socket's `status` reply, bgp/speaker/speaker_status.cpp) and the current time in, the
// text released calicoctl (<= 3.32) prints out.  No sockets, no /proc, no uid checks;
// those live in node_status.cpp.
//
//   Calico process is running.
//
//   IPv4 BGP status
//   +--------------+-------------------+-------+----------+-------------+
//   | PEER ADDRESS |     PEER TYPE     | STATE |  SINCE   |    INFO     |
//   +--------------+-------------------+-------+----------+-------------+
//   | 172.17.8.102 | node-to-node mesh | up    | 23:30:04 | Established |
//   +--------------+-------------------+-------+----------+-------------+
//
//   IPv6 BGP status
//   No IPv6 peers found.
//
// Calico reads these columns from BIRD's `show protocols`; we derive them from the same
// facts our speaker reports:
//   PEER ADDRESS  the peer's address (without the port)
//   PEER TYPE     from the peer's name, which Calico's configuration generator (and
//                 ours, felix/bgp_config.cpp) builds as Mesh_<ip>, Node_<ip> or
//                 Global_<ip>; peers with other names are not shown, as in Calico
//   STATE         BIRD's protocol state: "up" when Established, "start" while the session
//                 is being (re)established, "down" when the peer has no session at all
//   SINCE         when that state last changed: HH:MM:SS (local time) when less than 20
//                 hours ago, else YYYY-MM-DD (BIRD 1.x's default protocol time format)
//   INFO          the BGP FSM state, then the last error unless Established (BIRD clears
//                 it when a session comes up); long cells wrap as tablewriter wraps them
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace calico::calicoctl {

// One row of a peer table.
struct NodeStatusPeer {
  std::string address;
  std::string type;   // "node-to-node mesh", "node specific", "global"
  std::string state;  // "up", "start", "down"
  std::string since;
  std::string info;
  bool ipv6 = false;
};

// BIRD's protocol time: "%T" (local) if `since` is less than 20 hours before `now`, else
// "%F".  Times in the future (a clock step) count as recent.
std::string format_bird_since(std::chrono::system_clock::time_point since,
                              std::chrono::system_clock::time_point now);

// The peers of a status document that Calico would show, in the document's order.
// Entries that are not objects, or whose name is not Mesh_/Node_/Global_<something>, are
// skipped.
std::vector<NodeStatusPeer> node_status_peers(const nlohmann::json& status,
                                              std::chrono::system_clock::time_point now);

// The whole `calicoctl node status` text for a speaker that answered with `status`,
// starting with "Calico process is running." and ending with Calico's final empty line.
std::string format_node_status(const nlohmann::json& status,
                               std::chrono::system_clock::time_point now);

}  // namespace calico::calicoctl
