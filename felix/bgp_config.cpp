// Datastore -> BGP speaker configuration (see bgp_config.h for the rules).
#include "felix/bgp_config.h"

#include <algorithm>
#include <set>

#include "api/selector.h"

namespace calico::felix {
namespace {

constexpr std::uint32_t kDefaultAsn = 64512;

struct NodeAddrs {
  std::optional<net::IpAddr> v4;
  std::optional<net::IpAddr> v6;
  std::optional<std::uint32_t> asn;
  std::string cluster_id;  // route reflector cluster id; "" = not a reflector
};

std::optional<net::IpAddr> addr_of(const std::string& text) {
  if (text.empty()) {
    return std::nullopt;
  }
  auto c = net::Cidr::parse_addr_or_cidr(text);
  if (!c) {
    return std::nullopt;
  }
  return c->addr();
}

NodeAddrs node_addrs(const api::Node& n) {
  NodeAddrs a;
  if (n.spec.bgp) {
    a.v4 = addr_of(n.spec.bgp->ipv4_address);
    a.v6 = addr_of(n.spec.bgp->ipv6_address);
    if (a.v4 && !a.v4->is_v4()) {
      a.v4.reset();
    }
    if (a.v6 && !a.v6->is_v6()) {
      a.v6.reset();
    }
    if (n.spec.bgp->as_number) {
      a.asn = n.spec.bgp->as_number->value();
    }
    a.cluster_id = n.spec.bgp->route_reflector_cluster_id;
  }
  return a;
}

// Splits "ip", "ip:port", "[ip6]:port".
std::optional<std::pair<net::IpAddr, std::uint16_t>> parse_peer_ip(const std::string& text) {
  std::string host = text;
  std::uint16_t port = 179;
  auto port_of = [](const std::string& s) -> std::optional<std::uint16_t> {
    if (s.empty() || s.size() > 5 || !std::all_of(s.begin(), s.end(), ::isdigit)) {
      return std::nullopt;
    }
    const unsigned long v = std::stoul(s);
    if (v == 0 || v > 65535) {
      return std::nullopt;
    }
    return static_cast<std::uint16_t>(v);
  };
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos) {
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') {
        return std::nullopt;
      }
      auto p = port_of(text.substr(close + 2));
      if (!p) {
        return std::nullopt;
      }
      port = *p;
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    const auto colon = text.find(':');
    host = text.substr(0, colon);
    auto p = port_of(text.substr(colon + 1));
    if (!p) {
      return std::nullopt;
    }
    port = *p;
  }
  auto ip = net::IpAddr::parse(host);
  if (!ip) {
    return std::nullopt;
  }
  return std::make_pair(*ip, port);
}

bool selects(const std::string& selector_text, const api::Node& node, std::string* error) {
  auto sel = api::Selector::parse(selector_text);
  if (!sel) {
    *error = "selector \"" + selector_text + "\" does not parse";
    return false;
  }
  return sel->evaluate(node.metadata.labels);
}

std::uint32_t fnv1a(const std::string& s) {
  std::uint32_t h = 2166136261U;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 16777619U;
  }
  return h;
}

class Builder {
 public:
  Builder(const BgpInputs& in, const BgpOptions& opt, BgpDerived& out)
      : in_(in), opt_(opt), out_(out) {}

