// BGP peer fixture, ExaBGP 4.2 driver: one exabgp process per peer with its own --root
// (CLI named pipes with a unique name in WORK/run/) and env file (listen addresses, no
// privilege drop, no daemonizing).  An API helper (`cat`) appends everything ExaBGP
// reports - state changes and parsed UPDATEs - as JSON lines to WORK/received.jsonl;
// session_state() and learned_routes() replay that file.  Runtime announce/withdraw goes
// through exabgpcli.  ExaBGP does no best-path selection and no AS-path loop check: it
// reports whatever it received, and it never touches the kernel.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/lib/bgp_peer_internal.h"

namespace calico::testlib {
namespace {

using namespace std::chrono_literals;
using bgp_peer_detail::is_ipv6;
using nlohmann::ordered_json;

constexpr std::uint32_t kAsTrans = 23456;

class ExabgpDriver final : public BgpPeer::Driver {
 public:
  using Driver::Driver;

  Result<void, std::string> validate() const override {
    for (const auto& n : cfg_.neighbors) {
      if (n.rr_client) {
        return fail("exabgp: neighbor " + n.address + ": ExaBGP cannot reflect routes");
      }
      if (local_address_for(n).empty()) {
        return fail("exabgp: neighbor " + n.address + " needs local_" +
                    (is_ipv6(n.address) ? "v6" : "v4"));
      }
    }
    return {};
  }

  Result<void, std::string> write_config() override {
    // A pipe name of our own: ExaBGP looks for <name>.in/.out in /run/exabgp/, /run/ and
    // /var/run/ before ROOT/run/, where a stale default "exabgp" pair would capture us.
    pipename_ = std::filesystem::path(work_dir_).filename().string();
    std::filesystem::create_directories(path("run"));
    for (const char* dir : {"in", "out"}) {
      const std::string fifo = path("run/" + pipename_ + "." + dir);
      if (::access(fifo.c_str(), F_OK) != 0 && ::mkfifo(fifo.c_str(), 0600) != 0) {
        return fail("exabgp: mkfifo " + fifo + " failed");
      }
    }
    // The helper must keep its stdout open (no `exec`): ExaBGP reads commands from it and
    // treats a closed pipe as a dead helper (respawned 5 times, then ExaBGP exits).
    if (auto r = write_file("recv.sh", "#!/bin/sh\ncat >> '" + path("received.jsonl") + "'\n");
        !r) {
      return r;
    }
    ::chmod(path("recv.sh").c_str(), 0755);
    if (auto r = write_file("exabgp.env", render_env()); !r) {
      return r;
    }
    if (auto r = write_file("exabgp.conf", render()); !r) {
      return r;
    }
    // Validation outside the namespace: no listener, no CLI pipes (environment variables
    // override the env file), else it tries to bind the namespace's addresses.
    const auto check =
        run_command({"env", "exabgp_tcp_bind=", "exabgp_api_cli=false", "exabgp", "--validate",
                     "--env", path("exabgp.env"), path("exabgp.conf")});
    if (check.exit_code != 0) {
      return fail("exabgp: config check failed: " + check.output + "\n" + render());
    }
    return {};
  }

  Result<void, std::string> launch(bool /*gr_restarting: no such switch*/) override {
    ::unlink(path("exabgp.pid").c_str());
    if (auto r = write_file("received.jsonl", ""); !r) {  // a new process, a new stream
      return r;
    }
    if (auto p =
            spawn({"exabgp", "--root", work_dir_, "--env", path("exabgp.env"), path("exabgp.conf")},
                  "exabgp.out");
        !p) {
      return fail(p.error());
    }
    return wait_ready(
        [this] {
          struct stat st {};
          if (::stat(path("exabgp.pid").c_str(), &st) != 0 || st.st_size == 0) {
            return false;
          }
          const auto r = cli({"show", "neighbor", "summary"});
          return r.exit_code == 0 && r.output.find("could not") == std::string::npos &&
                 r.output.find("not running") == std::string::npos;
        },
        30s, "exabgpcli");
  }

