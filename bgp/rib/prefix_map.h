// PrefixMap<V>: a compact hash map from BGP prefixes to per-route values.
//
// Every RIB table (Adj-RIB-In per peer, Loc-RIB, Adj-RIB-Out per peer) is a map keyed by
// prefix with up to ~1M entries, so the container dominates memory per route.  A
// node-based std::unordered_map costs ~40-60 bytes of overhead per entry (node header,
// cached hash, malloc rounding, bucket array) on top of a 24-byte net::Cidr key.  This
// map instead:
//   - keeps one open-addressing table per family, keyed by a packed integer key:
//     IPv4 (address << 8 | length) in 8 bytes, IPv6 in 17 bytes (padded to 24);
//   - stores key and value inline in one array (Robin Hood linear probing, no
//     per-entry allocation, no tombstones: erase uses backward-shift deletion);
//   - grows by 1.5x at 7/8 load and shrinks below 1/4, so a table costs
//     sizeof(slot) / load ≈ 1.15-1.75 × sizeof(slot) per entry.
//
// Iteration order is the hash order (deterministic for a given history, but not sorted);
// callers that need a stable order use sorted_keys().  Pointers returned by find() and
// try_emplace() are invalidated by the next try_emplace(), erase() or clear().
//
// Values must be default-constructible and movable; an empty slot holds a value-
// initialised V, so V{} should not own memory (AttrRef{} and an empty RibEntry don't).
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "bgp/wire/types.h"
#include "common/result.h"

namespace calico::bgp {

namespace detail {

// splitmix64 finaliser: a cheap full-avalanche mix, so linear probing sees well spread
// home slots even though prefixes cluster in a few high-order bits.
inline std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// IPv4 prefix packed as (address << 8) | length.  The all-ones value (length 255) can
// never be a real prefix and marks an empty slot.
struct V4Key {
  static constexpr std::uint64_t kEmpty = ~std::uint64_t{0};
  std::uint64_t bits = kEmpty;

  bool empty() const { return bits == kEmpty; }
  std::uint64_t hash(std::uint64_t seed) const { return mix64(bits ^ seed); }
  bool operator==(const V4Key&) const = default;

  static V4Key of(const Prefix& p) {
    CALICO_CHECK(p.prefix_len() >= 0 && p.prefix_len() <= 32);
    return V4Key{(std::uint64_t{p.addr().v4_host_order()} << 8) |
                 static_cast<std::uint64_t>(p.prefix_len())};
  }
  Prefix prefix() const {
    return Prefix(net::IpAddr::v4(static_cast<std::uint32_t>(bits >> 8)),
                  static_cast<int>(bits & 0xFF));
  }
};

// IPv6 prefix as two big-endian halves plus the length; length 255 marks an empty slot.
struct V6Key {
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;
  std::uint8_t len = 0xFF;

  bool empty() const { return len == 0xFF; }
  std::uint64_t hash(std::uint64_t seed) const { return mix64(hi ^ mix64(lo ^ len ^ seed)); }
  bool operator==(const V6Key&) const = default;

  static V6Key of(const Prefix& p) {
    CALICO_CHECK(p.prefix_len() >= 0 && p.prefix_len() <= 128);
    const auto& b = p.addr().bytes();
    V6Key k;
    k.hi = 0;
    k.lo = 0;
    for (int i = 0; i < 8; ++i) {
      k.hi = (k.hi << 8) | b[static_cast<std::size_t>(i)];
      k.lo = (k.lo << 8) | b[static_cast<std::size_t>(i + 8)];
    }
    k.len = static_cast<std::uint8_t>(p.prefix_len());
    return k;
  }
  Prefix prefix() const {
    std::array<std::uint8_t, 16> b{};
    for (int i = 0; i < 8; ++i) {
      const int shift = 56 - 8 * i;
      b[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(hi >> shift);
      b[static_cast<std::size_t>(i + 8)] = static_cast<std::uint8_t>(lo >> shift);
    }
    return Prefix(net::IpAddr::v6(b), len);
  }
};

// A fresh hash seed per table allocation.  Without it, filling one table while iterating
// another (slot order = hash order) inserts keys in ascending home-slot order and
// builds one giant probe run: quadratic time.  A counter (not randomness) keeps runs
// reproducible.
inline std::uint64_t next_table_seed() {
  static std::atomic<std::uint64_t> counter{0};
  return mix64(counter.fetch_add(1, std::memory_order_relaxed) + 0x9e3779b97f4a7c15ULL);
}

// Open addressing, linear probing in Robin Hood order (an entry never sits further from
// its home slot than the entry it displaced), backward-shift deletion (no tombstones, so
// lookups never degrade after churn).  Robin Hood keeps probe runs short at 7/8 load,
// and capacities are not powers of two (home slot = multiply-shift of the hash, growth
// 1.5x), so a table is 58-88% full whatever its size: ~1.35x sizeof(slot) per entry on
// average instead of ~1.75x for power-of-two doubling at 80%.
template <class K, class V>
class FlatMap {
 public:
  FlatMap() = default;
  FlatMap(FlatMap&&) noexcept = default;
  FlatMap& operator=(FlatMap&&) noexcept = default;
  FlatMap(const FlatMap&) = delete;
  FlatMap& operator=(const FlatMap&) = delete;

