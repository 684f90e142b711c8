#include "tests/lib/pod_net.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <optional>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>

#include "tests/lib/process.h"

namespace calico::testlib {

using Clock = std::chrono::steady_clock;

namespace {

// The host side of every Calico veth has this MAC; the pod resolves its gateway to it.
constexpr const char* kCaliMac = "ee:ee:ee:ee:ee:ee";
// Probe source ports cycle through this range (below the ephemeral range 32768-60999).
constexpr std::uint16_t kFirstSourcePort = 20000;
constexpr std::uint16_t kLastSourcePort = 32767;
constexpr int kBindAttempts = 32;

std::string errno_text(int err) {
  return std::error_code(err, std::generic_category()).message();  // thread-safe strerror
}

// `ip -n <ns> -batch <file>` over the given lines (one `ip` command each, without "ip").
Result<void, std::string> ip_batch(const std::string& ns, const std::vector<std::string>& lines) {
  TempDir dir("calico-podnet");
  if (dir.path().empty()) {
    return fail(std::string("mkdtemp: ") + errno_text(errno));
  }
  const std::string file = dir.path() + "/batch";
  {
    std::ofstream out(file);
    for (const auto& l : lines) {
      out << l << "\n";
    }
    if (!out) {
      return fail("cannot write " + file);
    }
  }
  const auto r = run_command({"ip", "-n", ns, "-batch", file});
  if (r.exit_code != 0) {
    std::string all;
    for (const auto& l : lines) {
      all += "  " + l + "\n";
    }
    return fail("ip -n " + ns + " -batch:\n" + all + r.output);
  }
  return {};
}

// Writes sysctls (paths under /proc/sys) inside the namespace.  Net sysctls resolve
// against the writing thread's network namespace, so the helper thread sees ours.
Result<void, std::string> write_sysctls(
    const std::string& netns, const std::vector<std::pair<std::string, std::string>>& values) {
  std::string error;
  auto ran = run_in_netns(netns, [&] {
    for (const auto& [path, value] : values) {
      const std::string full = "/proc/sys/" + path;
      const int fd = ::open(full.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd < 0) {
        error = full + ": " + errno_text(errno);
        return;
      }
      const ssize_t n = ::write(fd, value.data(), value.size());
      const int err = errno;
      ::close(fd);
      if (n != static_cast<ssize_t>(value.size())) {
        error = full;
        error.append(" = ").append(value).append(": ").append(errno_text(err));
        return;
      }
    }
  });
  if (!ran) {
    return fail(ran.error());
  }
  if (!error.empty()) {
    return fail("netns " + netns + ": " + error);
  }
  return {};
}

// "cali" + 11 hex characters, unique per process (pid) and interface (counter), like the
// names the Calico CNI plugin derives from the workload id.
std::string cali_iface_name() {
  static std::atomic<std::uint64_t> counter{0};
  const std::uint64_t value =
      (static_cast<std::uint64_t>(::getpid()) << 20U) | (counter.fetch_add(1) & 0xFFFFFU);
  std::array<char, 16> buf{};
  std::snprintf(buf.data(), buf.size(), "cali%011llx",
                static_cast<unsigned long long>(value & 0xFFFFFFFFFFFULL));
  return buf.data();
}

void close_with_rst(int fd) {
  const linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  ::close(fd);
}

// An IPv4 or IPv6 socket address for text `ip` and `port`; nullopt if it does not parse.
struct SockAddr {
  sockaddr_storage storage{};
  socklen_t len = 0;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

std::optional<SockAddr> make_addr(const std::string& ip, std::uint16_t port, bool v6) {
  SockAddr a;
  if (v6) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(port);
    if (!ip.empty() && ::inet_pton(AF_INET6, ip.c_str(), &s6->sin6_addr) != 1) {
      return std::nullopt;
    }
    a.len = sizeof(sockaddr_in6);
  } else {
    auto* s4 = reinterpret_cast<sockaddr_in*>(&a.storage);
    s4->sin_family = AF_INET;
    s4->sin_port = htons(port);
    if (!ip.empty() && ::inet_pton(AF_INET, ip.c_str(), &s4->sin_addr) != 1) {
      return std::nullopt;
    }
    a.len = sizeof(sockaddr_in);
  }
  return a;
}

bool is_stream(std::uint8_t protocol) {
  return protocol == IPPROTO_TCP || protocol == IPPROTO_SCTP;
}

std::string proto_name(std::uint8_t protocol) {
  switch (protocol) {
    case IPPROTO_TCP:
      return "tcp";
    case IPPROTO_UDP:
      return "udp";
    case IPPROTO_SCTP:
      return "sctp";
    default:
      return "proto" + std::to_string(protocol);
  }
}

// A server socket bound to the wildcard address of the family (and listening if stream).
Result<int, std::string> server_socket(int family, std::uint8_t protocol, std::uint16_t port) {
  const int type = is_stream(protocol) ? SOCK_STREAM : SOCK_DGRAM;
  const int fd = ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  const std::string what =
      proto_name(protocol) + (family == AF_INET6 ? "6" : "") + "/" + std::to_string(port);
  if (fd < 0) {
    return fail("socket " + what + ": " + errno_text(errno));
  }
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (family == AF_INET6) {
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  }
  const auto addr = make_addr("", port, family == AF_INET6);
  if (::bind(fd, addr->get(), addr->len) != 0 || (type == SOCK_STREAM && ::listen(fd, 1024) != 0)) {
    const int err = errno;
    ::close(fd);
    return fail("bind/listen " + what + ": " + errno_text(err));
  }
  return fd;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// run_in_netns

Result<void, std::string> run_in_netns(const std::string& netns, const std::function<void()>& fn) {
  const std::string path = "/run/netns/" + netns;
  const int ns_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (ns_fd < 0) {
    return fail(path + ": " + errno_text(errno));
  }
  Result<void, std::string> out = fail(std::string("netns helper thread did not run"));
  try {
    std::thread helper([&] {
      if (::setns(ns_fd, CLONE_NEWNET) != 0) {
        out = fail("setns(" + path + "): " + errno_text(errno));
        return;
      }
      fn();
      out = {};
    });
    helper.join();
  } catch (const std::system_error& e) {
    out = fail(std::string("starting the netns helper thread: ") + e.what());
  }
  ::close(ns_fd);
  return out;
}

std::string_view to_string(ProbeOutcome outcome) {
  switch (outcome) {
    case ProbeOutcome::Allowed:
      return "allowed";
    case ProbeOutcome::TimedOut:
      return "timed out";
    case ProbeOutcome::Refused:
      return "refused";
    case ProbeOutcome::Error:
      return "error";
    case ProbeOutcome::Unsupported:
      return "unsupported";
  }
  return "?";
}

// ---------------------------------------------------------------------------------------
// EchoServer: one epoll thread serving every pod's sockets.

namespace detail {

class EchoServer {
 public:
  EchoServer() = default;
  ~EchoServer() { stop(); }
  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;
  EchoServer(EchoServer&&) = delete;
  EchoServer& operator=(EchoServer&&) = delete;

  Result<void, std::string> init() {
    epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
    wakefd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (epfd_ < 0 || wakefd_ < 0) {
      return fail("epoll/eventfd: " + errno_text(errno));
    }
    return add(wakefd_, Kind::Wake);
  }
  // Takes ownership of fd.  Before start() only.
  Result<void, std::string> add_socket(int fd, int type) {
    return add(fd, type == SOCK_STREAM ? Kind::Listener : Kind::Datagram);
  }
  Result<void, std::string> start() {
    try {
      thread_ = std::thread([this] { run(); });
    } catch (const std::system_error& e) {
      return fail(std::string("starting the echo server thread: ") + e.what());
    }
    return {};
  }
  void stop() {
    if (thread_.joinable()) {
      const std::uint64_t one = 1;
      [[maybe_unused]] const ssize_t n = ::write(wakefd_, &one, sizeof(one));
      thread_.join();
    }
    for (const auto& [fd, kind] : fds_) {
      if (kind == Kind::Conn) {
        close_with_rst(fd);
      } else if (fd != wakefd_) {
        ::close(fd);
      }
    }
    fds_.clear();
    for (int* fd : {&wakefd_, &epfd_}) {
      if (*fd >= 0) {
        ::close(*fd);
        *fd = -1;
      }
    }
  }

 private:
  enum class Kind : std::uint8_t { Wake, Listener, Conn, Datagram };

  Result<void, std::string> add(int fd, Kind kind) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    fds_[fd] = kind;
    if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      return fail("epoll_ctl: " + errno_text(errno));
    }
    return {};
  }

  void drop(int fd) {
    ::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
    ::close(fd);
    fds_.erase(fd);
  }

  // Runs until stop() writes the eventfd.
  void run() {
    std::array<epoll_event, 64> events{};
    std::array<char, 2048> buf{};
    for (;;) {
      const int n = ::epoll_wait(epfd_, events.data(), static_cast<int>(events.size()), -1);
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        return;
      }
      for (int i = 0; i < n; ++i) {
        const int fd = events[static_cast<std::size_t>(i)].data.fd;
        const auto it = fds_.find(fd);
        if (it == fds_.end()) {
          continue;
        }
        switch (it->second) {
          case Kind::Wake:
            return;
          case Kind::Listener:
            // Bounded: the backlog holds at most 1024 connections.
            for (int k = 0; k < 1024; ++k) {
              const int c = ::accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
              if (c < 0) {
                break;
              }
              if (!add(c, Kind::Conn)) {
                ::close(c);
                fds_.erase(c);
              }
            }
            break;
          case Kind::Conn: {
            const ssize_t got = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
            if (got > 0) {
              // Best effort echo: the probes and flows send a few bytes at a time.
              [[maybe_unused]] const ssize_t sent =
                  ::send(fd, buf.data(), static_cast<std::size_t>(got), MSG_NOSIGNAL);
            } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
              drop(fd);
            }
            break;
          }
          case Kind::Datagram:
            for (int k = 0; k < 256; ++k) {
              sockaddr_storage from{};
              socklen_t from_len = sizeof(from);
              const ssize_t got = ::recvfrom(fd, buf.data(), buf.size(), MSG_DONTWAIT,
                                             reinterpret_cast<sockaddr*>(&from), &from_len);
              if (got < 0) {
                break;
              }
              ::sendto(fd, buf.data(), static_cast<std::size_t>(got), MSG_DONTWAIT,
                       reinterpret_cast<const sockaddr*>(&from), from_len);
            }
            break;
        }
      }
    }
  }

