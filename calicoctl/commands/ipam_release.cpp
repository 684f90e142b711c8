// `calicoctl ipam release` as released calicoctl (v3.32 release.go):
//   --ip=A            releases A whatever uses it (Calico's help: this does not remove the
//                     address from an endpoint); "Successfully released IP address A", or
//                     the error "IP address A is not assigned" (exit 1).
//   --from-report=F   (repeatable) releases what every report calls leaked: allocations
//                     with inUse false, each with its handle and sequence number (an address
//                     reallocated since the report is not freed), and leaked handles whose
//                     revision (and UID) are unchanged.  Refuses when the cluster GUID
//                     differs (always), when the report comes from another calicoctl
//                     version or the datastore is not locked (unless --force), and when no
//                     report carries the current ClusterInformation revision.
#include <fstream>
#include <ostream>
#include <sstream>

#include "api/codec.h"
#include "calicoctl/commands/ipam_internal.h"
#include "ipam/allocator.h"
#include "ipam/operation.h"

namespace calico::calicoctl::ipamcmd {

namespace {

struct ReportAllocation {
  net::IpAddr ip;
  std::string handle;
  std::optional<std::uint64_t> sequence;
};

struct ReportHandle {
  std::string id;
  std::optional<std::string> uid;
  std::string revision;
};

struct Report {
  std::string version;
  std::string cluster_guid;
  std::string cluster_info_revision;
  std::map<net::IpAddr, ReportAllocation> leaked;  // allocations with inUse false
  std::map<std::string, ReportHandle> leaked_handles;
};

Result<Report, std::string> load_report(const std::string& file) {
  std::ifstream f(file, std::ios::binary);
  if (!f) {
    return fail("cannot read report \"" + file + "\"");
  }
  std::stringstream ss;
  ss << f.rdbuf();
  const auto j = api::Json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return fail("report \"" + file + "\" is not a JSON object");
  }
  auto str = [](const api::Json& o, const char* k) {
    auto it = o.find(k);
    return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  Report r;
  r.version = str(j, "version");
  r.cluster_guid = str(j, "clusterGUID");
  r.cluster_info_revision = str(j, "clusterInformationRevision");
  const std::string bad = "report \"" + file + "\": ";
  if (auto it = j.find("allocations"); it != j.end() && it->is_object()) {
    for (const auto& [key, list] : it->items()) {
      if (!list.is_array()) {
        return fail(bad + "allocations of " + key + " are not a list");
      }
      for (const auto& a : list) {
        if (!a.is_object()) {
          return fail(bad + "an allocation of " + key + " is not an object");
        }
        auto in_use = a.find("inUse");
        if (in_use != a.end() && in_use->is_boolean() && in_use->get<bool>()) {
          continue;
        }
        auto ip = net::IpAddr::parse(str(a, "ip"));
        if (!ip) {
          return fail(bad + "invalid IP \"" + str(a, "ip") + "\"");
        }
        ReportAllocation ra{*ip, str(a, "handle"), std::nullopt};
        if (auto s = a.find("sequenceNumber"); s != a.end() && s->is_number_unsigned()) {
          ra.sequence = s->get<std::uint64_t>();
        }
        r.leaked[*ip] = ra;
      }
    }
  }
  if (auto it = j.find("leakedHandles"); it != j.end() && it->is_array()) {
    for (const auto& h : *it) {
      ReportHandle rh{str(h, "ID"), std::nullopt, str(h, "Revision")};
      if (auto u = h.find("UID"); u != h.end() && u->is_string()) {
        rh.uid = u->get<std::string>();
      }
      if (rh.id.empty()) {
        return fail(bad + "a leaked handle has no ID");
      }
      r.leaked_handles[rh.id] = rh;
    }
  }
  return r;
}

int release_ip(datastore::Datastore& ds, const std::string& text, std::ostream& out,
               std::ostream& err) {
  const auto ip = *net::IpAddr::parse(text);  // checked by parse()
  ipam::Allocator allocator(ds);
  auto r = allocator.release_ips({ipam::ReleaseRequest{ip, std::nullopt, std::nullopt}});
  if (!r) {
    err << "error: " << r.error().message << "\n";
    return 1;
  }
  if (!r->not_allocated.empty() || r->released.empty()) {
    err << "IP address " << ip.to_string() << " is not assigned\n";
    return 1;
  }
  out << "Successfully released IP address " << ip.to_string() << "\n";
  return 0;
}

void release_ips(const ipam::Allocator& allocator,
                 const std::map<net::IpAddr, ReportAllocation>& ips, std::ostream& out) {
  std::vector<ipam::ReleaseRequest> reqs;
  for (const auto& [ip, a] : ips) {
    reqs.push_back(
        {ip, a.handle.empty() ? std::nullopt : std::optional<std::string>(a.handle), a.sequence});
  }
  out << "Releasing " << reqs.size() << " old IPs...\n";
  auto r = allocator.release_ips(reqs);
  if (!r) {
    out << "An error occurred while releasing some IPs: " << r.error().message
        << ".  Problems are often caused by an out-of-date IPAM report.  Try regenerating the "
           "IPAM report and retry.\n";
    return;
  }
  out << "Released " << reqs.size() - r->not_allocated.size() << " IPs successfully\n";
  if (!r->not_allocated.empty()) {
    out << r->not_allocated.size()
        << " addresses marked as leaked in the report had already been cleaned up.\n";
  }
}

void release_handles(datastore::Datastore& ds, const std::map<std::string, ReportHandle>& handles,
                     std::ostream& out) {
  out << "Deleting " << handles.size() << " handles...\n";
  out << "Key: '.' = Deleted OK; 'x' = skip, handle missing/changed.\n";
  std::size_t released = 0;
  std::size_t skipped = 0;
  std::size_t errors = 0;
  for (const auto& [id, h] : handles) {
    const auto key = ipam::handle_key(id);
    auto cur = ds.get(key);
    if (!cur && cur.error().code == datastore::ErrorCode::NotFound) {
      ++skipped;
      out << "x" << std::flush;
      continue;
    }
    if (!cur) {
      ++errors;
      out << "\nDeleting handle " << id << " failed: " << cur.error().to_string() << ".\n";
      continue;
    }
    const auto& uid = api::meta_of(cur->value).uid;
    if (cur->revision != h.revision || (h.uid ? *h.uid != uid : !uid.empty())) {
      ++skipped;
      out << "x" << std::flush;
      continue;
    }
    auto del = ds.remove(key, cur->revision);
    if (del) {
      ++released;
      out << "." << std::flush;
    } else if (del.error().code == datastore::ErrorCode::NotFound ||
               del.error().code == datastore::ErrorCode::Conflict) {
      ++skipped;
      out << "x" << std::flush;
    } else {
      ++errors;
      out << "\nDeleting handle " << id << " failed: " << del.error().to_string() << ".\n";
    }
  }
  out << "\nReleased " << released << " handles; " << skipped << " skipped; " << errors
      << " errors.\n";
}

int release_from_reports(datastore::Datastore& ds, const std::vector<std::string>& files,
                         bool force, std::ostream& out, std::ostream& err) {
  auto ci = read_cluster_info(ds);
  if (!ci) {
    err << ci.error() << "\n";
    return 1;
  }
  std::vector<Report> reports;
  bool current = false;
  for (const auto& file : files) {
    auto r = load_report(file);
    if (!r) {
      err << r.error() << "\n";
      return 1;
    }
    if (r->cluster_guid != ci->spec.cluster_guid) {
      err << "cluster does not match the provided report (" << file
          << "): mismatched cluster GUID. Refusing to release\n";
      return 1;
    }
    if (r->version != kReportVersion) {
      if (!force) {
        err << "the provided report (" << file << ") was produced using a different version ("
            << r->version << ") of calicoctl. Refusing to release\n";
        return 1;
      }
      out << "WARNING: Report was produced using a different version of calicoctl. Ignoring "
             "due to --force option\n";
    }
    current = current || r->cluster_info_revision == ci->revision;
    reports.push_back(std::move(*r));
  }
  if (!current) {
    err << "the provided reports are all stale - at least one should be up-to-date. Please "
           "generate a new report while the data store is locked and try again\n";
    return 1;
  }
  if (!ci->locked()) {
    if (!force) {
      err << "data store is not locked. Either lock the data store, or re-run with --force\n";
      return 1;
    }
    out << "WARNING: Data store is not locked. Ignoring due to --force option\n";
  }
  // What every report calls leaked (handles: at the same revision in all of them).
  auto ips = reports.front().leaked;
  auto handles = reports.front().leaked_handles;
  for (std::size_t i = 1; i < reports.size(); ++i) {
    std::map<net::IpAddr, ReportAllocation> ip_next;
    for (const auto& [ip, a] : reports[i].leaked) {
      if (ips.contains(ip)) {
        ip_next[ip] = a;
      }
    }
    ips = std::move(ip_next);
    std::map<std::string, ReportHandle> h_next;
    for (const auto& [id, h] : reports[i].leaked_handles) {
      auto it = handles.find(id);
      if (it != handles.end() && it->second.revision == h.revision) {
        h_next[id] = h;
      }
    }
    handles = std::move(h_next);
  }
  if (!ips.empty()) {
    ipam::Allocator allocator(ds);
    release_ips(allocator, ips, out);
  } else {
    out << "Report didn't contain any leaked IPs to clean up.\n";
  }
  if (!handles.empty()) {
    release_handles(ds, handles, out);
  } else {
    out << "Report didn't contain any handles to clean up.\n";
  }
  out << "You may now unlock the data store.\n";
  return 0;
}

}  // namespace

int run_release(const IpamArgs& a, datastore::Datastore& ds, std::ostream& out, std::ostream& err) {
  if (auto it = a.values.find("--from-report"); it != a.values.end()) {
    return release_from_reports(ds, it->second, a.has("--force"), out, err);
  }
  return release_ip(ds, *a.value("--ip"), out, err);
}

}  // namespace calico::calicoctl::ipamcmd
