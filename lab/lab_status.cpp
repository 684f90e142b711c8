// Looking at a lab: BGP sessions, the ToR's routes, nodes and pods, the how-to; the
// `status`, `calicoctl` and `apply` commands.
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "api/document.h"
#include "calicoctl/commands/cli.h"
#include "common/unix_request.h"
#include "datastore/open/open.h"
#include "lab/lab_internal.h"
#include "lab/render.h"
#include "lab/sys.h"

namespace calico::lab {
namespace detail {

using namespace std::chrono_literals;

// address -> state from the node's speaker.
std::map<std::string, std::string> node_sessions(const Session& s, std::size_t i) {
  std::map<std::string, std::string> out;
  auto st = unix_request(s.state.nodes[i].dir + "/bgp.sock", "status");
  if (!st) {
    return out;
  }
  auto j = nlohmann::json::parse(*st, nullptr, false);
  if (j.is_discarded()) {
    return out;
  }
  for (const auto& p : j.value("peers", nlohmann::json::array())) {
    out[p.value("address", "")] = p.value("state", "");
  }
  return out;
}

std::string tor_command(const Session& s, const std::vector<std::string>& bird_args,
                        const std::string& vtysh_command) {
  const std::string dir = s.dir() + "/tor";
  if (s.plan.options.tor == TorDaemon::Bird) {
    std::vector<std::string> argv = {"birdc", "-s", dir + "/bird.ctl"};
    argv.insert(argv.end(), bird_args.begin(), bird_args.end());
    return run(argv, 10s).text();
  }
  return run({"vtysh", "--vty_socket", dir, "-c", vtysh_command}, 10s).text();
}

// Sessions the ToR has Established (by neighbour address).
int tor_established(const Session& s) {
  int up = 0;
  if (s.plan.options.tor == TorDaemon::Bird) {
    std::istringstream in(tor_command(s, {"show", "protocols"}, ""));
    std::string line;
    while (std::getline(in, line)) {
      up += line.find(" BGP ") != std::string::npos && line.find("Established") != std::string::npos
                ? 1
                : 0;
    }
    return up;
  }
  auto j = nlohmann::json::parse(tor_command(s, {}, "show bgp summary json"), nullptr, false);
  if (j.is_discarded()) {
    return 0;
  }
  if (!j.contains("ipv4Unicast") || !j["ipv4Unicast"].contains("peers")) {
    return 0;
  }
  const nlohmann::json& peers = j["ipv4Unicast"]["peers"];
  for (auto it = peers.begin(); it != peers.end(); ++it) {
    up += it->value("state", "") == "Established" ? 1 : 0;
  }
  return up;
}

bool all_sessions_up(const Session& s) {
  if (tor_established(s) != static_cast<int>(s.plan.nodes.size())) {
    return false;
  }
  for (std::size_t i = 0; i < s.plan.nodes.size(); ++i) {
    const auto sessions = node_sessions(s, i);
    if (sessions.empty()) {
      return false;
    }
    for (const auto& [addr, state] : sessions) {
      if (state != "Established") {
        return false;
      }
    }
  }
  return true;
}

std::string node_status_text(Session& s, std::size_t i) {
  auto cmd =
      calicoctl::parse_args({"node", "status", "--socket", s.state.nodes[i].dir + "/bgp.sock"});
  if (!cmd) {
    return cmd.error() + "\n";
  }
  std::ostringstream out;
  std::ostringstream err;
  std::istringstream in;
  calicoctl::run(*cmd, nullptr, in, out, err);
  return out.str() + err.str();
}

std::string tor_routes_text(const Session& s) {
  return tor_command(s, {"show", "route"}, "show ip route bgp");
}

std::string pods_table(const Session& s) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& [key, p] : s.state.pods) {
    std::string labels;
    for (const auto& [k, v] : p.labels) {
      labels += (labels.empty() ? "" : ",") + k + "=" + v;
    }
    std::string listen;
    for (const auto& l : p.listeners) {
      listen += (listen.empty() ? "" : ",") + l.protocol + ":" + std::to_string(l.port);
    }
    rows.push_back(
        {key, p.node, p.ip, p.netns, listen.empty() ? "-" : listen, labels.empty() ? "-" : labels});
  }
  return render_table({"POD", "NODE", "IP", "NETNS", "LISTENS", "LABELS"}, rows);
}

std::string nodes_table(const Session& s) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"tor", s.plan.tor_ip, std::to_string(kTorAs), s.plan.tor_netns,
                  to_string(s.plan.options.tor),
                  alive(s.state.tor.front()) ? "running" : "stopped"});
  for (std::size_t i = 0; i < s.plan.nodes.size(); ++i) {
    const auto& n = s.plan.nodes[i];
    std::string role = "calico-node";
    if (n.route_reflector) {
      role += " (route reflector)";
    }
    rows.push_back({n.name, n.ip, std::to_string(n.as) + " (rack" + std::to_string(n.rack) + ")",
                    n.netns, role, alive(s.state.nodes[i].calico_node) ? "running" : "stopped"});
  }
  rows.push_back({"etcd", s.plan.ctl_ip + ", 127.0.0.1", "-", s.plan.ctl_netns,
                  "etcd :" + std::to_string(s.state.etcd_port),
                  alive(s.state.etcd) ? "running" : "stopped"});
  return render_table({"NAME", "ADDRESS", "AS", "NETNS", "RUNS", "STATE"}, rows);
}

