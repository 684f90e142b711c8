// PodNetwork: a one-node pod network in network namespaces, wired exactly like the Calico
// CNI plugin wires a pod, with in-process echo servers in every pod and fast concurrent
// probes between pods.  The fixture for real-traffic policy tests.
//
//   auto net = PodNetwork::create({{"x/a", "10.65.0.10", ""}, {"x/b", "10.65.0.11", ""}});
//   committer = netlink::NftCommitter::open((*net)->host().name());   // policy lives here
//   auto r = (*net)->probe_all({{0, 1, IPPROTO_TCP, 80}, {1, 0, IPPROTO_UDP, 81}});
//   EXPECT_TRUE(r[0].allowed());
//
// Topology.  One "host" namespace (ip_forward=1) and one namespace per pod.  Pod i is
// joined to the host by a veth: host side "cali" + 11 hex characters (unique per process
// and fixture), MAC ee:ee:ee:ee:ee:ee, proxy_arp=1 with proxy_delay=0, route <ip>/32 dev
// cali... scope link; pod side eth0 with <ip>/32, route 169.254.1.1 dev eth0 scope link
// and default via 169.254.1.1 (answered by the host's proxy ARP; the host has a stand-in
// "node0" uplink with the default route and a node address, as a real node does).  Optional IPv6
// per pod: <ip6>/128 on eth0, default via fe80::1 with a permanent neighbour entry for it,
// fe80::1/64 on the host side of the veth, route <ip6>/128 dev cali...; forwarding on.  Pod-to-pod
// traffic is therefore forwarded by the host namespace, where the policy's nftables table is
// committed (filter forward hook, iifname/oifname = the cali interfaces).
//
// Servers.  Every pod listens on TCP and UDP on each of options.ports (and on SCTP if the
// kernel has it), IPv4 and, if the pod has an IPv6 address, IPv6.  The sockets are created
// inside the pod's namespace by a short-lived helper thread (setns on a throwaway thread:
// the caller's threads never change namespace; a socket keeps its namespace for life) and
// served by ONE epoll thread: TCP/SCTP connections are accepted and echoed, UDP datagrams
// echoed to their sender.
//
// Probes.  probe_all() starts every probe at once (client sockets created inside the
// source pod's namespace, non-blocking connect for TCP/SCTP, send + wait for the echo for
// UDP) and waits in one poll loop, each probe bounded by its timeout: a full 9x9 matrix of
// four probes takes about one timeout.  Each probe binds its own source port, cycling
// per source pod through [20000, 32767] (outside the ephemeral range), so a probe never
// reuses a conntrack entry left by a recent probe of the same flow (a reused UDP tuple
// would otherwise be "established" and bypass a newly denying policy).  TCP probes close
// with a RST (SO_LINGER 0): no TIME_WAIT, and conntrack forgets them quickly.
//
// Thread affinity: one thread uses a PodNetwork (and its flows) at a time; the epoll thread
// is internal.  Teardown (destructor or destroy()) stops the server thread, closes every
// socket, then deletes the pod namespaces and the host namespace (with them every veth),
// also when a test fails half-way.
#pragma once

#include <netinet/in.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "tests/lib/netns.h"

namespace calico::testlib {

namespace detail {
class EchoServer;
}  // namespace detail

struct PodSpec {
  std::string name;  // for messages only ("x/a")
  std::string ip4;   // required: "10.65.0.10"
  std::string ip6;   // optional: "fd00:65::a" ("" = IPv4 only)
};

struct PodNetworkOptions {
  std::vector<std::uint16_t> ports{80, 81};  // TCP, UDP (and SCTP) server ports per pod
  std::chrono::milliseconds probe_timeout{300};
};

// One probe: from pod `from` to pod `to`, protocol IPPROTO_TCP / IPPROTO_UDP /
// IPPROTO_SCTP, destination port; IPv6 if `ipv6` (both pods need an IPv6 address).
struct PodProbe {
  std::size_t from = 0;
  std::size_t to = 0;
  std::uint8_t protocol = IPPROTO_TCP;
  std::uint16_t port = 80;
  bool ipv6 = false;
};

enum class ProbeOutcome : std::uint8_t {
  Allowed,      // TCP/SCTP connected; UDP echo received
  TimedOut,     // nothing came back in time (dropped)
  Refused,      // TCP RST / ICMP port unreachable: denied too, but by the peer's stack
  Error,        // a local error (socket, bind, unexpected errno): see detail
  Unsupported,  // the protocol is not available in this kernel (SCTP)
};
std::string_view to_string(ProbeOutcome outcome);

struct PodProbeResult {
  ProbeOutcome outcome = ProbeOutcome::Error;
  std::string detail;  // errno text for Error/Unsupported/Refused
  std::chrono::microseconds elapsed{0};
  bool allowed() const { return outcome == ProbeOutcome::Allowed; }
};

// A long-lived TCP connection between two pods (see PodNetwork::open_flow), for checking
// that an established flow survives a policy change.
class PodFlow {
 public:
  ~PodFlow();
  PodFlow(const PodFlow&) = delete;
  PodFlow& operator=(const PodFlow&) = delete;
  PodFlow(PodFlow&&) = delete;
  PodFlow& operator=(PodFlow&&) = delete;

