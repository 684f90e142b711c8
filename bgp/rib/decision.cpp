// The decision process steps and the RFC 4271 §9.1.2.2 elimination (see decision.h).
#include "bgp/rib/decision.h"

#include <algorithm>

namespace calico::bgp {

namespace {

// -1 / 0 / +1 for "lower wins" values.
template <class T>
int lower_wins(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

using StepFn = int (*)(const Candidate&, const Candidate&);

struct Step {
  DecisionStep id;
  StepFn fn;
};

// Steps 1-7 (before the ECMP cut) and 8-11 (tie-breaks among equal-cost paths).  The
// MED step is handled separately by select_best(): it is group-wise, not a min.
constexpr Step kStepsBeforeMed[] = {
    {DecisionStep::LocalPref, compare_local_pref},
    {DecisionStep::LocallyOriginated, compare_locally_originated},
    {DecisionStep::AsPathLength, compare_as_path_length},
    {DecisionStep::Origin, compare_origin},
};
constexpr Step kStepsAfterMed[] = {
    {DecisionStep::EbgpOverIbgp, compare_ebgp_over_ibgp},
    {DecisionStep::IgpCost, compare_igp_cost},
};
constexpr Step kTieBreaks[] = {
    {DecisionStep::RouterId, compare_router_id},
    {DecisionStep::ClusterListLength, compare_cluster_list_length},
    {DecisionStep::PeerAddress, compare_peer_address},
    {DecisionStep::PeerIndex, compare_peer_id},
};

// Keeps only the candidates that do not lose `step` to the best of them.
void narrow(std::span<const Candidate> c, std::vector<std::size_t>& alive, StepFn step) {
  if (alive.size() < 2) {
    return;
  }
  std::size_t best = alive.front();
  for (std::size_t i : alive) {
    if (step(c[i], c[best]) < 0) {
      best = i;
    }
  }
  std::erase_if(alive, [&](std::size_t i) { return step(c[best], c[i]) < 0; });
}

// RFC 4271 §9.1.2.2 c: remove every route for which another remaining route with the
// same neighbour AS has a lower MED.
void narrow_med(std::span<const Candidate> c, std::vector<std::size_t>& alive) {
  if (alive.size() < 2) {
    return;
  }
  std::vector<bool> loses(c.size(), false);
  for (std::size_t i : alive) {
    for (std::size_t j : alive) {
      if (compare_med(c[j], c[i]) < 0) {
        loses[i] = true;
        break;
      }
    }
  }
  std::erase_if(alive, [&](std::size_t i) { return loses[i]; });
}

}  // namespace

std::string_view to_string(DecisionStep step) {
  switch (step) {
    case DecisionStep::OnlyPath:
      return "only-path";
    case DecisionStep::LocalPref:
      return "local-pref";
    case DecisionStep::LocallyOriginated:
      return "locally-originated";
    case DecisionStep::AsPathLength:
      return "as-path-length";
    case DecisionStep::Origin:
      return "origin";
    case DecisionStep::Med:
      return "med";
    case DecisionStep::EbgpOverIbgp:
      return "ebgp-over-ibgp";
    case DecisionStep::IgpCost:
      return "igp-cost";
    case DecisionStep::RouterId:
      return "router-id";
    case DecisionStep::ClusterListLength:
      return "cluster-list-length";
    case DecisionStep::PeerAddress:
      return "peer-address";
    case DecisionStep::PeerIndex:
      return "peer-index";
  }
  return "unknown";
}

std::uint32_t effective_local_pref(const Candidate& c) {
  return c.attrs->local_pref.value_or(kDefaultLocalPref);
}

std::uint32_t effective_med(const Candidate& c) {
  return c.attrs->med.value_or(0);
}

std::uint32_t neighbor_as(const Candidate& c) {
  const std::uint32_t first = c.attrs->as_path.first_as();
  if (first != 0) {
    return first;
  }
  return c.is_ebgp() ? c.peer->peer_as : 0;
}

std::uint32_t effective_router_id(const Candidate& c) {
  if (c.attrs->originator_id) {
    return *c.attrs->originator_id;
  }
  return c.peer != nullptr ? c.peer->router_id : 0;
}

// Step 1, RFC 4271 §9.1.1: the degree of preference is LOCAL_PREF (higher wins).
int compare_local_pref(const Candidate& a, const Candidate& b) {
  return lower_wins(effective_local_pref(b), effective_local_pref(a));
}

// Step 2 (see decision.h): our own routes first.
int compare_locally_originated(const Candidate& a, const Candidate& b) {
  return lower_wins(a.is_local() ? 0 : 1, b.is_local() ? 0 : 1);
}

// Step 3, RFC 4271 §9.1.2.2 a.
int compare_as_path_length(const Candidate& a, const Candidate& b) {
  return lower_wins(a.attrs->as_path.path_length(), b.attrs->as_path.path_length());
}

// Step 4, RFC 4271 §9.1.2.2 b.
int compare_origin(const Candidate& a, const Candidate& b) {
  return lower_wins(static_cast<int>(a.attrs->origin), static_cast<int>(b.attrs->origin));
}

// Step 5, RFC 4271 §9.1.2.2 c: only comparable within one neighbour AS.
int compare_med(const Candidate& a, const Candidate& b) {
  if (neighbor_as(a) != neighbor_as(b)) {
    return 0;
  }
  return lower_wins(effective_med(a), effective_med(b));
}

// Step 6, RFC 4271 §9.1.2.2 d.
int compare_ebgp_over_ibgp(const Candidate& a, const Candidate& b) {
  return lower_wins(a.is_ebgp() ? 0 : 1, b.is_ebgp() ? 0 : 1);
}

// Step 7, RFC 4271 §9.1.2.2 e: no IGP, every next hop costs the same.
int compare_igp_cost(const Candidate&, const Candidate&) {
  return 0;
}

// Step 8, RFC 4271 §9.1.2.2 f and RFC 4456 §9.
int compare_router_id(const Candidate& a, const Candidate& b) {
  return lower_wins(effective_router_id(a), effective_router_id(b));
}

// Step 9, RFC 4456 §9 (inserted between f and g).
int compare_cluster_list_length(const Candidate& a, const Candidate& b) {
  return lower_wins(a.attrs->cluster_list.size(), b.attrs->cluster_list.size());
}

// Step 10, RFC 4271 §9.1.2.2 g.
int compare_peer_address(const Candidate& a, const Candidate& b) {
  if (a.peer == nullptr || b.peer == nullptr) {
    return 0;
  }
  return lower_wins(a.peer->address, b.peer->address);
}

// Final tie-break, total over distinct sources.
int compare_peer_id(const Candidate& a, const Candidate& b) {
  return lower_wins(a.peer != nullptr ? a.peer->id : kLocalPeerId,
                    b.peer != nullptr ? b.peer->id : kLocalPeerId);
}

Comparison compare(const Candidate& a, const Candidate& b) {
  for (const Step& s : kStepsBeforeMed) {
    if (int o = s.fn(a, b); o != 0) {
      return {o, s.id};
    }
  }
  if (int o = compare_med(a, b); o != 0) {
    return {o, DecisionStep::Med};
  }
  for (const Step& s : kStepsAfterMed) {
    if (int o = s.fn(a, b); o != 0) {
      return {o, s.id};
    }
  }
  for (const Step& s : kTieBreaks) {
    if (int o = s.fn(a, b); o != 0) {
      return {o, s.id};
    }
  }
  return {0, DecisionStep::PeerIndex};
}

Selection select_best(std::span<const Candidate> c, std::size_t max_paths) {
  CALICO_CHECK(!c.empty());
  Selection sel;
  if (c.size() == 1) {
    sel.multipath.push_back(0);
    return sel;
  }
  std::vector<std::size_t> alive(c.size());
  for (std::size_t i = 0; i < c.size(); ++i) {
    alive[i] = i;
  }
  bool decided = false;
  auto note = [&](DecisionStep step) {
    if (!decided && alive.size() == 1) {
      decided = true;
      sel.step = step;
    }
  };

  for (const Step& s : kStepsBeforeMed) {
    narrow(c, alive, s.fn);
    note(s.id);
  }
  narrow_med(c, alive);
  note(DecisionStep::Med);
  for (const Step& s : kStepsAfterMed) {
    narrow(c, alive, s.fn);
    note(s.id);
  }
  // Everything still alive is equal through step 7: the ECMP candidates.
  std::vector<std::size_t> equal_cost = alive;
  for (const Step& s : kTieBreaks) {
    narrow(c, alive, s.fn);
    note(s.id);
  }
  sel.best = alive.front();  // unique unless two candidates share a PeerId
  if (!decided) {
    sel.step = DecisionStep::PeerIndex;
  }

  // ECMP set (see decision.h): none for local routes; for eBGP only the best's
  // neighbour AS.
  const Candidate& best = c[sel.best];
  sel.multipath.push_back(sel.best);
  if (best.is_local() || max_paths <= 1) {
    return sel;
  }
  std::erase_if(equal_cost, [&](std::size_t i) {
    return i == sel.best || (best.is_ebgp() && neighbor_as(c[i]) != neighbor_as(best));
  });
  std::sort(equal_cost.begin(), equal_cost.end(), [&](std::size_t x, std::size_t y) {
    for (const Step& s : kTieBreaks) {
      if (int o = s.fn(c[x], c[y]); o != 0) {
        return o < 0;
      }
    }
    return x < y;
  });
  for (std::size_t i : equal_cost) {
    if (sel.multipath.size() >= max_paths) {
      break;
    }
    sel.multipath.push_back(i);
  }
  return sel;
}

}  // namespace calico::bgp
