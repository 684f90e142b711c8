// calico-node's process (see daemon.h).
#include "felix/node/daemon.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <sstream>
#include <thread>
#include <tuple>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

#include "common/backoff.h"
#include "common/version.h"
#include "datastore/open/open.h"
#include "felix/agent.h"
#include "felix/node/bgp_runner.h"
#include "felix/node/health_server.h"
#include "felix/node/host_net_linux.h"
#include "netlink/nft_committer.h"
#include "netlink/route_sink_nl.h"

namespace calico::felix {
namespace {

using Clock = std::chrono::steady_clock;
using datastore::WatchStatus;

struct QueueItem {
  api::Kind kind = api::Kind::Node;
  std::vector<datastore::Event> events;
  std::optional<WatchStatus> status;
  std::string detail;
};

struct Queue {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<QueueItem> items;
  bool stop = false;

  void push(QueueItem item) {
    {
      std::lock_guard lk(mu);
      items.push_back(std::move(item));
    }
    cv.notify_one();
  }
  void request_stop() {
    {
      std::lock_guard lk(mu);
      stop = true;
    }
    cv.notify_one();
  }
};

// Prometheus histogram of dataplane apply durations.
struct Histogram {
  static constexpr std::array<double, 9> kBounds = {0.001, 0.005, 0.01, 0.025, 0.05,
                                                    0.1,   0.25,  1.0,  5.0};
  std::array<std::uint64_t, kBounds.size()> buckets{};
  std::uint64_t count = 0;
  double sum = 0;
  void observe(double seconds) {
    for (std::size_t i = 0; i < kBounds.size(); ++i) {
      if (seconds <= kBounds[i]) {
        ++buckets[i];
      }
    }
    ++count;
    sum += seconds;
  }
};

// What the felix loop publishes for the health endpoints (read on the event loop).
struct Shared {
  std::mutex mu;
  AgentStatus felix;
  std::map<api::Kind, WatchStatus> watches;
  std::map<api::Kind, std::string> watch_detail;
  Clock::time_point heartbeat = Clock::now();
  Histogram apply_hist;
  std::uint64_t resyncs = 0;
  std::string last_apply_error;
};

bool datastore_connected(const Shared& s, std::string* why) {
  for (const auto& [kind, st] : s.watches) {
    if (st == WatchStatus::Reconnecting || st == WatchStatus::Stopped) {
      if (why != nullptr) {
        auto it = s.watch_detail.find(kind);
        *why = std::string(api::info(kind).name) +
               " watch: " + (it == s.watch_detail.end() ? "disconnected" : it->second);
      }
      return false;
    }
  }
  return true;
}

std::string prom_label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c == '\n' ? ' ' : c;
  }
  return out;
}

class Metrics {
 public:
  void gauge(const std::string& name, const std::string& help, double v,
             const std::string& labels = "") {
    header(name, help, "gauge");
    line(name, labels, v);
  }
  void counter(const std::string& name, const std::string& help, double v) {
    header(name, help, "counter");
    line(name, "", v);
  }
  void header(const std::string& name, const std::string& help, const std::string& type) {
    if (declared_.insert(name).second) {
      out_ << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
    }
  }
  void line(const std::string& name, const std::string& labels, double v) {
    out_ << name;
    if (!labels.empty()) {
      out_ << "{" << labels << "}";
    }
    out_ << " " << v << "\n";
  }
  std::string str() const { return out_.str(); }

 private:
  std::ostringstream out_;
  std::set<std::string> declared_;
};

