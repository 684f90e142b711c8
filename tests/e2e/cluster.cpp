#include "tests/e2e/cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "api/document.h"
#include "common/unix_request.h"
#include "datastore/open/open.h"
#include "felix/node/health_server.h"
#include "netlink/netns_thread.h"
#include "tests/lib/etcd_server.h"
#include "tests/lib/kube_apiserver.h"

namespace calico::testlib {
namespace {

std::string errno_text(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

}  // namespace

// ---- ScopedNetns ----------------------------------------------------------------------

ScopedNetns::ScopedNetns(const std::string& name) {
  saved_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  const int target = ::open(("/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC);
  if (saved_ < 0 || target < 0) {
    error_ = errno_text("opening network namespace " + name);
  } else if (::setns(target, CLONE_NEWNET) != 0) {
    error_ = errno_text("setns " + name);
  } else {
    ok_ = true;
  }
  if (target >= 0) {
    ::close(target);
  }
}

ScopedNetns::~ScopedNetns() {
  if (ok_) {
    (void)::setns(saved_, CLONE_NEWNET);
  }
  if (saved_ >= 0) {
    ::close(saved_);
  }
}

// ---- E2eCluster -----------------------------------------------------------------------

Result<std::unique_ptr<E2eCluster>, std::string> E2eCluster::create(const Options& options) {
  std::unique_ptr<E2eCluster> c(new E2eCluster());
  c->opt_ = options;
  c->dir_ = std::make_unique<TempDir>("calico-e2e");
  c->lan_ = std::make_unique<NetNs>();
  if (!c->lan_->ok()) {
    return fail("lan namespace: " + c->lan_->error());
  }
  c->bridge_ = std::make_unique<Bridge>(*c->lan_, lan_ip() + "/24");
  if (!c->bridge_->ok()) {
    return fail("bridge: " + c->bridge_->error());
  }
  for (int i = 0; i < options.nodes; ++i) {
    Node n;
    n.netns = std::make_unique<NetNs>();
    if (!n.netns->ok()) {
      return fail("node namespace: " + n.netns->error());
    }
    if (!c->bridge_->attach(*n.netns, c->node_ip(i) + "/24")) {
      return fail("attaching node " + std::to_string(i) + ": " + c->bridge_->error());
    }
    // A node has a default gateway (here the lan namespace, which forwards nothing).
    // Besides realism it matters: proxy ARP only answers the pods' 169.254.1.1 when the
    // node has a route to that address through another interface.
    if (auto r =
            run_command({"ip", "-n", n.netns->name(), "route", "add", "default", "via", lan_ip()});
        r.exit_code != 0) {
      return fail("default route on node " + std::to_string(i) + ": " + r.output);
    }
    n.dir = c->dir_->path() + "/" + c->node_name(i);
    std::filesystem::create_directories(n.dir);
    c->nodes_.push_back(std::move(n));
  }
  c->inside_ = std::make_unique<ScopedNetns>(c->lan_->name());
  if (!c->inside_->ok()) {
    return fail(c->inside_->error());
  }
  datastore::DatastoreConfig dc;
  if (options.kubernetes) {
    auto api = KubeApiServer::start(lan_ip());
    if (!api) {
      return fail("kube-apiserver: " + api.error());
    }
    c->api_ = std::move(*api);
    if (auto r = c->api_->install_crds(CALICO_MANIFESTS_DIR "/crds"); !r) {
      return fail("CRDs: " + r.error());
    }
    for (int i = 0; i < options.nodes; ++i) {  // the kubelets register their nodes
      auto r = c->api_->request(
          "POST", "/api/v1/nodes",
          nlohmann::json{
              {"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", {{"name", c->node_name(i)}}}}
              .dump());
      if (!r || r->status != 201) {
        return fail("creating Node " + c->node_name(i) + ": " + (r ? r->body : r.error()));
      }
    }
    dc.type = datastore::DatastoreType::Kubernetes;
    dc.kubeconfig = c->api_->kubeconfig();
  } else {
    EtcdOptions eo;
    eo.host = lan_ip();
    auto etcd = EtcdServer::start(eo);
    if (!etcd) {
      return fail("etcd: " + etcd.error());
    }
    c->etcd_ = std::move(*etcd);
    dc.type = datastore::DatastoreType::Etcdv3;
    dc.etcd_endpoints = {c->etcd_->endpoint()};
  }
  auto ds = datastore::open_datastore(dc);
  if (!ds) {
    return fail("datastore: " + ds.error());
  }
  c->ds_ = std::move(*ds);
  auto pool = api::decode_yaml(
      "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: default-ipv4-ippool}\n"
      "spec: {cidr: " +
      options.pool_cidr +
      ", blockSize: 26, natOutgoing: " + (options.nat_outgoing ? "true" : "false") + "}\n");
  if (!pool) {
    return fail(pool.error().to_string());
  }
  api::apply_defaults(pool->front());
  if (auto r = c->ds_->create(pool->front()); !r) {
    return fail("creating the IPPool: " + r.error().to_string());
  }
  for (int i = 0; i < options.nodes; ++i) {
    if (auto r = c->start_node(i); !r) {
      return fail(r.error());
    }
  }
  return c;
}

E2eCluster::~E2eCluster() {
  for (auto& n : nodes_) {
    if (n.proc) {
      n.proc->stop(std::chrono::seconds(5));
    }
  }
  ds_.reset();
  api_.reset();
  etcd_.reset();
  inside_.reset();
  nodes_.clear();
  bridge_.reset();
  lan_.reset();
}

Result<void, std::string> E2eCluster::start_node(int i) {
  Node& n = nodes_.at(static_cast<std::size_t>(i));
  ProcessSpec spec;
  spec.argv = {CALICO_NODE_BINARY};
  spec.netns = n.netns->name();
  spec.env = {{"NODENAME", node_name(i)},
              {"IP", node_ip(i) + "/24"},
              {"CALICO_NODENAME_FILE", n.dir + "/nodename"},
              {"CALICO_BGP_CONTROL_SOCKET", n.dir + "/bgp.sock"},
              {"FELIX_HEALTHHOST", "0.0.0.0"},
              {"CALICO_LOG_LEVEL", "info"}};
  if (api_) {
    spec.env["DATASTORE_TYPE"] = "kubernetes";
    spec.env["KUBECONFIG"] = api_->kubeconfig();
  } else {
    spec.env["DATASTORE_TYPE"] = "etcdv3";
    spec.env["ETCD_ENDPOINTS"] = etcd_->endpoint();
  }
  spec.log_file = n.dir + "/calico-node.log";
  // Keep the previous run's log: append a marker instead of truncating.
  if (n.proc) {
    std::ofstream(spec.log_file + ".prev", std::ios::app) << n.proc->log_tail(1 << 20);
  }
  auto p = Process::start(spec);
  if (!p) {
    return fail("starting calico-node on " + node_name(i) + ": " + p.error());
  }
  n.proc = std::move(*p);
  return {};
}

int E2eCluster::stop_node(int i) {
  Node& n = nodes_.at(static_cast<std::size_t>(i));
  return n.proc ? n.proc->stop(std::chrono::seconds(10)) : 0;
}

std::string E2eCluster::node_log(int i) const {
  const Node& n = nodes_.at(static_cast<std::size_t>(i));
  return n.proc ? n.proc->log_tail(6000) : "";
}

Result<std::pair<int, std::string>, std::string> E2eCluster::http(int i, const std::string& path) {
  return felix::http_get(node_ip(i), 9099, path, std::chrono::seconds(3));
}

Result<std::string, std::string> E2eCluster::bgp_control(int i, const std::string& request) {
  return unix_request(nodes_.at(static_cast<std::size_t>(i)).dir + "/bgp.sock", request);
}

Result<void, std::string> E2eCluster::wait_ready(int i, const std::string& path,
                                                 std::chrono::milliseconds timeout) {
  std::string last = "no answer";
  const bool ok = wait_until(
      [&] {
        auto r = http(i, path);
        if (!r) {
          last = r.error();
          return false;
        }
        last = std::to_string(r->first) + " " + r->second;
        return r->first == 200;
      },
      timeout, std::chrono::milliseconds(200));
  if (!ok) {
    return fail(node_name(i) + " " + path + ": " + last + "\n--- log ---\n" + node_log(i));
  }
  return {};
}

Result<void, std::string> E2eCluster::ensure_namespace_profile(const std::string& ns) {
  if (api_) {  // the profile is the Namespace itself
    if (auto r = api_->create_namespace(ns); !r) {
      return r;
    }
    // What the controller manager would create (pods need it for admission).
    auto r = api_->request(
        "POST", "/api/v1/namespaces/" + ns + "/serviceaccounts",
        R"({"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"default"}})");
    if (!r || (r->status != 201 && r->status != 409)) {
      return fail("creating ServiceAccount " + ns + "/default: " + (r ? r->body : r.error()));
    }
    return {};
  }
  const std::string yaml =
      "apiVersion: projectcalico.org/v3\nkind: Profile\nmetadata: {name: kns." + ns +
      "}\nspec:\n  ingress: [{action: Allow}]\n  egress: [{action: Allow}]\n"
      "  labelsToApply: {pcns.projectcalico.org/name: " +
      ns + "}\n";
  auto docs = api::decode_yaml(yaml);
  if (!docs) {
    return fail(docs.error().to_string());
  }
  auto r = ds_->create(docs->front());
  if (!r && r.error().code != datastore::ErrorCode::AlreadyExists) {
    return fail("creating profile kns." + ns + ": " + r.error().to_string());
  }
  return {};
}

std::string E2eCluster::netconf(int node) const {
  const Node& n = nodes_.at(static_cast<std::size_t>(node));
  nlohmann::json j = {{"cniVersion", "1.0.0"},
                      {"name", "k8s-pod-network"},
                      {"type", "calico"},
                      {"nodename", node_name(node)},
                      {"mtu", 1500},
                      {"log_file_path", n.dir + "/cni.log"},
                      {"ipam",
                       {{"type", "calico-ipam"},
                        {"assign_ipv4", "true"},
                        {"ipam_lock_file", n.dir + "/ipam.lock"}}}};
  if (api_) {
    j["datastore_type"] = "kubernetes";
    j["kubernetes"] = {{"kubeconfig", api_->kubeconfig()}};
  } else {
    j["datastore_type"] = "etcdv3";
    j["etcd_endpoints"] = etcd_->endpoint();
  }
  return j.dump();
}

Result<std::unique_ptr<E2ePod>, std::string> E2eCluster::add_pod(
    int node, const std::string& ns, const std::string& name,
    const std::map<std::string, std::string>& labels) {
  if (auto r = ensure_namespace_profile(ns); !r) {
    return fail(r.error());
  }
  auto pod = std::make_unique<E2ePod>();
  pod->ns = ns;
  pod->name = name;
  pod->node = node;
  pod->container_id = "c" + std::to_string(++next_container_) + unique_name("x");
  pod->netns = std::make_unique<NetNs>();
  if (!pod->netns->ok()) {
    return fail("pod namespace: " + pod->netns->error());
  }
  if (api_) {  // the Pod exists before the runtime calls CNI
    nlohmann::json pod_json = {
        {"apiVersion", "v1"},
        {"kind", "Pod"},
        {"metadata", {{"name", name}, {"namespace", ns}, {"labels", labels}}},
        {"spec",
         {{"nodeName", node_name(node)},
          {"automountServiceAccountToken", false},  // no token controller here
          {"containers", {{{"name", "c"}, {"image", "registry.invalid/none"}}}}}}};
    auto r = api_->request("POST", "/api/v1/namespaces/" + ns + "/pods", pod_json.dump());
    if (!r || r->status != 201) {
      return fail("creating Pod " + ns + "/" + name + ": " + (r ? r->body : r.error()));
    }
  }
  nlohmann::json conf = nlohmann::json::parse(netconf(node));
  nlohmann::json lab = nlohmann::json::array();
  for (const auto& [k, v] : labels) {
    lab.push_back({{"key", k}, {"value", v}});
  }
  conf["args"] = {{"cni", {{"labels", lab}}}};
  const std::map<std::string, std::string> env = {
      {"CNI_COMMAND", "ADD"},
      {"CNI_CONTAINERID", pod->container_id},
      {"CNI_NETNS", "/run/netns/" + pod->netns->name()},
      {"CNI_IFNAME", "eth0"},
      {"CNI_PATH", CALICO_CNI_BIN_DIR},
      {"CNI_ARGS", "K8S_POD_NAMESPACE=" + ns + ";K8S_POD_NAME=" + name +
                       ";K8S_POD_INFRA_CONTAINER_ID=" + pod->container_id},
      {"PATH", "/usr/sbin:/usr/bin:/sbin:/bin"}};
  const auto r =
      run_with_input({"/usr/sbin/ip", "netns", "exec", node_netns(node), CALICO_CNI_PLUGIN}, env,
                     conf.dump(), true, std::chrono::seconds(30));
  if (r.exit_code != 0) {
    return fail("CNI ADD " + ns + "/" + name + " on " + node_name(node) + ": exit " +
                std::to_string(r.exit_code) + ": " + r.out + r.err);
  }
  auto result = nlohmann::json::parse(r.out, nullptr, false);
  if (result.is_discarded() || !result.contains("ips") || result["ips"].empty()) {
    return fail("CNI ADD " + name + ": unexpected result " + r.out);
  }
  const std::string addr = result["ips"][0].value("address", "");
  pod->ip = addr.substr(0, addr.find('/'));
  return pod;
}

Result<void, std::string> E2eCluster::del_pod(E2ePod& pod) {
  const std::map<std::string, std::string> env = {
      {"CNI_COMMAND", "DEL"},
      {"CNI_CONTAINERID", pod.container_id},
      {"CNI_NETNS", "/run/netns/" + pod.netns->name()},
      {"CNI_IFNAME", "eth0"},
      {"CNI_PATH", CALICO_CNI_BIN_DIR},
      {"CNI_ARGS", "K8S_POD_NAMESPACE=" + pod.ns + ";K8S_POD_NAME=" + pod.name +
                       ";K8S_POD_INFRA_CONTAINER_ID=" + pod.container_id},
      {"PATH", "/usr/sbin:/usr/bin:/sbin:/bin"}};
  const auto r =
      run_with_input({"/usr/sbin/ip", "netns", "exec", node_netns(pod.node), CALICO_CNI_PLUGIN},
                     env, netconf(pod.node), true, std::chrono::seconds(30));
  if (r.exit_code != 0) {
    return fail("CNI DEL " + pod.name + ": exit " + std::to_string(r.exit_code) + ": " + r.out +
                r.err);
  }
  pod.netns.reset();
  return {};
}

std::string E2eCluster::ip_in_node(int i, const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"ip", "-n", node_netns(i)};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv).output;
}

