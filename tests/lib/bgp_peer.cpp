// BGP peer fixture: the daemon-independent part (config validation, work directory,
// process lifecycle by PID including helper processes a daemon spawns, polling helpers),
// the BgpLink namespace pair, and small address/prefix helpers.  The daemon specifics
// live in bgp_peer_{bird,frr,gobgp,exabgp}.cpp.
#include "tests/lib/bgp_peer.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "tests/lib/bgp_peer_internal.h"

namespace calico::testlib {

using namespace std::chrono_literals;
using bgp_peer_detail::canonical_address;
using bgp_peer_detail::is_ipv6;

std::string_view to_string(PeerKind kind) {
  switch (kind) {
    case PeerKind::Bird:
      return "bird";
    case PeerKind::Frr:
      return "frr";
    case PeerKind::Gobgp:
      return "gobgp";
    case PeerKind::Exabgp:
      return "exabgp";
  }
  return "?";
}

namespace bgp_peer_detail {

bool is_ipv6(const std::string& address_or_prefix) {
  return address_or_prefix.find(':') != std::string::npos;
}

std::string canonical_address(const std::string& address) {
  std::array<unsigned char, 16> buf{};
  std::array<char, INET6_ADDRSTRLEN> out{};
  const int family = is_ipv6(address) ? AF_INET6 : AF_INET;
  if (::inet_pton(family, address.c_str(), buf.data()) != 1) {
    return "";
  }
  if (::inet_ntop(family, buf.data(), out.data(), out.size()) == nullptr) {
    return "";
  }
  return out.data();
}

std::string community_text(std::uint32_t value) {
  return std::to_string(value >> 16) + ":" + std::to_string(value & 0xffffU);
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (const auto& p : parts) {
    out += (out.empty() ? "" : sep) + p;
  }
  return out;
}

}  // namespace bgp_peer_detail

std::string canonical_prefix(const std::string& prefix) {
  const auto slash = prefix.find('/');
  if (slash == std::string::npos || slash + 1 >= prefix.size()) {
    return "";
  }
  const std::string addr = prefix.substr(0, slash);
  const std::string len_text = prefix.substr(slash + 1);
  if (len_text.find_first_not_of("0123456789") != std::string::npos || len_text.size() > 3) {
    return "";
  }
  const int len = std::stoi(len_text);
  const bool v6 = is_ipv6(addr);
  const int bits = v6 ? 128 : 32;
  if (len > bits) {
    return "";
  }
  std::array<unsigned char, 16> buf{};
  if (::inet_pton(v6 ? AF_INET6 : AF_INET, addr.c_str(), buf.data()) != 1) {
    return "";
  }
  // Clear the host bits: daemons report the network address.
  for (int i = 0; i < bits / 8; ++i) {
    const int keep = std::clamp(len - i * 8, 0, 8);
    buf[static_cast<std::size_t>(i)] &= static_cast<unsigned char>(0xff00U >> keep);
  }
  std::array<char, INET6_ADDRSTRLEN> out{};
  if (::inet_ntop(v6 ? AF_INET6 : AF_INET, buf.data(), out.data(), out.size()) == nullptr) {
    return "";
  }
  return std::string(out.data()) + "/" + std::to_string(len);
}

// --- helper processes -------------------------------------------------------------------

namespace {

struct ProcId {
  pid_t pid = 0;
  unsigned long long start_time = 0;  // /proc/PID/stat field 22: guards against PID reuse
};

// ppid and start time of a live process.
bool read_stat(pid_t pid, pid_t& ppid, unsigned long long& start_time) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s;
  if (!std::getline(f, s)) {
    return false;
  }
  const auto close = s.rfind(')');  // the command name may contain spaces and parentheses
  if (close == std::string::npos) {
    return false;
  }
  std::istringstream in(s.substr(close + 2));
  std::string field;
  std::vector<std::string> fields;
  while (in >> field) {
    fields.push_back(field);
  }
  // fields[0] = state (field 3), fields[1] = ppid (4), fields[19] = starttime (22).
  if (fields.size() < 20) {
    return false;
  }
  ppid = static_cast<pid_t>(std::stol(fields[1]));
  start_time = std::stoull(fields[19]);
  return true;
}

// Every live descendant of `root` (children, grandchildren, ...), found through /proc.
std::vector<ProcId> descendants(pid_t root) {
  std::map<pid_t, std::pair<pid_t, unsigned long long>> all;  // pid -> (ppid, start)
  DIR* d = ::opendir("/proc");
  if (d == nullptr) {
    return {};
  }
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    pid_t ppid = 0;
    unsigned long long start = 0;
    const auto pid = static_cast<pid_t>(std::stol(name));
    if (read_stat(pid, ppid, start)) {
      all[pid] = {ppid, start};
    }
  }
  ::closedir(d);
  std::vector<ProcId> out;
  std::set<pid_t> parents = {root};
  bool grew = true;
  while (grew) {
    grew = false;
    for (const auto& [pid, info] : all) {
      if (parents.count(info.first) != 0 && parents.count(pid) == 0) {
        parents.insert(pid);
        out.push_back({pid, info.second});
        grew = true;
      }
    }
  }
  return out;
}

