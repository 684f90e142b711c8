// calico-lab's command line: flags -> a lab command (lab/lab.h).
#include "lab/cli.h"

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "lab/lab.h"

namespace {

using calico::lab::LabContext;

constexpr const char* kUsage =
    R"(calico-lab: a routed Calico lab cluster on this machine (network namespaces)

Usage: calico-lab [--name NAME] COMMAND [ARGS]

Lab:
  up [--nodes N] [--topology tor|mesh|rr] [--tor bird|frr] [--nodes-per-rack K]
     [--rebuild] [--no-demo]          build (or reuse) the lab; the demo adds pods and a policy
  status                              nodes, BGP sessions, the ToR's routes, namespaces, pods
  down                                stop everything and delete every namespace
Kubernetes-style objects:
  ns create NS [KEY=VALUE...]         a namespace (its labels feed namespaceSelector)
  ns label NS KEY=VALUE|KEY-...       change its labels
  ns delete NS                        delete it with its pods and policies
  pod add NS/NAME --node NODE [--label K=V]... [--port NAME:PROTO:PORT]... [--listen tcp|udp:PORT]...
  pod label NS/NAME KEY=VALUE|KEY-... change a pod's labels (podSelector)
  pod delete NS/NAME
  pods                                list the pods with IPs and network namespaces
  apply -f FILE | delete -f FILE      Kubernetes NetworkPolicy or projectcalico.org/v3 YAML
Traffic:
  probe FROM TO PORT [--proto tcp|udp] [--timeout MS]   FROM a pod, TO a pod or IPv4 address;
                                      exit 0 connected, 1 not connected, 2 bad arguments
  matrix [--port 80] [--proto tcp|udp] [--timeout MS]   every pod to every pod
Tools:
  calicoctl ARGS...                   calicoctl against the lab's etcd

--name (or $CALICO_LAB_NAME) selects one of several labs (default: lab).
)";

int usage_error(const std::string& msg) {
  std::cerr << "calico-lab: " << msg << "\nRun 'calico-lab help' for usage.\n";
  return 2;
}

bool parse_int(const std::string& s, int& out) {
  if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  out = std::atoi(s.c_str());
  return true;
}

// Pulls "--flag VALUE" (or --flag=VALUE) pairs out of args; what is left are positionals.
class Args {
 public:
  explicit Args(std::vector<std::string> a) : a_(std::move(a)) {}
  bool flag(const std::string& name) {
    for (std::size_t i = 0; i < a_.size(); ++i) {
      if (a_[i] == name) {
        a_.erase(a_.begin() + static_cast<long>(i));
        return true;
      }
    }
    return false;
  }
  // Every value of a repeatable option.  error_ is set when one has no value.
  std::vector<std::string> values(const std::string& name) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < a_.size();) {
      if (a_[i] == name) {
        if (i + 1 >= a_.size()) {
          error_ = name + " needs a value";
          return out;
        }
        out.push_back(a_[i + 1]);
        a_.erase(a_.begin() + static_cast<long>(i), a_.begin() + static_cast<long>(i) + 2);
      } else if (a_[i].rfind(name + "=", 0) == 0) {
        out.push_back(a_[i].substr(name.size() + 1));
        a_.erase(a_.begin() + static_cast<long>(i));
      } else {
        ++i;
      }
    }
    return out;
  }
  std::string value(const std::string& name, const std::string& def) {
    auto v = values(name);
    return v.empty() ? def : v.back();
  }
  const std::vector<std::string>& rest() const { return a_; }
  // The first leftover that looks like an option, if any.
  std::string unknown_option() const {
    for (const auto& s : a_) {
      if (s.size() > 1 && s[0] == '-') {
        return s;
      }
    }
    return "";
  }
  const std::string& error() const { return error_; }

 private:
  std::vector<std::string> a_;
  std::string error_;
};

}  // namespace