  void run() {
    auto self_it = in_.nodes.find(in_.node_name);
    if (self_it == in_.nodes.end()) {
      out_.reason = "no Node resource named \"" + in_.node_name + "\" yet";
      return;
    }
    self_node_ = &self_it->second;
    self_ = node_addrs(*self_node_);
    if (!self_.v4 && !self_.v6) {
      out_.reason = "Node \"" + in_.node_name + "\" has no spec.bgp.ipv4Address/ipv6Address";
      return;
    }
    default_asn_ = kDefaultAsn;
    for (const auto* c : {&in_.global_config, &in_.node_config}) {
      if (*c && (*c)->spec.as_number) {
        default_asn_ = (*c)->spec.as_number->value();
      }
    }
    auto& cfg = out_.config;
    cfg.asn = self_.asn.value_or(default_asn_);
    if (!router_id(cfg.router_id)) {
      return;
    }
    cfg.listen_port = 179;
    for (const auto* c : {&in_.global_config, &in_.node_config}) {
      if (*c && (*c)->spec.listen_port != 0) {
        cfg.listen_port = (*c)->spec.listen_port;
      }
    }
    cfg.listen_address = opt_.listen_address;
    cfg.hold_time = opt_.hold_time;
    cfg.connect_retry = opt_.connect_retry;
    cfg.control_socket = opt_.control_socket;
    cfg.kernel = opt_.kernel;
    if (!self_.cluster_id.empty()) {
      auto id = bgp::parse_router_id(self_.cluster_id);
      if (!id) {
        out_.warnings.push_back("Node \"" + in_.node_name + "\": routeReflectorClusterID \"" +
                                self_.cluster_id +
                                "\" is not an IPv4 address; not acting as a route reflector");
        self_.cluster_id.clear();
      } else {
        cfg.cluster_id = *id;
      }
    }
    mesh();
    explicit_peers(/*node_specific=*/true);
    explicit_peers(/*node_specific=*/false);
    reverse_peers();
    out_.enabled = true;
  }

 private:
  bool router_id(std::uint32_t& id) {
    const std::string& o = opt_.router_id_override;
    if (o == "hash") {
      id = router_id_from_name(in_.node_name);
      return true;
    }
    if (!o.empty()) {
      auto parsed = bgp::parse_router_id(o);
      if (!parsed) {
        out_.reason = "CALICO_ROUTER_ID \"" + o + "\" is neither an IPv4 address nor \"hash\"";
        return false;
      }
      id = *parsed;
      return true;
    }
    if (self_.v4) {
      id = bgp::parse_router_id(self_.v4->to_string()).value_or(0);
    } else {
      id = router_id_from_name(in_.node_name);
    }
    return true;
  }

  void mesh() {
    bool enabled = true;
    if (in_.global_config && in_.global_config->spec.node_to_node_mesh_enabled) {
      enabled = *in_.global_config->spec.node_to_node_mesh_enabled;
    }
    if (!enabled || !self_.cluster_id.empty()) {
      return;
    }
    for (const auto& [name, node] : in_.nodes) {
      if (name == in_.node_name) {
        continue;
      }
      const NodeAddrs other = node_addrs(node);
      if (!other.cluster_id.empty()) {
        continue;  // reflectors are reached through BGPPeers, not the mesh
      }
      add_node_sessions("Mesh", node, other, /*source=*/true, {});
    }
  }

  // One session per family both ends have (only_family 4 or 6 restricts it).  `quiet`: a
  // session already configured is skipped without a warning (reverse peerings).
  void add_node_sessions(const std::string& prefix, const api::Node& node, const NodeAddrs& other,
                         bool use_source, const api::BGPPeerSpec* spec, int only_family = 0,
                         bool quiet = false) {
    for (int fam = 0; fam < 2; ++fam) {
      if (only_family != 0 && only_family != (fam == 0 ? 4 : 6)) {
        continue;
      }
      const auto& ours = fam == 0 ? self_.v4 : self_.v6;
      const auto& theirs = fam == 0 ? other.v4 : other.v6;
      if (!ours || !theirs || *ours == *theirs) {
        continue;
      }
      bgp::PeerConfig p = base_peer(*theirs, 179, other.asn.value_or(default_asn_));
      p.name = bird_protocol_name(prefix, *theirs, 179);
      p.passive = theirs->bytes() > ours->bytes();
      if (use_source) {
        p.source_address = *ours;
      }
      if (!self_.cluster_id.empty() && p.asn == out_.config.asn &&
          other.cluster_id != self_.cluster_id) {
        p.rr_client = true;
      }
      if (spec != nullptr && !apply_spec(p, *spec, "BGPPeer")) {
        continue;
      }
      if (quiet && seen_.count(std::make_pair(p.address, p.port)) != 0) {
        continue;
      }
      add(std::move(p), "Node \"" + node.metadata.name + "\"");
    }
  }

