#include "lab/state.h"

#include <cctype>

namespace calico::lab {
namespace {

using Json = nlohmann::json;

Json proc_json(const ProcessRef& p) {
  return Json{{"pid", p.pid}, {"exe", p.exe}};
}

ProcessRef proc_from(const Json& j) {
  ProcessRef p;
  if (j.is_object()) {
    p.pid = j.value("pid", 0);
    p.exe = j.value("exe", "");
  }
  return p;
}

Result<int, std::string> parse_port(const std::string& s, const std::string& what) {
  if (s.empty() || s.size() > 5) {
    return fail(what + ": '" + s + "' is not a port number (1-65535)");
  }
  int v = 0;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      return fail(what + ": '" + s + "' is not a port number (1-65535)");
    }
    v = v * 10 + (c - '0');
  }
  if (v < 1 || v > 65535) {
    return fail(what + ": '" + s + "' is not a port number (1-65535)");
  }
  return v;
}

std::string lower(std::string s) {
  for (char& c : s) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return s;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const auto p = s.find(sep, start);
    out.push_back(s.substr(start, p - start));
    if (p == std::string::npos) {
      return out;
    }
    start = p + 1;
  }
}

}  // namespace

Json to_json(const LabState& s) {
  Json j;
  j["options"] = {{"name", s.options.name},
                  {"nodes", s.options.nodes},
                  {"topology", to_string(s.options.topology)},
                  {"tor", to_string(s.options.tor)},
                  {"nodesPerRack", s.options.nodes_per_rack}};
  j["dir"] = s.dir;
  j["tor"] = Json::array();
  for (const auto& p : s.tor) {
    j["tor"].push_back(proc_json(p));
  }
  j["etcd"] = proc_json(s.etcd);
  j["etcdPort"] = s.etcd_port;
  j["nodes"] = Json::array();
  for (const auto& n : s.nodes) {
    j["nodes"].push_back(
        {{"name", n.name}, {"dir", n.dir}, {"calicoNode", proc_json(n.calico_node)}});
  }
  j["namespaces"] = Json::object();
  for (const auto& [name, labels] : s.namespaces) {
    j["namespaces"][name] = labels;
  }
  j["pods"] = Json::array();
  for (const auto& [key, p] : s.pods) {
    Json pj = {{"namespace", p.ns},
               {"name", p.name},
               {"node", p.node},
               {"netns", p.netns},
               {"containerID", p.container_id},
               {"ip", p.ip},
               {"labels", p.labels},
               {"server", proc_json(p.server)}};
    pj["ports"] = Json::array();
    for (const auto& np : p.ports) {
      pj["ports"].push_back({{"name", np.name}, {"protocol", np.protocol}, {"port", np.port}});
    }
    pj["listen"] = Json::array();
    for (const auto& l : p.listeners) {
      pj["listen"].push_back({{"protocol", l.protocol}, {"port", l.port}});
    }
    j["pods"].push_back(pj);
  }
  j["nextContainer"] = s.next_container;
  return j;
}

