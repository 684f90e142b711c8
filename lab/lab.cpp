// The lab's lifecycle: up (build or reuse) and down.
#include "lab/lab.h"

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

namespace {

using namespace std::chrono_literals;
using detail::all_sessions_up;
using detail::print_howto;
using detail::print_status;
using detail::reuse_blocker;
using detail::Session;
using detail::Step;
namespace fs = std::filesystem;

struct Prereq {
  const char* program;
  const char* package;
};

Result<void, std::string> check_prerequisites(const Options& o) {
  if (::geteuid() != 0) {
    return fail(std::string("calico-lab must run as root (network namespaces, routes, nftables)"));
  }
  std::vector<Prereq> need = {
      {"ip", "iproute2"}, {"etcd", "etcd-server"}, {"nft", "nftables"}, {"curl", "curl"}};
  if (o.tor == TorDaemon::Bird) {
    need.push_back({"bird", "bird2"});
    need.push_back({"birdc", "bird2"});
  } else {
    need.push_back({"zebra", "frr"});
    need.push_back({"bgpd", "frr"});
    need.push_back({"vtysh", "frr"});
  }
  std::string missing;
  for (const auto& p : need) {
    if (find_program(p.program).empty()) {
      missing += std::string(missing.empty() ? "" : ", ") + p.program + " (Debian package " +
                 p.package + ")";
    }
  }
  if (!missing.empty()) {
    return fail("missing programs: " + missing + "; scripts/install-deps installs them");
  }
  return {};
}

std::string ip_bin() {
  return find_program("ip");
}

Result<void, std::string> ip(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {ip_bin()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run_ok(argv, 10s);
  if (!r) {
    return fail(r.error());
  }
  return {};
}

Result<void, std::string> in_netns(const std::string& ns, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {ip_bin(), "netns", "exec", ns};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run_ok(argv, 10s);
  if (!r) {
    return fail(r.error());
  }
  return {};
}

// ---- the network ----------------------------------------------------------------------

Result<void, std::string> add_netns(const std::string& ns) {
  if (netns_exists(ns)) {
    return fail("network namespace " + ns +
                " already exists but is not part of a known lab; remove it (ip netns del " + ns +
                ") or choose another --name");
  }
  if (auto r = ip({"netns", "add", ns}); !r) {
    return r;
  }
  return ip({"-n", ns, "link", "set", "lo", "up"});
}

// eth0 in `ns` <-> `port` in the ToR namespace, enslaved to br0.
Result<void, std::string> attach(const Plan& plan, const std::string& ns, const std::string& port,
                                 const std::string& addr) {
  if (auto r = ip({"link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", port,
                   "netns", plan.tor_netns});
      !r) {
    return r;
  }
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"-n", plan.tor_netns, "link", "set", port, "master", "br0"},
           {"-n", plan.tor_netns, "link", "set", port, "up"},
           {"-n", ns, "addr", "add", addr + "/" + std::to_string(plan.prefix_len), "dev", "eth0"},
           {"-n", ns, "link", "set", "eth0", "up"}}) {
    if (auto r = ip(args); !r) {
      return r;
    }
  }
  return {};
}

Result<void, std::string> build_network(const Plan& plan) {
  if (auto r = add_netns(plan.tor_netns); !r) {
    return r;
  }
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"-n", plan.tor_netns, "link", "add", "br0", "type", "bridge"},
           {"-n", plan.tor_netns, "addr", "add",
            plan.tor_ip + "/" + std::to_string(plan.prefix_len), "dev", "br0"},
           {"-n", plan.tor_netns, "link", "set", "br0", "up"}}) {
    if (auto r = ip(args); !r) {
      return r;
    }
  }
  if (auto r = in_netns(plan.tor_netns, {"sysctl", "-qw", "net.ipv4.ip_forward=1"}); !r) {
    return r;
  }
  if (auto r = add_netns(plan.ctl_netns); !r) {
    return r;
  }
  if (auto r = attach(plan, plan.ctl_netns, "ctl", plan.ctl_ip); !r) {
    return r;
  }
  for (const auto& n : plan.nodes) {
    if (auto r = add_netns(n.netns); !r) {
      return r;
    }
    if (auto r = attach(plan, n.netns, n.port, n.ip); !r) {
      return r;
    }
    // The ToR is the node's default gateway.  Besides realism it matters: proxy ARP only
    // answers the pods' 169.254.1.1 when the node has a route for it through eth0.
    if (auto r = ip({"-n", n.netns, "route", "add", "default", "via", plan.tor_ip}); !r) {
      return r;
    }
  }
  return {};
}