  void request_shutdown(std::chrono::milliseconds) override {
    // SIGTERM (sent by the caller): Cease to every neighbor, helpers stopped, exit.
  }

  Result<std::string, std::string> session_state(const std::string& neighbor) override {
    return bgp_peer_detail::parse_exabgp_state(read_stream(), neighbor);
  }

  Result<std::string, std::string> neighbor_detail(const std::string& neighbor) override {
    const auto r = cli({"show", "neighbor", neighbor, "extensive"});
    if (r.exit_code != 0) {
      return fail("exabgpcli show neighbor: " + r.output);
    }
    return r.output;
  }

  Result<std::vector<LearnedRoute>, std::string> learned_routes() override {
    return bgp_peer_detail::parse_exabgp_updates(read_stream());
  }

  Result<void, std::string> apply_originate(const std::string& prefix, bool add) override {
    for (const auto& n : cfg_.neighbors) {
      const std::string nh = next_hop_for(n, prefix);
      if (nh.empty()) {
        continue;  // the session does not carry this family
      }
      std::vector<std::string> words = {"neighbor", n.address};
      if (add) {
        words.insert(words.end(), {"announce", "route", prefix, route_attributes(nh)});
      } else {
        words.insert(words.end(), {"withdraw", "route", prefix});
      }
      const auto r = cli(words);
      if (r.exit_code != 0 || r.output.find("rror") != std::string::npos ||
          r.output.find("could not") != std::string::npos) {
        return fail("exabgpcli " + bgp_peer_detail::join(words, " ") + ": " + r.output);
      }
    }
    return {};
  }

  std::vector<std::string> log_files() const override { return {path("exabgp.log")}; }

 private:
  CommandResult cli(const std::vector<std::string>& words) const {
    // Named pipes are files: exabgpcli works from the host namespace.
    std::vector<std::string> argv = {"exabgpcli", "--root", work_dir_, "--env", path("exabgp.env")};
    argv.insert(argv.end(), words.begin(), words.end());
    return run_command(argv, 15s);
  }

