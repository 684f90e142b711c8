// `calicoctl ipam configure` and `calicoctl ipam split` as released calicoctl (v3.32
// configure.go, split.go) does them.
//
// configure: read-modify-write of IPAMConfiguration `default` (created when missing, with
// Calico's defaults), a compare-and-swap on its revision (re-read and retried on a
// conflict); Calico's rules: StrictAffinity and AutoAllocateBlocks cannot both be off, and
// MaxBlocksPerHost > 0 needs StrictAffinity.  Prints "Successfully set X to: v" per flag.
//
// split: the datastore must be locked (ClusterInformation datastoreReady false); the pool
// (by --name, else the pool whose spec.cidr is exactly --cidr) is disabled, NUMBER pools
// `split-<name>-<i>` with the i-th equal part of its CIDR and otherwise the same spec
// (enabled) are created, and the original is deleted (its blocks and affinities stay).
// Unlike Calico, everything that can be checked is checked before the first write (the
// parts must not be smaller than the pool's blockSize), and a failed write undoes the
// earlier ones (Calico leaves a disabled pool behind).
#include <ostream>

#include "calicoctl/commands/ipam_internal.h"

namespace calico::calicoctl::ipamcmd {

namespace {

// The i-th of 2^power equal parts of `c`.
net::Cidr split_part(const net::Cidr& c, int power, std::uint64_t i) {
  auto bytes = c.addr().masked(c.prefix_len()).bytes();
  for (int j = 0; j < power; ++j) {
    const int bit = c.prefix_len() + power - 1 - j;  // from the most significant end
    if (((i >> static_cast<unsigned>(j)) & 1U) != 0) {
      bytes[static_cast<std::size_t>(bit / 8)] |=
          static_cast<std::uint8_t>(0x80U >> static_cast<unsigned>(bit % 8));
    }
  }
  net::IpAddr addr;
  if (c.addr().is_v4()) {
    addr = net::IpAddr::v4((std::uint32_t{bytes[0]} << 24U) | (std::uint32_t{bytes[1]} << 16U) |
                           (std::uint32_t{bytes[2]} << 8U) | bytes[3]);
  } else {
    addr = net::IpAddr::v6(bytes);
  }
  return {addr, c.prefix_len() + power};
}

}  // namespace

int run_configure(const IpamArgs& a, datastore::Datastore& ds, std::ostream& out,
                  std::ostream& err) {
  std::optional<bool> strict;
  if (auto v = a.value("--strictaffinity")) {
    strict = parse_go_bool(*v);
  }
  std::optional<int> max_blocks;
  if (auto v = a.value("--max-blocks-per-host")) {
    max_blocks = std::stoi(*v);  // checked by parse()
  }
  constexpr int kAttempts = 5;
  for (int attempt = 1;; ++attempt) {
    const datastore::Key key{api::Kind::IPAMConfiguration, "", "default"};
    auto got = ds.get(key);
    api::IPAMConfiguration cfg;
    const bool exists = static_cast<bool>(got);
    if (exists) {
      cfg = std::get<api::IPAMConfiguration>(got->value);
      cfg.metadata.resource_version = got->revision;
    } else if (got.error().code == datastore::ErrorCode::NotFound) {
      cfg.metadata.name = "default";
      cfg.spec.auto_allocate_blocks = true;
    } else {
      err << "error: " << got.error().to_string() << "\n";
      return 1;
    }
    const auto before = cfg.spec;
    if (strict) {
      cfg.spec.strict_affinity = *strict;
    }
    if (max_blocks) {
      cfg.spec.max_blocks_per_host = *max_blocks;
    }
    if (!cfg.spec.strict_affinity && !cfg.spec.auto_allocate_blocks.value_or(true)) {
      err << "error: Cannot disable 'StrictAffinity' and 'AutoAllocateBlocks' at the same "
             "time\n";
      return 1;
    }
    if (cfg.spec.max_blocks_per_host > 0 && !cfg.spec.strict_affinity) {
      err << "error: MaxBlocksPerHost requires StrictAffinity to be enabled\n";
      return 1;
    }
    if (!exists || !(cfg.spec == before)) {
      auto w = exists ? ds.update(cfg) : ds.create(cfg);
      if (!w) {
        const auto code = w.error().code;
        if ((code == datastore::ErrorCode::Conflict ||
             code == datastore::ErrorCode::AlreadyExists ||
             code == datastore::ErrorCode::NotFound) &&
            attempt < kAttempts) {
          continue;  // someone else wrote it meanwhile: re-read and re-apply
        }
        err << "error: " << w.error().to_string() << "\n";
        return 1;
      }
    }
    break;
  }
  if (strict) {
    out << "Successfully set StrictAffinity to: " << (*strict ? "true" : "false") << "\n";
  }
  if (max_blocks) {
    out << "Successfully set MaxBlocksPerHost to: " << *max_blocks << "\n";
  }
  return 0;
}

int run_split(const IpamArgs& a, datastore::Datastore& ds, std::ostream& out, std::ostream& err) {
  const auto parts = static_cast<std::uint64_t>(std::stoll(a.positional[0]));  // checked
  int power = 0;
  while ((std::uint64_t{1} << static_cast<unsigned>(power)) < parts) {
    ++power;
  }
  auto ci = read_cluster_info(ds);
  if (!ci) {
    err << "error while checking if datastore was locked: " << ci.error() << "\n";
    return 1;
  }
  if (!ci->locked()) {
    err << "datastore is not locked. Run the `calicoctl datastore migrate lock` command in "
           "order split the IP pools\n";
    return 1;
  }
  const std::string name = a.value("--name").value_or("");
  const std::string cidr_arg = a.value("--cidr").value_or("");
  std::optional<api::IPPool> pool;
  if (!name.empty()) {
    auto got = ds.get(datastore::Key{api::Kind::IPPool, "", name});
    if (!got) {
      err << "unable to find IP pool with name " << name << ": " << got.error().to_string() << "\n";
      return 1;
    }
    pool = std::get<api::IPPool>(got->value);
    pool->metadata.resource_version = got->revision;
  } else {
    auto pools = list_all<api::IPPool>(ds, api::Kind::IPPool, "IP pools");
    if (!pools) {
      err << "unable to list IP pools to find the pool specified by " << cidr_arg << "\n";
      return 1;
    }
    for (auto& [p, rev] : *pools) {
      if (p.spec.cidr == cidr_arg) {
        pool = p;
        pool->metadata.resource_version = rev;
      }
    }
  }
  if (!pool) {
    err << "unable to find IP pool " << name << " covering the specified CIDR " << cidr_arg << "\n";
    return 1;
  }
  const std::string old_name = pool->metadata.name;
  const auto cidr = net::Cidr::parse(pool->spec.cidr);
  const std::string split_err =
      "error splitting the CIDR " + pool->spec.cidr + " into " + a.positional[0] + " CIDRs: ";
  if (!cidr) {
    err << split_err << "error reading CIDR " << pool->spec.cidr
        << " before attempting to split it\n";
    return 1;
  }
  if (cidr->prefix_len() + power > cidr->addr().bits()) {
    err << split_err << "the CIDR " << pool->spec.cidr << " is not large enough to be split into "
        << parts << " parts\n";
    return 1;
  }
  const int block_size =
      pool->spec.block_size != 0 ? pool->spec.block_size : (cidr->addr().is_v4() ? 26 : 122);
  if (cidr->prefix_len() + power > block_size) {
    err << split_err << "the parts (/" << cidr->prefix_len() + power
        << ") would be smaller than the pool's blockSize " << block_size << "\n";
    return 1;
  }

  // Disable, create the parts, delete the original; undo on failure.
  const api::IPPool original = *pool;
  pool->spec.disabled = true;
  auto disabled = ds.update(*pool);
  if (!disabled) {
    err << "error disabling IP pool " << old_name << ": " << disabled.error().to_string() << "\n";
    return 1;
  }
  std::vector<api::IPPool> created;
  auto undo = [&]() {
    for (const auto& p : created) {
      (void)ds.remove(datastore::Key{api::Kind::IPPool, "", p.metadata.name});
    }
    auto restore = original;
    restore.metadata.resource_version.clear();
    (void)ds.update(restore);
  };
  for (std::uint64_t i = 0; i < parts; ++i) {
    api::IPPool p;
    p.metadata.name = "split-" + old_name.substr(0, 245) + "-" + std::to_string(i);
    p.metadata.labels = original.metadata.labels;
    p.metadata.annotations = original.metadata.annotations;
    p.spec = original.spec;
    p.spec.cidr = split_part(*cidr, power, i).to_string();
    p.spec.disabled = false;
    auto c = ds.create(p);
    if (!c) {
      err << "error creating split pool with cidr " << p.spec.cidr << ": " << c.error().to_string()
          << "\n";
      undo();
      return 1;
    }
    created.push_back(std::move(p));
  }
  auto removed = ds.remove(datastore::Key{api::Kind::IPPool, "", old_name}, disabled->revision);
  if (!removed) {
    err << "error removing the IP pool that was split " << old_name << ": "
        << removed.error().to_string() << "\n";
    undo();
    return 1;
  }
  out << "IP Pool " << old_name << " was successfully split into " << parts << " smaller pools.\n";
  for (const auto& p : created) {
    out << "Created " << p.metadata.name << " with CIDR " << p.spec.cidr << ".\n";
  }
  out << "Please refer to the documentation for final steps.\n";
  return 0;
}

}  // namespace calico::calicoctl::ipamcmd
