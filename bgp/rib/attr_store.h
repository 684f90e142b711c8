// Interned path attributes: every distinct PathAttributes value exists once in memory.
//
// A full table has ~1M routes but only tens of thousands of distinct attribute sets
// (routes from one peer that share an AS path, next hop and communities have equal
// attributes), so each route stores an 8-byte AttrRef instead of a PathAttributes copy.
// AttrStore::intern() looks the value up by hash_value()/operator== (bgp/wire/types.h)
// and returns a reference-counted handle to the one shared copy; the copy is freed when
// the last AttrRef to it goes away.
//
// Why not shared_ptr<const PathAttributes>: a shared_ptr is 16 bytes and its count is
// atomic.  The RIB holds one reference per route in the Adj-RIB-In, the Loc-RIB and each
// Adj-RIB-Out, so halving the handle is the single largest per-route saving.  AttrRef
// offers the shared_ptr surface the RIB's users need (get, *, ->, bool, use_count).
//
// Identity is equality: two AttrRefs from the same store are equal iff their attribute
// values are equal, so comparing handles (pointer compare) is how the Adj-RIB-Out
// suppresses duplicate announcements and how UPDATE packing groups prefixes.
//
// Thread affinity: single-threaded (the speaker runs its RIB on one strand).  Counts are
// not atomic.  An AttrStore may be destroyed while AttrRefs are alive; the handles keep
// working and the bookkeeping is freed with the last of them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

#include "bgp/wire/types.h"

namespace calico::bgp {

namespace detail {
struct AttrRegistry;

// One interned value.  Lives on the heap; only AttrRef and AttrStore touch it.
struct AttrNode {
  PathAttributes attrs;
  std::size_t hash = 0;
  std::size_t refs = 0;
  AttrRegistry* registry = nullptr;
};

// Frees `node` (count reached zero) and unlinks it from its registry.
void release_attr_node(AttrNode* node) noexcept;
}  // namespace detail

// A counted handle to interned attributes; null when default-constructed.  8 bytes.
class AttrRef {
 public:
  AttrRef() = default;
  AttrRef(const AttrRef& other) noexcept : node_(other.node_) { retain(); }
  AttrRef(AttrRef&& other) noexcept : node_(std::exchange(other.node_, nullptr)) {}
  AttrRef& operator=(const AttrRef& other) noexcept {
    AttrRef copy(other);
    swap(copy);
    return *this;
  }
  AttrRef& operator=(AttrRef&& other) noexcept {
    AttrRef moved(std::move(other));
    swap(moved);
    return *this;
  }
  ~AttrRef() { reset(); }

  void reset() noexcept {
    if (node_ != nullptr && --node_->refs == 0) {
      detail::release_attr_node(node_);
    }
    node_ = nullptr;
  }
  void swap(AttrRef& other) noexcept { std::swap(node_, other.node_); }

  const PathAttributes* get() const { return node_ != nullptr ? &node_->attrs : nullptr; }
  const PathAttributes& operator*() const { return node_->attrs; }
  const PathAttributes* operator->() const { return &node_->attrs; }
  explicit operator bool() const { return node_ != nullptr; }
  std::size_t use_count() const { return node_ != nullptr ? node_->refs : 0; }

  // Handle identity (= value equality for handles from one store).
  friend bool operator==(const AttrRef& a, const AttrRef& b) { return a.node_ == b.node_; }

 private:
  friend class AttrStore;
  explicit AttrRef(detail::AttrNode* node) noexcept : node_(node) { retain(); }
  void retain() noexcept {
    if (node_ != nullptr) {
      ++node_->refs;
    }
  }

  detail::AttrNode* node_ = nullptr;
};

// The interning table.  One per speaker, shared by every RIB structure (handles from
// different stores never compare equal, so mixing stores defeats duplicate suppression).
class AttrStore {
 public:
  AttrStore();
  ~AttrStore();
  AttrStore(const AttrStore&) = delete;
  AttrStore& operator=(const AttrStore&) = delete;

  // Returns the shared copy equal to `attrs`, creating it when absent.
  AttrRef intern(const PathAttributes& attrs);
  AttrRef intern(PathAttributes&& attrs);

  // Distinct attribute sets currently alive.
  std::size_t size() const;

 private:
  detail::AttrRegistry* registry_;
};

}  // namespace calico::bgp
