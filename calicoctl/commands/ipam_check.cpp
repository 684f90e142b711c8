// `calicoctl ipam check` as released calicoctl (v3.32 check.go) does it: the same steps,
// counters, report lines and JSON report (`-o`), so scripts and `ipam release
// --from-report` of either tool understand it.
//
// What counts as a problem (Calico's sum): IPs allocated but used by no workload / node
// tunnel; in-use IPs outside every active pool; in-use IPs inside one without an
// allocation; handles no allocation references.  Handles referenced by blocks but missing
// are reported and, as in Calico, not counted.  On top, the structural findings of
// ipam::check() that Calico's command does not look for (duplicate allocations, handle
// counts that differ from the blocks, corrupt blocks, affinities of deleted nodes, stale
// affinities, blocks without affinity) are listed after Calico's lines and counted; on a
// state without them the output is Calico's line for line.
//
// Differences, all deliberate: no Kubernetes client, so Service LoadBalancer IPs are not
// collected (the step prints Calico's "no LoadBalancer controller configured" line);
// IPv6 VXLAN / WireGuard tunnel addresses of nodes count as in use (v3.32 only reads the
// IPv4 ones); addresses held by Windows' reserved handle are marked inUse in the report
// (v3.32 leaves them false, so a --from-report would release them); a missing
// ClusterInformation gives an empty clusterGUID instead of an error; output is sorted
// (IPs by address, handles and ties by name) where Go iterates maps at random.
#include <algorithm>
#include <fstream>
#include <ostream>

#include "api/codec.h"
#include "api/ipam_names.h"
#include "calicoctl/commands/ipam_internal.h"
#include "ipam/check.h"

namespace calico::calicoctl::ipamcmd {

namespace {

constexpr const char* kWindowsReservedHandle = "windows-reserved-ipam-handle";

struct Allocation {
  std::string ip;
  std::string handle;
  std::uint64_t sequence = 0;
  std::string pod, ns, node, type, created;
  bool in_use = false;
  bool borrowed = false;
  std::vector<std::string> owners;
  std::string attrs;  // "Main:<handle> Extra:k=v,..."
};

struct HandleInfo {
  std::string id;
  std::string uid;  // "" = null (etcd)
  std::string revision;
};

std::string kvs(const std::map<std::string, std::string>& m) {
  std::string s;
  for (const auto& [k, v] : m) {
    s += (s.empty() ? "" : ",") + k + "=" + v;
  }
  return s;
}

std::string attr_string(const api::IPAMBlockSpec& spec, std::size_t idx) {
  if (idx >= spec.attributes.size()) {
    return "<missing>";
  }
  const auto& a = spec.attributes[idx];
  std::string s = "Main:" + a.handle_id.value_or("<none>") + " Extra:" + kvs(a.secondary);
  if (!a.alternate_owner_attrs.empty()) {
    s += " Alternate:" + kvs(a.alternate_owner_attrs);
  }
  return s;
}

class Checker {
 public:
  Checker(datastore::Datastore& ds, bool show_all, bool show_problems, std::ostream& out)
      : ds_(ds), show_all_(show_all), show_problems_(show_all || show_problems), out_(out) {}

  Result<void, std::string> run();
  std::string report_json() const;
  const ClusterInfo& cluster() const { return cluster_; }

 private:
  void record_allocation(const api::IPAMBlockSpec& b, const net::Cidr& cidr, std::size_t ord);
  void record_in_use(const std::string& text, const std::string& owner);

