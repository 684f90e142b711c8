// Parsing of the calico-bgp configuration file (see config.h for the format).
#include "bgp/speaker/config.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "api/yaml.h"

namespace calico::bgp {
namespace {

using api::Json;

Failure<ConfigError> err(std::string field, std::string message) {
  return fail(ConfigError{std::move(field), std::move(message)});
}

// Rejects keys outside `allowed`.
Result<bool, ConfigError> check_keys(const Json& obj, const std::set<std::string>& allowed,
                                     const std::string& where) {
  if (!obj.is_object()) {
    return err(where, "must be a mapping");
  }
  for (const auto& [k, v] : obj.items()) {
    if (allowed.count(k) == 0) {
      return err(where.empty() ? k : where + "." + k, "unknown field");
    }
  }
  return true;
}

Result<std::uint64_t, ConfigError> get_uint(const Json& v, const std::string& field,
                                            std::uint64_t max) {
  std::uint64_t n = 0;
  if (v.is_number_unsigned()) {
    n = v.get<std::uint64_t>();
  } else if (v.is_number_integer()) {
    return err(field, "must not be negative");
  } else if (v.is_string()) {
    const auto s = v.get<std::string>();
    if (s.empty() || s.size() > 20 || s.find_first_not_of("0123456789") != std::string::npos) {
      return err(field, "\"" + s + "\" is not a non-negative integer");
    }
    n = std::stoull(s);
  } else {
    return err(field, "must be an integer");
  }
  if (n > max) {
    return err(field, std::to_string(n) + " is larger than " + std::to_string(max));
  }
  return n;
}

Result<std::string, ConfigError> get_string(const Json& v, const std::string& field) {
  if (!v.is_string()) {
    return err(field, "must be a string");
  }
  return v.get<std::string>();
}

Result<bool, ConfigError> get_bool(const Json& v, const std::string& field) {
  if (!v.is_boolean()) {
    return err(field, "must be true or false");
  }
  return v.get<bool>();
}

Result<std::uint32_t, ConfigError> get_asn(const Json& v, const std::string& field) {
  std::optional<std::uint32_t> asn;
  if (v.is_number_unsigned() && v.get<std::uint64_t>() <= 0xFFFFFFFFULL) {
    asn = static_cast<std::uint32_t>(v.get<std::uint64_t>());
  } else if (v.is_string()) {
    asn = parse_asn(v.get<std::string>());
  }
  if (!asn || *asn == 0) {
    return err(field, "must be an AS number 1-4294967295 (or asdot \"1.10\")");
  }
  return *asn;
}

Result<std::chrono::seconds, ConfigError> get_seconds(const Json& v, const std::string& field,
                                                      std::uint64_t max) {
  auto n = get_uint(v, field, max);
  if (!n) {
    return fail(n.error());
  }
  return std::chrono::seconds(static_cast<std::int64_t>(*n));
}

Result<net::IpAddr, ConfigError> get_ip(const Json& v, const std::string& field) {
  auto s = get_string(v, field);
  if (!s) {
    return fail(s.error());
  }
  const auto ip = net::IpAddr::parse(*s);
  if (!ip) {
    return err(field, "\"" + *s + "\" is not an IP address");
  }
  return *ip;
}

Result<AfiSafi, ConfigError> get_family(const Json& v, const std::string& field) {
  auto s = get_string(v, field);
  if (!s) {
    return fail(s.error());
  }
  if (*s == "ipv4" || *s == "ipv4-unicast") {
    return kIpv4Unicast;
  }
  if (*s == "ipv6" || *s == "ipv6-unicast") {
    return kIpv6Unicast;
  }
  return err(field, "\"" + *s + "\" is not a family (ipv4, ipv6)");
}

// The hold time must be 0 or at least 3 seconds (RFC 4271 §4.2).
Result<bool, ConfigError> check_hold(std::chrono::seconds h, const std::string& field) {
  if (h.count() == 1 || h.count() == 2) {
    return err(field, "must be 0 or at least 3 seconds (RFC 4271)");
  }
  return true;
}

#define CALICO_TRY_ASSIGN(lhs, expr) \
  do {                               \
    auto r_ = (expr);                \
    if (!r_) {                       \
      return fail(r_.error());       \
    }                                \
    lhs = *r_;                       \
  } while (false)

Result<PeerConfig, ConfigError> parse_peer(const Json& j, const std::string& where,
                                           const SpeakerConfig& global) {
  static const std::set<std::string> kKeys = {"peerIP",
                                              "asNumber",
                                              "passive",
                                              "holdTime",
                                              "connectRetryTime",
                                              "sourceAddress",
                                              "localAddressV6",
                                              "ttlSecurity",
                                              "multihop",
                                              "password",
                                              "routeReflectorClient",
                                              "nextHopSelf",
                                              "families",
                                              "name"};
  auto ok = check_keys(j, kKeys, where);
  if (!ok) {
    return fail(ok.error());
  }
  PeerConfig p;
  p.hold_time = global.hold_time;
  p.connect_retry = global.connect_retry;
  if (!j.contains("peerIP")) {
    return err(where + ".peerIP", "is required");
  }
  std::string addr;
  CALICO_TRY_ASSIGN(addr, get_string(j["peerIP"], where + ".peerIP"));
  // "10.0.0.2:1790" or "[fd00::2]:1790" carry a port, as in Calico's BGPPeer.peerIP.
  std::string host = addr;
  if (!addr.empty() && addr.front() == '[') {
    const auto close = addr.find(']');
    if (close == std::string::npos) {
      return err(where + ".peerIP", "\"" + addr + "\": missing ']'");
    }
    host = addr.substr(1, close - 1);
    if (close + 1 < addr.size()) {
      if (addr[close + 1] != ':') {
        return err(where + ".peerIP", "\"" + addr + "\": expected ':' after ']'");
      }
      auto port = get_uint(Json(addr.substr(close + 2)), where + ".peerIP port", 65535);
      if (!port || *port == 0) {
        return err(where + ".peerIP", "\"" + addr + "\": bad port");
      }
      p.port = static_cast<std::uint16_t>(*port);
    }
  } else if (std::count(addr.begin(), addr.end(), ':') == 1) {
    const auto colon = addr.find(':');
    host = addr.substr(0, colon);
    auto port = get_uint(Json(addr.substr(colon + 1)), where + ".peerIP port", 65535);
    if (!port || *port == 0) {
      return err(where + ".peerIP", "\"" + addr + "\": bad port");
    }
    p.port = static_cast<std::uint16_t>(*port);
  }
  const auto ip = net::IpAddr::parse(host);
  if (!ip) {
    return err(where + ".peerIP", "\"" + addr + "\" is not an IP address");
  }
  p.address = *ip;
  p.name = ip->to_string();
  if (j.contains("name")) {
    CALICO_TRY_ASSIGN(p.name, get_string(j["name"], where + ".name"));
  }
  if (!j.contains("asNumber")) {
    return err(where + ".asNumber", "is required");
  }
  CALICO_TRY_ASSIGN(p.asn, get_asn(j["asNumber"], where + ".asNumber"));
  if (j.contains("passive")) {
    CALICO_TRY_ASSIGN(p.passive, get_bool(j["passive"], where + ".passive"));
  }
  if (j.contains("holdTime")) {
    CALICO_TRY_ASSIGN(p.hold_time, get_seconds(j["holdTime"], where + ".holdTime", 65535));
  }
  if (auto h = check_hold(p.hold_time, where + ".holdTime"); !h) {
    return fail(h.error());
  }
  if (j.contains("connectRetryTime")) {
    CALICO_TRY_ASSIGN(p.connect_retry,
                      get_seconds(j["connectRetryTime"], where + ".connectRetryTime", 65535));
    if (p.connect_retry.count() == 0) {
      return err(where + ".connectRetryTime", "must be at least 1 second");
    }
  }
  if (j.contains("sourceAddress")) {
    net::IpAddr src;
    CALICO_TRY_ASSIGN(src, get_ip(j["sourceAddress"], where + ".sourceAddress"));
    if (src.family() != p.address.family()) {
      return err(where + ".sourceAddress", "must be of the same family as peerIP");
    }
    p.source_address = src;
  }
  if (j.contains("localAddressV6")) {
    net::IpAddr v6;
    CALICO_TRY_ASSIGN(v6, get_ip(j["localAddressV6"], where + ".localAddressV6"));
    if (!v6.is_v6()) {
      return err(where + ".localAddressV6", "must be an IPv6 address");
    }
    p.local_address_v6 = v6;
  }
  if (j.contains("ttlSecurity")) {
    std::uint64_t hops = 0;
    CALICO_TRY_ASSIGN(hops, get_uint(j["ttlSecurity"], where + ".ttlSecurity", 254));
    p.ttl_security_hops = static_cast<int>(hops);
  }
  if (j.contains("multihop")) {
    std::uint64_t ttl = 0;
    CALICO_TRY_ASSIGN(ttl, get_uint(j["multihop"], where + ".multihop", 255));
    p.multihop_ttl = static_cast<int>(ttl);
  }
  if (j.contains("password")) {
    CALICO_TRY_ASSIGN(p.password, get_string(j["password"], where + ".password"));
    if (p.password.size() > 80) {  // TCP_MD5SIG_MAXKEYLEN
      return err(where + ".password", "longer than 80 bytes (TCP MD5 key limit)");
    }
  }
  if (j.contains("routeReflectorClient")) {
    CALICO_TRY_ASSIGN(p.rr_client,
                      get_bool(j["routeReflectorClient"], where + ".routeReflectorClient"));
    if (p.rr_client && p.asn != global.asn) {
      return err(where + ".routeReflectorClient", "route reflector clients must be iBGP peers");
    }
  }
  if (j.contains("nextHopSelf")) {
    CALICO_TRY_ASSIGN(p.next_hop_self, get_bool(j["nextHopSelf"], where + ".nextHopSelf"));
  }
  if (j.contains("families")) {
    if (!j["families"].is_array() || j["families"].empty()) {
      return err(where + ".families", "must be a non-empty list");
    }
    for (std::size_t i = 0; i < j["families"].size(); ++i) {
      AfiSafi af;
      CALICO_TRY_ASSIGN(
          af, get_family(j["families"][i], where + ".families[" + std::to_string(i) + "]"));
      if (std::find(p.families.begin(), p.families.end(), af) == p.families.end()) {
        p.families.push_back(af);
      }
    }
  } else {
    p.families.push_back(p.address.is_v4() ? kIpv4Unicast : kIpv6Unicast);
    if (p.address.is_v4() && p.local_address_v6) {
      p.families.push_back(kIpv6Unicast);
    }
  }
  if (p.address.is_v4() &&
      std::find(p.families.begin(), p.families.end(), kIpv6Unicast) != p.families.end() &&
      !p.local_address_v6) {
    return err(where + ".families",
               "ipv6 over an IPv4 session needs localAddressV6 (the IPv6 next hop to send)");
  }
  return p;
}

}  // namespace

std::optional<std::uint32_t> parse_asn(const std::string& text) {
  auto num = [](const std::string& s, std::uint64_t max) -> std::optional<std::uint64_t> {
    if (s.empty() || s.size() > 10 || s.find_first_not_of("0123456789") != std::string::npos) {
      return std::nullopt;
    }
    const auto v = std::stoull(s);
    if (v > max) {
      return std::nullopt;
    }
    return v;
  };
  const auto dot = text.find('.');
  if (dot != std::string::npos) {
    const auto hi = num(text.substr(0, dot), 65535);
    const auto lo = num(text.substr(dot + 1), 65535);
    if (!hi || !lo) {
      return std::nullopt;
    }
    return static_cast<std::uint32_t>((*hi << 16) | *lo);
  }
  const auto v = num(text, 0xFFFFFFFFULL);
  if (!v) {
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(*v);
}

Result<SpeakerConfig, ConfigError> parse_speaker_config(const std::string& text) {
  auto docs = api::yaml_to_json_documents(text);
  if (!docs) {
    return err("", "invalid YAML: " + docs.error().to_string());
  }
  if (docs->size() != 1) {
    return err("", "expected exactly one YAML document, found " + std::to_string(docs->size()));
  }
  const Json& j = docs->front();
  static const std::set<std::string> kKeys = {
      "asNumber", "routerId",         "listenAddress", "listenPort",
      "holdTime", "connectRetryTime", "controlSocket", "routeReflectorClusterID",
      "maxPaths", "kernel",           "originate",     "peers"};
  auto ok = check_keys(j, kKeys, "");
  if (!ok) {
    return fail(ok.error());
  }
  SpeakerConfig c;
  if (!j.contains("asNumber")) {
    return err("asNumber", "is required");
  }
  CALICO_TRY_ASSIGN(c.asn, get_asn(j["asNumber"], "asNumber"));
  if (!j.contains("routerId")) {
    return err("routerId", "is required (a dotted quad, e.g. the node's IPv4 address)");
  }
  std::string rid;
  CALICO_TRY_ASSIGN(rid, get_string(j["routerId"], "routerId"));
  const auto id = parse_router_id(rid);
  if (!id || *id == 0) {
    return err("routerId", "\"" + rid + "\" is not a non-zero dotted-quad router id");
  }
  c.router_id = *id;
  if (j.contains("listenAddress")) {
    CALICO_TRY_ASSIGN(c.listen_address, get_string(j["listenAddress"], "listenAddress"));
    if (!c.listen_address.empty() && !net::IpAddr::parse(c.listen_address)) {
      return err("listenAddress", "\"" + c.listen_address + "\" is not an IP address");
    }
  }
  if (j.contains("listenPort")) {
    std::uint64_t port = 0;
    CALICO_TRY_ASSIGN(port, get_uint(j["listenPort"], "listenPort", 65535));
    c.listen_port = static_cast<std::uint16_t>(port);
  }
  if (j.contains("holdTime")) {
    CALICO_TRY_ASSIGN(c.hold_time, get_seconds(j["holdTime"], "holdTime", 65535));
  }
  if (auto h = check_hold(c.hold_time, "holdTime"); !h) {
    return fail(h.error());
  }
  if (j.contains("connectRetryTime")) {
    CALICO_TRY_ASSIGN(c.connect_retry,
                      get_seconds(j["connectRetryTime"], "connectRetryTime", 65535));
    if (c.connect_retry.count() == 0) {
      return err("connectRetryTime", "must be at least 1 second");
    }
  }
  if (j.contains("controlSocket")) {
    CALICO_TRY_ASSIGN(c.control_socket, get_string(j["controlSocket"], "controlSocket"));
  }
  if (j.contains("routeReflectorClusterID")) {
    std::string cid;
    CALICO_TRY_ASSIGN(cid, get_string(j["routeReflectorClusterID"], "routeReflectorClusterID"));
    if (!cid.empty()) {
      const auto v = parse_router_id(cid);
      if (!v || *v == 0) {
        return err("routeReflectorClusterID", "\"" + cid + "\" is not a dotted-quad cluster id");
      }
      c.cluster_id = *v;
    }
  }
  if (j.contains("maxPaths")) {
    std::uint64_t n = 0;
    CALICO_TRY_ASSIGN(n, get_uint(j["maxPaths"], "maxPaths", 64));
    if (n == 0) {
      return err("maxPaths", "must be at least 1");
    }
    c.max_paths = static_cast<int>(n);
  }
  if (j.contains("kernel")) {
    const Json& k = j["kernel"];
    auto kok = check_keys(k, {"install", "table", "protocol", "blackholeOwnBlocks"}, "kernel");
    if (!kok) {
      return fail(kok.error());
    }
    if (k.contains("install")) {
      CALICO_TRY_ASSIGN(c.kernel.install, get_bool(k["install"], "kernel.install"));
    }
    if (k.contains("table")) {
      std::uint64_t t = 0;
      CALICO_TRY_ASSIGN(t, get_uint(k["table"], "kernel.table", 0xFFFFFFFFULL));
      if (t == 0 || t == 255) {
        return err("kernel.table", "table " + std::to_string(t) + " is reserved");
      }
      c.kernel.table = static_cast<std::uint32_t>(t);
    }
    if (k.contains("protocol")) {
      std::uint64_t p = 0;
      CALICO_TRY_ASSIGN(p, get_uint(k["protocol"], "kernel.protocol", 255));
      if (p < 5) {  // 0-4 are the kernel's own (unspec, redirect, kernel, boot, static)
        return err("kernel.protocol", "protocols 0-4 belong to the kernel and iproute2");
      }
      c.kernel.protocol = static_cast<std::uint8_t>(p);
    }
    if (k.contains("blackholeOwnBlocks")) {
      CALICO_TRY_ASSIGN(c.kernel.blackhole_own_blocks,
                        get_bool(k["blackholeOwnBlocks"], "kernel.blackholeOwnBlocks"));
    }
  }
  if (j.contains("originate")) {
    if (!j["originate"].is_array()) {
      return err("originate", "must be a list of CIDRs");
    }
    for (std::size_t i = 0; i < j["originate"].size(); ++i) {
      const std::string field = "originate[" + std::to_string(i) + "]";
      std::string s;
      CALICO_TRY_ASSIGN(s, get_string(j["originate"][i], field));
      const auto cidr = net::Cidr::parse(s, /*strict=*/true);
      if (!cidr) {
        return err(field, "\"" + s + "\" is not a CIDR with host bits zero");
      }
      c.originate.push_back(*cidr);
    }
  }
  if (j.contains("peers")) {
    if (!j["peers"].is_array()) {
      return err("peers", "must be a list");
    }
    std::set<std::pair<net::IpAddr, std::uint16_t>> seen;
    for (std::size_t i = 0; i < j["peers"].size(); ++i) {
      const std::string where = "peers[" + std::to_string(i) + "]";
      PeerConfig p;
      CALICO_TRY_ASSIGN(p, parse_peer(j["peers"][i], where, c));
      if (!seen.insert({p.address, p.port}).second) {
        return err(where + ".peerIP", p.address.to_string() + " is configured twice");
      }
      if (p.multihop_ttl == 0) {
        // Calico's BIRD template makes every session multihop (ToRs are often reached
        // through a gateway), so TTL 64 for eBGP too; `multihop: 1` restores the
        // directly-connected check.
        p.multihop_ttl = 64;
      }
      if (p.rr_client && !c.cluster_id) {
        // Calico makes a node a reflector by giving it a cluster id; without one the
        // router id is the cluster id (RFC 4456 §7).
        c.cluster_id = c.router_id;
      }
      c.peers.push_back(std::move(p));
    }
  }
  return c;
}

Result<SpeakerConfig, ConfigError> load_speaker_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return err("", "cannot read " + path);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  auto c = parse_speaker_config(ss.str());
  if (!c) {
    ConfigError e = c.error();
    e.message = path + ": " + e.message;
    return fail(e);
  }
  return c;
}

bool same_peer(const PeerConfig& a, const PeerConfig& b) {
  return a.address == b.address && a.port == b.port;
}

bool peer_needs_reset(const PeerConfig& from, const PeerConfig& to) {
  PeerConfig in_place = to;
  in_place.name = from.name;
  in_place.connect_retry = from.connect_retry;
  return !(in_place == from);
}

std::optional<std::string> restart_reason(const SpeakerConfig& from, const SpeakerConfig& to) {
  if (from.asn != to.asn) {
    return "asNumber";
  }
  if (from.router_id != to.router_id) {
    return "routerId";
  }
  if (from.listen_address != to.listen_address) {
    return "listenAddress";
  }
  if (from.listen_port != to.listen_port) {
    return "listenPort";
  }
  if (from.cluster_id != to.cluster_id) {
    return "routeReflectorClusterID";
  }
  if (from.max_paths != to.max_paths) {
    return "maxPaths";
  }
  if (!(from.kernel == to.kernel)) {
    return "kernel";
  }
  if (from.control_socket != to.control_socket) {
    return "controlSocket";
  }
  return std::nullopt;
}

}  // namespace calico::bgp