// SIGKILL the process if it is still the one we saw (same start time).
void kill_if_same(const ProcId& p) {
  pid_t ppid = 0;
  unsigned long long start = 0;
  if (read_stat(p.pid, ppid, start) && start == p.start_time) {
    ::kill(p.pid, SIGKILL);
  }
}

std::string file_tail(const std::string& path, std::size_t max_bytes) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    return "";
  }
  f.seekg(0, std::ios::end);
  const auto size = static_cast<std::size_t>(f.tellg());
  const std::size_t from = size > max_bytes ? size - max_bytes : 0;
  f.seekg(static_cast<std::streamoff>(from));
  std::string s(size - from, '\0');
  f.read(s.data(), static_cast<std::streamsize>(s.size()));
  return s;
}

bool valid_community(const std::string& c) {
  const auto colon = c.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= c.size()) {
    return false;
  }
  for (const auto& part : {c.substr(0, colon), c.substr(colon + 1)}) {
    if (part.size() > 5 || part.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(part) > 65535) {
      return false;
    }
  }
  return true;
}

// The checks that do not depend on the daemon.
Result<void, std::string> validate_common(BgpPeerConfig& cfg) {
  if (cfg.netns.empty() || !netns_exists(cfg.netns)) {
    return fail("BgpPeer: network namespace '" + cfg.netns + "' does not exist");
  }
  if (cfg.local_as == 0) {
    return fail(std::string("BgpPeer: local_as is required"));
  }
  if (!cfg.local_v4.empty() && (is_ipv6(cfg.local_v4) || canonical_address(cfg.local_v4).empty())) {
    return fail("BgpPeer: local_v4 '" + cfg.local_v4 + "' is not an IPv4 address");
  }
  if (!cfg.local_v6.empty() &&
      (!is_ipv6(cfg.local_v6) || canonical_address(cfg.local_v6).empty())) {
    return fail("BgpPeer: local_v6 '" + cfg.local_v6 + "' is not an IPv6 address");
  }
  if (cfg.router_id.empty()) {
    cfg.router_id = cfg.local_v4;
  }
  if (cfg.router_id.empty() || is_ipv6(cfg.router_id) || canonical_address(cfg.router_id).empty()) {
    return fail("BgpPeer: router_id '" + cfg.router_id +
                "' is not an IPv4 address (set router_id or local_v4)");
  }
  if (cfg.neighbors.empty()) {
    return fail(std::string("BgpPeer: at least one neighbor is required"));
  }
  std::set<std::string> seen;
  for (auto& n : cfg.neighbors) {
    const std::string canon = canonical_address(n.address);
    if (canon.empty()) {
      return fail("BgpPeer: neighbor address '" + n.address + "' is not an IP address");
    }
    n.address = canon;
    if (!seen.insert(canon).second) {
      return fail("BgpPeer: neighbor " + canon + " configured twice");
    }
    if (n.peer_as == 0) {
      return fail("BgpPeer: neighbor " + canon + ": peer_as is required");
    }
    if (n.hold_time != 0 && (n.hold_time < 3 || n.hold_time > 65535)) {
      return fail("BgpPeer: neighbor " + canon + ": hold_time must be 0 or 3..65535");
    }
    if (!n.ipv4 && !n.ipv6) {
      return fail("BgpPeer: neighbor " + canon + ": neither ipv4 nor ipv6 enabled");
    }
    if (n.md5.find('"') != std::string::npos || n.md5.find(' ') != std::string::npos) {
      return fail("BgpPeer: neighbor " + canon + ": md5 password must not contain '\"' or ' '");
    }
  }
  for (auto& p : cfg.originate) {
    const std::string canon = canonical_prefix(p);
    if (canon.empty()) {
      return fail("BgpPeer: originate: '" + p + "' is not a prefix");
    }
    p = canon;
  }
  for (const auto& c : cfg.originate_communities) {
    if (!valid_community(c)) {
      return fail("BgpPeer: originate_communities: '" + c + "' is not a standard community");
    }
  }
  if (!cfg.four_octet_as) {
    if (cfg.kind != PeerKind::Exabgp) {
      return fail(std::string(
          "BgpPeer: four_octet_as = false is only supported for ExaBGP (the others always "
          "send the 4-octet AS capability)"));
    }
    if (cfg.local_as > 65535) {
      return fail(std::string("BgpPeer: a 2-octet-only speaker needs local_as <= 65535"));
    }
  }
  if (cfg.connect_retry_s < 1) {
    return fail(std::string("BgpPeer: connect_retry_s must be >= 1"));
  }
  if (cfg.graceful_restart_s < 0 || cfg.graceful_restart_s > 4095) {
    return fail(std::string("BgpPeer: graceful_restart_s must be 0..4095"));
  }
  return {};
}

}  // namespace