  std::string read_stream() const {
    std::ifstream f(path("received.jsonl"), std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }

  // "self" for the session's own family; the local address of the other family when the
  // session carries both; "" when the session does not carry the prefix's family.
  std::string next_hop_for(const BgpNeighbor& n, const std::string& prefix) const {
    const bool v6 = is_ipv6(prefix);
    if (!(v6 ? n.ipv6 : n.ipv4)) {
      return "";
    }
    if (v6 == is_ipv6(n.address)) {
      return "self";
    }
    return v6 ? cfg_.local_v6 : cfg_.local_v4;
  }

  std::string route_attributes(const std::string& next_hop) const {
    std::string s = "next-hop " + next_hop + " origin igp";
    if (!cfg_.originate_communities.empty()) {
      s += " community [" + bgp_peer_detail::join(cfg_.originate_communities, " ") + "]";
    }
    return s;
  }

  std::string render_env() const {
    std::vector<std::string> bind;
    for (const auto* a : {&cfg_.local_v4, &cfg_.local_v6}) {
      if (!a->empty()) {
        bind.push_back(*a);
      }
    }
    std::ostringstream e;
    e << "# Generated by the calico test harness (tests/lib/bgp_peer_exabgp.cpp).\n"
      << "[exabgp.daemon]\n"
      << "daemonize = false\n"
      << "drop = false\n"
      << "user = 'root'\n"
      << "pid = '" << path("exabgp.pid") << "'\n\n"
      << "[exabgp.tcp]\n"
      // Empty would mean no listener at all (outbound connections only).
      << "bind = '" << bgp_peer_detail::join(bind, " ") << "'\n"
      << "port = 179\n\n"
      << "[exabgp.api]\n"
      << "cli = true\n"
      << "pipename = '" << pipename_ << "'\n\n"
      << "[exabgp.log]\n"
      << "destination = '" << path("exabgp.log") << "'\n"
      << "level = INFO\n";
    return e.str();
  }

  std::string render() const {
    std::ostringstream c;
    c << "# Generated by the calico test harness (tests/lib/bgp_peer_exabgp.cpp).\n"
      << "process recv {\n"
      << "  run " << path("recv.sh") << ";\n"
      << "  encoder json;\n"
      << "}\n";
    for (const auto& n : cfg_.neighbors) {
      // A 2-octet-only speaker sees AS_TRANS in the OPEN of a neighbor with a 4-octet AS.
      const std::uint32_t peer_as = !cfg_.four_octet_as && n.peer_as > 65535 ? kAsTrans : n.peer_as;
      c << "\nneighbor " << n.address << " {\n"
        << "  router-id " << router_id() << ";\n"
        << "  local-address " << local_address_for(n) << ";\n"
        << "  local-as " << cfg_.local_as << ";\n"
        << "  peer-as " << peer_as << ";\n"
        << "  hold-time " << n.hold_time
        << ";\n"
        // Keep what was sent, so routes announced through the API survive a session reset.
        << "  adj-rib-out true;\n";
      if (n.passive) {
        c << "  passive true;\n";
      }
      if (!n.md5.empty()) {
        c << "  md5-password \"" << n.md5 << "\";\n";
      }
      if (n.multihop) {
        c << "  outgoing-ttl 255;\n";
      }
      c << "  family {\n";
      if (n.ipv4) {
        c << "    ipv4 unicast;\n";
      }
      if (n.ipv6) {
        c << "    ipv6 unicast;\n";
      }
      c << "  }\n  capability {\n    route-refresh;\n";
      if (!cfg_.four_octet_as) {
        c << "    asn4 disable;\n";
      }
      if (cfg_.graceful_restart_s > 0) {
        c << "    graceful-restart " << cfg_.graceful_restart_s << ";\n";
      }
      c << "  }\n";
      std::string statics;
      for (const auto& p : originate_) {
        const std::string nh = next_hop_for(n, p);
        if (!nh.empty()) {
          statics += "    route " + p + " " + route_attributes(nh) + ";\n";
        }
      }
      if (!statics.empty()) {
        c << "  static {\n" << statics << "  }\n";
      }
      c << "  api {\n"
        << "    processes [ recv ];\n"
        << "    neighbor-changes;\n"
        << "    receive { parsed; update; notification; }\n"
        << "  }\n"
        << "}\n";
    }
    return c.str();
  }

  std::string pipename_;
};

// Numbers of an ExaBGP list value: [1, 2] or nested ([1, [2, 3]] for AS_SETs).
void collect_numbers(const ordered_json& j, std::vector<std::uint32_t>& out) {
  if (j.is_number()) {
    out.push_back(j.get<std::uint32_t>());
  } else if (j.is_array()) {
    for (const auto& e : j) {
      collect_numbers(e, out);
    }
  }
}

bool is_link_local(const std::string& addr) {
  return addr.rfind("fe8", 0) == 0 || addr.rfind("fe9", 0) == 0 || addr.rfind("fea", 0) == 0 ||
         addr.rfind("feb", 0) == 0;
}

std::string nlri_prefix(const ordered_json& n) {
  if (n.is_string()) {
    return n.get<std::string>();
  }
  if (n.is_object() && n.contains("nlri") && n["nlri"].is_string()) {
    return n["nlri"].get<std::string>();
  }
  return "";
}

}  // namespace

std::unique_ptr<BgpPeer::Driver> make_exabgp_driver(BgpPeerConfig cfg) {
  return std::make_unique<ExabgpDriver>(std::move(cfg));
}

namespace bgp_peer_detail {

std::vector<LearnedRoute> parse_exabgp_updates(const std::string& jsonl) {
  // (peer, prefix) -> route; a map keeps the output order stable.
  std::map<std::pair<std::string, std::string>, LearnedRoute> rib;
  std::istringstream in(jsonl);
  std::string line;
  while (std::getline(in, line)) {
    const ordered_json m = ordered_json::parse(line, nullptr, false);
    if (m.is_discarded() || !m.is_object() || !m.contains("neighbor")) {
      continue;  // also a line still being written
    }
    const auto& nb = m["neighbor"];
    std::string peer;
    if (nb.contains("address") && nb["address"].contains("peer")) {
      peer = canonical_address(nb["address"]["peer"].get<std::string>());
    }
    const std::string type = m.value("type", "");
    if (type == "state") {
      if (nb.value("state", "") == "down") {
        std::erase_if(rib, [&](const auto& e) { return e.first.first == peer; });
      }
      continue;
    }
    if (type != "update" || !nb.contains("message") || !nb["message"].contains("update")) {
      continue;
    }
    const auto& u = nb["message"]["update"];
    if (u.contains("withdraw")) {
      for (const auto& [family, nlris] : u["withdraw"].items()) {
        for (const auto& n : nlris) {
          rib.erase({peer, canonical_prefix(nlri_prefix(n))});
        }
      }
    }
    if (!u.contains("announce")) {
      continue;
    }
    const ordered_json attrs = u.value("attribute", ordered_json::object());
    std::map<std::string, LearnedRoute> announced;  // prefix -> route (next hops merged)
    for (const auto& [family, by_next_hop] : u["announce"].items()) {
      if (!by_next_hop.is_object()) {
        continue;
      }
      for (const auto& [next_hop, nlris] : by_next_hop.items()) {
        for (const auto& n : nlris) {
          const std::string prefix = canonical_prefix(nlri_prefix(n));
          if (prefix.empty()) {
            continue;
          }
          auto& r = announced[prefix];
          r.prefix = prefix;
          r.peer = peer;
          r.best = true;
          const std::string nh =
              canonical_address(next_hop).empty() ? next_hop : canonical_address(next_hop);
          if (std::find(r.next_hops.begin(), r.next_hops.end(), nh) == r.next_hops.end()) {
            r.next_hops.push_back(nh);
          }
        }
      }
    }
    for (auto& [prefix, r] : announced) {
      std::stable_partition(r.next_hops.begin(), r.next_hops.end(),
                            [](const std::string& a) { return !is_link_local(a); });
      r.origin = attrs.value("origin", "");
      if (attrs.contains("as-path")) {
        collect_numbers(attrs["as-path"], r.as_path);
      }
      if (attrs.contains("med") && attrs["med"].is_number()) {
        r.med = attrs["med"].get<std::uint32_t>();
      }
      if (attrs.contains("local-preference") && attrs["local-preference"].is_number()) {
        r.local_pref = attrs["local-preference"].get<std::uint32_t>();
      }
      for (const auto& [key, target] : {std::pair{"community", &r.communities},
                                        std::pair{"large-community", &r.large_communities}}) {
        if (!attrs.contains(key)) {
          continue;
        }
        for (const auto& c : attrs[key]) {
          std::vector<std::uint32_t> parts;
          collect_numbers(c, parts);
          std::string text;
          for (const auto v : parts) {
            text += (text.empty() ? "" : ":") + std::to_string(v);
          }
          target->push_back(text);
        }
      }
      rib[{peer, prefix}] = std::move(r);
    }
  }
  std::vector<LearnedRoute> out;
  for (auto& [key, r] : rib) {
    out.push_back(std::move(r));
  }
  return out;
}

std::string parse_exabgp_state(const std::string& jsonl, const std::string& neighbor) {
  const std::string want = canonical_address(neighbor);
  std::string state = "Idle";
  std::istringstream in(jsonl);
  std::string line;
  while (std::getline(in, line)) {
    const ordered_json m = ordered_json::parse(line, nullptr, false);
    if (m.is_discarded() || !m.is_object() || m.value("type", "") != "state" ||
        !m.contains("neighbor")) {
      continue;
    }
    const auto& nb = m["neighbor"];
    if (!nb.contains("address") || !nb["address"].contains("peer") ||
        canonical_address(nb["address"]["peer"].get<std::string>()) != want) {
      continue;
    }
    const std::string s = nb.value("state", "");
    state = s == "up" ? "Established" : s == "down" ? "Idle" : s;
  }
  return state;
}

}  // namespace bgp_peer_detail
}  // namespace calico::testlib
