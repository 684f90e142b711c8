// The lab's namespaces, pods, policy files and probes.
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <iostream>
#include <thread>

#include <nlohmann/json.hpp>

#include "api/document.h"
#include "common/random_id.h"
#include "lab/lab.h"
#include "lab/lab_internal.h"
#include "lab/render.h"
#include "lab/sys.h"
#include "lab/traffic.h"

namespace calico::lab {
namespace {
constexpr const char* kCalicoLabelPrefix = "projectcalico.org/";
}  // namespace

namespace detail {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;
namespace fs = std::filesystem;

std::string netconf(const Session& s, const PodState& pod, bool with_args) {
  const NodeState* node = nullptr;
  for (const auto& n : s.state.nodes) {
    if (n.name == pod.node) {
      node = &n;
    }
  }
  Json j = {{"cniVersion", "1.0.0"},
            {"name", "k8s-pod-network"},
            {"type", "calico"},
            {"nodename", pod.node},
            {"mtu", 1500},
            {"log_file_path", node->dir + "/cni.log"},
            {"datastore_type", "etcdv3"},
            {"etcd_endpoints", s.etcd_endpoint_for_nodes()},
            {"ipam",
             {{"type", "calico-ipam"},
              {"assign_ipv4", "true"},
              {"ipam_lock_file", node->dir + "/ipam.lock"}}}};
  if (with_args) {
    Json labels = Json::array();
    for (const auto& [k, v] : pod.labels) {
      labels.push_back({{"key", k}, {"value", v}});
    }
    Json ports = Json::array();
    for (const auto& p : pod.ports) {
      ports.push_back({{"name", p.name}, {"protocol", p.protocol}, {"port", p.port}});
    }
    j["args"] = {{"cni", {{"labels", labels}}}, {"org.projectcalico", {{"ports", ports}}}};
  }
  return j.dump();
}

CmdResult run_cni(const Session& s, const PodState& pod, const std::string& command) {
  const PlannedNode* node = nullptr;
  for (const auto& n : s.plan.nodes) {
    if (n.name == pod.node) {
      node = &n;
    }
  }
  const std::map<std::string, std::string> env = {
      {"CNI_COMMAND", command},
      {"CNI_CONTAINERID", pod.container_id},
      {"CNI_NETNS", "/run/netns/" + pod.netns},
      {"CNI_IFNAME", "eth0"},
      {"CNI_PATH", s.bins.cni_dir},
      {"CNI_ARGS", "K8S_POD_NAMESPACE=" + pod.ns + ";K8S_POD_NAME=" + pod.name +
                       ";K8S_POD_INFRA_CONTAINER_ID=" + pod.container_id}};
  return run({find_program("ip"), "netns", "exec", node->netns, s.bins.cni_dir + "/calico"}, 60s,
             netconf(s, pod, command == "ADD"), env);
}

std::string one_line(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
    s.pop_back();
  }
  return s;
}

std::string pod_log(const Session& s, const PodState& p) {
  return s.dir() + "/pods/" + p.ns + "." + p.name + ".log";
}

Result<void, std::string> start_server(Session& s, PodState& p) {
  if (p.listeners.empty()) {
    return {};
  }
  std::vector<std::string> argv = {s.bins.self, "serve", "--identity", p.ns + "/" + p.name};
  for (const auto& l : p.listeners) {
    argv.push_back("--listen");
    argv.push_back(l.protocol + ":" + std::to_string(l.port));
  }
  fs::create_directories(s.dir() + "/pods");
  std::error_code ec;
  fs::remove(pod_log(s, p), ec);
  auto proc = spawn_daemon(argv, p.netns, {}, pod_log(s, p));
  if (!proc) {
    return fail(proc.error());
  }
  p.server = *proc;
  // Bound within a second, or the log says why not.
  for (int i = 0; i < 50; ++i) {
    if (read_file(pod_log(s, p)).find("listening") != std::string::npos) {
      return {};
    }
    if (!alive(p.server)) {
      return fail("the server of pod " + p.ns + "/" + p.name +
                  " exited: " + one_line(read_file(pod_log(s, p))));
    }
    std::this_thread::sleep_for(20ms);
  }
  return {};
}

Result<datastore::Object, std::string> find_wep(Session& s, const PodState& p) {
  auto ds = s.datastore();
  if (!ds) {
    return fail(ds.error());
  }
  datastore::ListOptions lo;
  lo.kind = api::Kind::WorkloadEndpoint;
  lo.ns = p.ns;
  auto list = (*ds)->list(lo);
  if (!list) {
    return fail(list.error().to_string());
  }
  for (auto& o : list->items) {
    const auto& wep = std::get<api::WorkloadEndpoint>(o.value);
    if (wep.spec.pod == p.name && wep.spec.node == p.node) {
      return o;
    }
  }
  return fail("no WorkloadEndpoint for pod " + p.ns + "/" + p.name + " in the datastore");
}

}  // namespace