void print_status(Session& s, std::ostream& out) {
  out << "\n--- nodes (" << to_string(s.plan.options.topology) << " topology) ---\n"
      << nodes_table(s);
  for (std::size_t i = 0; i < s.plan.nodes.size(); ++i) {
    out << "\n--- " << s.plan.nodes[i].name << ": calicoctl node status ---\n"
        << node_status_text(s, i);
  }
  out << "\n--- the ToR's routes (" << to_string(s.plan.options.tor) << ") ---\n"
      << tor_routes_text(s);
  out << "\n--- namespaces ---\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& [ns, labels] : s.state.namespaces) {
    std::string l;
    for (const auto& [k, v] : labels) {
      l += (l.empty() ? "" : ",") + k + "=" + v;
    }
    rows.push_back({ns, l});
  }
  out << render_table({"NAMESPACE", "LABELS"}, rows);
  out << "\n--- pods ---\n" << pods_table(s);
}

void print_howto(const Session& s, std::ostream& out) {
  const std::string self =
      s.bins.self + (s.plan.options.name == "lab" ? "" : " --name " + s.plan.options.name);
  std::string pod = "demo/client-1";
  std::string pod_ns = s.plan.options.name + "-demo.client-1";
  if (!s.state.pods.empty() && s.state.pods.count(pod) == 0) {
    pod = s.state.pods.begin()->first;
    pod_ns = s.state.pods.begin()->second.netns;
  }
  const std::vector<std::pair<std::string, std::string>> lines = {
      {self + " status", "nodes, BGP sessions, the ToR's routes, pods"},
      {"ip netns exec " + s.plan.nodes[0].netns + " bash", "a shell on node1"},
      {"ip netns exec " + pod_ns + " bash", "a shell in pod " + pod},
      {self + " calicoctl get nodes -o wide", "calicoctl on the lab's etcd"},
      {"ip netns exec " + s.plan.ctl_netns + " " + s.bins.calicoctl + " -c " + s.dir() +
           "/calicoctl.cfg get ippools",
       "any calicoctl binary, same etcd"},
      {self + " ns create prod env=prod", "a namespace (labels feed namespaceSelector)"},
      {self + " pod add prod/db --node " + s.plan.nodes.back().name +
           " --label app=db --port pg:TCP:5432 --listen tcp:5432",
       ""},
      {self + " apply -f policy.yaml", "Kubernetes NetworkPolicy or Calico YAML"},
      {self + " probe demo/client-1 demo/web-2 80", "exit status 0 = connected"},
      {self + " matrix --port 80", "every pod to every pod"},
  };
  out << "\nThe lab is running (state and logs in " << s.dir() << "). To look around:\n";
  for (const auto& [cmd, what] : lines) {
    out << "  " << cmd << (what.empty() ? "" : "\n      " + what) << "\n";
  }
  out << "Tear it down with: " << self << " down\n";
}

// Why an existing lab cannot be reused ("" = it can).
std::string reuse_blocker(const Session& s, const Options& wanted) {
  const Options& have = s.state.options;
  if (have.nodes != wanted.nodes || have.topology != wanted.topology || have.tor != wanted.tor ||
      have.nodes_per_rack != wanted.nodes_per_rack) {
    return "it was built with other options";
  }
  if (!alive(s.state.etcd)) {
    return "etcd is not running";
  }
  for (const auto& p : s.state.tor) {
    if (!alive(p)) {
      return "the ToR router is not running";
    }
  }
  for (const auto& n : s.state.nodes) {
    if (!alive(n.calico_node)) {
      return "calico-node on " + n.name + " is not running";
    }
    if (binary_replaced(n.calico_node)) {
      return "calico-node was rebuilt since the lab started";
    }
  }
  for (const auto& [key, p] : s.state.pods) {
    if (!netns_exists(p.netns) || (p.server.pid != 0 && !alive(p.server))) {
      return "pod " + key + " is gone or its server stopped";
    }
  }
  return "";
}

}  // namespace detail

int cmd_status(LabContext& ctx, const std::string& name) {
  auto s = detail::load_session(ctx, name);
  if (!s) {
    ctx.err << "calico-lab: " << s.error() << "\n";
    return 1;
  }
  print_status(**s, ctx.out);
  const std::string blocker = reuse_blocker(**s, (*s)->state.options);
  if (!blocker.empty()) {
    ctx.out << "\nWARNING: " << blocker << "; `calico-lab up` rebuilds the lab\n";
    return 1;
  }
  return 0;
}

int cmd_calicoctl(LabContext& ctx, const std::string& name, const std::vector<std::string>& args) {
  auto s = detail::load_session(ctx, name);
  if (!s) {
    ctx.err << "calico-lab: " << s.error() << "\n";
    return 1;
  }
  auto cmd = calicoctl::parse_args(args);
  if (!cmd) {
    ctx.err << cmd.error() << "\n";
    return 1;
  }
  datastore::Datastore* ds = nullptr;
  if (calicoctl::needs_datastore(*cmd)) {
    auto opened = (*s)->datastore();
    if (!opened) {
      ctx.err << "calico-lab: " << opened.error() << "\n";
      return 1;
    }
    ds = *opened;
  }
  return calicoctl::run(*cmd, ds, std::cin, ctx.out, ctx.err);
}

int cmd_apply(LabContext& ctx, const std::string& name, const std::string& verb,
              const std::string& file) {
  return cmd_calicoctl(ctx, name, {verb, "-f", file});
}

}  // namespace calico::lab
