// Builders shared by the nftables model unit tests (tests/unit/policy/nft_*_test.cpp).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/net/ip.h"
#include "policy/nft_model.h"

namespace calico::policy::nft_test {

inline NftValue cidr(std::string_view text) {
  auto c = net::Cidr::parse_addr_or_cidr(text);
  CALICO_CHECK(c.has_value());
  return NftValue::cidr(*c);
}

inline net::IpAddr ip(std::string_view text) {
  auto a = net::IpAddr::parse(text);
  CALICO_CHECK(a.has_value());
  return *a;
}

inline NftRule rule(std::vector<NftExpr> matches, NftVerdict verdict) {
  NftRule r;
  r.matches = std::move(matches);
  r.verdict = std::move(verdict);
  return r;
}

inline NftMatch tcp() {
  return NftMatch::eq(NftField::L4proto, NftValue::proto(6));
}

inline NftRule dispatch(NftField field, std::string map) {
  NftRule r;
  r.dispatch = NftDispatch{field, std::move(map)};
  return r;
}

// A small but complete plan: one base chain with ct and vmap dispatch, two endpoint chains,
// a policy chain using an interval set, a concatenated set and literal lists.
inline NftPlan small_plan() {
  NftPlan p;
  auto& pods = p.add_set("pods-v4", {NftType::Ipv4Addr}, true);
  pods.elements = {{cidr("10.65.0.1")}, {cidr("10.66.0.0/16")}};
  auto& np = p.add_set("np-web", {NftType::Ipv4Addr, NftType::InetProto, NftType::InetService});
  np.elements = {{cidr("10.65.0.1"), NftValue::proto(6), NftValue::port(80)}};
  p.add_chain("tw-cali1").rules = {
      rule({NftCtStateMatch{kNftCtEstablished | kNftCtRelated}}, NftVerdict::accept()),
      rule({}, NftVerdict::jump("pi-web")),
      rule({}, NftVerdict::drop()),
  };
  p.add_chain("tw-cali2").rules = {rule({}, NftVerdict::drop())};
  p.add_chain("pi-web").rules = {
      rule({tcp(), NftMatch::in(NftField::ThDport, {NftValue::port(443), NftValue::port(80)}),
            NftMatch::in_set({NftField::IpSaddr}, "pods-v4")},
           NftVerdict::accept()),
      rule({NftMatch::in_set({NftField::IpDaddr, NftField::L4proto, NftField::ThDport}, "np-web")},
           NftVerdict::accept()),
  };
  auto& map = p.add_map("to-wl", {NftType::Ifname});
  map.elements = {{{NftValue::ifname("cali1")}, NftVerdict::go_to("tw-cali1")},
                  {{NftValue::ifname("cali2")}, NftVerdict::go_to("tw-cali2")}};
  auto& fwd = p.add_chain("filter-FORWARD", NftBaseChain{NftHook::Forward});
  fwd.rules = {
      dispatch(NftField::Oifname, "to-wl"),
      rule({NftMatch::eq(NftField::Oifname, NftValue::ifname("cali*"))}, NftVerdict::drop())};
  return p;
}

}  // namespace calico::policy::nft_test