Result<void, std::string> write_namespace(Session& s, const std::string& ns,
                                          std::map<std::string, std::string> labels) {
  if (!valid_namespace_name(ns)) {
    return fail("namespace '" + ns +
                "': not a valid Kubernetes namespace name (lower-case letters, digits, '-', at "
                "most 63)");
  }
  labels["kubernetes.io/metadata.name"] = ns;  // set by Kubernetes on every namespace
  Json apply = Json::object();
  for (const auto& [k, v] : labels) {
    apply["pcns." + k] = v;
  }
  apply["pcns.projectcalico.org/name"] = ns;
  const Json doc = {{"apiVersion", "projectcalico.org/v3"},
                    {"kind", "Profile"},
                    {"metadata", {{"name", "kns." + ns}}},
                    {"spec",
                     {{"ingress", Json::array({{{"action", "Allow"}}})},
                      {"egress", Json::array({{{"action", "Allow"}}})},
                      {"labelsToApply", apply}}}};
  auto ds = s.datastore();
  if (!ds) {
    return fail(ds.error());
  }
  auto profile = api::decode_json(doc);
  if (!profile) {
    return fail("namespace " + ns + ": " + profile.error().to_string());
  }
  if (auto v = api::validate(*profile); !v) {
    return fail("namespace " + ns + ": " + v.error().to_string());
  }
  if (auto r = apply_yaml(**ds, api::encode_yaml(*profile)); !r) {
    return fail("namespace " + ns + ": " + r.error());
  }
  s.state.namespaces[ns] = labels;
  return s.save();
}