std::string E2eCluster::dataplane_snapshot(int i) const {
  // IPv4 routes of every table and the IPv6 main table: what calico-node programs (the
  // IPv6 local table follows the kernel's own address set-up of new veths).
  std::string s = ip_in_node(i, {"-4", "route", "show", "table", "all"}) +
                  ip_in_node(i, {"-6", "route", "show"});
  for (const char* table : {"calico", "calico-nat"}) {
    s += run_command({"ip", "netns", "exec", node_netns(i), "nft", "list", "table", "inet", table})
             .output;
  }
  return s;
}

// ---- traffic --------------------------------------------------------------------------

Result<std::unique_ptr<TcpEcho>, std::string> TcpEcho::start(const std::string& netns,
                                                             std::uint16_t port) {
  auto fd = netlink::run_in_netns(netns, [&]() -> Result<int, std::string> {
    const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s < 0) {
      return fail(errno_text("socket"));
    }
    const int one = 1;
    ::setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(s, 64) != 0) {
      ::close(s);
      return fail(errno_text("bind/listen"));
    }
    return s;
  });
  if (!fd) {
    return fail(fd.error());
  }
  std::unique_ptr<TcpEcho> e(new TcpEcho());
  e->listen_fd_ = *fd;
  e->thread_ = std::thread([p = e.get()] { p->run(); });
  return e;
}