  std::size_t size() const { return size_; }
  std::size_t capacity() const { return cap_; }
  std::size_t memory_bytes() const { return cap_ * sizeof(Slot); }

  V* find(const K& k) {
    const std::size_t i = index_of(k);
    return i == kNone ? nullptr : &slots_[i].value;
  }
  const V* find(const K& k) const {
    const std::size_t i = index_of(k);
    return i == kNone ? nullptr : &slots_[i].value;
  }

  // The value for `k`, value-initialised when absent; second = newly inserted.
  std::pair<V*, bool> try_emplace(const K& k) {
    if (const std::size_t i = index_of(k); i != kNone) {
      return {&slots_[i].value, false};
    }
    if ((size_ + 1) * 8 > cap_ * 7) {
      rehash(std::max(kMinCapacity, cap_ + cap_ / 2));
    }
    ++size_;
    return {&slots_[place(k, V{})].value, true};
  }

  bool erase(const K& k) {
    std::size_t i = index_of(k);
    if (i == kNone) {
      return false;
    }
    // Backward shift: pull the rest of the run one slot closer to home.
    for (std::size_t j = next(i); !slots_[j].key.empty() && distance(j) > 0; j = next(j)) {
      slots_[i].key = slots_[j].key;
      slots_[i].value = std::move(slots_[j].value);
      i = j;
    }
    slots_[i].key = K{};
    slots_[i].value = V{};
    --size_;
    if (size_ == 0) {
      clear();
    } else if (cap_ > kMinCapacity && size_ * 4 < cap_) {
      rehash(std::max(kMinCapacity, size_ * 2));
    }
    return true;
  }

  // Drops everything and frees the table.
  void clear() {
    slots_.reset();
    cap_ = 0;
    size_ = 0;
  }

  // f(const K&, const V&) / f(const K&, V&) for every entry, in table order.
  template <class F>
  void for_each(F&& f) const {
    for (std::size_t i = 0; i < cap_; ++i) {
      if (!slots_[i].key.empty()) {
        f(slots_[i].key, slots_[i].value);
      }
    }
  }
  template <class F>
  void for_each_mut(F&& f) {
    for (std::size_t i = 0; i < cap_; ++i) {
      if (!slots_[i].key.empty()) {
        f(slots_[i].key, slots_[i].value);
      }
    }
  }

 private:
  struct Slot {
    K key;
    V value;
  };
  static constexpr std::size_t kNone = ~std::size_t{0};
  static constexpr std::size_t kMinCapacity = 8;

  // Lemire's multiply-shift range reduction: uniform over [0, cap_) for any cap_.
  std::size_t home(const K& k) const {
    return static_cast<std::size_t>(
        (static_cast<unsigned __int128>(k.hash(seed_)) * static_cast<unsigned __int128>(cap_)) >>
        64);
  }
  std::size_t next(std::size_t i) const { return i + 1 == cap_ ? 0 : i + 1; }
  // How far the entry in slot i sits from its home slot.
  std::size_t distance(std::size_t i) const {
    const std::size_t h = home(slots_[i].key);
    return i >= h ? i - h : i + cap_ - h;
  }