std::string render_metrics(Shared& shared, BgpRunner* bgp) {
  Metrics m;
  {
    std::lock_guard lk(shared.mu);
    const AgentStatus& f = shared.felix;
    m.gauge("felix_in_sync", "1 when every datastore watch has delivered its initial list",
            f.in_sync ? 1 : 0);
    m.gauge("felix_datastore_connected", "1 when every datastore watch is connected",
            datastore_connected(shared, nullptr) ? 1 : 0);
    m.gauge("felix_dataplane_programmed", "1 after the first complete dataplane programming",
            f.programmed ? 1 : 0);
    m.gauge("felix_local_workload_endpoints", "workload endpoints on this node",
            static_cast<double>(f.local_endpoints));
    m.gauge("felix_cluster_num_workload_endpoints", "workload endpoints in the cluster",
            static_cast<double>(f.endpoints));
    m.gauge("felix_workload_routes", "workload routes installed by felix",
            static_cast<double>(f.workload_routes));
    m.gauge("felix_cluster_num_policies", "network policies known",
            static_cast<double>(f.policies));
    m.gauge("felix_owned_ipam_blocks", "IPAM blocks affine to this node",
            static_cast<double>(f.owned_blocks));
    m.counter("felix_dataplane_applies_total", "dataplane programming passes",
              static_cast<double>(f.applies));
    m.counter("felix_dataplane_errors_total", "failed dataplane programming steps",
              static_cast<double>(f.errors));
    m.counter("felix_resyncs_total", "periodic full dataplane resyncs",
              static_cast<double>(shared.resyncs));
    m.gauge("felix_policy_programming_seconds",
            "compute + commit time of the last policy (nftables) transaction",
            std::chrono::duration<double>(f.last_policy_apply).count());
    const Histogram& h = shared.apply_hist;
    m.header("felix_dataplane_apply_seconds", "duration of dataplane programming passes",
             "histogram");
    for (std::size_t i = 0; i < Histogram::kBounds.size(); ++i) {
      std::ostringstream le;
      le << "le=\"" << Histogram::kBounds[i] << "\"";
      m.line("felix_dataplane_apply_seconds_bucket", le.str(), static_cast<double>(h.buckets[i]));
    }
    m.line("felix_dataplane_apply_seconds_bucket", "le=\"+Inf\"", static_cast<double>(h.count));
    m.line("felix_dataplane_apply_seconds_sum", "", h.sum);
    m.line("felix_dataplane_apply_seconds_count", "", static_cast<double>(h.count));
  }
  if (bgp != nullptr) {
    const auto st = bgp->status();
    m.gauge("calico_bgp_running", "1 when the BGP speaker runs", bgp->running() ? 1 : 0);
    std::size_t established = 0;
    std::size_t total = 0;
    for (const auto& p : st.value("peers", nlohmann::json::array())) {
      ++total;
      const bool up = p.value("state", "") == "Established";
      established += up ? 1 : 0;
      m.gauge("calico_bgp_peer_up", "1 when the BGP session is Established", up ? 1 : 0,
              "peer=\"" + prom_label(p.value("name", "")) + "\",address=\"" +
                  prom_label(p.value("address", "")) + "\"");
    }
    m.gauge("calico_bgp_peers", "configured BGP peers", static_cast<double>(total));
    m.gauge("calico_bgp_peers_established", "Established BGP sessions",
            static_cast<double>(established));
    if (st.contains("rib")) {
      m.gauge("calico_bgp_rib_prefixes", "prefixes in the Loc-RIB",
              st["rib"].value("prefixes", 0.0));
    }
    if (st.contains("kernel")) {
      m.gauge("calico_bgp_kernel_routes", "routes the speaker installed in the kernel",
              st["kernel"].value("installed", 0.0));
      m.counter("calico_bgp_kernel_errors_total", "failed kernel route writes",
                st["kernel"].value("errors", 0.0));
    }
  }
  return m.str();
}

// (component, ok, text)
struct Check {
  bool ok = true;
  std::string text;
};

Check felix_live(Shared& shared) {
  std::lock_guard lk(shared.mu);
  const auto age = Clock::now() - shared.heartbeat;
  if (age > std::chrono::seconds(30)) {
    return {false,
            "felix loop has not run for " +
                std::to_string(std::chrono::duration_cast<std::chrono::seconds>(age).count()) +
                " s"};
  }
  return {true, "felix is live"};
}

Check felix_ready(Shared& shared) {
  std::lock_guard lk(shared.mu);
  std::string why;
  if (!shared.felix.in_sync) {
    return {false, "felix is not in sync with the datastore yet"};
  }
  if (!datastore_connected(shared, &why)) {
    return {false, "datastore unreachable (dataplane kept as it is): " + why};
  }
  if (!shared.felix.programmed) {
    return {false,
            "dataplane not programmed yet" +
                (shared.last_apply_error.empty() ? std::string() : ": " + shared.last_apply_error)};
  }
  return {true, "felix is ready"};
}

