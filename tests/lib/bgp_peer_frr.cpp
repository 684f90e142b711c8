// BGP peer fixture, FRR 8 driver: zebra + bgpd started directly (no watchfrr, nothing
// under /etc/frr), both in the foreground with their sockets, pid files and logs in the
// work directory (owned by user frr, which the daemons drop to).  Queries and runtime
// changes go through `vtysh --vty_socket WORK -d bgpd`, read back as JSON.
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/lib/bgp_peer_internal.h"

namespace calico::testlib {
namespace {

using namespace std::chrono_literals;
using bgp_peer_detail::is_ipv6;
using nlohmann::json;

constexpr const char* kFrrDir = "/usr/lib/frr";
constexpr const char* kRouteMap = "CALICO_ORIGINATE";

class FrrDriver final : public BgpPeer::Driver {
 public:
  using Driver::Driver;

  Result<void, std::string> write_config() override {
    const std::string hostname = "peer-" + std::filesystem::path(work_dir_).filename().string();
    if (auto r = write_file("zebra.conf", "hostname " + hostname + "\n!\n"); !r) {
      return r;
    }
    if (auto r = write_file("bgpd.conf", render(hostname)); !r) {
      return r;
    }
    // Logs come from --log; a `log file` line as well would make the daemon reopen the
    // file after dropping to user frr, and fail.
    for (const char* log : {"zebra.log", "bgpd.log"}) {
      const std::string p = path(log);
      if (::access(p.c_str(), F_OK) != 0) {
        if (auto r = write_file(log, ""); !r) {
          return r;
        }
      }
    }
    if (auto r = give_to_frr(); !r) {
      return r;
    }
    // Dry run.  It exits 0 even on "No such command on config line N": judge the output.
    std::vector<std::string> argv = {std::string(kFrrDir) + "/bgpd", "-C", "-f", path("bgpd.conf")};
    const auto common = common_args();
    argv.insert(argv.end(), common.begin(), common.end());
    const auto check = run_command(argv);
    std::string lower = check.output;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    if (check.exit_code != 0 || lower.find("no such command") != std::string::npos ||
        lower.find("unknown command") != std::string::npos ||
        lower.find("error") != std::string::npos) {
      return fail("frr: bgpd config check failed: " + check.output + "\n" + render(hostname));
    }
    return {};
  }

  Result<void, std::string> launch(bool /*gr_restarting: FRR has no such switch*/) override {
    for (const char* f : {"zserv.api", "zebra.vty", "bgpd.vty", "zebra.pid", "bgpd.pid"}) {
      ::unlink(path(f).c_str());
    }
    // Not daemonized (-d): then stderr is closed and config-time messages end as
    // "write error on fd 2".  The Process pid is the daemon's own (ip netns exec execs it).
    std::vector<std::string> zebra = {std::string(kFrrDir) + "/zebra"};
    const auto common = common_args();
    zebra.insert(zebra.end(), common.begin(), common.end());
    zebra.insert(zebra.end(), {"-f", path("zebra.conf"), "-i", path("zebra.pid"), "--log",
                               "file:" + path("zebra.log")});
    if (auto p = spawn(zebra, "zebra.out"); !p) {
      return fail(p.error());
    }
    if (auto w = wait_ready([this] { return ::access(path("zserv.api").c_str(), F_OK) == 0; }, 15s,
                            "zebra's zserv.api socket");
        !w) {
      return w;
    }
    std::vector<std::string> bgpd = {std::string(kFrrDir) + "/bgpd"};
    bgpd.insert(bgpd.end(), common.begin(), common.end());
    bgpd.insert(bgpd.end(), {"-f", path("bgpd.conf"), "-i", path("bgpd.pid"), "--log",
                             "file:" + path("bgpd.log")});
    if (!cfg_.install_kernel_routes) {
      bgpd.emplace_back("--no_kernel");
    }
    if (auto p = spawn(bgpd, "bgpd.out"); !p) {
      return fail(p.error());
    }
    return wait_ready(
        [this] {
          const auto r = vtysh({"show bgp summary json"});
          return r.exit_code == 0 && json::accept(r.output);
        },
        20s, "bgpd's vty socket");
  }

  void request_shutdown(std::chrono::milliseconds) override {
    // SIGTERM (sent by the caller) makes bgpd send Cease; zebra then removes its routes.
  }

  Result<std::string, std::string> session_state(const std::string& neighbor) override {
    auto r = neighbor_detail(neighbor);
    if (!r) {
      return r;
    }
    return bgp_peer_detail::parse_frr_state(*r);
  }

  Result<std::string, std::string> neighbor_detail(const std::string& neighbor) override {
    const auto r = vtysh({"show bgp neighbors " + neighbor + " json"});
    if (r.exit_code != 0) {
      return fail("vtysh show bgp neighbors: " + r.output);
    }
    return r.output;
  }