  bgp::PeerConfig base_peer(const net::IpAddr& ip, std::uint16_t port, std::uint32_t asn) {
    bgp::PeerConfig p;
    p.address = ip;
    p.port = port;
    p.asn = asn;
    p.hold_time = opt_.hold_time;
    p.connect_retry = opt_.connect_retry;
    p.multihop_ttl = 64;  // Calico's BIRD sessions are all multihop
    p.families.push_back(ip.is_v4() ? bgp::kIpv4Unicast : bgp::kIpv6Unicast);
    return p;
  }

  // Settings of a BGPPeer spec; false = the peer must be left out (warning recorded).
  bool apply_spec(bgp::PeerConfig& p, const api::BGPPeerSpec& s, const std::string& what) {
    if (s.keep_original_next_hop || s.next_hop_mode == "Keep") {
      p.next_hop_self = false;
    } else if (s.next_hop_mode == "Self") {
      p.next_hop_self = true;
    }
    if (s.ttl_security && *s.ttl_security > 0) {
      p.ttl_security_hops = *s.ttl_security;
    }
    if (s.source_address == "None") {
      p.source_address.reset();
    }
    if (s.password && s.password->secret_key_ref) {
      const auto& ref = *s.password->secret_key_ref;
      std::optional<std::string> pw;
      if (opt_.secret) {
        pw = opt_.secret(ref.name, ref.key);
      }
      if (!pw) {
        out_.warnings.push_back(what + " peer " + p.address.to_string() + ": password secret " +
                                ref.name + "/" + ref.key + " cannot be read; peer left out");
        return false;
      }
      p.password = *pw;
    }
    return true;
  }

  void explicit_peers(bool node_specific) {
    std::vector<const api::BGPPeer*> peers;
    for (const auto& bp : in_.peers) {
      if (!bp.spec.node.empty() == node_specific) {
        peers.push_back(&bp);
      }
    }
    std::sort(peers.begin(), peers.end(), [](const api::BGPPeer* a, const api::BGPPeer* b) {
      return a->metadata.name < b->metadata.name;
    });
    for (const api::BGPPeer* bp : peers) {
      const auto& s = bp->spec;
      const std::string what = "BGPPeer \"" + bp->metadata.name + "\"";
      std::string err;
      if (node_specific) {
        if (s.node != in_.node_name) {
          continue;
        }
      } else if (!s.node_selector.empty()) {
        if (!selects(s.node_selector, *self_node_, &err)) {
          if (!err.empty()) {
            out_.warnings.push_back(what + ": nodeSelector: " + err);
          }
          continue;
        }
      }
      const std::string prefix = node_specific ? "Node" : "Global";
      if (!s.peer_selector.empty()) {
        for (const auto& [name, node] : in_.nodes) {
          if (name == in_.node_name) {
            continue;
          }
          err.clear();
          if (!selects(s.peer_selector, node, &err)) {
            if (!err.empty()) {
              out_.warnings.push_back(what + ": peerSelector: " + err);
              break;
            }
            continue;
          }
          const bool use_source = s.source_address != "None";
          add_node_sessions(prefix, node, node_addrs(node), use_source, &s);
        }
        continue;
      }
      auto ipport = parse_peer_ip(s.peer_ip);
      if (!ipport) {
        out_.warnings.push_back(what + ": peerIP \"" + s.peer_ip + "\" is not an address");
        continue;
      }
      const auto& [ip, port] = *ipport;
      const auto& ours = ip.is_v4() ? self_.v4 : self_.v6;
      if (!ours) {
        out_.warnings.push_back(what + ": this node has no " +
                                std::string(ip.is_v4() ? "IPv4" : "IPv6") +
                                " BGP address for peer " + ip.to_string());
        continue;
      }
      if (*ours == ip) {
        continue;  // ourselves
      }
      if (!s.as_number) {
        out_.warnings.push_back(what + ": peerIP without asNumber");
        continue;
      }
      bgp::PeerConfig p = base_peer(ip, port, s.as_number->value());
      p.name = bird_protocol_name(prefix, ip, port);
      if (s.source_address != "None") {
        p.source_address = *ours;
      }
      // A reflector treats a Calico node of its AS outside its cluster as a client.
      if (!self_.cluster_id.empty() && p.asn == out_.config.asn) {
        for (const auto& [name, node] : in_.nodes) {
          const NodeAddrs a = node_addrs(node);
          if ((a.v4 && *a.v4 == ip) || (a.v6 && *a.v6 == ip)) {
            p.rr_client = a.cluster_id != self_.cluster_id;
          }
        }
      }
      if (!apply_spec(p, s, what)) {
        continue;
      }
      add(std::move(p), what);
    }
  }