Result<void, std::string> add_pod(Session& s, const PodSpec& spec) {
  auto ref = parse_pod_ref(spec.ref);
  if (!ref) {
    return fail(ref.error());
  }
  const auto& [ns, name] = *ref;
  const std::string key = ns + "/" + name;
  if (s.state.pods.count(key) != 0) {
    return fail("pod " + key + " already exists (on " + s.state.pods[key].node + ")");
  }
  if (s.state.namespaces.count(ns) == 0) {
    return fail("namespace '" + ns + "' does not exist: create it first (calico-lab ns create " +
                ns + ")");
  }
  bool node_ok = false;
  std::string nodes;
  for (const auto& n : s.plan.nodes) {
    node_ok = node_ok || n.name == spec.node;
    nodes += (nodes.empty() ? "" : ", ") + n.name;
  }
  if (!node_ok) {
    return fail("node '" + spec.node + "' is not in the lab (nodes: " + nodes + ")");
  }
  PodState p;
  p.ns = ns;
  p.name = name;
  p.node = spec.node;
  p.netns = pod_netns(s.plan, ns, name);
  for (const auto& l : spec.labels) {
    auto e = parse_label_edit(l);
    if (!e || e->remove) {
      return fail(e ? "label '" + l + "': expected KEY=VALUE" : e.error());
    }
    p.labels[e->key] = e->value;
  }
  for (const auto& port : spec.ports) {
    auto np = parse_named_port(port);
    if (!np) {
      return fail(np.error());
    }
    p.ports.push_back(*np);
  }
  for (const auto& l : spec.listeners) {
    auto listener = parse_listener(l);
    if (!listener) {
      return fail(listener.error());
    }
    p.listeners.push_back(*listener);
  }
  if (netns_exists(p.netns)) {
    return fail("network namespace " + p.netns + " already exists; remove it first (ip netns del " +
                p.netns + ")");
  }
  p.container_id = "calicolab" + random_hex(24);
  auto ipr = run_ok({find_program("ip"), "netns", "add", p.netns});
  if (!ipr) {
    return fail(ipr.error());
  }
  auto cleanup_netns = [&] { (void)run({find_program("ip"), "netns", "del", p.netns}); };
  (void)run({find_program("ip"), "-n", p.netns, "link", "set", "lo", "up"});
  const auto add = run_cni(s, p, "ADD");
  if (add.exit_code != 0) {
    cleanup_netns();
    return fail("CNI ADD for pod " + key + " on " + p.node + " failed (exit " +
                std::to_string(add.exit_code) + "): " + one_line(add.out + add.err));
  }
  auto result = Json::parse(add.out, nullptr, false);
  if (result.is_discarded() || !result.contains("ips") || result["ips"].empty()) {
    (void)run_cni(s, p, "DEL");
    cleanup_netns();
    return fail("CNI ADD for pod " + key + ": unexpected result: " + one_line(add.out));
  }
  const std::string addr = result["ips"][0].value("address", "");
  p.ip = addr.substr(0, addr.find('/'));
  if (auto r = start_server(s, p); !r) {
    (void)run_cni(s, p, "DEL");
    cleanup_netns();
    return fail(r.error());
  }
  s.state.pods[key] = p;
  return s.save();
}

Result<void, std::string> delete_pod(Session& s, const std::string& key) {
  auto it = s.state.pods.find(key);
  if (it == s.state.pods.end()) {
    return fail("pod " + key + " does not exist");
  }
  PodState& p = it->second;
  stop(p.server, 2s);
  const auto del = run_cni(s, p, "DEL");
  if (del.exit_code != 0) {
    return fail("CNI DEL for pod " + key + " failed (exit " + std::to_string(del.exit_code) +
                "): " + one_line(del.out + del.err) + "; the pod is kept, retry the delete");
  }
  if (netns_exists(p.netns)) {
    if (auto r = run_ok({find_program("ip"), "netns", "del", p.netns}); !r) {
      return fail(r.error());
    }
  }
  std::error_code ec;
  fs::remove(pod_log(s, p), ec);
  s.state.pods.erase(it);
  return s.save();
}

Matrix probe_matrix(Session& s, int port, const std::string& protocol,
                    std::chrono::milliseconds timeout) {
  Matrix m;
  for (const auto& [key, p] : s.state.pods) {
    m.names.push_back(key);
    m.pods.push_back(&p);
  }
  const std::size_t n = m.pods.size();
  m.cells.assign(n, std::vector<std::optional<bool>>(n));
  std::vector<std::pair<std::size_t, std::size_t>> pairs;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      if (i != j) {
        pairs.emplace_back(i, j);
      }
    }
  }
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> workers;
  const std::size_t threads = std::min<std::size_t>(16, pairs.size());
  for (std::size_t t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (std::size_t k = next++; k < pairs.size(); k = next++) {
        const auto [i, j] = pairs[k];
        const auto r = probe(m.pods[i]->netns, m.pods[j]->ip, port, protocol, timeout);
        m.cells[i][j] = r.connected;
      }
    });
  }
  for (auto& w : workers) {
    w.join();
  }
  return m;
}

}  // namespace detail