// --- Driver (shared part) ---------------------------------------------------------------

BgpPeer::Driver::~Driver() {
  // No virtual calls from here (the daemon-specific part is gone): the owner stops the
  // daemon gracefully first; this is the backstop.
  kill_now();
  remove_work_dir();
}

Result<void, std::string> BgpPeer::Driver::start_fresh() {
  if (auto v = validate(); !v) {
    return v;
  }
  originate_.clear();
  for (const auto& p : cfg_.originate) {
    if (std::find(originate_.begin(), originate_.end(), p) == originate_.end()) {
      originate_.push_back(p);
    }
  }
  std::string templ = "/tmp/calico-bgp-" + std::string(to_string(cfg_.kind)) + "-XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) {
    return fail("BgpPeer: mkdtemp: " + std::string(std::strerror(errno)));
  }
  work_dir_ = templ;
  ::chmod(work_dir_.c_str(), 0755);  // daemons that drop privileges must reach their files
  if (auto w = write_config(); !w) {
    return w;
  }
  return launch(false);
}

Result<void, std::string> BgpPeer::Driver::relaunch(bool gr_restarting) {
  if (auto w = write_config(); !w) {
    return w;
  }
  return launch(gr_restarting);
}

void BgpPeer::Driver::stop(std::chrono::milliseconds grace) {
  if (procs_.empty()) {
    return;
  }
  thaw();
  std::vector<ProcId> helpers;
  for (const auto& p : procs_) {
    if (p->running()) {
      auto d = descendants(p->pid());
      helpers.insert(helpers.end(), d.begin(), d.end());
    }
  }
  if (running()) {
    request_shutdown(grace);
  }
  // Reverse start order: FRR's bgpd (Cease to its peers) goes before zebra.
  for (auto it = procs_.rbegin(); it != procs_.rend(); ++it) {
    (*it)->stop(grace);
  }
  for (const auto& h : helpers) {
    kill_if_same(h);
  }
  procs_.clear();
}

void BgpPeer::Driver::kill_now() {
  std::vector<ProcId> helpers;
  for (const auto& p : procs_) {
    if (p->running()) {
      auto d = descendants(p->pid());
      helpers.insert(helpers.end(), d.begin(), d.end());
    }
  }
  for (const auto& p : procs_) {
    p->kill_hard();
  }
  for (const auto& h : helpers) {
    kill_if_same(h);
  }
  procs_.clear();
  frozen_ = false;
}

bool BgpPeer::Driver::running() const {
  if (procs_.empty()) {
    return false;
  }
  return std::all_of(procs_.begin(), procs_.end(), [](const auto& p) { return p->running(); });
}