// ---- processes ------------------------------------------------------------------------

Result<void, std::string> start_etcd(Session& s) {
  const std::string data = s.dir() + "/etcd";
  std::error_code ec;
  fs::remove_all(data, ec);
  const std::string client =
      "http://127.0.0.1:" + std::to_string(s.state.etcd_port) + "," + s.etcd_endpoint_for_nodes();
  auto p = spawn_daemon(
      {"etcd", "--name", "calico-lab", "--data-dir", data, "--listen-client-urls", client,
       "--advertise-client-urls", s.etcd_endpoint_for_nodes(), "--listen-peer-urls",
       "http://127.0.0.1:2380", "--initial-advertise-peer-urls", "http://127.0.0.1:2380",
       "--initial-cluster", "calico-lab=http://127.0.0.1:2380", "--log-level", "warn"},
      s.plan.ctl_netns, {}, s.dir() + "/etcd.log");
  if (!p) {
    return fail(p.error());
  }
  s.state.etcd = *p;
  for (int i = 0; i < 100; ++i) {
    const auto r = run({ip_bin(), "netns", "exec", s.plan.ctl_netns, "curl", "-sf", "-m", "1",
                        "http://127.0.0.1:" + std::to_string(s.state.etcd_port) + "/health"},
                       3s);
    if (r.exit_code == 0) {
      return {};
    }
    if (!alive(s.state.etcd)) {
      return fail("etcd exited; its log " + s.dir() + "/etcd.log ends:\n" +
                  read_file(s.dir() + "/etcd.log").substr(0, 2000));
    }
    std::this_thread::sleep_for(100ms);
  }
  return fail("etcd did not become healthy in 10 s; see " + s.dir() + "/etcd.log");
}

Result<void, std::string> start_tor(Session& s) {
  const std::string dir = s.dir() + "/tor";
  fs::create_directories(dir);
  if (s.plan.options.tor == TorDaemon::Bird) {
    if (auto w = write_file(dir + "/bird.conf", bird_config(s.plan, dir)); !w) {
      return w;
    }
    if (auto c = run_ok({"bird", "-p", "-c", dir + "/bird.conf"}); !c) {
      return fail("the ToR's BIRD configuration does not parse: " + c.error());
    }
    auto p = spawn_daemon(
        {"bird", "-f", "-c", dir + "/bird.conf", "-s", dir + "/bird.ctl", "-P", dir + "/bird.pid"},
        s.plan.tor_netns, {}, dir + "/bird.out");
    if (!p) {
      return fail(p.error());
    }
    s.state.tor = {*p};
    return {};
  }
  // FRR: zebra + bgpd, unix vty sockets in the ToR's directory, running as user frr, which
  // must be able to reach it: every directory above needs o+x.
  for (fs::path p = fs::path(dir).parent_path(); !p.empty() && p != p.root_path();
       p = p.parent_path()) {
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0 && (st.st_mode & S_IXOTH) == 0) {
      return fail("FRR runs as user frr and cannot reach " + dir + ": " + p.string() +
                  " is not searchable by others (chmod o+x " + p.string() +
                  ", or use another CALICO_LAB_STATE_DIR)");
    }
  }
  if (auto w = write_file(dir + "/zebra.conf", "hostname " + s.plan.tor_netns + "\n!\n"); !w) {
    return w;
  }
  if (auto w = write_file(dir + "/bgpd.conf", frr_config(s.plan)); !w) {
    return w;
  }
  for (const char* f : {"zebra.log", "bgpd.log"}) {
    if (auto w = write_file(dir + "/" + f, ""); !w) {
      return w;
    }
  }
  if (auto c = run_ok({"chown", "-R", "frr:frr", dir}); !c) {
    return fail("FRR needs its user: " + c.error());
  }
  const std::vector<std::string> common = {"-F",           "traditional", "-u", "frr",
                                           "-g",           "frr",         "-P", "0",
                                           "--vty_socket", dir,           "-z", dir + "/zserv.api"};
  // zebra first (bgpd connects to its zserv socket), then bgpd; each logs into dir.
  s.state.tor.clear();
  for (const std::string daemon : {"zebra", "bgpd"}) {
    std::vector<std::string> argv = {find_program(daemon)};
    argv.insert(argv.end(), common.begin(), common.end());
    argv.insert(argv.end(), {"-f", dir + "/" + daemon + ".conf", "-i", dir + "/" + daemon + ".pid",
                             "--log", "file:" + dir + "/" + daemon + ".log"});
    auto p = spawn_daemon(argv, s.plan.tor_netns, {}, dir + "/" + daemon + ".out");
    if (!p) {
      return fail(p.error());
    }
    s.state.tor.push_back(*p);
    for (int i = 0;
         daemon == "zebra" && i < 150 && ::access((dir + "/zserv.api").c_str(), F_OK) != 0; ++i) {
      std::this_thread::sleep_for(100ms);
    }
  }
  return {};
}

