// The pieces of the policy compiler (policy/compile.h), shared by compile() (whole plan,
// brute force) and the incremental dataplane (policy/dataplane.h), so both render
// byte-identical chains.  Not part of the public API.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/selector.h"
#include "common/net/ip.h"
#include "policy/compile.h"
#include "policy/model.h"
#include "policy/nft_model.h"

namespace calico::policy::compile_detail {

// Fixed object names.
inline constexpr const char* kForwardChain = "filter-FORWARD";
inline constexpr const char* kInputChain = "filter-INPUT";
inline constexpr const char* kOutputChain = "filter-OUTPUT";
inline constexpr const char* kFromWlDispatch = "from-wl-dispatch";
inline constexpr const char* kToWlDispatch = "to-wl-dispatch";
inline constexpr const char* kWlToHost = "wl-to-host";
inline constexpr const char* kFromWlMap = "from-wl";
inline constexpr const char* kToWlMap = "to-wl";

// An IP set a rendered rule refers to.
struct SetRef {
  std::string name;
  api::Selector selector;
  std::string named_port;  // empty: the selector's addresses
  net::Family family = net::Family::V4;
  bool operator==(const SetRef&) const = default;
};

// "s4-<16 hex>" (selector) / "n4-<16 hex>" (named port); 6 for IPv6.
std::string set_name(const api::Selector& selector, const std::string& named_port,
                     net::Family family);
// The declaration (no elements) of a set: interval ipv4_addr/ipv6_addr for a selector
// set; addr . inet_proto . inet_service for a named-port set.
NftSet declare_set(const SetRef& ref);
// "selector (...)" or "named port <p> of selector (...)".
std::string set_origin(const SetRef& ref);

// "np/<ns>/<name>", "gnp/<name>", "knp/<ns>/<name without knp.default.>".
std::string policy_id(const Policy& policy);
std::string policy_chain_name(const Policy& policy, Direction d);       // pi-<id> / po-<id>
std::string profile_chain_name(std::string_view profile, Direction d);  // pri- / pro-
std::string endpoint_chain_name(std::string_view iface, Direction d);   // tw- / fw-

// The chains of one policy or profile in one direction: the main chain first, then any
// sub-chains; and every set they reference (deduplicated, in first-use order).
struct RenderedChains {
  std::vector<NftChain> chains;
  std::vector<SetRef> sets;
};
RenderedChains render_rules(const std::string& chain, const std::vector<Rule>& rules,
                            const CompileOptions& options);

// What one endpoint's chain for one direction runs: tiers with policies for it, in order,
// then its (existing) profiles.
struct TierSection {
  std::string tier;
  Action default_action = Action::Deny;
  std::vector<std::string> policy_chains;
  bool operator==(const TierSection&) const = default;
};
struct Pipeline {
  std::vector<TierSection> tiers;
  std::vector<std::string> profile_chains;
  bool operator==(const Pipeline&) const = default;
};
NftChain render_endpoint_chain(std::string_view iface, Direction d, const Pipeline& pipeline,
                               const CompileOptions& options);

// Base chains, dispatch chains and the two (empty) dispatch maps.
void render_static(NftPlan& plan, const CompileOptions& options);
// The dispatch map elements of one local endpoint: key and verdict for the from-wl (egress)
// or to-wl (ingress) map.
NftKey dispatch_key(std::string_view iface);
NftVerdict dispatch_verdict(std::string_view iface, Direction d);

}  // namespace calico::policy::compile_detail
