// ipam::check / ipam::repair (ipam/check.h).
#include "ipam/check.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include "api/ipam_names.h"
#include "ipam/claim.h"
#include "ipam/handle.h"
#include "ipam/operation.h"

namespace calico::ipam {

using datastore::ErrorCode;

namespace {

struct Allocation {
  net::Cidr block;
  std::string handle;
  std::uint64_t sequence = 0;
};

void add_ip(std::set<net::IpAddr>& set, const std::string& text) {
  if (text.empty()) {
    return;
  }
  if (auto c = net::Cidr::parse_addr_or_cidr(text)) {
    set.insert(c->addr());
  }
}

// Everything check() reads, in one place.
struct Snapshot {
  std::vector<std::pair<Block, std::string>> blocks;                           // with revision
  std::map<std::string, std::pair<api::IPAMHandleSpec, std::string>> handles;  // by name
  std::vector<StoredAffinity> affinities;
  std::set<std::string> nodes;
  std::set<net::IpAddr> in_use;
  std::vector<api::IPPool> pools;
};

Result<Snapshot, IpamError> read_snapshot(Operation& op, CheckReport& report) {
  Snapshot s;
  auto blocks = op.list({.kind = api::Kind::IPAMBlock, .ns = "", .name_prefix = ""});
  if (!blocks) {
    return fail(blocks.error());
  }
  for (const auto& o : *blocks) {
    const auto& spec = std::get<api::IPAMBlock>(o.value).spec;
    auto b = Block::from_spec(spec);
    if (!b) {
      report.problems.push_back(
          {ProblemKind::CorruptBlock, b.error(), {}, "", {}, "", net::Cidr::parse(spec.cidr), ""});
      continue;
    }
    s.blocks.emplace_back(std::move(*b), o.revision);
  }
  auto handles = op.list({.kind = api::Kind::IPAMHandle, .ns = "", .name_prefix = ""});
  if (!handles) {
    return fail(handles.error());
  }
  for (const auto& o : *handles) {
    const auto& spec = std::get<api::IPAMHandle>(o.value).spec;
    s.handles[api::handle_name(spec.handle_id.empty() ? o.key.name : spec.handle_id)] = {
        spec, o.revision};
  }
  auto affs = op.list({.kind = api::Kind::BlockAffinity, .ns = "", .name_prefix = ""});
  if (!affs) {
    return fail(affs.error());
  }
  for (const auto& o : *affs) {
    s.affinities.push_back({std::get<api::BlockAffinity>(o.value), o.revision});
  }
  auto nodes = op.list({.kind = api::Kind::Node, .ns = "", .name_prefix = ""});
  if (!nodes) {
    return fail(nodes.error());
  }
  for (const auto& o : *nodes) {
    const auto& n = std::get<api::Node>(o.value);
    s.nodes.insert(n.metadata.name);
    if (n.spec.bgp) {
      add_ip(s.in_use, n.spec.bgp->ipv4_ipip_tunnel_addr);
    }
    add_ip(s.in_use, n.spec.ipv4_vxlan_tunnel_addr);
    add_ip(s.in_use, n.spec.ipv6_vxlan_tunnel_addr);
    if (n.spec.wireguard) {
      add_ip(s.in_use, n.spec.wireguard->interface_ipv4_address);
      add_ip(s.in_use, n.spec.wireguard->interface_ipv6_address);
    }
  }
  auto weps = op.list({.kind = api::Kind::WorkloadEndpoint, .ns = "", .name_prefix = ""});
  if (!weps) {
    return fail(weps.error());
  }
  for (const auto& o : *weps) {
    for (const auto& n : std::get<api::WorkloadEndpoint>(o.value).spec.ip_networks) {
      add_ip(s.in_use, n);
    }
  }
  auto pools = op.list({.kind = api::Kind::IPPool, .ns = "", .name_prefix = ""});
  if (!pools) {
    return fail(pools.error());
  }
  for (auto& o : *pools) {
    s.pools.push_back(std::move(std::get<api::IPPool>(o.value)));
  }
  return s;
}

}  // namespace

std::string_view to_string(ProblemKind kind) {
  switch (kind) {
    case ProblemKind::LeakedAllocation:
      return "leaked allocation";
    case ProblemKind::InUseNotAllocated:
      return "in use but not allocated";
    case ProblemKind::DuplicateAllocation:
      return "duplicate allocation";
    case ProblemKind::OrphanedHandle:
      return "orphaned handle";
    case ProblemKind::MissingHandle:
      return "missing handle";
    case ProblemKind::HandleMismatch:
      return "handle mismatch";
    case ProblemKind::CorruptBlock:
      return "corrupt block";
    case ProblemKind::DeletedNodeAffinity:
      return "affinity of a deleted node";
    case ProblemKind::StaleAffinity:
      return "stale affinity";
    case ProblemKind::UnclaimedBlock:
      return "block without affinity";
  }
  return "?";
}

std::size_t CheckReport::count(ProblemKind kind) const {
  return static_cast<std::size_t>(std::count_if(problems.begin(), problems.end(),
                                                [&](const Problem& p) { return p.kind == kind; }));
}

std::string CheckReport::to_text() const {
  std::ostringstream out;
  out << "Found " << blocks << " IPAM blocks.\n"
      << "IPAM blocks record " << allocations << " allocations.\n"
      << "Found " << handles << " IPAM handles.\n"
      << "Found " << affinities << " block affinities.\n"
      << "Workloads and nodes are using " << in_use_ips << " IPs.\n";
  for (const auto& p : problems) {
    out << "  " << to_string(p.kind) << ": " << p.detail << "\n";
  }
  out << "Check complete; found " << problems.size() << " problems.\n";
  return out.str();
}

Result<CheckReport, IpamError> check(datastore::Datastore& ds, const CheckOptions& opts) {
  AllocatorOptions aopts;
  Operation op(ds, aopts);
  CheckReport report;
  auto snap = read_snapshot(op, report);
  if (!snap) {
    return fail(snap.error());
  }
  auto& s = *snap;
  report.blocks = s.blocks.size();
  report.handles = s.handles.size();
  report.affinities = s.affinities.size();
  report.in_use_ips = s.in_use.size();
  auto add = [&](Problem p) { report.problems.push_back(std::move(p)); };

  std::map<net::IpAddr, std::vector<Allocation>> allocs;
  std::map<std::string, std::map<std::string, int>> counts;  // handle name -> block -> n
  std::map<std::string, std::string> handle_ids;             // handle name -> id as written
  std::set<std::pair<std::string, std::string>> affine;      // (host, cidr) with an affinity
  for (const auto& a : s.affinities) {
    affine.emplace(a.value.spec.node, a.value.spec.cidr);
  }
  for (const auto& [b, rev] : s.blocks) {
    const auto& spec = b.spec();
    for (std::size_t o = 0; o < b.size(); ++o) {
      const auto& idx = spec.allocations[o];
      if (!idx) {
        continue;
      }
      const auto& attr = spec.attributes[static_cast<std::size_t>(*idx)];
      const std::string handle = attr.handle_id.value_or("");
      auto seq = spec.sequence_number_for_allocation.find(std::to_string(o));
      allocs[b.address(o)].push_back(
          {b.cidr(), handle, seq == spec.sequence_number_for_allocation.end() ? 0 : seq->second});
      if (!handle.empty()) {
        ++counts[api::handle_name(handle)][spec.cidr];
        handle_ids[api::handle_name(handle)] = handle;
      }
      ++report.allocations;
    }
    if (spec.affinity && spec.affinity->rfind("host:", 0) == 0) {
      const std::string host = spec.affinity->substr(5);
      if (!affine.contains({host, spec.cidr})) {
        add({ProblemKind::UnclaimedBlock,
             "block " + spec.cidr + " is affine to " + host + " but has no BlockAffinity",
             {},
             "",
             {},
             host,
             b.cidr(),
             rev});
      }
    }
  }
  // An address is in use if a workload or node lists it, or it is a tunnel address of an
  // existing node, or Windows' reservation.
  auto default_in_use = [&](const std::string& handle, const net::IpAddr& ip) {
    if (s.in_use.contains(ip) || handle == "windows-reserved-ipam-handle") {
      return true;
    }
    auto node = tunnel_handle_node(handle);
    return node && s.nodes.contains(*node);
  };
  for (const auto& [ip, list] : allocs) {
    if (list.size() > 1) {
      add({ProblemKind::DuplicateAllocation,
           ip.to_string() + " is allocated in " + std::to_string(list.size()) + " blocks",
           ip,
           list[0].handle,
           {},
           "",
           list[0].block,
           ""});
    }
    for (const auto& a : list) {
      const bool used = opts.in_use ? opts.in_use(a.handle, ip) : default_in_use(a.handle, ip);
      if (!used) {
        add({ProblemKind::LeakedAllocation,
             ip.to_string() + " (handle " + a.handle + ") is allocated but not in use", ip,
             a.handle, a.sequence, "", a.block, ""});
      }
    }
  }
  for (const auto& ip : s.in_use) {
    if (!allocs.contains(ip) && pool_containing(s.pools, ip, false)) {
      add({ProblemKind::InUseNotAllocated,
           ip.to_string() + " is in use inside a pool but not allocated",
           ip,
           "",
           {},
           "",
           {},
           ""});
    }
  }
  for (const auto& [name, hv] : s.handles) {
    const auto& [spec, rev] = hv;
    auto it = counts.find(name);
    if (it == counts.end()) {
      add({ProblemKind::OrphanedHandle,
           "handle " + spec.handle_id + " has no allocations",
           {},
           spec.handle_id,
           {},
           "",
           {},
           rev});
    } else if (it->second != spec.block) {
      add({ProblemKind::HandleMismatch,
           "handle " + spec.handle_id + " records counts that differ from its blocks",
           {},
           spec.handle_id,
           {},
           "",
           {},
           rev});
    }
  }
  for (const auto& [name, per_block] : counts) {
    if (!s.handles.contains(name)) {
      add({ProblemKind::MissingHandle,
           "allocations of handle " + handle_ids[name] + " have no IPAMHandle object",
           {},
           handle_ids[name],
           {},
           "",
           {},
           ""});
    }
  }
  std::map<net::Cidr, const Block*> block_by_cidr;
  for (const auto& [b, rev] : s.blocks) {
    block_by_cidr[b.cidr()] = &b;
  }
  for (const auto& a : s.affinities) {
    const auto& spec = a.value.spec;
    auto cidr = net::Cidr::parse(spec.cidr);
    const std::string what = "affinity of " + spec.node + " to " + spec.cidr;
    if (!cidr) {
      continue;
    }
    if (!spec.type.empty() && spec.type != "host") {
      continue;  // virtual owners are not nodes
    }
    if (opts.node_exists ? !opts.node_exists(spec.node) : !s.nodes.contains(spec.node)) {
      add({ProblemKind::DeletedNodeAffinity,
           what + ": the node does not exist",
           {},
           "",
           {},
           spec.node,
           cidr,
           a.revision});
      continue;
    }
    auto it = block_by_cidr.find(*cidr);
    if (it == block_by_cidr.end()) {
      add({ProblemKind::StaleAffinity,
           what + ": the block does not exist",
           {},
           "",
           {},
           spec.node,
           cidr,
           a.revision});
    } else if (!it->second->affine_to_host(spec.node)) {
      add({ProblemKind::StaleAffinity,
           what + ": the block belongs to " + it->second->spec().affinity.value_or("no one"),
           {},
           "",
           {},
           spec.node,
           cidr,
           a.revision});
    } else if (!a.confirmed()) {
      add({ProblemKind::StaleAffinity,
           what + ": left in state " + spec.state,
           {},
           "",
           {},
           spec.node,
           cidr,
           a.revision});
    }
  }
  return report;
}

namespace {

// Per-block counts of the given handles (by handle id) in the blocks as they are now.
Result<std::map<std::string, std::map<std::string, int>>, IpamError> count_handles(
    Operation& op, const std::set<std::string>& handle_ids) {
  auto blocks = op.list({.kind = api::Kind::IPAMBlock, .ns = "", .name_prefix = ""});
  if (!blocks) {
    return fail(blocks.error());
  }
  std::map<std::string, std::map<std::string, int>> out;
  for (const auto& o : *blocks) {
    auto b = Block::from_spec(std::get<api::IPAMBlock>(o.value).spec);
    if (!b) {
      continue;
    }
    for (const auto& id : handle_ids) {
      const auto n = b->addresses_of_handle(id).size();
      if (n > 0) {
        out[id][b->spec().cidr] = static_cast<int>(n);
      }
    }
  }
  return out;
}

// Rewrites a handle's counts to `want` (CAS; deletes when empty).
Result<bool, IpamError> rewrite_handle(Operation& op, const std::string& handle_id,
                                       const std::map<std::string, int>& want) {
  auto cur = op.get(handle_key(handle_id));
  if (!cur) {
    return fail(cur.error());
  }
  Result<datastore::Object, datastore::StoreError> w = fail(datastore::StoreError{});
  if (!*cur) {
    if (want.empty()) {
      return false;
    }
    api::IPAMHandle h;
    h.metadata.name = handle_key(handle_id).name;
    h.spec = new_handle(handle_id);
    h.spec.block = want;
    w = op.create(h);
  } else if (want.empty()) {
    w = op.remove(handle_key(handle_id), (*cur)->revision);
  } else {
    auto h = std::get<api::IPAMHandle>((*cur)->value);
    if (h.spec.block == want) {
      return false;
    }
    h.spec.block = want;
    w = op.update(h);
  }
  if (!w) {
    return fail(op.store_error(w.error(), "rewriting IPAM handle " + handle_id));
  }
  return true;
}

}  // namespace

Result<RepairSummary, IpamError> repair(datastore::Datastore& ds, const Allocator& allocator,
                                        const CheckReport& report) {
  Operation op(ds, allocator.options());
  RepairSummary out;
  auto skip = [&](const Problem& p, const std::string& why) {
    out.skipped.push_back(std::string(to_string(p.kind)) + ": " + p.detail + ": " + why);
  };
  std::set<std::string> rewrite;
  for (const auto& p : report.problems) {
    switch (p.kind) {
      case ProblemKind::LeakedAllocation: {
        auto r = allocator.release_ips({ReleaseRequest{*p.ip, p.handle, p.sequence}});
        if (!r) {
          skip(p, r.error().message);
        } else {
          out.released_ips += r->released.size();
        }
        break;
      }
      case ProblemKind::OrphanedHandle: {
        auto r = op.remove(handle_key(p.handle), p.revision);
        if (r) {
          ++out.handles_deleted;
        } else if (r.error().code != ErrorCode::NotFound) {
          skip(p, r.error().to_string());
        }
        break;
      }
      case ProblemKind::MissingHandle:
      case ProblemKind::HandleMismatch:
        rewrite.insert(p.handle);
        break;
      case ProblemKind::DeletedNodeAffinity:
      case ProblemKind::StaleAffinity: {
        auto aff = op.get_affinity(p.host, *p.block);
        if (!aff) {
          return fail(aff.error());
        }
        if (!*aff || (*aff)->revision != p.revision) {
          skip(p, "the affinity changed since the check");
          break;
        }
        auto blk = op.get_block(*p.block);
        if (!blk) {
          return fail(blk.error());
        }
        if ((*aff)->pending() && *blk && (*blk)->block.affine_to_host(p.host) &&
            p.kind == ProblemKind::StaleAffinity) {
          auto c = op.set_affinity_state(**aff, kAffinityConfirmed);  // finish the claim
          if (!c) {
            skip(p, c.error().to_string());
          }
          break;
        }
        auto r = allocator.release_affinity(p.host, *p.block, false);
        if (!r) {
          skip(p, r.error().message);
        } else {
          ++out.affinities_released;
        }
        break;
      }
      case ProblemKind::UnclaimedBlock: {
        api::BlockAffinity a;
        a.metadata.name = affinity_key(p.host, *p.block).name;
        a.spec = {kAffinityConfirmed, p.host, "host", p.block->to_string(), "false"};
        auto nodes = op.get(datastore::Key{api::Kind::Node, "", p.host});
        if (!nodes) {
          return fail(nodes.error());
        }
        if (!*nodes) {
          skip(p, "the node does not exist; release the block's addresses first");
          break;
        }
        auto r = op.create(a);
        if (r) {
          ++out.affinities_created;
        } else {
          skip(p, r.error().to_string());
        }
        break;
      }
      case ProblemKind::InUseNotAllocated:
      case ProblemKind::DuplicateAllocation:
      case ProblemKind::CorruptBlock:
        skip(p, "needs an operator: not repaired automatically");
        break;
    }
  }
  if (rewrite.empty()) {
    return out;
  }
  // Counted once, after the releases above, from the blocks as they are now.
  auto counts = count_handles(op, rewrite);
  if (!counts) {
    return fail(counts.error());
  }
  for (const auto& h : rewrite) {
    auto r = rewrite_handle(op, h, (*counts)[h]);
    if (!r) {
      return fail(r.error());
    }
    out.handles_rewritten += *r ? 1U : 0U;
  }
  return out;
}

}  // namespace calico::ipam