Result<void, std::string> start_node(Session& s, std::size_t i) {
  const PlannedNode& n = s.plan.nodes[i];
  NodeState& ns = s.state.nodes[i];
  fs::create_directories(ns.dir);
  const std::map<std::string, std::string> env = {
      {"NODENAME", n.name},
      {"IP", n.ip + "/" + std::to_string(s.plan.prefix_len)},
      {"AS", std::to_string(n.as)},
      {"DATASTORE_TYPE", "etcdv3"},
      {"ETCD_ENDPOINTS", s.etcd_endpoint_for_nodes()},
      {"CALICO_NODENAME_FILE", ns.dir + "/nodename"},
      {"CALICO_BGP_CONTROL_SOCKET", ns.dir + "/bgp.sock"},
      {"CLUSTER_TYPE", "k8s,bgp"},
      {"CALICO_LOG_LEVEL", "info"}};
  auto p = spawn_daemon({s.bins.calico_node}, n.netns, env, ns.dir + "/calico-node.log");
  if (!p) {
    return fail(p.error());
  }
  ns.calico_node = *p;
  return {};
}

void teardown(const LabState& st, const Plan& plan, const std::string& dir) {
  for (const auto& [key, p] : st.pods) {
    stop(p.server, 2s);
  }
  for (const auto& n : st.nodes) {
    stop(n.calico_node, 10s);
  }
  for (const auto& p : st.tor) {
    stop(p, 5s);
  }
  stop(st.etcd, 5s);
  std::vector<std::string> namespaces;
  for (const auto& [key, p] : st.pods) {
    namespaces.push_back(p.netns);
  }
  for (const auto& n : plan.nodes) {
    namespaces.push_back(n.netns);
  }
  namespaces.push_back(plan.ctl_netns);
  namespaces.push_back(plan.tor_netns);
  for (const auto& ns : namespaces) {
    if (netns_exists(ns)) {
      (void)run({ip_bin(), "netns", "del", ns}, 10s);
    }
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
}

const char* kDemoPolicy =
    R"(# The demo's policy: nothing gets into a pod of namespace demo (default deny), except
# pods labelled app=client reaching pods labelled app=web on TCP 80.
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: demo
spec:
  podSelector: {}
  policyTypes: [Ingress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-web-from-clients
  namespace: demo
spec:
  podSelector:
    matchLabels: {app: web}
  ingress:
  - from:
    - podSelector:
        matchLabels: {app: client}
    ports:
    - {protocol: TCP, port: 80}
)";

// Polls the matrix until `want` holds for every probed pair, at most `limit`.
detail::Matrix converge(Session& s,
                        const std::function<bool(const PodState&, const PodState&)>& want,
                        std::chrono::seconds limit, bool& converged) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (true) {
    auto m = detail::probe_matrix(s, 80, "tcp", 700ms);
    converged = true;
    for (std::size_t i = 0; i < m.pods.size(); ++i) {
      for (std::size_t j = 0; j < m.pods.size(); ++j) {
        if (m.cells[i][j] && *m.cells[i][j] != want(*m.pods[i], *m.pods[j])) {
          converged = false;
        }
      }
    }
    if (converged || std::chrono::steady_clock::now() > deadline) {
      return m;
    }
    std::this_thread::sleep_for(500ms);
  }
}