Check bgp_ready(BgpRunner* bgp) {
  if (bgp == nullptr) {
    return {true, "BGP disabled (CALICO_NETWORKING_BACKEND=none)"};
  }
  if (!bgp->running()) {
    return {false, "BGP is not running: " + bgp->not_running_reason()};
  }
  std::vector<std::string> down;
  for (const auto& p : bgp->status().value("peers", nlohmann::json::array())) {
    if (p.value("state", "") != "Established") {
      down.push_back(p.value("address", "?"));
    }
  }
  if (!down.empty()) {
    std::string t = "BGP not established with";
    for (const auto& d : down) {
      t += " " + d;
    }
    return {false, t};
  }
  return {true, "BGP is ready"};
}

HttpReply check_reply(const std::vector<Check>& checks) {
  HttpReply r;
  for (const auto& c : checks) {
    r.status = c.ok ? r.status : 503;
    r.body += c.text + "\n";
  }
  return r;
}

// IP/IP6 -> "addr/len" (or "" for none), looking up the prefix length of a bare address.
Result<std::string, std::string> resolve_ip(const std::string& value, const std::string& method,
                                            net::Family family) {
  if (value == "none") {
    return std::string();
  }
  const auto ifaces = interface_addresses();
  if (value == "autodetect") {
    return autodetect_address(ifaces, method, family);
  }
  if (value.find('/') != std::string::npos) {
    return value;
  }
  for (const auto& [name, addr] : ifaces) {
    auto c = net::Cidr::parse(addr);
    if (c && c->addr().to_string() == value) {
      return addr;
    }
  }
  return value + (family == net::Family::V4 ? "/32" : "/128");
}

}  // namespace

std::vector<std::pair<std::string, std::string>> interface_addresses() {
  std::vector<std::pair<std::string, std::string>> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) {
    return out;
  }
  for (ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_netmask == nullptr || (a->ifa_flags & IFF_UP) == 0) {
      continue;
    }
    std::array<char, INET6_ADDRSTRLEN> text{};
    int len = 0;
    if (a->ifa_addr->sa_family == AF_INET) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
      const auto* mask = reinterpret_cast<const sockaddr_in*>(a->ifa_netmask);
      inet_ntop(AF_INET, &sin->sin_addr, text.data(), text.size());
      len = __builtin_popcount(mask->sin_addr.s_addr);
    } else if (a->ifa_addr->sa_family == AF_INET6) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(a->ifa_addr);
      const auto* mask6 = reinterpret_cast<const sockaddr_in6*>(a->ifa_netmask);
      inet_ntop(AF_INET6, &sin6->sin6_addr, text.data(), text.size());
      for (auto b : mask6->sin6_addr.s6_addr) {
        len += __builtin_popcount(b);
      }
    } else {
      continue;
    }
    out.emplace_back(a->ifa_name, std::string(text.data()) + "/" + std::to_string(len));
  }
  freeifaddrs(list);
  return out;
}