TcpEcho::~TcpEcho() {
  stop_ = true;
  if (thread_.joinable()) {
    thread_.join();
  }
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
  }
}

void TcpEcho::run() {
  std::vector<pollfd> fds = {{listen_fd_, POLLIN, 0}};
  while (!stop_) {
    if (::poll(fds.data(), fds.size(), 100) <= 0) {
      continue;
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
        continue;
      }
      if (i == 0) {
        const int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (c >= 0) {
          fds.push_back({c, POLLIN, 0});
        }
        continue;
      }
      std::array<char, 4096> buf{};
      const ssize_t n = ::recv(fds[i].fd, buf.data(), buf.size(), 0);
      if (n > 0) {
        (void)::send(fds[i].fd, buf.data(), static_cast<std::size_t>(n), MSG_NOSIGNAL);
      } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
      }
    }
    fds.erase(std::remove_if(fds.begin() + 1, fds.end(), [](const pollfd& p) { return p.fd < 0; }),
              fds.end());
  }
  for (std::size_t i = 1; i < fds.size(); ++i) {
    ::close(fds[i].fd);
  }
}

Result<std::unique_ptr<TcpFlow>, std::string> TcpFlow::open(const std::string& netns,
                                                            const std::string& ip,
                                                            std::uint16_t port,
                                                            std::chrono::milliseconds timeout) {
  auto fd = netlink::run_in_netns(netns, [&]() -> Result<int, std::string> {
    const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s < 0) {
      return fail(errno_text("socket"));
    }
    return s;
  });
  if (!fd) {
    return fail(fd.error());
  }
  std::unique_ptr<TcpFlow> f(new TcpFlow());
  f->fd_ = *fd;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  if (::inet_pton(AF_INET, ip.c_str(), &a.sin_addr) != 1) {
    return fail("bad address " + ip);
  }
  if (::connect(f->fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 && errno != EINPROGRESS) {
    return fail(errno_text("connect " + ip));
  }
  pollfd p{f->fd_, POLLOUT, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) {
    return fail("connect " + ip + ":" + std::to_string(port) + ": timed out");
  }
  int err = 0;
  socklen_t len = sizeof err;
  ::getsockopt(f->fd_, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    return fail("connect " + ip + ":" + std::to_string(port) + ": " + std::strerror(err));
  }
  return f;
}