int run_demo(Session& s) {
  auto& out = s.ctx.out;
  auto& err = s.ctx.err;
  {
    Step step(out, "namespace demo and two pods per node through the calico CNI plugin");
    if (auto r = detail::write_namespace(s, "demo", {{"purpose", "demo"}}); !r) {
      err << "\ncalico-lab: " << r.error() << "\n";
      return 1;
    }
    for (const auto& n : s.plan.nodes) {
      const std::string idx = n.name.substr(4);
      for (const char* app : {"web", "client"}) {
        PodSpec spec{"demo/" + std::string(app) + "-" + idx,
                     n.name,
                     {std::string("app=") + app},
                     {},
                     {"tcp:80"}};
        if (std::string(app) == "web") {
          spec.ports = {"http:TCP:80"};
        }
        if (auto r = detail::add_pod(s, spec); !r) {
          err << "\ncalico-lab: " << r.error() << "\n";
          return 1;
        }
      }
    }
    (void)s.save();
    step.done(std::to_string(s.state.pods.size()) + " pods");
  }
  bool ok = false;
  detail::Matrix before;
  {
    Step step(out, "waiting for every pod to reach every other pod (TCP 80)");
    before = converge(
        s, [](const PodState&, const PodState&) { return true; }, 60s, ok);
    step.done(ok ? "converged" : "NOT converged after 60 s");
  }
  print_status(s, out);
  out << "\n--- pod-to-pod connectivity, TCP 80, no policy ---\n"
      << render_matrix(before.names, before.names, before.cells);
  if (!ok) {
    err << "calico-lab: not every pod reaches every other pod; see the node logs under " << s.dir()
        << "\n";
    return 1;
  }
  const std::string policy_file = s.dir() + "/demo-policy.yaml";
  (void)write_file(policy_file, kDemoPolicy);
  out << "\n--- applying " << policy_file << " ---\n" << kDemoPolicy;
  {
    auto ds = s.datastore();
    if (!ds) {
      err << "calico-lab: " << ds.error() << "\n";
      return 1;
    }
    if (auto r = detail::apply_yaml(**ds, kDemoPolicy); !r) {
      err << "calico-lab: applying the demo policy: " << r.error() << "\n";
      return 1;
    }
  }
  detail::Matrix after;
  {
    Step step(out, "waiting for the policy to reach every node");
    after = converge(
        s,
        [](const PodState& from, const PodState& to) {
          return from.labels.at("app") == "client" && to.labels.at("app") == "web";
        },
        30s, ok);
    step.done(ok ? "enforced" : "NOT enforced after 30 s");
  }
  out << "\n--- pod-to-pod connectivity, TCP 80, default deny + allow app=client -> app=web ---\n"
      << render_matrix(after.names, after.names, after.cells);
  if (!ok) {
    err << "calico-lab: the policy is not enforced as expected\n";
    return 1;
  }
  return 0;
}

}  // namespace

