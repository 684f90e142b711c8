// `calicoctl ipam show` as released calicoctl (v3.32, tablewriter) prints it:
//   (default)              one row per IP pool, in the order Calico lists pools (by name)
//   --show-blocks          plus one row per block after the first pool overlapping it;
//                          blocks inside no pool follow, without a pool row
//   --ip=A                 "IP A is in use" / "Handle ID: h" / "Active Owner Attributes:"
//                          (v3.32 wording) or "A is not assigned"
//   --show-borrowed        allocations whose `node` attribute differs from the block's host
//   --show-configuration   StrictAffinity, AutoAllocateBlocks, MaxBlocksPerHost (Go %#v)
// Arithmetic (<= 3.32): block IN USE = capacity - |unallocated| (an IPReservation's
// addresses stay in `unallocated`, so they count as free); pool IN USE = sum over its
// blocks; pool TOTAL = 2^(bits - prefix); FREE = TOTAL - IN USE; numbers %.5g, shares %.f.
#include <cmath>
#include <cstdio>
#include <ostream>

#include "calicoctl/commands/ipam_internal.h"
#include "calicoctl/commands/table.h"

namespace calico::calicoctl::ipamcmd {

namespace {

std::string go_g5(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.5g", v);
  return buf;
}

std::string go_pct(double v, double total) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.f%%", 100 * v / total);
  return buf;
}

std::vector<std::string> usage_row(const std::string& kind, const std::string& cidr, double in_use,
                                   double capacity) {
  return {kind, cidr, go_g5(capacity), go_g5(in_use) + " (" + go_pct(in_use, capacity) + ")",
          go_g5(capacity - in_use) + " (" + go_pct(capacity - in_use, capacity) + ")"};
}

int show_utilization(datastore::Datastore& ds, bool show_blocks, std::ostream& out,
                     std::ostream& err) {
  auto pools = list_all<api::IPPool>(ds, api::Kind::IPPool, "IP pools");
  auto blocks = pools ? list_all<api::IPAMBlock>(ds, api::Kind::IPAMBlock, "IPAM blocks")
                      : fail(pools.error());
  if (!blocks) {
    err << blocks.error() << "\n";
    return 1;
  }
  struct Group {
    std::optional<net::Cidr> cidr;  // nullopt: blocks of no pool
    std::string cidr_text;
    std::vector<std::vector<std::string>> block_rows;
    double in_use = 0;
  };
  std::vector<Group> groups;
  for (const auto& [p, rev] : *pools) {
    groups.push_back({net::Cidr::parse(p.spec.cidr), p.spec.cidr, {}, 0});
  }
  groups.push_back({});
  for (const auto& [b, rev] : *blocks) {
    const auto cidr = net::Cidr::parse(b.spec.cidr);
    const double capacity = static_cast<double>(b.spec.allocations.size());
    const double used = capacity - static_cast<double>(b.spec.unallocated.size());
    for (auto& g : groups) {
      if (!g.cidr || (cidr && g.cidr->overlaps(*cidr))) {
        g.block_rows.push_back(
            usage_row("Block", cidr ? cidr->to_string() : b.spec.cidr, used, capacity));
        g.in_use += used;
        break;
      }
    }
  }
  std::vector<std::vector<std::string>> rows;
  for (auto& g : groups) {
    if (g.cidr) {
      const double total = std::ldexp(1.0, g.cidr->addr().bits() - g.cidr->prefix_len());
      rows.push_back(usage_row("IP Pool", g.cidr->masked().to_string(), g.in_use, total));
    }
    if (show_blocks) {
      rows.insert(rows.end(), g.block_rows.begin(), g.block_rows.end());
    }
  }
  out << render_table({"GROUPING", "CIDR", "IPS TOTAL", "IPS IN USE", "IPS FREE"}, rows);
  return 0;
}

int show_ip(datastore::Datastore& ds, const std::string& text, std::ostream& out,
            std::ostream& err) {
  const auto ip = *net::IpAddr::parse(text);  // checked by parse()
  auto blocks = list_all<api::IPAMBlock>(ds, api::Kind::IPAMBlock, "IPAM blocks");
  if (!blocks) {
    err << blocks.error() << "\n";
    return 1;
  }
  for (const auto& [b, rev] : *blocks) {
    const auto cidr = net::Cidr::parse(b.spec.cidr);
    if (!cidr || !cidr->contains(ip)) {
      continue;
    }
    const auto ord = block_ordinal(*cidr, ip);
    if (ord >= b.spec.allocations.size() || !b.spec.allocations[ord]) {
      continue;
    }
    const auto idx = static_cast<std::size_t>(*b.spec.allocations[ord]);
    out << "IP " << ip.to_string() << " is in use\n";
    if (idx >= b.spec.attributes.size()) {
      out << "Handle ID: <none>\nNo Active Owner attributes defined\n";
      return 0;
    }
    const auto& attr = b.spec.attributes[idx];
    out << "Handle ID: " << attr.handle_id.value_or("<none>") << "\n";
    auto print_attrs = [&](const char* title, const std::map<std::string, std::string>& m) {
      out << title << ":\n";
      for (const auto& [k, v] : m) {
        out << "  " << k << ": " << v << "\n";
      }
    };
    if (attr.secondary.empty()) {
      out << "No Active Owner attributes defined\n";
    } else {
      print_attrs("Active Owner Attributes", attr.secondary);
    }
    if (!attr.alternate_owner_attrs.empty()) {
      print_attrs("Alternate Owner Attributes", attr.alternate_owner_attrs);
    }
    return 0;
  }
  out << ip.to_string() << " is not assigned\n";
  return 0;
}

int show_borrowed(datastore::Datastore& ds, std::ostream& out, std::ostream& err) {
  auto blocks = list_all<api::IPAMBlock>(ds, api::Kind::IPAMBlock, "IPAM blocks");
  if (!blocks) {
    err << blocks.error() << "\n";
    return 1;
  }
  std::vector<std::vector<std::string>> rows;
  int unclassified = 0;
  for (const auto& [b, rev] : *blocks) {
    const auto cidr = net::Cidr::parse(b.spec.cidr);
    if (!cidr) {
      continue;
    }
    // Go: strings.Split(affinity, ":") -> the second part when there are exactly two.
    std::string owner;
    if (b.spec.affinity) {
      const auto& aff = *b.spec.affinity;
      const auto colon = aff.find(':');
      const bool two = colon != std::string::npos && aff.find(':', colon + 1) == std::string::npos;
      owner = two ? aff.substr(colon + 1) : aff.substr(0, colon);
    }
    for (std::size_t o = 0; o < b.spec.allocations.size(); ++o) {
      if (!b.spec.allocations[o]) {
        continue;
      }
      const auto idx = static_cast<std::size_t>(*b.spec.allocations[o]);
      static const api::AllocationAttribute kNone;
      const auto& attrs =
          idx < b.spec.attributes.size() ? b.spec.attributes[idx].secondary : kNone.secondary;
      auto node = attrs.find("node");
      if (node == attrs.end()) {
        ++unclassified;
        continue;
      }
      if (node->second == owner) {
        continue;
      }
      auto get = [&](const char* k) {
        auto it = attrs.find(k);
        return it == attrs.end() ? std::optional<std::string>() : it->second;
      };
      const std::string ns = get("namespace").value_or("");
      std::string type;
      std::string to;
      if (auto vmi = get("vmi-name")) {
        type = "vmi";
        to = ns + "/" + *vmi;
      } else if (auto pod = get("pod")) {
        type = "pod";
        to = ns + "/" + *pod;
      } else if (auto t = get("type")) {
        type = *t;
      }
      rows.push_back(
          {block_address(*cidr, o).to_string(), node->second, cidr->to_string(), owner, type, to});
    }
  }
  out << render_table({"IP", "BORROWING-NODE", "BLOCK", "BLOCK OWNER", "TYPE", "ALLOCATED-TO"},
                      rows);
  if (unclassified != 0) {
    out << "\nNote: found " << unclassified
        << " IP allocations without an explicit node association. Unable to determine if "
           "they are borrowed.\n";
  }
  return 0;
}

int show_configuration(datastore::Datastore& ds, std::ostream& out, std::ostream& err) {
  api::IPAMConfigurationSpec spec;
  spec.auto_allocate_blocks = true;  // Calico's default when nothing is stored
  auto got = ds.get(datastore::Key{api::Kind::IPAMConfiguration, "", "default"});
  if (got) {
    spec = std::get<api::IPAMConfiguration>(got->value).spec;
  } else if (got.error().code != datastore::ErrorCode::NotFound) {
    err << "error: " << got.error().to_string() << "\n";
    return 1;
  }
  auto b = [](bool v) { return std::string(v ? "true" : "false"); };
  out << render_table({"PROPERTY", "VALUE"},
                      {{"StrictAffinity", b(spec.strict_affinity)},
                       {"AutoAllocateBlocks", b(spec.auto_allocate_blocks.value_or(true))},
                       {"MaxBlocksPerHost", std::to_string(spec.max_blocks_per_host)}});
  return 0;
}

}  // namespace

int run_show(const IpamArgs& a, datastore::Datastore& ds, std::ostream& out, std::ostream& err) {
  if (auto ip = a.value("--ip")) {
    return show_ip(ds, *ip, out, err);
  }
  if (a.has("--show-borrowed")) {
    return show_borrowed(ds, out, err);
  }
  if (a.has("--show-configuration")) {
    return show_configuration(ds, out, err);
  }
  return show_utilization(ds, a.has("--show-blocks"), out, err);
}

}  // namespace calico::calicoctl::ipamcmd