namespace calico::lab {

int run_cli(std::vector<std::string> args) {
  std::string name =
      std::getenv("CALICO_LAB_NAME") != nullptr ? std::getenv("CALICO_LAB_NAME") : "lab";
  if (args.size() >= 2 && args[0] == "--name") {
    name = args[1];
    args.erase(args.begin(), args.begin() + 2);
  } else if (!args.empty() && args[0].rfind("--name=", 0) == 0) {
    name = args[0].substr(7);
    args.erase(args.begin());
  }
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  LabContext ctx{std::cout, std::cerr};
  if (const char* root = std::getenv("CALICO_LAB_STATE_DIR"); root != nullptr && *root != '\0') {
    ctx.state_root = root;
  }
  const std::string cmd = args[0];
  const std::string sub = args.size() > 1 ? args[1] : "";
  if (cmd == "calicoctl") {
    return calico::lab::cmd_calicoctl(ctx, name, {args.begin() + 1, args.end()});
  }
  Args a({args.begin() + 1, args.end()});
  auto done = [&](std::size_t positionals) -> std::string {
    if (!a.error().empty()) {
      return a.error();
    }
    if (auto u = a.unknown_option(); !u.empty()) {
      return "unknown option " + u + " for " + cmd;
    }
    if (a.rest().size() != positionals) {
      return cmd + ": expected " + std::to_string(positionals) + " argument(s), got " +
             std::to_string(a.rest().size());
    }
    return "";
  };
  auto timeout_of = [&](int& ms) {
    return parse_int(a.value("--timeout", "1000"), ms) && ms > 0 && ms <= 60000;
  };

  if (cmd == "up") {
    calico::lab::Options o;
    o.name = name;
    const bool rebuild = a.flag("--rebuild");
    const bool no_demo = a.flag("--no-demo");
    if (!parse_int(a.value("--nodes", "3"), o.nodes)) {
      return usage_error("--nodes: expected a number");
    }
    if (!parse_int(a.value("--nodes-per-rack", "1"), o.nodes_per_rack)) {
      return usage_error("--nodes-per-rack: expected a number");
    }
    auto topo = calico::lab::parse_topology(a.value("--topology", "tor"));
    if (!topo) {
      return usage_error(topo.error());
    }
    auto tor = calico::lab::parse_tor_daemon(a.value("--tor", "bird"));
    if (!tor) {
      return usage_error(tor.error());
    }
    o.topology = *topo;
    o.tor = *tor;
    if (auto e = done(0); !e.empty()) {
      return usage_error(e);
    }
    return calico::lab::cmd_up(ctx, o, rebuild, !no_demo);
  }
  if (cmd == "down" || cmd == "status" || cmd == "pods") {
    if (auto e = done(0); !e.empty()) {
      return usage_error(e);
    }
    return cmd == "down"     ? calico::lab::cmd_down(ctx, name)
           : cmd == "status" ? calico::lab::cmd_status(ctx, name)
                             : calico::lab::cmd_pods(ctx, name);
  }
  if (cmd == "ns") {
    const auto& r = a.rest();
    if (r.size() < 2 || (sub != "create" && sub != "label" && sub != "delete")) {
      return usage_error("ns: expected create|label|delete NS [...]");
    }
    const std::vector<std::string> extra(r.begin() + 2, r.end());
    if (sub == "create") {
      return calico::lab::cmd_ns_create(ctx, name, r[1], extra);
    }
    if (sub == "label") {
      return extra.empty() ? usage_error("ns label: expected KEY=VALUE or KEY-")
                           : calico::lab::cmd_ns_label(ctx, name, r[1], extra);
    }
    return extra.empty() ? calico::lab::cmd_ns_delete(ctx, name, r[1])
                         : usage_error("ns delete: expected one namespace");
  }
  if (cmd == "pod") {
    if (sub == "add") {
      calico::lab::PodSpec spec;
      spec.node = a.value("--node", "");
      spec.labels = a.values("--label");
      spec.ports = a.values("--port");
      spec.listeners = a.values("--listen");
      if (auto e = done(2); !e.empty()) {
        return usage_error(e);
      }
      if (spec.node.empty()) {
        return usage_error("pod add: --node is required");
      }
      spec.ref = a.rest()[1];
      return calico::lab::cmd_pod_add(ctx, name, spec);
    }
    const auto& r = a.rest();
    if (sub == "label" && r.size() >= 3) {
      return calico::lab::cmd_pod_label(ctx, name, r[1], {r.begin() + 2, r.end()});
    }
    if (sub == "delete" && r.size() == 2) {
      return calico::lab::cmd_pod_delete(ctx, name, r[1]);
    }
    return usage_error("pod: expected add|label|delete NS/NAME [...]");
  }
  if (cmd == "apply" || cmd == "delete") {
    const std::string file = a.value("-f", "");
    if (auto e = done(0); !e.empty()) {
      return usage_error(e);
    }
    if (file.empty()) {
      return usage_error(cmd + ": -f FILE is required");
    }
    return calico::lab::cmd_apply(ctx, name, cmd, file);
  }
  if (cmd == "probe") {
    const std::string proto = a.value("--proto", "tcp");
    int ms = 0;
    int port = 0;
    if (!timeout_of(ms)) {
      return usage_error("--timeout: expected milliseconds, 1 to 60000");
    }
    if (auto e = done(3); !e.empty()) {
      return usage_error(e);
    }
    if (!parse_int(a.rest()[2], port) || port < 1 || port > 65535) {
      return usage_error("probe: PORT '" + a.rest()[2] + "' is not 1-65535");
    }
    return calico::lab::cmd_probe(ctx, name, a.rest()[0], a.rest()[1], port, proto,
                                  std::chrono::milliseconds(ms));
  }
  if (cmd == "matrix") {
    const std::string proto = a.value("--proto", "tcp");
    int ms = 0;
    int port = 0;
    if (!parse_int(a.value("--port", "80"), port) || port < 1 || port > 65535) {
      return usage_error("--port: expected 1-65535");
    }
    if (!timeout_of(ms)) {
      return usage_error("--timeout: expected milliseconds, 1 to 60000");
    }
    if (auto e = done(0); !e.empty()) {
      return usage_error(e);
    }
    return calico::lab::cmd_matrix(ctx, name, port, proto, std::chrono::milliseconds(ms));
  }
  if (cmd == "serve") {
    const std::string identity = a.value("--identity", "pod");
    const auto listen = a.values("--listen");
    if (auto e = done(0); !e.empty()) {
      return usage_error(e);
    }
    return calico::lab::cmd_serve(ctx, identity, listen);
  }
  return usage_error("unknown command '" + cmd + "'");
}

}  // namespace calico::lab