  int epfd_ = -1;
  int wakefd_ = -1;
  std::unordered_map<int, Kind> fds_;  // the server thread's after start()
  std::thread thread_;
};

}  // namespace detail

// ---------------------------------------------------------------------------------------
// PodFlow

PodFlow::~PodFlow() {
  if (fd_ >= 0) {
    close_with_rst(fd_);
  }
}

bool PodFlow::exchange(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  const auto remaining_ms = [&] {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return static_cast<int>(std::max<std::int64_t>(left, 0));
  };
  const std::string payload = "flow-" + std::to_string(sent_) + "\n";
  std::size_t off = 0;
  while (off < payload.size()) {
    const ssize_t n =
        ::send(fd_, payload.data() + off, payload.size() - off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      off += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      error_ = "send: " + errno_text(errno);
      return false;
    }
    pollfd p{fd_, POLLOUT, 0};
    if (::poll(&p, 1, remaining_ms()) <= 0) {
      error_ = "send: timed out";
      return false;
    }
  }
  sent_ += payload.size();
  std::array<char, 1024> buf{};
  while (received_ < sent_) {
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, remaining_ms());
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    if (ready <= 0) {
      error_ = "no echo within " + std::to_string(timeout.count()) + " ms (" +
               std::to_string(sent_ - received_) + " bytes missing)";
      return false;
    }
    const ssize_t n = ::recv(fd_, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n == 0) {
      error_ = "connection closed by the server";
      return false;
    }
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) {
        continue;
      }
      error_ = "recv: " + errno_text(errno);
      return false;
    }
    received_ += static_cast<std::uint64_t>(n);
  }
  error_.clear();
  return true;
}