namespace {

using namespace std::chrono_literals;
using detail::Session;

std::atomic<bool> g_stop{false};

void on_signal(int) {
  g_stop = true;
}

int report(LabContext& ctx, const Result<void, std::string>& r, const std::string& ok) {
  if (!r) {
    ctx.err << "calico-lab: " << r.error() << "\n";
    return 1;
  }
  ctx.out << ok << "\n";
  return 0;
}

Result<std::string, std::string> pod_key(const std::string& ref) {
  auto r = parse_pod_ref(ref);
  if (!r) {
    return fail(r.error());
  }
  return r->first + "/" + r->second;
}

// KEY=VALUE sets, KEY- removes; keys in `fixed` cannot change.
Result<void, std::string> edit_labels(std::map<std::string, std::string>& labels,
                                      const std::vector<std::string>& edits,
                                      const std::function<bool(const std::string&)>& fixed,
                                      const std::string& why) {
  for (const auto& l : edits) {
    auto e = parse_label_edit(l);
    if (!e) {
      return fail(e.error());
    }
    if (fixed(e->key)) {
      return fail("label " + e->key + " " + why);
    }
    if (e->remove) {
      labels.erase(e->key);
    } else {
      labels[e->key] = e->value;
    }
  }
  return {};
}

}  // namespace

int cmd_ns_create(LabContext& ctx, const std::string& name, const std::string& ns,
                  const std::vector<std::string>& labels) {
  auto s = detail::load_session(ctx, name);
  if (!s) {
    return report(ctx, fail(s.error()), "");
  }
  if ((*s)->state.namespaces.count(ns) != 0) {
    return report(
        ctx, fail("namespace " + ns + " already exists (calico-lab ns label to change it)"), "");
  }
  std::map<std::string, std::string> map;
  for (const auto& l : labels) {
    auto e = parse_label_edit(l);
    if (!e || e->remove) {
      return report(ctx, fail(e ? "label '" + l + "': expected KEY=VALUE" : e.error()), "");
    }
    map[e->key] = e->value;
  }
  return report(ctx, detail::write_namespace(**s, ns, map), "namespace/" + ns + " created");
}

int cmd_ns_label(LabContext& ctx, const std::string& name, const std::string& ns,
                 const std::vector<std::string>& edits) {
  auto s = detail::load_session(ctx, name);
  if (!s) {
    return report(ctx, fail(s.error()), "");
  }
  auto it = (*s)->state.namespaces.find(ns);
  if (it == (*s)->state.namespaces.end()) {
    return report(ctx, fail("namespace " + ns + " does not exist"), "");
  }
  auto labels = it->second;
  if (auto r = edit_labels(
          labels, edits, [](const std::string& k) { return k == "kubernetes.io/metadata.name"; },
          "is set by Kubernetes and cannot change");
      !r) {
    return report(ctx, r, "");
  }
  return report(ctx, detail::write_namespace(**s, ns, labels), "namespace/" + ns + " labeled");
}

int cmd_ns_delete(LabContext& ctx, const std::string& name, const std::string& ns) {
  auto s = detail::load_session(ctx, name);
  if (!s) {
    return report(ctx, fail(s.error()), "");
  }
  Session& sess = **s;
  if (ns == "default") {
    return report(ctx, fail(std::string("namespace default cannot be deleted")), "");
  }
  if (sess.state.namespaces.count(ns) == 0) {
    return report(ctx, fail("namespace " + ns + " does not exist"), "");
  }
  // As Kubernetes does: the namespace's pods and policies go with it.
  std::vector<std::string> pods;
  for (const auto& [key, p] : sess.state.pods) {
    if (p.ns == ns) {
      pods.push_back(key);
    }
  }
  for (const auto& key : pods) {
    if (auto r = detail::delete_pod(sess, key); !r) {
      return report(ctx, r, "");
    }
    ctx.out << "pod/" << key << " deleted\n";
  }
  auto ds = sess.datastore();
  if (!ds) {
    return report(ctx, fail(ds.error()), "");
  }
  for (auto kind :
       {api::Kind::KubernetesNetworkPolicy, api::Kind::NetworkPolicy, api::Kind::NetworkSet}) {
    datastore::ListOptions lo;
    lo.kind = kind;
    lo.ns = ns;
    auto list = (*ds)->list(lo);
    if (!list) {
      return report(ctx, fail(list.error().to_string()), "");
    }
    for (const auto& o : list->items) {
      if (auto r = (*ds)->remove(o.key); !r && r.error().code != datastore::ErrorCode::NotFound) {
        return report(ctx, fail(r.error().to_string()), "");
      }
    }
  }
  if (auto r = (*ds)->remove({api::Kind::Profile, "", "kns." + ns});
      !r && r.error().code != datastore::ErrorCode::NotFound) {
    return report(ctx, fail(r.error().to_string()), "");
  }
  sess.state.namespaces.erase(ns);
  return report(ctx, sess.save(), "namespace/" + ns + " deleted");
}

