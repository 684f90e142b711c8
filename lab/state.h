// What a running lab consists of, persisted as JSON in <state dir>/<name>/state.json so
// every `calico-lab` command (and a second `up`) finds the namespaces, processes and pods
// the first one created.  Pure: to_json/from_json only.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "lab/plan.h"

namespace calico::lab {

// A process the lab started.  `exe` is checked against /proc/<pid>/exe so a recycled PID
// is never taken for ours (and never signalled).
struct ProcessRef {
  int pid = 0;
  std::string exe;
};

struct NodeState {
  std::string name;
  std::string dir;  // control socket, nodename file, logs, CNI log and lock
  ProcessRef calico_node;
};

struct Listener {
  std::string protocol;  // tcp | udp
  int port = 0;
};

struct NamedPort {
  std::string name;
  std::string protocol;  // TCP | UDP | SCTP
  int port = 0;
};

struct PodState {
  std::string ns;
  std::string name;
  std::string node;
  std::string netns;
  std::string container_id;
  std::string ip;
  std::map<std::string, std::string> labels;
  std::vector<NamedPort> ports;
  std::vector<Listener> listeners;
  ProcessRef server;  // `calico-lab serve` inside the pod, when it listens on anything
};

struct LabState {
  Options options;
  std::string dir;
  std::vector<ProcessRef> tor;  // bird, or zebra + bgpd
  ProcessRef etcd;
  int etcd_port = 2379;
  std::vector<NodeState> nodes;
  std::map<std::string, std::map<std::string, std::string>> namespaces;  // name -> labels
  std::map<std::string, PodState> pods;                                  // "ns/name"
  int next_container = 0;
};

nlohmann::json to_json(const LabState& s);
Result<LabState, std::string> state_from_json(const nlohmann::json& j);

// Parses "tcp:80", "udp:53", "80" (tcp).
Result<Listener, std::string> parse_listener(const std::string& s);
// Parses "http:TCP:80", "dns:udp:53", "http:80" (TCP).  Names per Kubernetes
// (IANA_SVC_NAME: at most 15 characters, lower-case letters, digits, '-').
Result<NamedPort, std::string> parse_named_port(const std::string& s);
// Parses "k=v" (set) or "k-" (remove: value returned empty, remove = true).
struct LabelEdit {
  std::string key;
  std::string value;
  bool remove = false;
};
Result<LabelEdit, std::string> parse_label_edit(const std::string& s);

}  // namespace calico::lab
