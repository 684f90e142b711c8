// E2eCluster: a routed cluster on one machine, built from the real binaries.
//
//   lan namespace   a bridge with 10.99.0.254/24, etcd listening on it; the TEST THREAD
//                   moves into this namespace for the cluster's life (ScopedNetns), so the
//                   test's datastore client and probes reach etcd and the nodes
//   node-i          a namespace with eth<i> 10.99.0.i/24 on the bridge, running calico-node
//                   (NODENAME node-i, IP from the bridge address, health on 0.0.0.0:9099,
//                   its own control socket and nodename file under the cluster's temp dir)
//   pods            namespaces wired by the real `calico` CNI plugin (and calico-ipam),
//                   executed inside the node's namespace as a runtime would
// Every namespace, process and file is removed by the destructor (processes by PID).
//
// Thread affinity: one test thread; it must construct and destroy the cluster.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "datastore/datastore.h"
#include "tests/lib/netns.h"
#include "tests/lib/process.h"

namespace calico::testlib {

class EtcdServer;
class KubeApiServer;

// Moves the calling thread into a network namespace until destroyed.
class ScopedNetns {
 public:
  explicit ScopedNetns(const std::string& name);
  ~ScopedNetns();
  ScopedNetns(const ScopedNetns&) = delete;
  ScopedNetns& operator=(const ScopedNetns&) = delete;
  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }

 private:
  int saved_ = -1;
  bool ok_ = false;
  std::string error_;
};

struct E2ePod {
  std::string ns;
  std::string name;
  int node = 0;
  std::string container_id;
  std::unique_ptr<NetNs> netns;
  std::string ip;  // IPv4 address assigned by IPAM
};

class E2eCluster {
 public:
  struct Options {
    int nodes = 3;
    std::string pool_cidr = "10.65.0.0/16";
    bool nat_outgoing = true;
    // The Kubernetes datastore: a real kube-apiserver (serving on the lan address) with
    // the CRDs; Nodes, Namespaces and Pods are created as the kubelet and the API would.
    bool kubernetes = false;
  };
  static Result<std::unique_ptr<E2eCluster>, std::string> create(const Options& options);
  ~E2eCluster();

  datastore::Datastore& ds() { return *ds_; }
  int size() const { return static_cast<int>(nodes_.size()); }
  std::string node_name(int i) const { return "node-" + std::to_string(i + 1); }
  std::string node_ip(int i) const { return "10.99.0." + std::to_string(i + 1); }
  const std::string& node_netns(int i) const {
    return nodes_[static_cast<std::size_t>(i)].netns->name();
  }
  static std::string lan_ip() { return "10.99.0.254"; }
  EtcdServer& etcd() { return *etcd_; }
  KubeApiServer* api() { return api_.get(); }

  // calico-node of node i.
  Result<void, std::string> start_node(int i);
  // SIGTERM, wait; returns the exit status.
  int stop_node(int i);
  std::string node_log(int i) const;
  // Polls node i's health endpoint until `path` answers 200.
  Result<void, std::string> wait_ready(
      int i, const std::string& path = "/readiness",
      std::chrono::milliseconds timeout = std::chrono::seconds(60));
  Result<std::pair<int, std::string>, std::string> http(int i, const std::string& path);
  // A request on node i's BGP control socket (what calicoctl node status reads).
  Result<std::string, std::string> bgp_control(int i, const std::string& request);
  std::string bgp_socket(int i) const {
    return nodes_.at(static_cast<std::size_t>(i)).dir + "/bgp.sock";
  }

  // A pod on node i through the calico CNI plugin (namespace profile kns.<ns> is created
  // if missing, with allow-all rules as Calico's for a Kubernetes namespace).
  Result<std::unique_ptr<E2ePod>, std::string> add_pod(
      int node, const std::string& ns, const std::string& name,
      const std::map<std::string, std::string>& labels);
  Result<void, std::string> del_pod(E2ePod& pod);

  // Runs `ip <args>` in node i's namespace; returns stdout+stderr.
  std::string ip_in_node(int i, const std::vector<std::string>& args) const;
  // The node's dataplane state (routes of all tables, our nftables tables) as text.
  std::string dataplane_snapshot(int i) const;

 private:
  E2eCluster() = default;
  struct Node {
    std::unique_ptr<NetNs> netns;
    std::unique_ptr<Process> proc;
    std::string dir;
  };
  Result<void, std::string> ensure_namespace_profile(const std::string& ns);
  std::string netconf(int node) const;

  Options opt_;
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<NetNs> lan_;
  std::unique_ptr<Bridge> bridge_;
  std::unique_ptr<ScopedNetns> inside_;
  std::unique_ptr<EtcdServer> etcd_;
  std::unique_ptr<KubeApiServer> api_;
  std::unique_ptr<datastore::Datastore> ds_;
  std::vector<Node> nodes_;
  int next_container_ = 0;
};

// ---- traffic ------------------------------------------------------------------------

// A TCP echo server inside a namespace (socket created there; served by one thread).
class TcpEcho {
 public:
  static Result<std::unique_ptr<TcpEcho>, std::string> start(const std::string& netns,
                                                             std::uint16_t port);
  ~TcpEcho();
  TcpEcho(const TcpEcho&) = delete;
  TcpEcho& operator=(const TcpEcho&) = delete;

 private:
  TcpEcho() = default;
  void run();
  int listen_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// A TCP connection from inside `netns`; roundtrip() sends a message and waits for its echo.
class TcpFlow {
 public:
  static Result<std::unique_ptr<TcpFlow>, std::string> open(const std::string& netns,
                                                            const std::string& ip,
                                                            std::uint16_t port,
                                                            std::chrono::milliseconds timeout);
  ~TcpFlow();
  Result<void, std::string> roundtrip(const std::string& msg, std::chrono::milliseconds timeout);

 private:
  int fd_ = -1;
};

// Connect + one roundtrip + close, bounded by `timeout`.
bool tcp_reachable(const std::string& netns, const std::string& ip, std::uint16_t port,
                   std::chrono::milliseconds timeout = std::chrono::milliseconds(1500));
// One ping (1 s).
bool ping(const std::string& netns, const std::string& ip);

}  // namespace calico::testlib
