// Shared by the IPAM integration tests (etcd and Kubernetes datastores): the datastore
// agrees with a workload's event log.
#pragma once

#include <set>
#include <string>

#include <gtest/gtest.h>

#include "ipam/allocator.h"
#include "ipam/check.h"
#include "tests/lib/ipam_workload.h"

namespace calico::ipam {

// No duplicates, `check` clean with exactly the live handles in use (when `clean`; else
// only no duplicate allocation), and every live handle (up to `sample` of them) still
// holds exactly its address.
inline void expect_consistent(datastore::Datastore& ds, const testlib::WorkloadAnalysis& a,
                              bool clean = true, std::size_t sample = 300) {
  EXPECT_TRUE(a.overlaps.empty()) << a.overlaps.size() << " duplicates, e.g. " << a.overlaps[0];
  CheckOptions o;
  std::set<std::string> live;
  for (const auto& [h, ip] : a.live) {
    live.insert(h);
  }
  o.in_use = [&](const std::string& h, const net::IpAddr&) { return live.contains(h); };
  auto rep = check(ds, o);
  ASSERT_TRUE(rep) << rep.error().message;
  if (clean) {
    EXPECT_TRUE(rep->clean()) << rep->to_text();
    EXPECT_EQ(rep->allocations, a.live.size());
  }
  EXPECT_EQ(rep->count(ProblemKind::DuplicateAllocation), 0U) << rep->to_text();
  Allocator reader(ds);
  std::size_t checked = 0;
  for (const auto& [h, ip] : a.live) {
    if (++checked > sample) {
      break;  // a sample is enough: check() already matched the totals
    }
    auto ips = reader.ips_by_handle(h);
    ASSERT_TRUE(ips) << h << ": " << ips.error().message;
    ASSERT_EQ(ips->size(), 1U) << h;
    EXPECT_EQ((*ips)[0].to_string(), ip) << h;
  }
}

}  // namespace calico::ipam