int cmd_pod_add(LabContext& ctx, const std::string& name, const PodSpec& spec) {
  auto s = detail::load_session(ctx, name);
  if (!s) {
    return report(ctx, fail(s.error()), "");
  }
  auto r = detail::add_pod(**s, spec);
  if (!r) {
    return report(ctx, r, "");
  }
  auto ref = parse_pod_ref(spec.ref);
  const auto& p = (*s)->state.pods.at(ref->first + "/" + ref->second);
  ctx.out << "pod/" << p.ns << "/" << p.name << " created on " << p.node << ": IP " << p.ip
          << ", netns " << p.netns << "\n";
  return 0;
}

int cmd_pod_label(LabContext& ctx, const std::string& name, const std::string& ref,
                  const std::vector<std::string>& edits) {
  auto s = detail::load_session(ctx, name);
  if (!s) {
    return report(ctx, fail(s.error()), "");
  }
  auto key_r = pod_key(ref);
  if (!key_r) {
    return report(ctx, fail(key_r.error()), "");
  }
  const std::string key = *key_r;
  auto it = (*s)->state.pods.find(key);
  if (it == (*s)->state.pods.end()) {
    return report(ctx, fail("pod " + key + " does not exist"), "");
  }
  auto labels = it->second.labels;
  if (auto r = edit_labels(
          labels, edits, [](const std::string& k) { return k.rfind(kCalicoLabelPrefix, 0) == 0; },
          "is Calico's own and cannot be set");
      !r) {
    return report(ctx, r, "");
  }
  // As Calico's pod controller: the endpoint's labels are the pod's plus Calico's own.
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto wep = detail::find_wep(**s, it->second);
    if (!wep) {
      return report(ctx, fail(wep.error()), "");
    }
    auto value = wep->value;
    auto& meta = api::meta_of(value);
    std::map<std::string, std::string> next;
    for (const auto& [k, v] : meta.labels) {
      if (k.rfind(kCalicoLabelPrefix, 0) == 0) {
        next[k] = v;
      }
    }
    for (const auto& [k, v] : labels) {
      next[k] = v;
    }
    meta.labels = next;
    meta.resource_version = wep->revision;
    if (auto v = api::validate(value); !v) {
      return report(ctx, fail("pod " + key + ": " + v.error().to_string()), "");
    }
    auto ds = (*s)->datastore();
    auto u = (*ds)->update(value);
    if (u) {
      it->second.labels = labels;
      return report(ctx, (*s)->save(), "pod/" + key + " labeled");
    }
    if (u.error().code != datastore::ErrorCode::Conflict) {
      return report(ctx, fail(u.error().to_string()), "");
    }
  }
  return report(ctx, fail("pod " + key + ": the endpoint kept changing; try again"), "");
}

int cmd_pod_delete(LabContext& ctx, const std::string& name, const std::string& ref) {
  auto s = detail::load_session(ctx, name);
  if (!s) {
    return report(ctx, fail(s.error()), "");
  }
  auto key = pod_key(ref);
  if (!key) {
    return report(ctx, fail(key.error()), "");
  }
  return report(ctx, detail::delete_pod(**s, *key), "pod/" + *key + " deleted");
}

