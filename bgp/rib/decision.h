// The BGP decision process: best path and ECMP set among the candidate routes for one
// prefix (RFC 4271 §9.1.2, with RFC 4456 §9 for reflected routes).
//
// Order of the steps (each a separate function below so it can be tested alone):
//   1. highest LOCAL_PREF, absent = 100                      RFC 4271 §9.1.1
//   2. routes originated by this speaker over learned ones    (BIRD/Cisco practice)
//   3. shortest AS_PATH, an AS_SET counts 1                   RFC 4271 §9.1.2.2 a
//   4. lowest ORIGIN (IGP < EGP < INCOMPLETE)                 RFC 4271 §9.1.2.2 b
//   5. lowest MED among routes from the same neighbour AS,
//      absent = 0                                             RFC 4271 §9.1.2.2 c
//   6. eBGP-learned over iBGP-learned                         RFC 4271 §9.1.2.2 d
//   7. lowest IGP cost to the next hop (all equal here: Calico next hops are directly
//      connected or resolved by the kernel, there is no IGP)  RFC 4271 §9.1.2.2 e
//   8. lowest BGP Identifier; ORIGINATOR_ID replaces the
//      peer's id when present                                 RFC 4271 §9.1.2.2 f, RFC 4456 §9
//   9. shortest CLUSTER_LIST                                  RFC 4456 §9
//  10. lowest peer address                                    RFC 4271 §9.1.2.2 g
// A last tie-break on PeerId keeps the result total; it never decides between real
// peers (two sessions never share an address).
//
// Step 2 explained: a route this node originates (its own pod CIDR blocks) must win over
// a copy of the same prefix learned from a peer, whatever that copy's attributes, or
// traffic for local pods could be sent away.  BIRD gets the same effect from the
// preference of its static protocol, Cisco from weight 32768.  It sits after LOCAL_PREF
// as in the Cisco order, so an operator can still override it with local preference.
//
// MED is not transitive (route A beats B on MED, B beats C on router id, C beats A on
// router id while A and C have different neighbour ASes), so a pairwise sort can give
// an insertion-order-dependent answer.  select_best() therefore implements the RFC's
// set elimination: each step removes every candidate that loses it, and the MED step
// removes, within each neighbour-AS group, the routes with more than that group's
// lowest MED.  The result does not depend on the order of the candidates.
//
// ECMP (multipath): the routes still in the running after step 7 (equal LOCAL_PREF,
// origin class, AS_PATH length, ORIGIN, MED within their neighbour-AS group, eBGP/iBGP
// class), restricted for eBGP to the best route's neighbour AS (BIRD and FRR's default,
// "multipath relax" off).  Locally originated best routes have no ECMP set.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "bgp/rib/peer_info.h"
#include "bgp/wire/types.h"

namespace calico::bgp {

inline constexpr std::uint32_t kDefaultLocalPref = 100;
inline constexpr std::size_t kDefaultMaxPaths = 8;

// The step that made the best route unique (for `show route` style status output).
enum class DecisionStep : std::uint8_t {
  OnlyPath = 0,  // a single candidate
  LocalPref,
  LocallyOriginated,
  AsPathLength,
  Origin,
  Med,
  EbgpOverIbgp,
  IgpCost,
  RouterId,
  ClusterListLength,
  PeerAddress,
  PeerIndex,
};
std::string_view to_string(DecisionStep step);  // "local-pref", "as-path-length", ...

// One route competing for a prefix.  Both pointers must outlive the call.
struct Candidate {
  const PathAttributes* attrs = nullptr;  // never null
  const PeerInfo* peer = nullptr;         // nullptr: originated by this speaker

  bool is_local() const { return peer == nullptr; }
  bool is_ebgp() const { return peer != nullptr && peer->is_ebgp(); }
  bool is_ibgp() const { return peer != nullptr && peer->is_ibgp(); }
};

// The values the steps compare.
std::uint32_t effective_local_pref(const Candidate& c);  // LOCAL_PREF or 100
std::uint32_t effective_med(const Candidate& c);         // MED or 0 (RFC 4271 §9.1.2.2 c)
// RFC 4271 §9.1.2.2 c neighborAS(): the first AS of the AS_PATH; for a route with an
// empty path or one that starts with an AS_SET, the AS it was learned from (an eBGP
// peer's AS) or our own AS, written as 0 here (all "our own AS" routes share a group).
std::uint32_t neighbor_as(const Candidate& c);
// RFC 4456 §9: ORIGINATOR_ID when present, else the peer's BGP Identifier (0 for local).
std::uint32_t effective_router_id(const Candidate& c);

// The steps.  Each returns < 0 when `a` is preferred, > 0 when `b` is, 0 on a tie.
int compare_local_pref(const Candidate& a, const Candidate& b);
int compare_locally_originated(const Candidate& a, const Candidate& b);
int compare_as_path_length(const Candidate& a, const Candidate& b);
int compare_origin(const Candidate& a, const Candidate& b);
// 0 when the neighbour ASes differ: MEDs from different ASes are not comparable.
int compare_med(const Candidate& a, const Candidate& b);
int compare_ebgp_over_ibgp(const Candidate& a, const Candidate& b);
int compare_igp_cost(const Candidate& a, const Candidate& b);  // always 0, see above
int compare_router_id(const Candidate& a, const Candidate& b);
int compare_cluster_list_length(const Candidate& a, const Candidate& b);
int compare_peer_address(const Candidate& a, const Candidate& b);
int compare_peer_id(const Candidate& a, const Candidate& b);

struct Comparison {
  int order = 0;                               // < 0: a preferred, > 0: b preferred
  DecisionStep step = DecisionStep::OnlyPath;  // the first step that differed
};

// Pairwise: the first step that tells `a` and `b` apart.  For two candidates this agrees
// with select_best(); for three or more use select_best() (MED is not transitive).
Comparison compare(const Candidate& a, const Candidate& b);

struct Selection {
  std::size_t best = 0;                        // index into the candidates
  DecisionStep step = DecisionStep::OnlyPath;  // the step that left `best` alone
  std::vector<std::size_t> multipath;          // ECMP set: best first, then by steps
                                               // 8-10; 1 <= size <= max_paths
};

// The RFC 4271 §9.1.2.2 elimination over all candidates (non-empty span).
// max_paths: the ECMP limit (0 and 1 both mean "best only").
Selection select_best(std::span<const Candidate> candidates,
                      std::size_t max_paths = kDefaultMaxPaths);

}  // namespace calico::bgp