  // Calico's automatic reverse peering (confd's second pass over BGPPeers): when this node
  // is on the remote side of a BGPPeer (its peerSelector selects this node, or its peerIP
  // and asNumber are this node's), it peers back with the nodes on the local side
  // (nodeSelector, node, or every node).  reversePeering: Manual turns it off.  A session
  // already configured in the forward direction is kept as it is.
  void reverse_peers() {
    std::vector<const api::BGPPeer*> peers;
    for (const auto& bp : in_.peers) {
      peers.push_back(&bp);
    }
    std::sort(peers.begin(), peers.end(), [](const api::BGPPeer* a, const api::BGPPeer* b) {
      return a->metadata.name < b->metadata.name;
    });
    for (const api::BGPPeer* bp : peers) {
      const auto& s = bp->spec;
      if (s.reverse_peering == "Manual") {
        continue;
      }
      std::string err;
      int family = 0;  // peerSelector: both families
      if (!s.peer_selector.empty()) {
        if (!selects(s.peer_selector, *self_node_, &err)) {
          continue;
        }
      } else {
        auto ipport = parse_peer_ip(s.peer_ip);
        if (!ipport || !s.as_number || s.as_number->value() != out_.config.asn) {
          continue;
        }
        const auto& [ip, port] = *ipport;
        const auto& ours = ip.is_v4() ? self_.v4 : self_.v6;
        if (!ours || *ours != ip || (port != 179 && port != out_.config.listen_port)) {
          continue;
        }
        family = ip.is_v4() ? 4 : 6;
      }
      for (const auto& [name, node] : in_.nodes) {
        if (name == in_.node_name) {
          continue;
        }
        if (!s.node_selector.empty()) {
          err.clear();
          if (!selects(s.node_selector, node, &err)) {
            continue;
          }
        } else if (!s.node.empty() && s.node != name) {
          continue;
        }
        const bool use_source = s.source_address != "None";
        add_node_sessions("Node", node, node_addrs(node), use_source, &s, family, /*quiet=*/true);
      }
    }
  }

  void add(bgp::PeerConfig p, const std::string& source) {
    const auto id = std::make_pair(p.address, p.port);
    if (!seen_.insert(id).second) {
      out_.warnings.push_back(source + ": a session to " + p.address.to_string() + " port " +
                              std::to_string(p.port) + " is already configured; ignored");
      return;
    }
    out_.config.peers.push_back(std::move(p));
  }

  const BgpInputs& in_;
  const BgpOptions& opt_;
  BgpDerived& out_;
  const api::Node* self_node_ = nullptr;
  NodeAddrs self_;
  std::uint32_t default_asn_ = kDefaultAsn;
  std::set<std::pair<net::IpAddr, std::uint16_t>> seen_;
};

}  // namespace

BgpDerived derive_bgp_config(const BgpInputs& in, const BgpOptions& options) {
  BgpDerived out;
  Builder(in, options, out).run();
  return out;
}

std::uint32_t router_id_from_name(const std::string& node_name) {
  const std::uint32_t h = fnv1a(node_name);
  return h == 0 ? 1 : h;
}

std::string bird_protocol_name(const std::string& prefix, const net::IpAddr& ip,
                               std::uint16_t port) {
  std::string s = prefix + "_" + ip.to_string();
  for (char& c : s) {
    if (c == '.' || c == ':') {
      c = '_';
    }
  }
  if (port != 179) {
    s += "_port_" + std::to_string(port);
  }
  return s;
}

}  // namespace calico::felix