  Result<std::vector<LearnedRoute>, std::string> learned_routes() override {
    std::vector<LearnedRoute> out;
    for (const char* afi : {"ipv4", "ipv6"}) {
      const auto r = vtysh({std::string("show bgp ") + afi + " unicast json detail"});
      if (r.exit_code != 0) {
        return fail("vtysh show bgp " + std::string(afi) + ": " + r.output);
      }
      auto routes = bgp_peer_detail::parse_frr_routes(r.output);
      if (!routes) {
        return fail(routes.error());
      }
      out.insert(out.end(), routes->begin(), routes->end());
    }
    return out;
  }

  Result<void, std::string> apply_originate(const std::string& prefix, bool add) override {
    std::string network = (add ? "network " : "no network ") + prefix;
    if (add && !cfg_.originate_communities.empty()) {
      network += std::string(" route-map ") + kRouteMap;
    }
    const auto r =
        vtysh({"configure terminal", "router bgp " + std::to_string(cfg_.local_as),
               std::string("address-family ") + (is_ipv6(prefix) ? "ipv6" : "ipv4") + " unicast",
               network});
    if (r.exit_code != 0 || r.output.find('%') != std::string::npos) {
      return fail("vtysh " + network + ": " + r.output);
    }
    return {};
  }

  std::vector<std::string> log_files() const override {
    return {path("zebra.log"), path("bgpd.log")};
  }

 private:
  std::vector<std::string> common_args() const {
    // -P 0: no TCP vty listeners (they would bind in every namespace).
    return {"-F", "traditional", "-u",           "frr",     "-g", "frr",
            "-P", "0",           "--vty_socket", work_dir_, "-z", path("zserv.api")};
  }

  CommandResult vtysh(const std::vector<std::string>& commands) const {
    // The vty sockets are files: vtysh works from the host namespace.
    std::vector<std::string> argv = {"vtysh", "--vty_socket", work_dir_, "-d", "bgpd"};
    for (const auto& c : commands) {
      argv.insert(argv.end(), {"-c", c});
    }
    return run_command(argv, 10s);
  }

  // The daemons drop to user frr: pid files, sockets and logs must be writable by it.
  Result<void, std::string> give_to_frr() const {
    const passwd* pw = ::getpwnam("frr");
    const group* gr = ::getgrnam("frr");
    if (pw == nullptr || gr == nullptr) {
      return fail(std::string("frr: no user/group 'frr' on this system"));
    }
    std::error_code ec;
    if (::chown(work_dir_.c_str(), pw->pw_uid, gr->gr_gid) != 0) {
      return fail("frr: chown " + work_dir_ + " failed");
    }
    for (const auto& e : std::filesystem::directory_iterator(work_dir_, ec)) {
      if (::lchown(e.path().c_str(), pw->pw_uid, gr->gr_gid) != 0) {
        return fail("frr: chown " + e.path().string() + " failed");
      }
      if (e.path().extension() == ".conf") {
        ::chmod(e.path().c_str(), 0640);
      }
    }
    return {};
  }