// ---------------------------------------------------------------------------------------
// PodNetwork

Result<std::unique_ptr<PodNetwork>, std::string> PodNetwork::create(std::vector<PodSpec> pods,
                                                                    PodNetworkOptions options) {
  std::unique_ptr<PodNetwork> net(new PodNetwork());
  net->pods_ = std::move(pods);
  net->options_ = std::move(options);
  net->next_port_.assign(net->pods_.size(), kFirstSourcePort);
  if (auto built = net->build(); !built) {
    net->destroy();
    return fail(built.error());
  }
  return net;
}

PodNetwork::~PodNetwork() {
  destroy();
}

const std::string& PodNetwork::pod_netns(std::size_t i) const {
  return pod_ns_.at(i)->name();
}

std::vector<std::string> PodNetwork::netns_names() const {
  std::vector<std::string> out;
  if (host_) {
    out.push_back(host_->name());
  }
  for (const auto& ns : pod_ns_) {
    out.push_back(ns->name());
  }
  return out;
}

void PodNetwork::destroy() {
  if (server_) {
    server_->stop();
    server_.reset();
  }
  // Pods first: their veths go with them, then the host.
  for (auto& ns : pod_ns_) {
    ns->remove();
  }
  if (host_) {
    host_->remove();
  }
}

Result<void, std::string> PodNetwork::build() {
  bool any_v6 = false;
  for (const auto& p : pods_) {
    if (!make_addr(p.ip4, 0, false) || (!p.ip6.empty() && !make_addr(p.ip6, 0, true))) {
      return fail("pod " + p.name + ": bad address '" + p.ip4 + "' / '" + p.ip6 + "'");
    }
    any_v6 = any_v6 || !p.ip6.empty();
  }
  host_ = std::make_unique<NetNs>();
  if (!host_->ok()) {
    return fail("host namespace: " + host_->error());
  }
  std::vector<std::pair<std::string, std::string>> host_sysctls = {{"net/ipv4/ip_forward", "1"}};
  if (any_v6) {
    host_sysctls.emplace_back("net/ipv6/conf/all/forwarding", "1");
  }
  if (auto s = write_sysctls(host_->name(), host_sysctls); !s) {
    return s;
  }
  // A node needs a route towards 169.254.1.1 through another interface for proxy ARP to
  // answer a pod's gateway lookup (a real node has its default route on eth0), and a
  // node address as the sender of its ARP requests.  A veth whose peer stays down plays
  // eth0 (the kernel may lack the dummy driver): whatever is routed there is dropped,
  // nothing leaves the namespace.
  std::vector<std::string> host_lines = {"link add node0 type veth peer name node0-peer",
                                         "link set node0 up", "addr add 10.64.255.1/32 dev node0",
                                         "route add default dev node0"};
  for (std::size_t i = 0; i < pods_.size(); ++i) {
    pod_ns_.push_back(std::make_unique<NetNs>());
    if (!pod_ns_.back()->ok()) {
      return fail("pod " + pods_[i].name + " namespace: " + pod_ns_.back()->error());
    }
    ifaces_.push_back(cali_iface_name());
    const std::string& ifc = ifaces_.back();
    host_lines.push_back("link add " + ifc + " type veth peer name eth0 netns " +
                         pod_ns_.back()->name());
    host_lines.push_back("link set " + ifc + " address " + kCaliMac + " up");
  }
  if (auto b = ip_batch(host_->name(), host_lines); !b) {
    return b;
  }
  for (std::size_t i = 0; i < pods_.size(); ++i) {
    if (auto w = wire_pod(i); !w) {
      return w;
    }
  }
  return start_servers();
}