  datastore::Datastore& ds_;
  bool show_all_;
  bool show_problems_;
  std::ostream& out_;
  ClusterInfo cluster_;
  std::map<net::IpAddr, std::vector<Allocation>> allocations_;
  std::map<std::string, int> by_node_;
  std::map<net::IpAddr, std::vector<std::string>> in_use_;
  std::map<std::string, std::string> in_use_handles_;  // handle_name -> id as written
  std::vector<HandleInfo> leaked_handles_;
};

void Checker::record_allocation(const api::IPAMBlockSpec& b, const net::Cidr& cidr,
                                std::size_t ord) {
  const net::IpAddr addr = block_address(cidr, ord);
  Allocation a;
  a.ip = addr.to_string();
  std::string affine_host;
  if (b.affinity && b.affinity->rfind("host:", 0) == 0) {
    affine_host = b.affinity->substr(5);
  }
  a.node = affine_host;
  const auto idx = static_cast<std::size_t>(*b.allocations[ord]);
  bool windows = false;
  if (idx < b.attributes.size()) {
    const auto& attr = b.attributes[idx];
    if (attr.handle_id == kWindowsReservedHandle) {
      windows = true;
    } else if (attr.handle_id) {
      a.handle = *attr.handle_id;
      in_use_handles_.emplace(api::handle_name(a.handle), a.handle);
    }
    auto get = [&](const char* k) {
      auto it = attr.secondary.find(k);
      return it == attr.secondary.end() ? std::string() : it->second;
    };
    if (auto n = get("node"); !n.empty()) {
      a.node = n;
    }
    a.pod = get("pod");
    a.ns = get("namespace");
    a.type = get("type");
    a.created = get("timestamp");
  }
  auto seq = b.sequence_number_for_allocation.find(std::to_string(ord));
  a.sequence = seq == b.sequence_number_for_allocation.end() ? 0 : seq->second;
  a.borrowed = a.node != affine_host;
  a.attrs = attr_string(b, idx);
  ++by_node_[a.node];
  allocations_[addr].push_back(std::move(a));
  if (windows) {
    record_in_use(allocations_[addr].back().ip, "Reserved for Windows");
  }
  if (show_all_) {
    out_ << "  " << allocations_[addr].back().ip << " allocated; attrs "
         << allocations_[addr].back().attrs << "\n";
  }
}

void Checker::record_in_use(const std::string& text, const std::string& owner) {
  auto c = net::Cidr::parse_addr_or_cidr(text);
  if (!c) {
    return;
  }
  const net::IpAddr ip = c->addr();
  if (show_all_) {
    out_ << "  " << ip.to_string() << " belongs to " << owner << "\n";
  }
  in_use_[ip].push_back(owner);
  auto it = allocations_.find(ip);
  if (it != allocations_.end()) {
    for (auto& a : it->second) {
      a.in_use = true;
      a.owners.push_back(owner);
    }
  }
}

Result<void, std::string> Checker::run() {
  out_ << "Checking IPAM for inconsistencies...\n\n";
  auto ci = read_cluster_info(ds_);
  if (!ci) {
    return fail(ci.error());
  }
  cluster_ = *ci;

  out_ << "Loading all IPAM blocks...\n";
  auto blocks = list_all<api::IPAMBlock>(ds_, api::Kind::IPAMBlock, "IPAM blocks");
  if (!blocks) {
    return fail(blocks.error());
  }
  out_ << "Found " << blocks->size() << " IPAM blocks.\n";
  std::size_t num_allocs = 0;
  for (const auto& [b, rev] : *blocks) {
    const auto cidr = net::Cidr::parse(b.spec.cidr);
    out_ << " IPAM block " << (cidr ? cidr->to_string() : b.spec.cidr)
         << " affinity=" << b.spec.affinity.value_or("<none>") << ":\n";
    if (!cidr) {
      continue;
    }
    for (std::size_t o = 0; o < b.spec.allocations.size(); ++o) {
      if (b.spec.allocations[o]) {
        ++num_allocs;
        record_allocation(b.spec, *cidr, o);
      }
    }
  }
  out_ << "IPAM blocks record " << num_allocs << " allocations.\n\n";

  out_ << "Loading all IPAM pools...\n";
  auto pools = list_all<api::IPPool>(ds_, api::Kind::IPPool, "IP pools");
  if (!pools) {
    return fail(pools.error());
  }
  std::vector<net::Cidr> active;
  for (const auto& [p, rev] : *pools) {
    if (p.spec.disabled) {
      continue;
    }
    out_ << "  " << p.spec.cidr << "\n";
    auto c = net::Cidr::parse(p.spec.cidr);
    if (!c) {
      return fail("failed to parse IP pool CIDR: \"" + p.spec.cidr + "\"");
    }
    active.push_back(*c);
  }
  out_ << "Found " << active.size() << " active IP pools.\n\n";

  out_ << "Loading all nodes.\n";
  auto nodes = list_all<api::Node>(ds_, api::Kind::Node, "nodes");
  if (!nodes) {
    return fail(nodes.error());
  }
  std::size_t node_ips = 0;
  for (const auto& [n, rev] : *nodes) {
    std::vector<std::pair<std::string, std::string>> addrs = {
        {"IPv4VXLANTunnelAddr", n.spec.ipv4_vxlan_tunnel_addr},
        {"IPv6VXLANTunnelAddr", n.spec.ipv6_vxlan_tunnel_addr}};
    if (n.spec.wireguard) {
      addrs.emplace_back("Wireguard.InterfaceIPv4Address",
                         n.spec.wireguard->interface_ipv4_address);
      addrs.emplace_back("Wireguard.InterfaceIPv6Address",
                         n.spec.wireguard->interface_ipv6_address);
    }
    if (n.spec.bgp) {
      addrs.emplace_back("IPv4IPIPTunnelAddr", n.spec.bgp->ipv4_ipip_tunnel_addr);
    }
    for (const auto& [field, text] : addrs) {
      if (text.empty()) {
        continue;
      }
      if (!net::Cidr::parse_addr_or_cidr(text)) {
        return fail("failed to parse " + field + " (" + text + ") of node " + n.metadata.name);
      }
      record_in_use(text, "Node(" + n.metadata.name + ")");
      ++node_ips;
    }
  }
  out_ << "Found " << node_ips << " node tunnel IPs.\n\n";

  out_ << "Loading all service load balancer IPs.\n"
       << "No configuration for LoadBalancer kubecontroller found, skipping service check\n\n";

  out_ << "Loading all workload endpoints.\n";
  auto weps =
      list_all<api::WorkloadEndpoint>(ds_, api::Kind::WorkloadEndpoint, "workload endpoints");
  if (!weps) {
    return fail(weps.error());
  }
  std::size_t wep_ips = 0;
  for (const auto& [w, rev] : *weps) {
    for (const auto& text : w.spec.ip_networks) {
      if (!net::Cidr::parse_addr_or_cidr(text)) {
        return fail("failed to parse IP (" + text + ") of workload " + w.metadata.ns + "/" +
                    w.metadata.name);
      }
      record_in_use(text, "Workload(" + w.metadata.ns + "/" + w.metadata.name + ")");
      ++wep_ips;
    }
  }
  out_ << "Found " << wep_ips << " workload IPs.\n";
  out_ << "Workloads and nodes are using " << in_use_.size() << " IPs.\n\n";

  out_ << "Loading all handles\n";
  auto handle_list = list_all<api::IPAMHandle>(ds_, api::Kind::IPAMHandle, "handles");
  if (!handle_list) {
    return fail(handle_list.error());
  }
  std::map<std::string, HandleInfo> handles;  // by handle_name
  for (const auto& [h, rev] : *handle_list) {
    const std::string id = h.spec.handle_id.empty() ? h.metadata.name : h.spec.handle_id;
    handles[api::handle_name(id)] = {id, h.metadata.uid, rev};
  }

  constexpr std::size_t kTopNodes = 20;
  out_ << "Looking for top (up to " << kTopNodes << ") nodes by allocations...\n";
  std::vector<std::pair<std::string, int>> top(by_node_.begin(), by_node_.end());
  std::stable_sort(top.begin(), top.end(),
                   [](const auto& x, const auto& y) { return x.second > y.second; });
  for (std::size_t i = 0; i < top.size() && i < kTopNodes; ++i) {
    out_ << "  " << top[i].first << " has " << top[i].second << " allocations\n";
  }
  if (!top.empty()) {
    out_ << "Node with most allocations has " << top.front().second << "; median is "
         << top[top.size() / 2].second << "\n";
  }
  out_ << "\n";

  std::size_t problems = 0;
  out_ << "Scanning for IPs that are allocated but not actually in use...\n";
  std::size_t leaked = 0;
  for (const auto& [ip, allocs] : allocations_) {
    if (in_use_.contains(ip)) {
      continue;
    }
    if (show_problems_) {
      for (const auto& a : allocs) {
        out_ << "  " << a.ip << " leaked; attrs " << a.attrs << "\n";
      }
    }
    ++leaked;
  }
  problems += leaked;
  out_ << "Found " << leaked << " IPs that are allocated in IPAM but not actually in use.\n";

  out_ << "Scanning for IPs that are in use by a workload or node but not allocated in IPAM...\n";
  std::size_t outside = 0;
  std::size_t unallocated = 0;
  for (const auto& [ip, owners] : in_use_) {
    if (show_problems_ && owners.size() > 1) {
      out_ << "  " << ip.to_string() << " has multiple owners.\n";
    }
    if (allocations_.contains(ip)) {
      continue;
    }
    const bool in_pool =
        std::any_of(active.begin(), active.end(), [&](const auto& c) { return c.contains(ip); });
    if (show_problems_) {
      for (const auto& o : owners) {
        out_ << "  " << ip.to_string() << " in use by " << o
             << (in_pool ? " and in active IPAM pool but has no IPAM allocation.\n"
                         : " is not in any active IP pool.\n");
      }
    }
    ++(in_pool ? unallocated : outside);
  }
  problems += outside + unallocated;
  out_ << "Found " << outside << " in-use IPs that are not in active IP pools.\n";
  out_ << "Found " << unallocated
       << " in-use IPs that are in active IP pools but have no corresponding IPAM "
          "allocation.\n\n";

  out_ << "Scanning for IPAM handles with no matching IPs...\n";
  std::size_t good = 0;
  for (const auto& [name, info] : handles) {
    if (in_use_handles_.contains(name)) {
      ++good;
      continue;
    }
    if (show_all_) {
      out_ << "  " << info.id << " doesn't have any active IPs.\n";
    }
    leaked_handles_.push_back(info);
  }
  problems += leaked_handles_.size();
  out_ << "Found " << leaked_handles_.size() << " handles with no matching IPs (and " << good
       << " handles with matches).\n";

  out_ << "Scanning for IPs with missing handle...\n";
  std::size_t missing = 0;
  for (const auto& [name, id] : in_use_handles_) {
    if (handles.contains(name)) {
      continue;
    }
    if (show_problems_) {
      out_ << "  " << id << " is in use in a block but doesn't exist.\n";
    }
    ++missing;
  }
  out_ << "Found " << missing << " handles mentioned in blocks with no matching handle resource.\n";

  // Structural findings of ipam::check() that Calico's command does not look for.
  auto deep = ipam::check(ds_, {});
  if (!deep) {
    return fail("IPAM consistency check failed: " + deep.error().message);
  }
  std::vector<const ipam::Problem*> extra;
  for (const auto& p : deep->problems) {
    switch (p.kind) {
      case ipam::ProblemKind::DuplicateAllocation:
      case ipam::ProblemKind::HandleMismatch:
      case ipam::ProblemKind::CorruptBlock:
      case ipam::ProblemKind::DeletedNodeAffinity:
      case ipam::ProblemKind::StaleAffinity:
      case ipam::ProblemKind::UnclaimedBlock:
        extra.push_back(&p);
        break;
      default:
        break;  // Calico's own scans above cover these
    }
  }
  if (!extra.empty()) {
    out_ << "Scanning for inconsistent blocks, handles and affinities...\n";
    for (const auto* p : extra) {
      out_ << "  " << ipam::to_string(p->kind) << ": " << p->detail << "\n";
    }
    out_ << "Found " << extra.size() << " inconsistent blocks, handles or affinities.\n";
    problems += extra.size();
  }
  out_ << "Check complete; found " << problems << " problems.\n";
  return {};
}

// Go's encoding/json of check.go's Report: map keys sorted as strings, omitempty fields
// left out, nil slices as null, two-space indent.
std::string Checker::report_json() const {
  using J = api::Json;
  J root = J::object();
  root["version"] = kReportVersion;
  root["clusterGUID"] = cluster_.spec.cluster_guid;
  root["datastoreLocked"] = cluster_.locked();
  root["clusterInformationRevision"] = cluster_.revision;
  root["clusterType"] = cluster_.spec.cluster_type;
  std::map<std::string, J> by_ip;  // sorted as Go sorts map keys
  for (const auto& [ip, allocs] : allocations_) {
    J list = J::array();
    for (const auto& a : allocs) {
      J j = J::object();
      j["ip"] = a.ip;
      if (!a.handle.empty()) {
        j["handle"] = a.handle;
      }
      j["sequenceNumber"] = a.sequence;
      for (const auto& [k, v] : {std::pair<const char*, const std::string&>{"pod", a.pod},
                                 {"namespace", a.ns},
                                 {"node", a.node},
                                 {"type", a.type},
                                 {"creationTimestamp", a.created}}) {
        if (!v.empty()) {
          j[k] = v;
        }
      }
      j["inUse"] = a.in_use;
      if (a.borrowed) {
        j["borrowed"] = true;
      }
      j["owners"] = a.owners.empty() ? J(nullptr) : J(a.owners);
      list.push_back(std::move(j));
    }
    by_ip[ip.to_string()] = std::move(list);
  }
  J allocs = J::object();
  for (auto& [k, v] : by_ip) {
    allocs[k] = std::move(v);
  }
  root["allocations"] = std::move(allocs);
  if (!leaked_handles_.empty()) {
    J hs = J::array();
    for (const auto& h : leaked_handles_) {
      hs.push_back(J{
          {"ID", h.id}, {"UID", h.uid.empty() ? J(nullptr) : J(h.uid)}, {"Revision", h.revision}});
    }
    root["leakedHandles"] = std::move(hs);
  }
  return root.dump(2);
}

}  // namespace

int run_check(const IpamArgs& a, datastore::Datastore& ds, std::ostream& out, std::ostream& err) {
  Checker c(ds, a.has("--show-all-ips"), a.has("--show-problem-ips"), out);
  if (auto r = c.run(); !r) {
    err << r.error() << "\n";
    return 1;
  }
  if (auto file = a.value("--output")) {
    std::ofstream f(*file, std::ios::binary | std::ios::trunc);
    f << c.report_json();
    f.close();
    if (!f) {
      err << "failed to write the report to \"" << *file << "\"\n";
      return 1;
    }
  }
  return 0;
}

}  // namespace calico::calicoctl::ipamcmd