void BgpPeer::Driver::freeze() {
  if (!procs_.empty()) {
    procs_.back()->pause();  // the BGP process is always started last
    frozen_ = true;
  }
}

void BgpPeer::Driver::thaw() {
  if (!procs_.empty() && frozen_) {
    procs_.back()->resume();
  }
  frozen_ = false;
}

pid_t BgpPeer::Driver::bgp_pid() const {
  return procs_.empty() ? -1 : procs_.back()->pid();
}

std::vector<pid_t> BgpPeer::Driver::all_pids() const {
  std::vector<pid_t> out;
  for (const auto& p : procs_) {
    out.push_back(p->pid());
  }
  return out;
}

std::string BgpPeer::Driver::log_tail(std::size_t max_bytes) const {
  std::vector<std::string> files = log_files();
  for (const auto& p : procs_) {
    files.push_back(p->log_file());
  }
  if (files.empty()) {
    return "";
  }
  const std::size_t each = std::max<std::size_t>(max_bytes / files.size(), 512);
  std::string out;
  for (const auto& f : files) {
    const std::string tail = file_tail(f, each);
    if (!tail.empty()) {
      out += "== " + f + " ==\n" + tail + (tail.back() == '\n' ? "" : "\n");
    }
  }
  return out;
}

void BgpPeer::Driver::remove_work_dir() {
  if (!work_dir_.empty() && ::getenv("CALICO_KEEP_BGP_WORKDIR") == nullptr) {
    std::error_code ec;
    std::filesystem::remove_all(work_dir_, ec);
  }
}

Result<Process*, std::string> BgpPeer::Driver::spawn(
    const std::vector<std::string>& argv, const std::string& log_name,
    const std::map<std::string, std::string>& env) {
  auto p = Process::start({argv, cfg_.netns, env, path(log_name)});
  if (!p) {
    return fail(p.error());
  }
  procs_.push_back(std::move(*p));
  return procs_.back().get();
}

Result<void, std::string> BgpPeer::Driver::wait_ready(const std::function<bool()>& pred,
                                                      std::chrono::milliseconds timeout,
                                                      const std::string& what) {
  bool died = false;
  const bool ok = wait_until(
      [&] {
        if (!running()) {
          died = true;
          return true;
        }
        return pred();
      },
      timeout, 100ms);
  if (died) {
    return fail(std::string(to_string(cfg_.kind)) + ": a daemon process exited while waiting for " +
                what + "\n" + log_tail(6000));
  }
  if (!ok) {
    return fail(std::string(to_string(cfg_.kind)) + ": timed out waiting for " + what + "\n" +
                log_tail(6000));
  }
  return {};
}

CommandResult BgpPeer::Driver::run_in_netns(const std::vector<std::string>& argv,
                                            std::chrono::milliseconds timeout) const {
  std::vector<std::string> full = {"ip", "netns", "exec", cfg_.netns};
  full.insert(full.end(), argv.begin(), argv.end());
  return run_command(full, timeout);
}

Result<void, std::string> BgpPeer::Driver::write_file(const std::string& name,
                                                      const std::string& content) const {
  const std::string p = path(name);
  const std::string tmp = p + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) {
      return fail("cannot write " + tmp);
    }
    f << content;
    if (!f) {
      return fail("cannot write " + tmp);
    }
  }
  // Atomic replace: a daemon re-reading the file never sees half of it.
  if (::rename(tmp.c_str(), p.c_str()) != 0) {
    return fail("rename " + tmp + ": " + std::strerror(errno));
  }
  return {};
}

std::string BgpPeer::Driver::local_address_for(const BgpNeighbor& n) const {
  return is_ipv6(n.address) ? cfg_.local_v6 : cfg_.local_v4;
}

const BgpNeighbor* BgpPeer::Driver::find_neighbor(const std::string& address) const {
  const std::string canon = canonical_address(address);
  for (const auto& n : cfg_.neighbors) {
    if (n.address == canon) {
      return &n;
    }
  }
  return nullptr;
}

std::string BgpPeer::Driver::router_id() const {
  return cfg_.router_id;
}