// The Calico CNI plugin's wiring of one pod (its veth already exists).
Result<void, std::string> PodNetwork::wire_pod(std::size_t i) {
  const PodSpec& p = pods_[i];
  const std::string& ifc = ifaces_[i];
  std::vector<std::pair<std::string, std::string>> sysctls = {
      {"net/ipv4/conf/" + ifc + "/proxy_arp", "1"},
      // As the CNI plugin does: answer the pod's ARP for its gateway at once (the default
      // proxy_delay holds proxy replies back by up to 0.8 s).
      {"net/ipv4/neigh/" + ifc + "/proxy_delay", "0"}};
  std::vector<std::string> host_lines = {"route add " + p.ip4 + "/32 dev " + ifc + " scope link"};
  std::vector<std::string> pod_lines = {"link set eth0 up", "addr add " + p.ip4 + "/32 dev eth0",
                                        "route add 169.254.1.1 dev eth0 scope link",
                                        "route add default via 169.254.1.1 dev eth0"};
  if (!p.ip6.empty()) {
    sysctls.emplace_back("net/ipv6/conf/" + ifc + "/proxy_ndp", "1");
    host_lines.push_back("addr add fe80::1/64 dev " + ifc + " nodad");
    host_lines.push_back("route add " + p.ip6 + "/128 dev " + ifc);
    pod_lines.push_back("addr add " + p.ip6 + "/128 dev eth0 nodad");
    pod_lines.push_back("neigh add fe80::1 lladdr " + std::string(kCaliMac) +
                        " dev eth0 nud permanent");
    pod_lines.push_back("route add default via fe80::1 dev eth0");
  }
  if (auto s = write_sysctls(host_->name(), sysctls); !s) {
    return s;
  }
  if (auto b = ip_batch(pod_ns_[i]->name(), pod_lines); !b) {
    return b;
  }
  return ip_batch(host_->name(), host_lines);
}