int cmd_up(LabContext& ctx, const Options& options, bool rebuild, bool demo) {
  auto& out = ctx.out;
  auto& err = ctx.err;
  const auto t0 = std::chrono::steady_clock::now();
  auto plan = make_plan(options);
  if (!plan) {
    err << "calico-lab: " << plan.error() << "\n";
    return 1;
  }
  if (auto r = check_prerequisites(options); !r) {
    err << "calico-lab: " << r.error() << "\n";
    return 1;
  }
  auto bins = detail::find_binaries();
  if (!bins) {
    err << "calico-lab: " << bins.error() << "\n";
    return 1;
  }
  if (auto existing = detail::load_session(ctx, options.name); existing) {
    auto& s = **existing;
    const std::string blocker = rebuild ? "--rebuild was given" : reuse_blocker(s, options);
    if (blocker.empty()) {
      out << "==> lab '" << options.name << "' is already running with these options: reusing it\n";
      print_status(s, out);
      auto m = detail::probe_matrix(s, 80, "tcp", 700ms);
      out << "\n--- pod-to-pod connectivity, TCP 80 ---\n"
          << render_matrix(m.names, m.names, m.cells);
      print_howto(s, out);
      return 0;
    }
    Step step(out, "removing the existing lab '" + options.name + "' (" + blocker + ")");
    teardown(s.state, s.plan, s.dir());
    step.done();
  }
  Session s(ctx);
  s.plan = *plan;
  s.bins = *bins;
  s.state.options = options;
  s.state.dir = s.dir();
  for (const auto& n : s.plan.nodes) {
    s.state.nodes.push_back({n.name, s.dir() + "/" + n.name, {}});
  }
  std::error_code ec;
  fs::create_directories(s.dir(), ec);
  if (ec) {
    err << "calico-lab: creating " << s.dir() << ": " << ec.message() << "\n";
    return 1;
  }
  auto failed = [&](const std::string& what) {
    err << "\ncalico-lab: " << what << "\n"
        << "The lab is left as it is for inspection (logs under " << s.dir()
        << "); remove it with: calico-lab"
        << (options.name == "lab" ? "" : " --name " + options.name) << " down\n";
    (void)s.save();
    return 1;
  };
  out << "Building lab '" << options.name << "': " << options.nodes << " nodes, "
      << to_string(options.topology) << " topology, " << to_string(options.tor)
      << " top-of-rack router\n";
  {
    Step step(out, "network namespaces: ToR (bridge, gateway), control plane, " +
                       std::to_string(options.nodes) + " nodes");
    (void)s.save();
    if (auto r = build_network(s.plan); !r) {
      return failed(r.error());
    }
    step.done();
  }
  {
    Step step(out, "etcd in " + s.plan.ctl_netns + " (127.0.0.1:" +
                       std::to_string(s.state.etcd_port) + " and " + s.plan.ctl_ip + ")");
    auto r = start_etcd(s);
    (void)s.save();
    if (!r) {
      return failed(r.error());
    }
    step.done();
  }
  {
    Step step(out, "Calico resources: BGPConfiguration, IPPool " + std::string(kPoolCidr) +
                       ", Nodes, BGPPeers, namespace default");
    auto ds = s.datastore();
    if (!ds) {
      return failed(ds.error());
    }
    if (auto r = detail::apply_yaml(**ds, calico_resources_yaml(s.plan)); !r) {
      return failed("loading the lab's resources: " + r.error());
    }
    if (auto r = detail::write_namespace(s, "default", {}); !r) {
      return failed(r.error());
    }
    (void)write_file(s.dir() + "/calicoctl.cfg",
                     "apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nmetadata: {}\n"
                     "spec:\n  datastoreType: etcdv3\n  etcdEndpoints: http://127.0.0.1:" +
                         std::to_string(s.state.etcd_port) + "\n");
    step.done();
  }
  {
    Step step(out, "top-of-rack router (" + to_string(options.tor) + ", AS " +
                       std::to_string(kTorAs) + ") in " + s.plan.tor_netns);
    auto r = start_tor(s);
    (void)s.save();
    if (!r) {
      return failed(r.error());
    }
    step.done();
  }
  {
    Step step(out, "calico-node on every node");
    for (std::size_t i = 0; i < s.plan.nodes.size(); ++i) {
      if (auto r = start_node(s, i); !r) {
        (void)s.save();
        return failed(r.error());
      }
    }
    (void)s.save();
    step.done();
  }
  {
    Step step(out, "waiting for the BGP sessions (every node with the ToR" +
                       std::string(
                           options.topology == Topology::Tor ? ")" : ", and inside the cluster)"));
    const auto deadline = std::chrono::steady_clock::now() + 90s;
    while (!all_sessions_up(s) && std::chrono::steady_clock::now() < deadline) {
      for (std::size_t i = 0; i < s.state.nodes.size(); ++i) {
        if (!alive(s.state.nodes[i].calico_node)) {
          return failed("calico-node on " + s.plan.nodes[i].name + " exited; see " +
                        s.state.nodes[i].dir + "/calico-node.log");
        }
      }
      std::this_thread::sleep_for(300ms);
    }
    if (!all_sessions_up(s)) {
      print_status(s, out);
      return failed("the BGP sessions did not all come up within 90 s");
    }
    step.done("all Established");
  }
  int rc = 0;
  if (demo) {
    rc = run_demo(s);
    (void)s.save();
  } else {
    print_status(s, out);
  }
  print_howto(s, out);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  out << "(lab " << (rc == 0 ? "ready" : "up, with problems") << " in " << format_duration(secs)
      << ")\n";
  return rc;
}

int cmd_down(LabContext& ctx, const std::string& name) {
  auto s = detail::load_session(ctx, name);
  if (!s) {
    // Nothing recorded: remove the fixed namespaces of that name if they exist.
    Options o;
    o.name = name;
    auto plan = make_plan(o);
    if (plan && (netns_exists(plan->tor_netns) || netns_exists(plan->ctl_netns))) {
      ctx.err << "calico-lab: no state for lab '" << name << "', but its namespaces exist ("
              << plan->tor_netns << ", " << plan->ctl_netns
              << "); they may hold processes this tool cannot identify. Remove them by hand: ip "
                 "netns pids NS; ip netns del NS\n";
      return 1;
    }
    ctx.out << "no lab '" << name << "' is running\n";
    return 0;
  }
  Step step(ctx.out, "tearing down lab '" + name + "'");
  teardown((*s)->state, (*s)->plan, (*s)->dir());
  step.done();
  return 0;
}

}  // namespace calico::lab