std::vector<std::string> BgpPeer::Driver::originated_v4() const {
  std::vector<std::string> out;
  std::copy_if(originate_.begin(), originate_.end(), std::back_inserter(out),
               [](const std::string& p) { return !is_ipv6(p); });
  return out;
}

std::vector<std::string> BgpPeer::Driver::originated_v6() const {
  std::vector<std::string> out;
  std::copy_if(originate_.begin(), originate_.end(), std::back_inserter(out),
               [](const std::string& p) { return is_ipv6(p); });
  return out;
}

// --- BgpPeer ----------------------------------------------------------------------------

BgpPeer::BgpPeer(std::unique_ptr<Driver> driver) : driver_(std::move(driver)) {}

BgpPeer::~BgpPeer() {
  driver_->stop(3000ms);  // the driver's destructor then removes the work dir
}

Result<std::unique_ptr<BgpPeer>, std::string> BgpPeer::start(BgpPeerConfig cfg) {
  if (auto v = validate_common(cfg); !v) {
    return fail(v.error());
  }
  std::unique_ptr<Driver> driver;
  switch (cfg.kind) {
    case PeerKind::Bird:
      driver = make_bird_driver(std::move(cfg));
      break;
    case PeerKind::Frr:
      driver = make_frr_driver(std::move(cfg));
      break;
    case PeerKind::Gobgp:
      driver = make_gobgp_driver(std::move(cfg));
      break;
    case PeerKind::Exabgp:
      driver = make_exabgp_driver(std::move(cfg));
      break;
  }
  if (auto s = driver->start_fresh(); !s) {
    driver->stop(3000ms);  // the driver's destructor then removes the work dir
    return fail(s.error());
  }
  return std::unique_ptr<BgpPeer>(new BgpPeer(std::move(driver)));
}

void BgpPeer::stop(std::chrono::milliseconds grace) {
  driver_->stop(grace);
}

void BgpPeer::kill() {
  driver_->kill_now();
}

Result<void, std::string> BgpPeer::restart(bool gr_restarting) {
  driver_->stop(5000ms);
  return driver_->relaunch(gr_restarting);
}

bool BgpPeer::running() const {
  return driver_->running();
}

void BgpPeer::freeze() {
  driver_->freeze();
}

void BgpPeer::thaw() {
  driver_->thaw();
}

Result<std::string, std::string> BgpPeer::session_state(const std::string& neighbor) {
  if (driver_->find_neighbor(neighbor) == nullptr) {
    return fail("not a configured neighbor: " + neighbor);
  }
  if (!driver_->running()) {
    return fail(std::string("the daemon is not running"));
  }
  return driver_->session_state(canonical_address(neighbor));
}

Result<bool, std::string> BgpPeer::established(const std::string& neighbor) {
  auto s = session_state(neighbor);
  if (!s) {
    return fail(s.error());
  }
  return *s == "Established";
}

bool BgpPeer::wait_established(const std::string& neighbor, std::chrono::milliseconds timeout,
                               bool want) {
  return wait_until(
      [&] {
        auto e = established(neighbor);
        return e && *e == want;
      },
      timeout, 200ms);
}

Result<std::string, std::string> BgpPeer::neighbor_detail(const std::string& neighbor) {
  if (driver_->find_neighbor(neighbor) == nullptr) {
    return fail("not a configured neighbor: " + neighbor);
  }
  if (!driver_->running()) {
    return fail(std::string("the daemon is not running"));
  }
  return driver_->neighbor_detail(canonical_address(neighbor));
}

Result<std::vector<LearnedRoute>, std::string> BgpPeer::learned_routes() {
  if (!driver_->running()) {
    return fail(std::string("the daemon is not running"));
  }
  return driver_->learned_routes();
}

Result<std::vector<LearnedRoute>, std::string> BgpPeer::learned_routes(const std::string& prefix) {
  const std::string canon = canonical_prefix(prefix);
  if (canon.empty()) {
    return fail("not a prefix: " + prefix);
  }
  auto all = learned_routes();
  if (!all) {
    return all;
  }
  std::vector<LearnedRoute> out;
  for (auto& r : *all) {
    if (r.prefix == canon) {
      out.push_back(std::move(r));
    }
  }
  return out;
}