Result<LabState, std::string> state_from_json(const Json& j) {
  try {
    LabState s;
    const Json& o = j.at("options");
    s.options.name = o.at("name").get<std::string>();
    s.options.nodes = o.at("nodes").get<int>();
    auto topo = parse_topology(o.at("topology").get<std::string>());
    auto tor = parse_tor_daemon(o.at("tor").get<std::string>());
    if (!topo || !tor) {
      return fail(std::string("bad options in the state file"));
    }
    s.options.topology = *topo;
    s.options.tor = *tor;
    s.options.nodes_per_rack = o.value("nodesPerRack", 1);
    s.dir = j.at("dir").get<std::string>();
    for (const auto& p : j.at("tor")) {
      s.tor.push_back(proc_from(p));
    }
    s.etcd = proc_from(j.at("etcd"));
    s.etcd_port = j.value("etcdPort", 2379);
    for (const auto& n : j.at("nodes")) {
      s.nodes.push_back({n.at("name").get<std::string>(), n.at("dir").get<std::string>(),
                         proc_from(n.at("calicoNode"))});
    }
    for (const auto& [name, labels] : j.at("namespaces").items()) {
      s.namespaces[name] = labels.get<std::map<std::string, std::string>>();
    }
    for (const auto& pj : j.at("pods")) {
      PodState p;
      p.ns = pj.at("namespace").get<std::string>();
      p.name = pj.at("name").get<std::string>();
      p.node = pj.at("node").get<std::string>();
      p.netns = pj.at("netns").get<std::string>();
      p.container_id = pj.at("containerID").get<std::string>();
      p.ip = pj.at("ip").get<std::string>();
      p.labels = pj.at("labels").get<std::map<std::string, std::string>>();
      p.server = proc_from(pj.at("server"));
      for (const auto& np : pj.at("ports")) {
        p.ports.push_back({np.at("name").get<std::string>(), np.at("protocol").get<std::string>(),
                           np.at("port").get<int>()});
      }
      for (const auto& l : pj.at("listen")) {
        p.listeners.push_back({l.at("protocol").get<std::string>(), l.at("port").get<int>()});
      }
      s.pods[p.ns + "/" + p.name] = std::move(p);
    }
    s.next_container = j.value("nextContainer", 0);
    return s;
  } catch (const std::exception& e) {
    return fail(std::string("malformed state file: ") + e.what());
  }
}

Result<Listener, std::string> parse_listener(const std::string& s) {
  const auto parts = split(s, ':');
  if (parts.size() > 2) {
    return fail("listener '" + s + "': expected [tcp|udp:]PORT");
  }
  Listener l;
  l.protocol = parts.size() == 2 ? lower(parts[0]) : "tcp";
  if (l.protocol != "tcp" && l.protocol != "udp") {
    return fail("listener '" + s + "': protocol '" + parts[0] + "' is not tcp or udp");
  }
  auto port = parse_port(parts.back(), "listener '" + s + "'");
  if (!port) {
    return fail(port.error());
  }
  l.port = *port;
  return l;
}

Result<NamedPort, std::string> parse_named_port(const std::string& s) {
  const auto parts = split(s, ':');
  if (parts.size() < 2 || parts.size() > 3) {
    return fail("port '" + s + "': expected NAME:[PROTOCOL:]PORT, e.g. http:TCP:80");
  }
  NamedPort p;
  p.name = parts[0];
  bool letter = false;
  bool ok = !p.name.empty() && p.name.size() <= 15 && p.name.front() != '-' &&
            p.name.back() != '-' && p.name.find("--") == std::string::npos;
  for (char c : p.name) {
    letter = letter || std::islower(static_cast<unsigned char>(c));
    ok = ok && (std::islower(static_cast<unsigned char>(c)) ||
                std::isdigit(static_cast<unsigned char>(c)) || c == '-');
  }
  if (!ok || !letter) {
    return fail("port '" + s + "': name '" + p.name +
                "' is not a valid port name (at most 15 lower-case letters, digits and '-', "
                "with at least one letter)");
  }
  p.protocol = parts.size() == 3 ? parts[1] : "TCP";
  for (char& c : p.protocol) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  if (p.protocol != "TCP" && p.protocol != "UDP" && p.protocol != "SCTP") {
    return fail("port '" + s + "': protocol '" + parts[1] + "' is not TCP, UDP or SCTP");
  }
  auto port = parse_port(parts.back(), "port '" + s + "'");
  if (!port) {
    return fail(port.error());
  }
  p.port = *port;
  return p;
}

Result<LabelEdit, std::string> parse_label_edit(const std::string& s) {
  LabelEdit e;
  const auto eq = s.find('=');
  if (eq == std::string::npos) {
    if (s.size() < 2 || s.back() != '-') {
      return fail("label '" + s + "': expected KEY=VALUE or KEY- (to remove)");
    }
    e.key = s.substr(0, s.size() - 1);
    e.remove = true;
  } else {
    e.key = s.substr(0, eq);
    e.value = s.substr(eq + 1);
  }
  if (e.key.empty()) {
    return fail("label '" + s + "': empty key");
  }
  return e;
}

}  // namespace calico::lab
