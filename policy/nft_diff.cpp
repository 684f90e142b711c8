// diff() and rebuild(): the minimal nftables transaction between two plans, in felix's
// order (research doc 4.8).  See policy/nft_model.h for the contract.
#include <algorithm>
#include <utility>

#include "policy/nft_model.h"

namespace calico::policy {
namespace {

std::vector<std::string> fingerprints(const NftChain& chain) {
  std::vector<std::string> fps;
  fps.reserve(chain.rules.size());
  for (const auto& r : chain.rules) {
    fps.push_back(rule_fingerprint(r));
  }
  return fps;
}

NftSet declaration(const NftSet& set) {
  return NftSet{set.name, set.key, set.interval, {}};
}

NftMap declaration(const NftMap& map) {
  return NftMap{map.name, map.key, {}};
}

void add_set_elements(NftBatch& batch, const NftSet& set, bool add, std::vector<NftKey> elements) {
  if (!elements.empty()) {
    batch.ops.emplace_back(
        NftSetElements{add, set.name, set.key, set.interval, std::move(elements)});
  }
}

void add_map_elements(NftBatch& batch, const NftMap& map, bool add,
                      std::vector<std::pair<NftKey, NftVerdict>> elements) {
  if (!elements.empty()) {
    batch.ops.emplace_back(NftMapElements{add, map.name, map.key, std::move(elements)});
  }
}

std::vector<std::pair<NftKey, NftVerdict>> all_elements(const NftMap& map) {
  return {map.elements.begin(), map.elements.end()};
}

// Chains in creation order: base chains first, then regular ones, each by name.
std::vector<const NftChain*> creation_order(const NftPlan& plan) {
  std::vector<const NftChain*> out;
  for (const bool base : {true, false}) {
    for (const auto& [name, chain] : plan.chains) {
      if (chain.base.has_value() == base) {
        out.push_back(&chain);
      }
    }
  }
  return out;
}

// Everything in `want`, assuming an empty (just created) table.
void emit_full(NftBatch& batch, const NftPlan& want) {
  for (const auto& [name, set] : want.sets) {
    batch.ops.emplace_back(NftAddSet{declaration(set)});
  }
  for (const auto& [name, map] : want.maps) {
    batch.ops.emplace_back(NftAddMap{declaration(map)});
  }
  const std::vector<const NftChain*> chains = creation_order(want);
  for (const NftChain* chain : chains) {
    batch.ops.emplace_back(NftAddChain{chain->name, chain->base});
  }
  for (const NftChain* chain : chains) {
    for (const auto& rule : chain->rules) {
      batch.ops.emplace_back(NftAddRule{chain->name, rule});
    }
  }
  for (const auto& [name, set] : want.sets) {
    const std::set<NftKey> elements = canonical_elements(set);
    add_set_elements(batch, set, true, {elements.begin(), elements.end()});
  }
  for (const auto& [name, map] : want.maps) {
    add_map_elements(batch, map, true, all_elements(map));
  }
}

bool same_hook(const std::optional<NftBaseChain>& a, const std::optional<NftBaseChain>& b) {
  if (a.has_value() != b.has_value()) {
    return false;
  }
  return !a || (a->hook == b->hook && a->type == b->type && a->priority == b->priority);
}

// True if an object changed in a way the kernel cannot update in place.
bool needs_rebuild(const NftPlan& have, const NftPlan& want) {
  for (const auto& [name, set] : want.sets) {
    if (have.maps.count(name) != 0) {
      return true;
    }
    auto it = have.sets.find(name);
    if (it != have.sets.end() &&
        (it->second.key != set.key || it->second.interval != set.interval)) {
      return true;
    }
  }
  for (const auto& [name, map] : want.maps) {
    if (have.sets.count(name) != 0) {
      return true;
    }
    auto it = have.maps.find(name);
    if (it != have.maps.end() && it->second.key != map.key) {
      return true;
    }
  }
  for (const auto& [name, chain] : want.chains) {
    auto it = have.chains.find(name);
    if (it != have.chains.end() && !same_hook(it->second.base, chain.base)) {
      return true;
    }
  }
  return false;
}

template <class T>
std::vector<T> difference(const std::set<T>& a, const std::set<T>& b) {
  std::vector<T> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

// Map elements of `a` that `b` lacks or maps to another verdict.
std::vector<std::pair<NftKey, NftVerdict>> map_difference(const NftMap& a, const NftMap& b) {
  std::vector<std::pair<NftKey, NftVerdict>> out;
  for (const auto& [key, verdict] : a.elements) {
    auto it = b.elements.find(key);
    if (it == b.elements.end() || it->second != verdict) {
      out.emplace_back(key, verdict);
    }
  }
  return out;
}

}  // namespace

NftBatch rebuild(const NftPlan& want) {
  NftBatch batch;
  batch.table = want.table;
  // "add table" first so that "delete table" cannot fail on an absent table.
  batch.ops.emplace_back(NftAddTable{});
  batch.ops.emplace_back(NftDeleteTable{});
  batch.ops.emplace_back(NftAddTable{});
  emit_full(batch, want);
  return batch;
}

NftBatch diff(const NftPlan& have, const NftPlan& want) {
  CALICO_CHECK(!have.table_exists || have.table == want.table);
  NftBatch batch;
  batch.table = want.table;
  if (!have.table_exists) {
    batch.ops.emplace_back(NftAddTable{});
    emit_full(batch, want);
    return batch;
  }
  if (needs_rebuild(have, want)) {
    return rebuild(want);
  }

  // 1. New sets and maps.
  for (const auto& [name, set] : want.sets) {
    if (have.sets.count(name) == 0) {
      batch.ops.emplace_back(NftAddSet{declaration(set)});
    }
  }
  for (const auto& [name, map] : want.maps) {
    if (have.maps.count(name) == 0) {
      batch.ops.emplace_back(NftAddMap{declaration(map)});
    }
  }

  // 2. Element deletions (before additions: a changed vmap verdict is delete + add).
  for (const auto& [name, set] : want.sets) {
    if (auto it = have.sets.find(name); it != have.sets.end()) {
      add_set_elements(batch, set, false,
                       difference(canonical_elements(it->second), canonical_elements(set)));
    }
  }
  for (const auto& [name, map] : want.maps) {
    if (auto it = have.maps.find(name); it != have.maps.end()) {
      add_map_elements(batch, map, false, map_difference(it->second, map));
    }
  }

  // 3. Base chains that are new or changed policy, then new regular chains.
  for (const NftChain* chain : creation_order(want)) {
    auto it = have.chains.find(chain->name);
    const bool is_new = it == have.chains.end();
    const bool policy_changed = !is_new && chain->base && it->second.base &&
                                chain->base->policy_drop != it->second.base->policy_drop;
    if (is_new || policy_changed) {
      batch.ops.emplace_back(NftAddChain{chain->name, chain->base});
    }
  }

  // 4. Rules: new chains filled, changed chains flushed and re-added wholesale.
  for (const auto& [name, chain] : want.chains) {
    auto it = have.chains.find(name);
    if (it != have.chains.end()) {
      if (fingerprints(it->second) == fingerprints(chain)) {
        continue;
      }
      batch.ops.emplace_back(NftFlushChain{name});
    }
    for (const auto& rule : chain.rules) {
      batch.ops.emplace_back(NftAddRule{name, rule});
    }
  }

  // 5. Element additions.
  for (const auto& [name, set] : want.sets) {
    auto it = have.sets.find(name);
    const std::set<NftKey> want_elements = canonical_elements(set);
    if (it == have.sets.end()) {
      add_set_elements(batch, set, true, {want_elements.begin(), want_elements.end()});
    } else {
      add_set_elements(batch, set, true, difference(want_elements, canonical_elements(it->second)));
    }
  }
  for (const auto& [name, map] : want.maps) {
    auto it = have.maps.find(name);
    add_map_elements(batch, map, true,
                     it == have.maps.end() ? all_elements(map) : map_difference(map, it->second));
  }

  // 6. Unwanted chains: flush all first (they may jump to each other), drop unwanted maps
  //    (their elements may goto these chains), then delete the chains.
  std::vector<std::string> stale_chains;
  for (const auto& [name, chain] : have.chains) {
    if (want.chains.count(name) == 0) {
      stale_chains.push_back(name);
      batch.ops.emplace_back(NftFlushChain{name});
    }
  }
  for (const auto& [name, map] : have.maps) {
    if (want.maps.count(name) == 0) {
      batch.ops.emplace_back(NftDeleteMap{name});
    }
  }
  for (const auto& name : stale_chains) {
    batch.ops.emplace_back(NftDeleteChain{name});
  }

  // 7. Unwanted sets, once no rule refers to them.
  for (const auto& [name, set] : have.sets) {
    if (want.sets.count(name) == 0) {
      batch.ops.emplace_back(NftDeleteSet{name});
    }
  }
  return batch;
}

}  // namespace calico::policy