  std::string render(const std::string& hostname) const {
    std::ostringstream c;
    c << "! Generated by the calico test harness (tests/lib/bgp_peer_frr.cpp).\n"
      << "hostname " << hostname << "\n!\n"
      << "router bgp " << cfg_.local_as << "\n"
      << " bgp router-id " << router_id()
      << "\n"
      // RFC 8212 default: without policy, eBGP routes are neither accepted nor sent.
      << " no bgp ebgp-requires-policy\n"
      // Otherwise a `network` not in zebra's RIB (ours are not) is not advertised.
      << " no bgp network import-check\n"
      // Otherwise every neighbor (the IPv6 ones too) also negotiates IPv4 unicast.
      << " no bgp default ipv4-unicast\n";
    if (cfg_.graceful_restart_s > 0) {
      c << " bgp graceful-restart\n"
        << " bgp graceful-restart restart-time " << cfg_.graceful_restart_s << "\n";
    } else {
      c << " bgp graceful-restart-disable\n";
    }
    for (const auto& n : cfg_.neighbors) {
      const std::string& a = n.address;
      c << " neighbor " << a << " remote-as " << n.peer_as << "\n";
      // The traditional profile's connect retry is 120 s.
      c << " neighbor " << a << " timers connect " << cfg_.connect_retry_s << "\n";
      c << " neighbor " << a << " timers " << (n.hold_time > 0 ? std::max(1, n.hold_time / 3) : 0)
        << " " << n.hold_time << "\n";
      if (const std::string local = local_address_for(n); !local.empty()) {
        c << " neighbor " << a << " update-source " << local << "\n";
      }
      if (n.passive) {
        c << " neighbor " << a << " passive\n";
      }
      if (!n.md5.empty()) {
        c << " neighbor " << a << " password " << n.md5 << "\n";
      }
      if (n.multihop && n.peer_as != cfg_.local_as) {
        c << " neighbor " << a << " ebgp-multihop 255\n";
      }
    }
    const std::string route_map =
        cfg_.originate_communities.empty() ? "" : std::string(" route-map ") + kRouteMap;
    for (const bool v6 : {false, true}) {
      c << " !\n address-family " << (v6 ? "ipv6" : "ipv4") << " unicast\n";
      for (const auto& p : v6 ? originated_v6() : originated_v4()) {
        c << "  network " << p << route_map << "\n";
      }
      for (const auto& n : cfg_.neighbors) {
        if (v6 ? n.ipv6 : n.ipv4) {
          c << "  neighbor " << n.address << " activate\n";
          if (n.rr_client) {
            c << "  neighbor " << n.address << " route-reflector-client\n";
          }
        }
      }
      c << " exit-address-family\n";
    }
    c << "exit\n!\n";
    if (!cfg_.originate_communities.empty()) {
      c << "route-map " << kRouteMap << " permit 10\n"
        << " set community " << bgp_peer_detail::join(cfg_.originate_communities, " ") << "\n"
        << "exit\n!\n";
    }
    return c.str();
  }
};

std::optional<std::uint32_t> uint_field(const json& j, std::initializer_list<const char*> keys) {
  for (const char* k : keys) {
    if (j.contains(k) && j[k].is_number_unsigned()) {
      return j[k].get<std::uint32_t>();
    }
    if (j.contains(k) && j[k].is_number_integer()) {
      return static_cast<std::uint32_t>(j[k].get<long long>());
    }
  }
  return std::nullopt;
}

}  // namespace

std::unique_ptr<BgpPeer::Driver> make_frr_driver(BgpPeerConfig cfg) {
  return std::make_unique<FrrDriver>(std::move(cfg));
}

namespace bgp_peer_detail {

Result<std::string, std::string> parse_frr_state(const std::string& text) {
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return fail("frr: not JSON: " + text);
  }
  for (const auto& [addr, info] : j.items()) {
    if (info.is_object() && info.contains("bgpState") && info["bgpState"].is_string()) {
      return info["bgpState"].get<std::string>();
    }
  }
  return fail("frr: no bgpState in: " + text);
}

Result<std::vector<LearnedRoute>, std::string> parse_frr_routes(const std::string& text) {
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return fail("frr: not JSON: " + text.substr(0, 500));
  }
  std::vector<LearnedRoute> out;
  if (!j.contains("routes") || !j["routes"].is_object()) {
    return out;  // an empty table prints no "routes"
  }
  for (const auto& [prefix, paths] : j["routes"].items()) {
    if (!paths.is_array()) {
      continue;
    }
    for (const auto& p : paths) {
      // `json detail` puts a summary object ({prefix, advertisedTo}) before the paths.
      if (!p.is_object() || !p.contains("nexthops")) {
        continue;
      }
      std::string peer;
      if (p.contains("peer") && p["peer"].is_object() && p["peer"].contains("peerId")) {
        peer = p["peer"]["peerId"].get<std::string>();
      } else if (p.contains("peerId") && p["peerId"].is_string()) {
        peer = p["peerId"].get<std::string>();
      }
      const bool local = p.value("sourced", false) || p.value("local", false) ||
                         peer == "(unspec)" || peer == "0.0.0.0" || peer == "::";
      if (local) {
        continue;
      }
      LearnedRoute r;
      r.prefix = canonical_prefix(prefix).empty() ? prefix : canonical_prefix(prefix);
      r.peer = canonical_address(peer).empty() ? peer : canonical_address(peer);
      if (p.contains("aspath") && p["aspath"].is_object() && p["aspath"].contains("segments")) {
        for (const auto& seg : p["aspath"]["segments"]) {
          for (const auto& asn : seg.value("list", json::array())) {
            r.as_path.push_back(asn.get<std::uint32_t>());
          }
        }
      } else if (p.contains("path") && p["path"].is_string()) {
        std::string digits;
        for (char ch : p["path"].get<std::string>() + " ") {
          if (ch >= '0' && ch <= '9') {
            digits += ch;
          } else if (!digits.empty()) {
            r.as_path.push_back(static_cast<std::uint32_t>(std::stoul(digits)));
            digits.clear();
          }
        }
      }
      std::string origin = p.value("origin", "");
      std::transform(origin.begin(), origin.end(), origin.begin(),
                     [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
      r.origin = origin;
      r.med = uint_field(p, {"metric", "med"});
      r.local_pref = uint_field(p, {"locPrf", "localpref", "localPref"});
      for (const auto& [key, target] : {std::pair{"community", &r.communities},
                                        std::pair{"largeCommunity", &r.large_communities}}) {
        if (p.contains(key) && p[key].is_object() && p[key].contains("list")) {
          for (const auto& c : p[key]["list"]) {
            target->push_back(c.get<std::string>());
          }
        }
      }
      if (p.contains("bestpath")) {
        const auto& b = p["bestpath"];
        r.best = b.is_boolean() ? b.get<bool>() : (b.is_object() && b.value("overall", false));
      }
      for (const auto& nh : p["nexthops"]) {
        const std::string ip = nh.value("ip", "");
        if (!ip.empty()) {
          r.next_hops.push_back(canonical_address(ip).empty() ? ip : canonical_address(ip));
        }
      }
      out.push_back(std::move(r));
    }
  }
  return out;
}

}  // namespace bgp_peer_detail
}  // namespace calico::testlib