Result<void, std::string> PodNetwork::start_servers() {
  server_ = std::make_unique<detail::EchoServer>();
  if (auto r = server_->init(); !r) {
    return r;
  }
  // SCTP: whether this kernel has it at all (a probe socket in the first pod).
  if (!pods_.empty()) {
    int sctp_errno = 0;
    auto ran = run_in_netns(pod_ns_[0]->name(), [&] {
      const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_SCTP);
      if (fd < 0) {
        sctp_errno = errno;
      } else {
        ::close(fd);
      }
    });
    if (!ran) {
      return ran;
    }
    if (sctp_errno != 0) {
      sctp_reason_ = "socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP): " + errno_text(sctp_errno);
    }
  }
  std::vector<std::uint8_t> protocols = {IPPROTO_TCP, IPPROTO_UDP};
  if (sctp_available()) {
    protocols.push_back(IPPROTO_SCTP);
  }
  for (std::size_t i = 0; i < pods_.size(); ++i) {
    std::vector<int> families = {AF_INET};
    if (!pods_[i].ip6.empty()) {
      families.push_back(AF_INET6);
    }
    std::string error;
    auto ran = run_in_netns(pod_ns_[i]->name(), [&] {
      for (const int family : families) {
        for (const std::uint8_t proto : protocols) {
          for (const std::uint16_t port : options_.ports) {
            auto fd = server_socket(family, proto, port);
            if (!fd) {
              error = fd.error();
              return;
            }
            if (auto added = server_->add_socket(*fd, is_stream(proto) ? SOCK_STREAM : SOCK_DGRAM);
                !added) {
              error = added.error();
              return;
            }
          }
        }
      }
    });
    if (!ran) {
      return ran;
    }
    if (!error.empty()) {
      return fail("pod " + pods_[i].name + ": " + error);
    }
  }
  return server_->start();
}

std::uint16_t PodNetwork::next_source_port(std::size_t pod) {
  std::uint16_t& next = next_port_.at(pod);
  const std::uint16_t port = next;
  next = next >= kLastSourcePort ? kFirstSourcePort : static_cast<std::uint16_t>(next + 1);
  return port;
}

std::vector<PodProbeResult> PodNetwork::probe_all(const std::vector<PodProbe>& probes) {
  return probe_all(probes, options_.probe_timeout);
}

namespace {

struct InFlight {
  int fd = -1;
  bool stream = true;
  bool pending = false;
  Clock::time_point start{};
  std::string payload;  // UDP only
};

}  // namespace

