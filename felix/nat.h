// NAT-outgoing as felix renders it (research: policy-dataplane.md 5.5), in its own inet
// table so the policy table's resyncs never touch it:
//
//   table inet <table>
//     set masq4  { type ipv4_addr; flags interval; }   pools with natOutgoing (enabled)
//     set pools4 { type ipv4_addr; flags interval; }   every pool (also disabled ones)
//     (masq6 / pools6 likewise)
//     chain postrouting { type nat hook postrouting priority srcnat(100);
//       ip saddr @masq4 ip daddr != @pools4 masquerade
//       ip6 saddr @masq6 ip6 daddr != @pools6 masquerade }
//
// Traffic from a NAT pool to anywhere outside every pool leaves with the node's address;
// pod-to-pod traffic (inside the pools) keeps its source.  Disabled pools still count as
// "inside" (their addresses may still be in use), as Calico's all-ipam-pools set does.
//
// Pure: builds the desired plan; the caller diffs it against the kernel's table.
#pragma once

#include <string>
#include <vector>

#include "api/resources.h"
#include "policy/nft_model.h"

namespace calico::felix {

policy::NftPlan nat_outgoing_plan(const std::string& table, const std::vector<api::IPPool>& pools);

}  // namespace calico::felix
