// NAT-outgoing plan (see nat.h).
#include "felix/nat.h"

namespace calico::felix {

using policy::NftField;
using policy::NftMatch;
using policy::NftType;
using policy::NftValue;

policy::NftPlan nat_outgoing_plan(const std::string& table, const std::vector<api::IPPool>& pools) {
  policy::NftPlan plan;
  plan.table = table;
  auto& masq4 = plan.add_set("masq4", {NftType::Ipv4Addr}, true);
  auto& pools4 = plan.add_set("pools4", {NftType::Ipv4Addr}, true);
  auto& masq6 = plan.add_set("masq6", {NftType::Ipv6Addr}, true);
  auto& pools6 = plan.add_set("pools6", {NftType::Ipv6Addr}, true);
  for (const auto& p : pools) {
    auto cidr = net::Cidr::parse(p.spec.cidr);
    if (!cidr) {
      continue;  // validation rejects such pools before they are stored
    }
    const bool v4 = cidr->family() == net::Family::V4;
    (v4 ? pools4 : pools6).elements.insert({NftValue::cidr(*cidr)});
    if (p.spec.nat_outgoing && !p.spec.disabled) {
      (v4 ? masq4 : masq6).elements.insert({NftValue::cidr(*cidr)});
    }
  }
  policy::NftBaseChain base;
  base.hook = policy::NftHook::Postrouting;
  base.type = policy::NftChainType::Nat;
  base.priority = 100;
  auto& chain = plan.add_chain("postrouting", base);
  for (int fam = 0; fam < 2; ++fam) {
    policy::NftRule r;
    const bool v4 = fam == 0;
    r.matches.emplace_back(
        NftMatch::in_set({v4 ? NftField::IpSaddr : NftField::Ip6Saddr}, v4 ? "masq4" : "masq6"));
    r.matches.emplace_back(
        NftMatch::in_set({v4 ? NftField::IpDaddr : NftField::Ip6Daddr}, v4 ? "pools4" : "pools6")
            .negated());
    r.masquerade = true;
    r.comment = "nat-outgoing";
    chain.rules.push_back(std::move(r));
  }
  return plan;
}

}  // namespace calico::felix