int run_node_daemon(const NodeOptions& opt, const datastore::DatastoreConfig& dscfg) {
  Logger log("calico-node");
  if (!opt.log_level.empty()) {
    LogLevel level;
    std::string l = opt.log_level;
    std::transform(l.begin(), l.end(), l.begin(), ::tolower);
    if (parse_log_level(l == "warning" ? "warn" : l, level)) {
      set_log_level(level);
    }
  }
  auto ds = datastore::open_datastore(dscfg);
  if (!ds) {
    log.error("cannot open the datastore", {kv("error", ds.error())});
    return 1;
  }
  NodeRegistration reg;
  reg.name = opt.node_name;
  reg.asn = opt.asn;
  for (auto [value, family, out] :
       {std::tuple{opt.ip, net::Family::V4, &reg.ipv4}, {opt.ip6, net::Family::V6, &reg.ipv6}}) {
    auto r = resolve_ip(value, opt.autodetect_method, family);
    if (!r) {
      log.error("cannot determine the node address", {kv("error", r.error())});
      return 1;
    }
    *out = *r;
  }

  std::atomic<bool> stopping{false};
  Queue queue;
  boost::asio::io_context io;
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (!ec) {
      log.info("shutting down", {kv("signal", sig)});
      stopping = true;
      queue.request_stop();
    }
  });
  std::thread io_thread;
  auto io_guard = boost::asio::make_work_guard(io);
  io_thread = std::thread([&] { io.run(); });
  auto stop_io = [&] {
    io_guard.reset();
    io.stop();
    if (io_thread.joinable()) {
      io_thread.join();
    }
  };

  // Node registration: retried while the datastore is unreachable.
  Backoff reg_backoff(std::chrono::milliseconds(500), std::chrono::milliseconds(5000));
  for (;;) {
    auto r = register_node(**ds, reg, dscfg.type == datastore::DatastoreType::Etcdv3);
    if (r) {
      log.info("node registered",
               {kv("node", reg.name), kv("ipv4", reg.ipv4), kv("ipv6", reg.ipv6)});
      break;
    }
    if (!r.error().retryable) {
      log.error("cannot register the node", {kv("error", r.error().message)});
      stop_io();
      return 1;
    }
    log.warn("cannot register the node yet; retrying", {kv("error", r.error().message)});
    std::unique_lock lk(queue.mu);
    if (queue.cv.wait_for(lk, reg_backoff.next(), [&] { return queue.stop; })) {
      lk.unlock();
      stop_io();
      return 0;
    }
  }
  {
    std::string cluster_type = opt.cluster_type;
    if (dscfg.type == datastore::DatastoreType::Kubernetes &&
        ("," + cluster_type + ",").find(",kdd,") == std::string::npos) {
      cluster_type += cluster_type.empty() ? "kdd" : ",kdd";
    }
    if (auto ci = ensure_cluster_information(**ds, cluster_type, kCalicoVersion); !ci) {
      log.warn("cannot initialise ClusterInformation \"default\"",
               {kv("error", ci.error().message)});
    } else {
      log.info("cluster information",
               {kv("clusterGUID", ci->spec.cluster_guid), kv("clusterType", ci->spec.cluster_type),
                kv("datastoreReady", ci->spec.datastore_ready.value_or(true) ? "true" : "false")});
    }
  }
  if (auto up = (*ds)->upgrade_host(opt.node_name); !up) {
    log.warn("cannot upgrade this host's IPAM data", {kv("error", up.error().to_string())});
  }
  {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(opt.nodename_file).parent_path(), ec);
    std::ofstream f(opt.nodename_file);
    f << opt.node_name;
    if (!f) {
      log.warn("cannot write the node name file", {kv("path", opt.nodename_file)});
    }
  }

  auto felix_routes = netlink::NetlinkRouteSink::open("");
  auto bgp_routes = netlink::NetlinkRouteSink::open("");
  auto nft = netlink::NftCommitter::open("");
  if (!felix_routes || !bgp_routes || !nft) {
    log.error("cannot open netlink", {kv("error", !felix_routes ? felix_routes.error()
                                                  : !bgp_routes ? bgp_routes.error()
                                                                : nft.error())});
    stop_io();
    return 1;
  }
  LinuxHostNet host(**felix_routes);
  Shared shared;
  std::unique_ptr<BgpRunner> bgp;
  std::unique_ptr<HealthServer> health, metrics;
  // Built on the event loop's thread, which owns them.
  {
    std::promise<std::string> ready;
    auto fut = ready.get_future();
    boost::asio::post(io, [&] {
      std::string err;
      if (opt.bgp_enabled) {
        bgp = std::make_unique<BgpRunner>(io, bgp_routes->get());
        std::filesystem::create_directories(
            std::filesystem::path(opt.control_socket).parent_path());
        if (auto r = bgp->listen_control(opt.control_socket); !r) {
          err = "BGP control socket: " + r.error();
        }
      }
      auto handler = [&](const std::string& path) -> HttpReply {
        BgpRunner* b = bgp.get();
        if (path == "/metrics") {
          HttpReply r;
          r.content_type = "text/plain; version=0.0.4";
          r.body = render_metrics(shared, b);
          return r;
        }
        if (path == "/liveness") {
          return check_reply({felix_live(shared), {true, "bgp is live"}});
        }
        if (path == "/liveness/felix") {
          return check_reply({felix_live(shared)});
        }
        if (path == "/liveness/bgp") {
          return check_reply({{true, "bgp is live"}});
        }
        if (path == "/readiness") {
          return check_reply({felix_ready(shared), bgp_ready(b)});
        }
        if (path == "/readiness/felix") {
          return check_reply({felix_ready(shared)});
        }
        if (path == "/readiness/bgp") {
          return check_reply({bgp_ready(b)});
        }
        if (path == "/status") {
          HttpReply r;
          r.content_type = "application/json";
          nlohmann::json j;
          {
            std::lock_guard lk(shared.mu);
            j["felix"] = {{"inSync", shared.felix.in_sync},
                          {"programmed", shared.felix.programmed},
                          {"localEndpoints", shared.felix.local_endpoints},
                          {"workloadRoutes", shared.felix.workload_routes},
                          {"ownedBlocks", shared.felix.owned_blocks},
                          {"errors", shared.felix.errors},
                          {"lastError", shared.felix.last_error},
                          {"bgpWarnings", shared.felix.bgp_warnings}};
          }
          j["bgp"] = b ? b->status() : nlohmann::json{{"running", false}};
          r.body = j.dump(2);
          return r;
        }
        return HttpReply{404, "text/plain; charset=utf-8", "not found\n"};
      };
      if (opt.health_enabled) {
        health = std::make_unique<HealthServer>(io, handler);
        if (auto r = health->listen(opt.health_host == "localhost" ? "127.0.0.1" : opt.health_host,
                                    opt.health_port);
            !r) {
          err += (err.empty() ? "" : "; ") + r.error();
        }
      }
      if (opt.metrics_enabled) {
        metrics = std::make_unique<HealthServer>(io, handler);
        if (auto r = metrics->listen("0.0.0.0", opt.metrics_port); !r) {
          err += (err.empty() ? "" : "; ") + r.error();
        }
      }
      ready.set_value(err);
    });
    if (const std::string err = fut.get(); !err.empty()) {
      log.error("cannot start", {kv("error", err)});
      boost::asio::post(io, [&] {
        health.reset();
        metrics.reset();
        bgp.reset();
      });
      stop_io();
      return 1;
    }
  }

  struct NoBgp final : BgpControl {
    void configure(const BgpDerived&) override {}
    void set_blocks(const std::set<net::Cidr>&) override {}
  } no_bgp;
  AgentConfig acfg;
  acfg.node_name = opt.node_name;
  acfg.policy_table = opt.nft_table;
  acfg.nat_table = opt.nat_table;
  acfg.bgp.router_id_override = opt.router_id;
  acfg.bgp.control_socket = opt.control_socket;
  Agent agent(acfg,
              AgentSeams{**felix_routes, **nft, host,
                         bgp ? static_cast<BgpControl&>(*bgp) : static_cast<BgpControl&>(no_bgp)});
  agent.start();

  std::vector<std::unique_ptr<datastore::Watch>> watches;
  for (api::Kind kind : Agent::watched_kinds()) {
    datastore::WatchOptions wo;
    wo.list.kind = kind;
    if (kind == api::Kind::BlockAffinity) {
      wo.list.ns = opt.node_name;  // this host's affinities only
    }
    datastore::WatchCallbacks cb;
    cb.on_events = [&queue, kind](const std::vector<datastore::Event>& evs) {
      queue.push(QueueItem{kind, evs, std::nullopt, ""});
    };
    cb.on_status = [&queue, kind](WatchStatus st, const std::string& detail) {
      queue.push(QueueItem{kind, {}, st, detail});
    };
    watches.push_back((*ds)->watch(wo, std::move(cb)));
  }
  log.info("calico-node running",
           {kv("node", opt.node_name), kv("bgp", opt.bgp_enabled), kv("watches", watches.size())});

  Backoff retry(std::chrono::milliseconds(100), std::chrono::milliseconds(5000));
  Clock::time_point retry_at = Clock::time_point::max();  // max: no retry pending
  auto next_refresh = Clock::now() + opt.refresh_interval;
  std::string last_errors;
  int exit_code = 0;
  while (!stopping) {
    std::vector<QueueItem> batch;
    {
      std::unique_lock lk(queue.mu);
      auto deadline = std::min(next_refresh, Clock::now() + std::chrono::seconds(1));
      deadline = std::min(deadline, retry_at);
      queue.cv.wait_until(lk, deadline, [&] { return !queue.items.empty() || queue.stop; });
      if (queue.stop) {
        break;
      }
      batch.assign(std::make_move_iterator(queue.items.begin()),
                   std::make_move_iterator(queue.items.end()));
      queue.items.clear();
    }
    for (auto& item : batch) {
      if (!item.events.empty()) {
        agent.on_events(item.events);
      }
      if (item.status) {
        if (*item.status == WatchStatus::InSync) {
          agent.on_in_sync(item.kind);
        }
        std::lock_guard lk(shared.mu);
        shared.watches[item.kind] = *item.status;
        shared.watch_detail[item.kind] = item.detail;
        if (*item.status == WatchStatus::Reconnecting) {
          log.warn("datastore unreachable; keeping the dataplane as it is",
                   {kv("kind", std::string(api::info(item.kind).name)), kv("detail", item.detail)});
        } else if (*item.status == WatchStatus::Stopped && !stopping) {
          // A watch that gave up (e.g. credentials refused) never recovers in-process:
          // exit so the supervisor restarts us; the dataplane stays as it is.
          log.error(
              "a datastore watch stopped; exiting",
              {kv("kind", std::string(api::info(item.kind).name)), kv("detail", item.detail)});
          exit_code = 1;
          stopping = true;
        }
      } else if (!item.events.empty()) {
        std::lock_guard lk(shared.mu);
        if (shared.watches[item.kind] == WatchStatus::Reconnecting) {
          shared.watches[item.kind] = WatchStatus::InSync;  // events flow again
        }
      }
    }
    const auto now = Clock::now();
    if (now >= next_refresh) {
      agent.force_resync();
      next_refresh = now + opt.refresh_interval;
      std::lock_guard lk(shared.mu);
      ++shared.resyncs;
    }
    const bool due = retry_at == Clock::time_point::max() || now >= retry_at || !batch.empty();
    if (agent.in_sync() && agent.dirty() && due) {
      const auto t0 = Clock::now();
      auto r = agent.apply();
      const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
      std::string errors;
      for (const auto& e : r.errors) {
        errors += (errors.empty() ? "" : "; ") + e;
      }
      if (!r.done) {
        retry_at = Clock::now() + retry.next();
        if (errors != last_errors) {
          log.warn("dataplane not fully programmed; retrying", {kv("errors", errors)});
        }
      } else {
        retry_at = Clock::time_point::max();
        retry.reset();
        if (!last_errors.empty()) {
          log.info("dataplane programmed");
        }
      }
      last_errors = errors;
      std::lock_guard lk(shared.mu);
      shared.apply_hist.observe(secs);
      shared.last_apply_error = errors;
    }
    std::lock_guard lk(shared.mu);
    shared.felix = agent.status();
    shared.heartbeat = Clock::now();
  }

  for (auto& w : watches) {
    w->stop();
  }
  watches.clear();
  std::promise<void> done;
  boost::asio::post(io, [&] {
    if (bgp) {
      bgp->shutdown("calico-node shutting down");
    }
    health.reset();
    metrics.reset();
    done.set_value();
  });
  done.get_future().wait();
  // Let the NOTIFICATIONs leave (BgpRunner retires the speaker after a short delay).
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  std::promise<void> freed;
  boost::asio::post(io, [&] {
    bgp.reset();
    freed.set_value();
  });
  freed.get_future().wait();
  stop_io();
  log.info("stopped", {kv("exit_code", exit_code)});
  return exit_code;
}

}  // namespace calico::felix