std::vector<PodProbeResult> PodNetwork::probe_all(const std::vector<PodProbe>& probes,
                                                  std::chrono::milliseconds timeout) {
  std::vector<PodProbeResult> results(probes.size());
  std::vector<InFlight> flights(probes.size());
  const auto finish = [&](std::size_t i, ProbeOutcome outcome, std::string detail = {}) {
    results[i].outcome = outcome;
    results[i].detail = std::move(detail);
    results[i].elapsed =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - flights[i].start);
    flights[i].pending = false;
  };

  // 1. Validate, then create every client socket inside its source pod's namespace (one
  //    helper thread per source pod).
  std::vector<std::vector<std::size_t>> by_source(pods_.size());
  for (std::size_t i = 0; i < probes.size(); ++i) {
    const PodProbe& p = probes[i];
    if (p.from >= pods_.size() || p.to >= pods_.size()) {
      results[i].detail = "pod index out of range";
      continue;
    }
    if (p.ipv6 && (pods_[p.from].ip6.empty() || pods_[p.to].ip6.empty())) {
      results[i].detail = "pod without an IPv6 address";
      continue;
    }
    if (p.protocol == IPPROTO_SCTP && !sctp_available()) {
      results[i].outcome = ProbeOutcome::Unsupported;
      results[i].detail = sctp_reason_;
      continue;
    }
    if (p.protocol != IPPROTO_TCP && p.protocol != IPPROTO_UDP && p.protocol != IPPROTO_SCTP) {
      results[i].detail = "unsupported protocol " + std::to_string(p.protocol);
      continue;
    }
    by_source[p.from].push_back(i);
  }
  for (std::size_t src = 0; src < pods_.size(); ++src) {
    if (by_source[src].empty()) {
      continue;
    }
    auto ran = run_in_netns(pod_ns_[src]->name(), [&] {
      for (const std::size_t i : by_source[src]) {
        const PodProbe& p = probes[i];
        const int type = is_stream(p.protocol) ? SOCK_STREAM : SOCK_DGRAM;
        flights[i].fd =
            ::socket(p.ipv6 ? AF_INET6 : AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, p.protocol);
        if (flights[i].fd < 0) {
          results[i].detail = "socket: " + errno_text(errno);
        }
      }
    });
    if (!ran) {
      for (const std::size_t i : by_source[src]) {
        results[i].detail = ran.error();
      }
    }
  }

  // 2. Bind a fresh source port, connect (and send, for UDP): every probe is in flight.
  for (std::size_t i = 0; i < probes.size(); ++i) {
    InFlight& f = flights[i];
    if (f.fd < 0) {
      continue;
    }
    const PodProbe& p = probes[i];
    f.stream = is_stream(p.protocol);
    const int one = 1;
    ::setsockopt(f.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    bool bound = false;
    int bind_errno = 0;
    for (int attempt = 0; attempt < kBindAttempts && !bound; ++attempt) {
      const auto local = make_addr("", next_source_port(p.from), p.ipv6);
      bound = ::bind(f.fd, local->get(), local->len) == 0;
      bind_errno = errno;
    }
    f.start = Clock::now();
    f.pending = true;
    if (!bound) {
      finish(i, ProbeOutcome::Error, "bind: " + errno_text(bind_errno));
      continue;
    }
    const PodSpec& to = pods_[p.to];
    const auto dst = make_addr(p.ipv6 ? to.ip6 : to.ip4, p.port, p.ipv6);
    if (::connect(f.fd, dst->get(), dst->len) == 0) {
      if (f.stream) {
        finish(i, ProbeOutcome::Allowed);
        continue;
      }
    } else if (errno == ECONNREFUSED) {
      finish(i, ProbeOutcome::Refused, errno_text(errno));
      continue;
    } else if (errno != EINPROGRESS) {
      finish(i, ProbeOutcome::Error, "connect: " + errno_text(errno));
      continue;
    }
    if (!f.stream) {
      f.payload = "probe " + std::to_string(i) + " " + proto_name(p.protocol) + "/" +
                  std::to_string(p.port);
      if (::send(f.fd, f.payload.data(), f.payload.size(), MSG_DONTWAIT) < 0) {
        finish(i, errno == ECONNREFUSED ? ProbeOutcome::Refused : ProbeOutcome::Error,
               "send: " + errno_text(errno));
      }
    }
  }

  // 3. One poll loop over everything in flight, each probe bounded by its own deadline.
  std::vector<pollfd> fds;
  std::vector<std::size_t> index;
  std::array<char, 2048> buf{};
  for (;;) {
    fds.clear();
    index.clear();
    auto next_deadline = Clock::time_point::max();
    const auto now = Clock::now();
    for (std::size_t i = 0; i < flights.size(); ++i) {
      InFlight& f = flights[i];
      if (!f.pending) {
        continue;
      }
      if (now >= f.start + timeout) {
        finish(i, ProbeOutcome::TimedOut);
        continue;
      }
      next_deadline = std::min(next_deadline, f.start + timeout);
      fds.push_back({f.fd, static_cast<short>(f.stream ? POLLOUT : POLLIN), 0});
      index.push_back(i);
    }
    if (fds.empty()) {
      break;
    }
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(next_deadline - now).count();
    const int ready =
        ::poll(fds.data(), fds.size(), static_cast<int>(std::max<std::int64_t>(wait, 1)));
    if (ready < 0 && errno != EINTR) {
      for (const std::size_t i : index) {
        finish(i, ProbeOutcome::Error, "poll: " + errno_text(errno));
      }
      break;
    }
    for (std::size_t k = 0; ready > 0 && k < fds.size(); ++k) {
      if (fds[k].revents == 0) {
        continue;
      }
      const std::size_t i = index[k];
      InFlight& f = flights[i];
      if (f.stream) {
        int err = 0;
        socklen_t len = sizeof(err);
        ::getsockopt(f.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err == 0) {
          finish(i, ProbeOutcome::Allowed);
        } else if (err == ECONNREFUSED) {
          finish(i, ProbeOutcome::Refused, errno_text(err));
        } else {
          finish(i, ProbeOutcome::Error, "connect: " + errno_text(err));
        }
        continue;
      }
      const ssize_t n = ::recv(f.fd, buf.data(), buf.size(), MSG_DONTWAIT);
      if (n >= 0) {
        if (std::string_view(buf.data(), static_cast<std::size_t>(n)) == f.payload) {
          finish(i, ProbeOutcome::Allowed);
        }  // anything else: keep waiting for our echo
      } else if (errno == ECONNREFUSED) {
        finish(i, ProbeOutcome::Refused, errno_text(errno));
      } else if (errno != EAGAIN && errno != EINTR) {
        finish(i, ProbeOutcome::Error, "recv: " + errno_text(errno));
      }
    }
  }

  for (const InFlight& f : flights) {
    if (f.fd < 0) {
      continue;
    }
    if (f.stream) {
      close_with_rst(f.fd);
    } else {
      ::close(f.fd);
    }
  }
  return results;
}

