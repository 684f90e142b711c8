// NetlinkRouteSink: builds RTM_NEWROUTE/RTM_DELROUTE requests from Route values with
// libnl route objects, pipelines them in batches over one rtnetlink socket, maps the
// kernel's acks back to changes by sequence number, and converts RTM_NEWROUTE dumps back
// into Route values.  Contract (thread affinity, errors, metric/next-hop normalization):
// see route_sink_nl.h.
#include "netlink/route_sink_nl.h"

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

#include <linux/rtnetlink.h>

#include "common/log.h"
#include "netlink/link.h"
#include "netlink/nl_ptr.h"
#include "netlink/nl_socket.h"

namespace calico::netlink {
namespace {

constexpr std::size_t kMaxBatchMessages = 256;
constexpr std::size_t kMaxBatchBytes = 64 << 10;
// Worst-case receive-queue cost of one error ack (skb overhead plus a capped error with
// an extended-ack string), used to size batches to the granted receive buffer.
constexpr std::size_t kAckBudgetBytes = 2048;
constexpr std::uint32_t kIpv6DefaultMetric = 1024;  // IP6_RT_PRIO_USER
constexpr int kDumpAttempts = 3;

const Logger& logger() {
  static const Logger log("netlink");
  return log;
}

int af_of(net::Family family) {
  return family == net::Family::V4 ? AF_INET : AF_INET6;
}

bool is_unspecified(const net::IpAddr& ip) {
  const auto& b = ip.bytes();
  return std::all_of(b.begin(), b.begin() + (ip.is_v4() ? 4 : 16),
                     [](std::uint8_t x) { return x == 0; });
}

bool is_link_local_v6(const net::IpAddr& ip) {
  return ip.is_v6() && ip.bytes()[0] == 0xfe && (ip.bytes()[1] & 0xc0) == 0x80;
}

NlAddrPtr make_addr(const net::IpAddr& ip, int prefix_len) {
  NlAddrPtr addr(nl_addr_build(af_of(ip.family()), ip.bytes().data(), ip.is_v4() ? 4U : 16U));
  if (addr) {
    nl_addr_set_prefixlen(addr.get(), prefix_len);
  }
  return addr;
}

std::uint32_t kernel_metric(const Route& route) {
  return route.dst.family() == net::Family::V6 && route.metric == 0 ? kIpv6DefaultMetric
                                                                    : route.metric;
}

// "replace 10.65.1.0/26 via 10.0.0.2 proto 201" / "delete 10.65.1.0/26 table 254 ...".
std::string describe(const RouteChange& change) {
  const Route& r = change.route;
  if (change.op == RouteChange::Op::Replace) {
    return "replace " + r.to_string();
  }
  std::string out = "delete " + r.dst.to_string() + " table " + std::to_string(r.table) +
                    " proto " + std::to_string(r.protocol);
  if (r.metric != 0) {
    out += " metric " + std::to_string(r.metric);
  }
  return out;
}

RouteError make_error(const RouteChange& change, int errno_value, const std::string& detail) {
  std::string message =
      change.route.dst.to_string() + ": " + errno_text(errno_value) + " (" + describe(change) + ")";
  if (!detail.empty()) {
    message += ": " + detail;
  }
  return RouteError{change.route.dst, errno_value, std::move(message)};
}

// Local checks for changes the kernel would misread (or read too broadly); "" = valid.
std::string validate(const RouteChange& change) {
  const Route& r = change.route;
  if (r.dst.prefix_len() < 0 || r.dst.prefix_len() > r.dst.addr().bits()) {
    return "prefix length out of range";
  }
  if (!r.dst.is_masked()) {
    return "destination has host bits set";
  }
  if (r.protocol == 0) {
    return "protocol 0 (unspec) would match routes of every protocol";
  }
  if (r.table == 0) {
    return "table 0 (unspec) is not a table";
  }
  if (change.op == RouteChange::Op::Delete) {
    return "";
  }
  if (r.type != RouteType::Unicast) {
    return r.next_hops.empty() ? "" : "blackhole/unreachable route with next hops";
  }
  if (r.next_hops.empty()) {
    return "unicast route without next hops";
  }
  for (const NextHop& nh : r.next_hops) {
    if (nh.gateway.family() != r.dst.family()) {
      return "next hop " + nh.gateway.to_string() + " is not of the destination's family";
    }
    if (nh.ifindex < 0) {
      return "negative ifindex";
    }
    if (nh.weight == 0) {
      return "next hop weight 0 (must be 1..255)";
    }
    if (is_link_local_v6(nh.gateway) && nh.ifindex == 0) {
      return "link-local gateway " + nh.gateway.to_string() + " needs an ifindex";
    }
    if (is_unspecified(nh.gateway) && nh.ifindex == 0) {
      return "device next hop (no gateway) needs an ifindex";
    }
  }
  return "";
}

struct BuildError {
  int errno_value = 0;
  std::string detail;
};

Result<RtnlRoutePtr, BuildError> route_object(const Route& r) {
  RtnlRoutePtr route(rtnl_route_alloc());
  NlAddrPtr dst = make_addr(r.dst.addr(), r.dst.prefix_len());
  if (!route || !dst) {
    return fail(BuildError{ENOMEM, "libnl allocation failed"});
  }
  if (const int err = rtnl_route_set_dst(route.get(), dst.get()); err < 0) {
    return fail(BuildError{EINVAL, std::string("libnl: ") + nl_geterror(err)});
  }
  rtnl_route_set_table(route.get(), r.table);
  rtnl_route_set_protocol(route.get(), r.protocol);
  rtnl_route_set_priority(route.get(), kernel_metric(r));
  return route;
}

// rtnl_route_build_{add,del}_request() with a buffer sized to the route instead of a
// zeroed page: at ~100k routes/s that allocation is a visible share of the user-space cost.
Result<NlMsgPtr, BuildError> build_message(rtnl_route* obj, int type, int flags, std::size_t hops) {
  NlMsgPtr msg(nlmsg_alloc_size(256 + 64 * hops));
  if (!msg || nlmsg_put(msg.get(), NL_AUTO_PORT, NL_AUTO_SEQ, type, 0, flags) == nullptr) {
    return fail(BuildError{ENOMEM, "libnl allocation failed"});
  }
  if (const int err = rtnl_route_build_msg(msg.get(), obj); err < 0) {
    return fail(BuildError{EINVAL, std::string("libnl: ") + nl_geterror(err)});
  }
  return msg;
}

Result<NlMsgPtr, BuildError> build_replace(const Route& r) {
  auto route = route_object(r);
  if (!route) {
    return fail(route.error());
  }
  rtnl_route* obj = route->get();
  std::uint8_t type = RTN_UNICAST;
  if (r.type == RouteType::Blackhole) {
    type = RTN_BLACKHOLE;
  } else if (r.type == RouteType::Unreachable) {
    type = RTN_UNREACHABLE;
  }
  (void)rtnl_route_set_type(obj, type);  // < RTN_MAX: cannot fail
  bool any_gateway = false;
  const bool multipath = r.next_hops.size() > 1;
  for (const NextHop& hop : r.next_hops) {
    RtnlNexthopPtr nh(rtnl_route_nh_alloc());
    if (!nh) {
      return fail(BuildError{ENOMEM, "libnl allocation failed"});
    }
    if (!is_unspecified(hop.gateway)) {
      NlAddrPtr gw = make_addr(hop.gateway, hop.gateway.bits());
      if (!gw) {
        return fail(BuildError{ENOMEM, "libnl allocation failed"});
      }
      rtnl_route_nh_set_gateway(nh.get(), gw.get());
      any_gateway = true;
    }
    if (hop.ifindex != 0) {
      rtnl_route_nh_set_ifindex(nh.get(), hop.ifindex);
    }
    if (hop.onlink) {
      rtnl_route_nh_set_flags(nh.get(), RTNH_F_ONLINK);
    }
    if (multipath) {
      // rtnh_hops carries weight - 1; libnl copies the value through unchanged.
      rtnl_route_nh_set_weight(nh.get(), static_cast<std::uint8_t>(hop.weight - 1));
    }
    rtnl_route_add_nexthop(obj, nh.release());  // the route owns it now
  }
  // Gateway routes and blackhole/unreachable: universe; device-only routes: link.
  const bool link_scope = r.type == RouteType::Unicast && !any_gateway;
  rtnl_route_set_scope(obj, link_scope ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE);
  return build_message(obj, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, r.next_hops.size());
}

Result<NlMsgPtr, BuildError> build_delete(const Route& r) {
  auto route = route_object(r);
  if (!route) {
    return fail(route.error());
  }
  // RTN_UNSPEC and RT_SCOPE_NOWHERE match any type and scope; no next hop = any hops.
  (void)rtnl_route_set_type(route->get(), RTN_UNSPEC);
  rtnl_route_set_scope(route->get(), RT_SCOPE_NOWHERE);
  return build_message(route->get(), RTM_DELROUTE, 0, 0);
}

struct IndexedError {
  std::size_t index;
  RouteError error;
};

// Collects requests into one datagram and settles it: the kernel processes a datagram's
// messages in order, acks every failure, and acks the last message because it carries
// NLM_F_ACK, so that ack means every earlier message has been answered.
class Pipeline {
 public:
  Pipeline(NetlinkSocket& socket, std::span<const RouteChange> changes,
           std::vector<IndexedError>& errors)
      : socket_(socket), changes_(changes), errors_(errors) {
    const auto by_rcvbuf =
        static_cast<std::size_t>(std::max(socket.receive_buffer(), 0)) / kAckBudgetBytes;
    max_messages_ = std::clamp<std::size_t>(by_rcvbuf, 8, kMaxBatchMessages);
    const auto by_sndbuf = static_cast<std::size_t>(std::max(socket.send_buffer(), 0)) / 2;
    max_bytes_ = std::clamp<std::size_t>(by_sndbuf, 4096, kMaxBatchBytes);
    buffer_.reserve(max_bytes_ + 4096);
  }