TcpFlow::~TcpFlow() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

Result<void, std::string> TcpFlow::roundtrip(const std::string& msg,
                                             std::chrono::milliseconds timeout) {
  if (::send(fd_, msg.data(), msg.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(msg.size())) {
    return fail(errno_text("send"));
  }
  std::string got;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (got.size() < msg.size()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return fail("no echo within " + std::to_string(timeout.count()) + " ms (got " +
                  std::to_string(got.size()) + " of " + std::to_string(msg.size()) + " bytes)");
    }
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) != 1) {
      continue;
    }
    std::array<char, 4096> buf{};
    const ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
    if (n <= 0) {
      return fail(n == 0 ? "connection closed by the peer" : errno_text("recv"));
    }
    got.append(buf.data(), static_cast<std::size_t>(n));
  }
  if (got != msg) {
    return fail("echo differs");
  }
  return {};
}

bool tcp_reachable(const std::string& netns, const std::string& ip, std::uint16_t port,
                   std::chrono::milliseconds timeout) {
  auto f = TcpFlow::open(netns, ip, port, timeout);
  return f && (*f)->roundtrip("probe", timeout);
}

bool ping(const std::string& netns, const std::string& ip) {
  return run_command({"ip", "netns", "exec", netns, "ping", "-n", "-q", "-c", "1", "-W", "1", ip},
                     std::chrono::seconds(5))
             .exit_code == 0;
}

}  // namespace calico::testlib
