// Shared by the `calicoctl ipam` subcommands (ipam.cpp parses, ipam_show.cpp,
// ipam_check.cpp, ipam_release.cpp, ipam_configure.cpp run): the parsed words and typed
// datastore reads.  Not a public API.
#pragma once

#include <iosfwd>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "common/net/ip.h"
#include "common/result.h"
#include "common/version.h"
#include "datastore/datastore.h"

namespace calico::calicoctl::ipamcmd {

// Written into `ipam check -o` reports and compared by `ipam release --from-report`, as
// Calico compares its build version (a report from another producer needs --force).
inline constexpr const char* kReportVersion = kCalicoVersion;

// The words after `ipam`, parsed and checked (everything that needs no datastore).
struct IpamArgs {
  std::string sub;  // check | configure | release | show | split; "" = `ipam` alone
  bool help = false;
  std::map<std::string, std::vector<std::string>> values;  // "--ip" -> {"10.0.0.1"}
  std::set<std::string> switches;                          // "--show-blocks"
  std::vector<std::string> positional;                     // split: NUMBER

  bool has(const std::string& flag) const {
    return switches.contains(flag) || values.contains(flag);
  }
  std::optional<std::string> value(const std::string& flag) const {
    auto it = values.find(flag);
    if (it == values.end() || it->second.empty()) {
      return std::nullopt;
    }
    return it->second.back();
  }
};

Result<IpamArgs, std::string> parse(const std::vector<std::string>& args);
std::string usage(const std::string& sub);

int run_show(const IpamArgs& a, datastore::Datastore& ds, std::ostream& out, std::ostream& err);
int run_check(const IpamArgs& a, datastore::Datastore& ds, std::ostream& out, std::ostream& err);
int run_release(const IpamArgs& a, datastore::Datastore& ds, std::ostream& out, std::ostream& err);
int run_configure(const IpamArgs& a, datastore::Datastore& ds, std::ostream& out,
                  std::ostream& err);
int run_split(const IpamArgs& a, datastore::Datastore& ds, std::ostream& out, std::ostream& err);

// Go's strconv.ParseBool.
std::optional<bool> parse_go_bool(const std::string& s);

// Every object of one kind with its revision, in the datastore's order (sorted by name,
// as Calico's List returns them).
template <class T>
Result<std::vector<std::pair<T, std::string>>, std::string> list_all(datastore::Datastore& ds,
                                                                     api::Kind kind,
                                                                     const std::string& what) {
  auto l = ds.list({.kind = kind, .ns = "", .name_prefix = ""});
  if (!l) {
    return fail("failed to list " + what + ": " + l.error().to_string());
  }
  std::vector<std::pair<T, std::string>> out;
  out.reserve(l->items.size());
  for (auto& o : l->items) {
    out.emplace_back(std::move(std::get<T>(o.value)), o.revision);
  }
  return out;
}

// ClusterInformation `default`, if present.
struct ClusterInfo {
  bool present = false;
  api::ClusterInformationSpec spec;
  std::string revision;
  bool locked() const { return spec.datastore_ready.has_value() && !*spec.datastore_ready; }
};
Result<ClusterInfo, std::string> read_cluster_info(datastore::Datastore& ds);

// The address of ordinal `o` of a block whose CIDR is `cidr`.
inline net::IpAddr block_address(const net::Cidr& cidr, std::size_t o) {
  return cidr.addr().plus(o);
}

// The ordinal of `ip` inside the block `cidr` (which contains it; blocks are small).
inline std::size_t block_ordinal(const net::Cidr& cidr, const net::IpAddr& ip) {
  if (ip.is_v4()) {
    return static_cast<std::size_t>(ip.v4_host_order() - cidr.addr().v4_host_order());
  }
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  for (std::size_t i = 8; i < 16; ++i) {
    a = (a << 8U) | ip.bytes()[i];
    b = (b << 8U) | cidr.addr().bytes()[i];
  }
  return static_cast<std::size_t>(a - b);
}

}  // namespace calico::calicoctl::ipamcmd