  void add(std::size_t index, const nlmsghdr& msg) {
    const std::size_t len = (msg.nlmsg_len + 3U) & ~std::size_t{3};
    if (!indices_.empty() && buffer_.size() + len > max_bytes_) {
      flush();
    }
    const std::uint32_t seq = socket_.next_seq();  // consecutive within a batch
    if (indices_.empty()) {
      base_seq_ = seq;
    }
    last_offset_ = buffer_.size();
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(&msg);
    buffer_.insert(buffer_.end(), bytes, bytes + msg.nlmsg_len);
    buffer_.resize(last_offset_ + len, 0);
    auto* hdr = reinterpret_cast<nlmsghdr*>(buffer_.data() + last_offset_);
    hdr->nlmsg_seq = seq;
    hdr->nlmsg_pid = 0;
    hdr->nlmsg_flags |= NLM_F_REQUEST;
    hdr->nlmsg_flags &= ~static_cast<std::uint16_t>(NLM_F_ACK);
    indices_.push_back(index);
    if (indices_.size() >= max_messages_) {
      flush();
    }
  }

  void flush() {
    if (indices_.empty()) {
      return;
    }
    auto* last = reinterpret_cast<nlmsghdr*>(buffer_.data() + last_offset_);
    last->nlmsg_flags |= NLM_F_ACK;
    settle();
    buffer_.clear();
    indices_.clear();
  }