int cmd_pods(LabContext& ctx, const std::string& name) {
  auto s = detail::load_session(ctx, name);
  if (!s) {
    return report(ctx, fail(s.error()), "");
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& [key, p] : (*s)->state.pods) {
    std::string labels;
    for (const auto& [k, v] : p.labels) {
      labels += (labels.empty() ? "" : ",") + k + "=" + v;
    }
    rows.push_back({key, p.node, p.ip, p.netns, labels.empty() ? "-" : labels});
  }
  ctx.out << render_table({"POD", "NODE", "IP", "NETNS", "LABELS"}, rows);
  return 0;
}

int cmd_probe(LabContext& ctx, const std::string& name, const std::string& from,
              const std::string& to, int port, const std::string& protocol,
              std::chrono::milliseconds timeout) {
  auto s = detail::load_session(ctx, name);
  if (!s) {
    ctx.err << "calico-lab: " << s.error() << "\n";
    return 2;
  }
  auto pod_of = [&](const std::string& ref) -> const PodState* {
    auto r = parse_pod_ref(ref);
    if (!r) {
      return nullptr;
    }
    auto it = (*s)->state.pods.find(r->first + "/" + r->second);
    return it == (*s)->state.pods.end() ? nullptr : &it->second;
  };
  const PodState* src = pod_of(from);
  if (src == nullptr) {
    ctx.err << "calico-lab: probe: no pod '" << from << "' (calico-lab pods lists them)\n";
    return 2;
  }
  std::string ip = to;
  std::string label = to;
  if (to.find_first_not_of("0123456789.") != std::string::npos) {
    const PodState* dst = pod_of(to);
    if (dst == nullptr) {
      ctx.err << "calico-lab: probe: '" << to << "' is neither a pod nor an IPv4 address\n";
      return 2;
    }
    ip = dst->ip;
    label = dst->ns + "/" + dst->name + " (" + ip + ")";
  }
  if (protocol != "tcp" && protocol != "udp") {
    ctx.err << "calico-lab: probe: protocol '" << protocol << "' is not tcp or udp\n";
    return 2;
  }
  const auto r = probe(src->netns, ip, port, protocol, timeout);
  std::string proto = protocol;
  for (char& c : proto) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  ctx.out << src->ns << "/" << src->name << " -> " << label << " " << proto << " " << port << ": "
          << (r.connected ? "connected" : "NOT connected (" + r.detail + ")") << "\n";
  return r.connected ? 0 : 1;
}

int cmd_matrix(LabContext& ctx, const std::string& name, int port, const std::string& protocol,
               std::chrono::milliseconds timeout) {
  auto s = detail::load_session(ctx, name);
  if (!s) {
    ctx.err << "calico-lab: " << s.error() << "\n";
    return 1;
  }
  if (protocol != "tcp" && protocol != "udp") {
    ctx.err << "calico-lab: matrix: protocol '" << protocol << "' is not tcp or udp\n";
    return 1;
  }
  const auto m = detail::probe_matrix(**s, port, protocol, timeout);
  ctx.out << render_matrix(m.names, m.names, m.cells);
  return 0;
}

int cmd_serve(LabContext& ctx, const std::string& identity,
              const std::vector<std::string>& listen) {
  std::vector<Listener> listeners;
  for (const auto& l : listen) {
    auto p = parse_listener(l);
    if (!p) {
      ctx.err << "calico-lab serve: " << p.error() << "\n";
      return 1;
    }
    listeners.push_back(*p);
  }
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);
  // "listening" is what `pod add` waits for: printed once every socket is bound.
  auto r = serve(listeners, identity, g_stop, [&] {
    ctx.out << "calico-lab serve " << identity << ": listening on";
    for (const auto& l : listeners) {
      ctx.out << " " << l.protocol << ":" << l.port;
    }
    ctx.out << "\n" << std::flush;
  });
  if (!r) {
    ctx.err << "calico-lab serve: " << r.error() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace calico::lab