bool BgpPeer::wait_route(const std::string& prefix, bool present,
                         std::chrono::milliseconds timeout) {
  return wait_until(
      [&] {
        auto r = learned_routes(prefix);
        return r && r->empty() != present;
      },
      timeout, 200ms);
}

Result<void, std::string> BgpPeer::announce(const std::string& prefix) {
  const std::string canon = canonical_prefix(prefix);
  if (canon.empty()) {
    return fail("not a prefix: " + prefix);
  }
  auto& set = driver_->originate();
  if (std::find(set.begin(), set.end(), canon) != set.end()) {
    return {};
  }
  set.push_back(canon);
  if (!driver_->running()) {
    return {};  // takes effect at the next restart()
  }
  auto r = driver_->apply_originate(canon, true);
  if (!r) {
    set.erase(std::find(set.begin(), set.end(), canon));
  }
  return r;
}

Result<void, std::string> BgpPeer::withdraw(const std::string& prefix) {
  const std::string canon = canonical_prefix(prefix);
  if (canon.empty()) {
    return fail("not a prefix: " + prefix);
  }
  auto& set = driver_->originate();
  const auto it = std::find(set.begin(), set.end(), canon);
  if (it == set.end()) {
    return {};
  }
  set.erase(it);
  if (!driver_->running()) {
    return {};
  }
  auto r = driver_->apply_originate(canon, false);
  if (!r) {
    set.push_back(canon);
  }
  return r;
}

const std::vector<std::string>& BgpPeer::originated() const {
  return driver_->originate();
}

std::string BgpPeer::log_tail(std::size_t max_bytes) const {
  return driver_->log_tail(max_bytes);
}

const std::string& BgpPeer::work_dir() const {
  return driver_->work_dir();
}

pid_t BgpPeer::pid() const {
  return driver_->bgp_pid();
}

std::vector<pid_t> BgpPeer::pids() const {
  return driver_->all_pids();
}

const BgpPeerConfig& BgpPeer::config() const {
  return driver_->config();
}

// --- BgpLink ----------------------------------------------------------------------------

Result<std::unique_ptr<BgpLink>, std::string> BgpLink::create(const BgpLinkOptions& opts) {
  std::unique_ptr<BgpLink> link(new BgpLink());
  link->opts_ = opts;
  for (const NetNs* ns : {&link->a_, &link->b_}) {
    if (!ns->ok()) {
      return fail("BgpLink: " + ns->error());
    }
    // New interfaces inherit "default": neither the nodad global addresses nor the
    // kernel's link-local addresses go through duplicate address detection.
    for (const char* key :
         {"net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0"}) {
      const auto r = ns->exec({"sysctl", "-qw", key});
      if (r.exit_code != 0) {
        return fail("BgpLink: sysctl " + std::string(key) + ": " + r.output);
      }
    }
  }
  link->veth_ =
      std::make_unique<VethPair>(&link->a_, opts.a_v4 + "/30", &link->b_, opts.b_v4 + "/30");
  if (!link->veth_->ok()) {
    return fail("BgpLink: " + link->veth_->error());
  }
  const std::array<std::array<std::string, 3>, 2> v6 = {
      {{link->a_.name(), link->veth_->name_a(), opts.a_v6},
       {link->b_.name(), link->veth_->name_b(), opts.b_v6}}};
  for (const auto& [ns, dev, addr] : v6) {
    const auto r =
        run_command({"ip", "-n", ns, "-6", "addr", "add", addr + "/64", "dev", dev, "nodad"});
    if (r.exit_code != 0) {
      return fail("BgpLink: ip addr add " + addr + ": " + r.output);
    }
  }
  // Belt and braces: no address may still be tentative (it could not be bound).
  for (const auto& [ns, dev, addr] : v6) {
    const bool settled = wait_until(
        [&] {
          const auto r = run_command({"ip", "-n", ns, "-6", "addr", "show", "tentative"});
          return r.exit_code == 0 && r.output.find("inet6") == std::string::npos;
        },
        5000ms, 50ms);
    if (!settled) {
      return fail("BgpLink: IPv6 addresses in " + ns + " stay tentative");
    }
  }
  return link;
}

BgpLink::~BgpLink() {
  veth_.reset();
}

}  // namespace calico::testlib
