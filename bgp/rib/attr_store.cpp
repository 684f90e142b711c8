// AttrStore: the hash table behind interned path attributes (see attr_store.h).
#include "bgp/rib/attr_store.h"

#include <memory>
#include <unordered_map>

namespace calico::bgp {

namespace detail {

// Keyed by the attributes' hash; collisions are resolved by comparing values.  Outlives
// the AttrStore while nodes are alive (store_alive = false), see attr_store.h.
struct AttrRegistry {
  std::unordered_multimap<std::size_t, AttrNode*> nodes;
  bool store_alive = true;
};

void release_attr_node(AttrNode* node) noexcept {
  AttrRegistry* reg = node->registry;
  auto [it, end] = reg->nodes.equal_range(node->hash);
  for (; it != end; ++it) {
    if (it->second == node) {
      reg->nodes.erase(it);
      break;
    }
  }
  delete node;
  if (!reg->store_alive && reg->nodes.empty()) {
    delete reg;
  }
}

}  // namespace detail

AttrStore::AttrStore() : registry_(new detail::AttrRegistry) {}

AttrStore::~AttrStore() {
  if (registry_->nodes.empty()) {
    delete registry_;
  } else {
    registry_->store_alive = false;  // the last AttrRef frees it
  }
}

AttrRef AttrStore::intern(const PathAttributes& attrs) {
  return intern(PathAttributes(attrs));
}

AttrRef AttrStore::intern(PathAttributes&& attrs) {
  const std::size_t h = hash_value(attrs);
  auto [it, end] = registry_->nodes.equal_range(h);
  for (; it != end; ++it) {
    if (it->second->attrs == attrs) {
      return AttrRef(it->second);
    }
  }
  auto node = std::make_unique<detail::AttrNode>();
  node->attrs = std::move(attrs);
  node->hash = h;
  node->registry = registry_;
  registry_->nodes.emplace(h, node.get());
  return AttrRef(node.release());
}

std::size_t AttrStore::size() const {
  return registry_->nodes.size();
}

}  // namespace calico::bgp