  std::size_t index_of(const K& k) const {
    if (cap_ == 0) {
      return kNone;
    }
    std::size_t i = home(k);
    for (std::size_t d = 0;; ++d, i = next(i)) {
      const Slot& s = slots_[i];
      // Robin Hood: an empty slot or a richer entry ends the run where k would be.
      if (s.key.empty() || distance(i) < d) {
        return kNone;
      }
      if (s.key == k) {
        return i;
      }
    }
  }

  // Inserts an absent key (capacity available); returns the slot it landed in.
  std::size_t place(K key, V value) {
    std::size_t landed = kNone;
    std::size_t i = home(key);
    for (std::size_t d = 0;; ++d, i = next(i)) {
      Slot& s = slots_[i];
      if (s.key.empty()) {
        s.key = key;
        s.value = std::move(value);
        return landed == kNone ? i : landed;
      }
      const std::size_t sd = distance(i);
      if (sd < d) {
        // Take the slot from the richer entry and carry it on.
        std::swap(s.key, key);
        std::swap(s.value, value);
        d = sd;
        if (landed == kNone) {
          landed = i;
        }
      }
    }
  }

  void rehash(std::size_t new_cap) {
    std::unique_ptr<Slot[]> old = std::move(slots_);
    const std::size_t old_cap = cap_;
    slots_ = std::make_unique<Slot[]>(new_cap);
    cap_ = new_cap;
    seed_ = next_table_seed();
    for (std::size_t i = 0; i < old_cap; ++i) {
      if (!old[i].key.empty()) {
        place(old[i].key, std::move(old[i].value));
      }
    }
  }

  std::unique_ptr<Slot[]> slots_;
  std::size_t cap_ = 0;
  std::size_t size_ = 0;
  std::uint64_t seed_ = 0;
};

}  // namespace detail

// The public face: one FlatMap per family behind a Prefix-keyed interface.  Prefixes
// must be masked (the decoder guarantees it; the RIB masks what it originates).
template <class V>
class PrefixMap {
 public:
  std::size_t size() const { return v4_.size() + v6_.size(); }
  std::size_t size(net::Family f) const { return f == net::Family::V4 ? v4_.size() : v6_.size(); }
  bool empty() const { return size() == 0; }
  // Bytes held by the tables themselves (not by what the values point to).
  std::size_t memory_bytes() const { return v4_.memory_bytes() + v6_.memory_bytes(); }

  V* find(const Prefix& p) {
    return p.family() == net::Family::V4 ? v4_.find(detail::V4Key::of(p))
                                         : v6_.find(detail::V6Key::of(p));
  }
  const V* find(const Prefix& p) const {
    return p.family() == net::Family::V4 ? v4_.find(detail::V4Key::of(p))
                                         : v6_.find(detail::V6Key::of(p));
  }
  std::pair<V*, bool> try_emplace(const Prefix& p) {
    return p.family() == net::Family::V4 ? v4_.try_emplace(detail::V4Key::of(p))
                                         : v6_.try_emplace(detail::V6Key::of(p));
  }
  bool erase(const Prefix& p) {
    return p.family() == net::Family::V4 ? v4_.erase(detail::V4Key::of(p))
                                         : v6_.erase(detail::V6Key::of(p));
  }
  void clear() {
    v4_.clear();
    v6_.clear();
  }
  void clear(net::Family f) {
    if (f == net::Family::V4) {
      v4_.clear();
    } else {
      v6_.clear();
    }
  }

  // f(const Prefix&, const V&): IPv4 entries first, then IPv6, each in table order.
  template <class F>
  void for_each(F&& f) const {
    v4_.for_each([&](const detail::V4Key& k, const V& v) { f(k.prefix(), v); });
    v6_.for_each([&](const detail::V6Key& k, const V& v) { f(k.prefix(), v); });
  }
  template <class F>
  void for_each_mut(F&& f) {
    v4_.for_each_mut([&](const detail::V4Key& k, V& v) { f(k.prefix(), v); });
    v6_.for_each_mut([&](const detail::V6Key& k, V& v) { f(k.prefix(), v); });
  }

  // All keys in Prefix order (IPv4 before IPv6, then address, then length).
  std::vector<Prefix> sorted_keys() const {
    std::vector<Prefix> out;
    out.reserve(size());
    for_each([&](const Prefix& p, const V&) { out.push_back(p); });
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  detail::FlatMap<detail::V4Key, V> v4_;
  detail::FlatMap<detail::V6Key, V> v6_;
};

}  // namespace calico::bgp