  // Sends a few bytes and waits up to `timeout` for the server's echo of exactly them.
  // False on timeout or a connection error (see error()).  After a failed exchange, late
  // echoes are discarded by the next one.
  bool exchange(std::chrono::milliseconds timeout = std::chrono::milliseconds(1000));
  const std::string& error() const { return error_; }

 private:
  friend class PodNetwork;
  explicit PodFlow(int fd) : fd_(fd) {}
  int fd_ = -1;
  std::uint64_t sent_ = 0;      // bytes sent so far
  std::uint64_t received_ = 0;  // bytes of echo received so far
  std::string error_;
};

class PodNetwork {
 public:
  // Builds the namespaces, veths and servers.  Errors name the command or socket call
  // that failed; everything already created is removed again.
  static Result<std::unique_ptr<PodNetwork>, std::string> create(std::vector<PodSpec> pods,
                                                                 PodNetworkOptions options = {});
  ~PodNetwork();  // destroy()
  PodNetwork(const PodNetwork&) = delete;
  PodNetwork& operator=(const PodNetwork&) = delete;
  PodNetwork(PodNetwork&&) = delete;
  PodNetwork& operator=(PodNetwork&&) = delete;

  const NetNs& host() const { return *host_; }
  std::size_t size() const { return pods_.size(); }
  const PodSpec& pod(std::size_t i) const { return pods_.at(i); }
  // Host side of pod i's veth ("cali" + 11 hex characters), inside host().
  const std::string& iface(std::size_t i) const { return ifaces_.at(i); }
  const std::string& pod_netns(std::size_t i) const;
  // The host namespace and every pod namespace (for leak checks after destroy()).
  std::vector<std::string> netns_names() const;
  const PodNetworkOptions& options() const { return options_; }

  // Whether the kernel offers SCTP sockets; if not, why ("socket(AF_INET, SOCK_STREAM,
  // IPPROTO_SCTP): Protocol not supported").  SCTP probes are then Unsupported.
  bool sctp_available() const { return sctp_reason_.empty(); }
  const std::string& sctp_unavailable_reason() const { return sctp_reason_; }

  // Runs every probe concurrently; one result per probe, in order.  Each probe is bounded
  // by `timeout` (default: options().probe_timeout).
  std::vector<PodProbeResult> probe_all(const std::vector<PodProbe>& probes);
  std::vector<PodProbeResult> probe_all(const std::vector<PodProbe>& probes,
                                        std::chrono::milliseconds timeout);

  // Opens a TCP connection from pod `from` to pod `to`:`port` (IPv4) and checks it with one
  // exchange; bounded by `timeout`.
  Result<std::unique_ptr<PodFlow>, std::string> open_flow(
      std::size_t from, std::size_t to, std::uint16_t port = 80,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));

  // Stops the servers, closes every socket and deletes every namespace.  Idempotent.
  void destroy();

 private:
  PodNetwork() = default;
  Result<void, std::string> build();
  Result<void, std::string> wire_pod(std::size_t i);
  Result<void, std::string> start_servers();
  std::uint16_t next_source_port(std::size_t pod);

  std::vector<PodSpec> pods_;
  PodNetworkOptions options_;
  std::unique_ptr<NetNs> host_;
  std::vector<std::unique_ptr<NetNs>> pod_ns_;
  std::vector<std::string> ifaces_;
  std::vector<std::uint16_t> next_port_;  // per source pod, see the top comment
  std::string sctp_reason_;
  std::unique_ptr<detail::EchoServer> server_;
};

// Runs `fn` on a throwaway thread that first joins the `ip netns` namespace `netns`
// (/run/netns/<netns>); the calling thread never changes namespace.  Sockets `fn` creates
// belong to that namespace for life.  Errors: the namespace cannot be opened or joined.
Result<void, std::string> run_in_netns(const std::string& netns, const std::function<void()>& fn);

}  // namespace calico::testlib