 private:
  void fail_index(std::size_t k, int errno_value, const std::string& detail) {
    const RouteChange& change = changes_[indices_[k]];
    errors_.push_back(IndexedError{indices_[k], make_error(change, errno_value, detail)});
  }

  void settle() {
    const std::size_t n = indices_.size();
    if (auto sent = socket_.send(buffer_); !sent) {
      for (std::size_t k = 0; k < n; ++k) {
        fail_index(k, sent.error(), "sending the batch failed");
      }
      return;
    }
    std::vector<bool> answered(n, false);
    bool done = false;
    bool overflow = false;
    int lost_errno = 0;
    while (!done) {
      auto rx = socket_.receive();
      if (!rx) {
        if (rx.error() == ENOBUFS) {
          overflow = true;  // some acks were dropped; keep reading up to the last one
          continue;
        }
        lost_errno = rx.error();
        break;
      }
      int remaining = static_cast<int>(rx->size());
      for (auto* hdr = reinterpret_cast<nlmsghdr*>(rx->data()); nlmsg_ok(hdr, remaining);
           hdr = nlmsg_next(hdr, &remaining)) {
        NlAck ack;
        if (!parse_ack(*hdr, ack)) {
          continue;
        }
        const std::uint32_t k = ack.seq - base_seq_;
        if (k >= n || answered[k]) {
          continue;  // not ours (a reply to an abandoned earlier request)
        }
        answered[k] = true;
        done = done || k + 1 == n;
        if (ack.error == 0) {
          continue;
        }
        const RouteChange& change = changes_[indices_[k]];
        if (change.op == RouteChange::Op::Delete && (ack.error == ESRCH || ack.error == ENOENT)) {
          continue;  // already gone: the desired state holds
        }
        fail_index(k, ack.error, ack.ext_msg.empty() ? "" : "kernel: " + ack.ext_msg);
      }
    }
    if (!done || overflow) {
      // Without the closing ack (or with acks dropped) an unanswered message may or may
      // not have been applied: report it failed so the caller retries (replace and
      // delete are idempotent).
      const int e = done ? ENOBUFS : (lost_errno != 0 ? lost_errno : ENOBUFS);
      logger().warn("netlink batch not fully acknowledged",
                    {kv("messages", n), kv("errno", e), kv("netns", socket_.netns())});
      for (std::size_t k = 0; k < n; ++k) {
        if (!answered[k]) {
          fail_index(k, e, "no acknowledgement from the kernel; outcome unknown");
        }
      }
    }
  }