Result<std::unique_ptr<PodFlow>, std::string> PodNetwork::open_flow(
    std::size_t from, std::size_t to, std::uint16_t port, std::chrono::milliseconds timeout) {
  if (from >= pods_.size() || to >= pods_.size()) {
    return fail(std::string("open_flow: pod index out of range"));
  }
  int fd = -1;
  int err = 0;
  auto ran = run_in_netns(pod_ns_[from]->name(), [&] {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    err = errno;
  });
  if (!ran) {
    return fail(ran.error());
  }
  if (fd < 0) {
    return fail("socket: " + errno_text(err));
  }
  std::unique_ptr<PodFlow> flow(new PodFlow(fd));
  const std::string what = pods_[from].name + " -> " + pods_[to].name + ":" + std::to_string(port);
  const auto dst = make_addr(pods_[to].ip4, port, false);
  if (::connect(fd, dst->get(), dst->len) != 0) {
    if (errno != EINPROGRESS) {
      return fail("connect " + what + ": " + errno_text(errno));
    }
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) {
      return fail("connect " + what + ": timed out");
    }
    int so_error = 0;
    socklen_t len = sizeof(so_error);
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
    if (so_error != 0) {
      return fail("connect " + what + ": " + errno_text(so_error));
    }
  }
  if (!flow->exchange(timeout)) {
    return fail("flow " + what + ": " + flow->error());
  }
  return flow;
}

}  // namespace calico::testlib