  NetlinkSocket& socket_;
  std::span<const RouteChange> changes_;
  std::vector<IndexedError>& errors_;
  std::size_t max_messages_ = kMaxBatchMessages;
  std::size_t max_bytes_ = kMaxBatchBytes;
  std::vector<std::uint8_t> buffer_;
  std::vector<std::size_t> indices_;  // change index of the k-th message (seq base + k)
  std::uint32_t base_seq_ = 0;
  std::size_t last_offset_ = 0;
};

net::IpAddr to_ip(nl_addr* addr, int family) {
  const auto* bytes = static_cast<const std::uint8_t*>(nl_addr_get_binary_addr(addr));
  const unsigned len = nl_addr_get_len(addr);
  if (family == AF_INET) {
    std::uint32_t host = 0;
    for (unsigned i = 0; i < 4 && i < len; ++i) {
      host = (host << 8) | bytes[i];
    }
    return net::IpAddr::v4(host);
  }
  std::array<std::uint8_t, 16> b{};
  std::memcpy(b.data(), bytes, std::min<std::size_t>(len, b.size()));
  return net::IpAddr::v6(b);
}

// RTM_NEWROUTE object -> Route, or nullopt for what this sink does not manage.
std::optional<Route> to_route(rtnl_route* obj, std::uint32_t table, std::uint8_t protocol) {
  const int family = rtnl_route_get_family(obj);
  if ((family != AF_INET && family != AF_INET6) || rtnl_route_get_table(obj) != table ||
      rtnl_route_get_protocol(obj) != protocol || (rtnl_route_get_flags(obj) & RTM_F_CLONED) != 0) {
    return std::nullopt;
  }
  if (nl_addr* src = rtnl_route_get_src(obj); src != nullptr && nl_addr_get_prefixlen(src) != 0) {
    return std::nullopt;  // IPv6 source-specific route: not expressible as a Route
  }
  nl_addr* dst = rtnl_route_get_dst(obj);
  if (dst == nullptr) {
    return std::nullopt;
  }
  Route route;
  route.dst = net::Cidr(to_ip(dst, family), static_cast<int>(nl_addr_get_prefixlen(dst)));
  route.table = table;
  route.protocol = protocol;
  route.metric = rtnl_route_get_priority(obj);
  if (family == AF_INET6 && route.metric == kIpv6DefaultMetric) {
    route.metric = 0;
  }
  switch (rtnl_route_get_type(obj)) {
    case RTN_UNICAST:
      route.type = RouteType::Unicast;
      break;
    case RTN_BLACKHOLE:
      route.type = RouteType::Blackhole;
      return route;
    case RTN_UNREACHABLE:
      route.type = RouteType::Unreachable;
      return route;
    default:
      return std::nullopt;
  }
  const int count = rtnl_route_get_nnexthops(obj);
  for (int i = 0; i < count; ++i) {
    rtnl_nexthop* nh = rtnl_route_nexthop_n(obj, i);
    if (nh == nullptr) {
      continue;
    }
    NextHop hop;
    nl_addr* gw = rtnl_route_nh_get_gateway(nh);
    hop.gateway = gw != nullptr ? to_ip(gw, family)
                                : (family == AF_INET ? net::IpAddr::v4(0) : net::IpAddr::v6({}));
    hop.ifindex = rtnl_route_nh_get_ifindex(nh);
    hop.onlink = (rtnl_route_nh_get_flags(nh) & RTNH_F_ONLINK) != 0;
    const unsigned hops = rtnl_route_nh_get_weight(nh);
    hop.weight = count > 1 ? static_cast<std::uint8_t>(std::min(hops + 1U, 255U)) : 1;
    route.next_hops.push_back(hop);
  }
  std::sort(route.next_hops.begin(), route.next_hops.end());
  route.next_hops.erase(std::unique(route.next_hops.begin(), route.next_hops.end()),
                        route.next_hops.end());
  return route;
}

std::vector<std::uint8_t> dump_request(int family, std::uint32_t table, std::uint8_t protocol) {
  // Strict dump filter (Linux >= 4.20): rtm_table/RTA_TABLE and rtm_protocol select;
  // dst/src length, tos and scope must be zero.  Older kernels ignore it and dump all.
  NlMsgPtr msg(nlmsg_alloc_simple(RTM_GETROUTE, NLM_F_DUMP));
  CALICO_CHECK(msg != nullptr);
  rtmsg rtm{};
  rtm.rtm_family = static_cast<std::uint8_t>(family);
  rtm.rtm_table =
      table < 256 ? static_cast<std::uint8_t>(table) : static_cast<std::uint8_t>(RT_TABLE_UNSPEC);
  rtm.rtm_protocol = protocol;
  CALICO_CHECK(nlmsg_append(msg.get(), &rtm, sizeof(rtm), NLMSG_ALIGNTO) == 0);
  CALICO_CHECK(nla_put_u32(msg.get(), RTA_TABLE, table) == 0);
  const nlmsghdr* hdr = nlmsg_hdr(msg.get());
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(hdr);
  return {bytes, bytes + hdr->nlmsg_len};
}

}  // namespace

NetlinkRouteSink::NetlinkRouteSink(std::unique_ptr<NetlinkSocket> socket)
    : socket_(std::move(socket)) {}

NetlinkRouteSink::~NetlinkRouteSink() = default;

Result<std::unique_ptr<NetlinkRouteSink>, std::string> NetlinkRouteSink::open(
    const std::string& netns) {
  auto socket = NetlinkSocket::open(netns);
  if (!socket) {
    return fail(socket.error());
  }
  return std::unique_ptr<NetlinkRouteSink>(new NetlinkRouteSink(std::move(*socket)));
}

std::vector<RouteError> NetlinkRouteSink::apply(std::span<const RouteChange> changes) {
  std::vector<IndexedError> errors;
  Pipeline pipeline(*socket_, changes, errors);
  for (std::size_t i = 0; i < changes.size(); ++i) {
    const RouteChange& change = changes[i];
    if (const std::string problem = validate(change); !problem.empty()) {
      errors.push_back(IndexedError{i, make_error(change, EINVAL, problem)});
      continue;
    }
    auto msg = change.op == RouteChange::Op::Replace ? build_replace(change.route)
                                                     : build_delete(change.route);
    if (!msg) {
      errors.push_back(
          IndexedError{i, make_error(change, msg.error().errno_value, msg.error().detail)});
      continue;
    }
    pipeline.add(i, *nlmsg_hdr(msg->get()));
  }
  pipeline.flush();
  std::stable_sort(errors.begin(), errors.end(),
                   [](const IndexedError& a, const IndexedError& b) { return a.index < b.index; });
  std::vector<RouteError> out;
  out.reserve(errors.size());
  for (auto& e : errors) {
    out.push_back(std::move(e.error));
  }
  return out;
}

Result<std::vector<Route>, std::string> NetlinkRouteSink::dump(std::uint32_t table,
                                                               std::uint8_t protocol) {
  if (protocol == 0 || table == 0) {
    return fail(std::string("dump: table and protocol must be non-zero"));
  }
  std::vector<Route> routes;
  for (const int family : {AF_INET, AF_INET6}) {
    const char* family_name = family == AF_INET ? "IPv4" : "IPv6";
    for (int attempt = 1;; ++attempt) {
      std::vector<Route> found;
      std::string parse_error;
      auto done = socket_->request(dump_request(family, table, protocol), [&](nlmsghdr& msg) {
        if (msg.nlmsg_type != RTM_NEWROUTE) {
          return;
        }
        rtnl_route* raw = nullptr;
        const int err = rtnl_route_parse(&msg, &raw);
        const RtnlRoutePtr obj(raw);
        if (err < 0) {
          parse_error = std::string("parsing RTM_NEWROUTE: ") + nl_geterror(err);
          return;
        }
        if (auto route = to_route(obj.get(), table, protocol)) {
          found.push_back(std::move(*route));
        }
      });
      if (done) {
        if (!parse_error.empty()) {
          return fail("dump " + std::string(family_name) + " table " + std::to_string(table) +
                      ": " + parse_error);
        }
        routes.insert(routes.end(), std::make_move_iterator(found.begin()),
                      std::make_move_iterator(found.end()));
        break;
      }
      const int e = done.error().errno_value;
      if (e == ENOENT || e == ESRCH) {
        break;  // the table does not exist (yet) in this family: no routes
      }
      if (e == EAGAIN && attempt < kDumpAttempts) {
        continue;  // interrupted by a concurrent change or timed out: dump again
      }
      return fail("dump " + std::string(family_name) + " table " + std::to_string(table) +
                  " proto " + std::to_string(protocol) + ": " + done.error().message);
    }
  }
  return routes;
}

Result<int, std::string> NetlinkRouteSink::ifindex(const std::string& name) {
  return ifindex_of(*socket_, name);
}

}  // namespace calico::netlink
