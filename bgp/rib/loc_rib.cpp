// Loc-RIB bookkeeping: candidate storage, per-prefix re-decision and change lists
// (see loc_rib.h).
#include "bgp/rib/loc_rib.h"

#include <algorithm>
#include <new>
#include <numeric>

namespace calico::bgp {

// ---- RibEntry -------------------------------------------------------------------------

RibEntry::RibEntry(RibEntry&& other) noexcept
    : size_(other.size_), cap_(other.cap_), mp_count_(other.mp_count_), step_(other.step_) {
  if (other.cap_ == 0) {
    new (&one_) RibPath(std::move(other.one_));
  } else {
    many_ = other.many_;
    new (&other.one_) RibPath();
  }
  other.size_ = 0;
  other.cap_ = 0;
  other.mp_count_ = 0;
}

RibEntry& RibEntry::operator=(RibEntry&& other) noexcept {
  if (this != &other) {
    destroy();
    new (this) RibEntry(std::move(other));
  }
  return *this;
}

RibEntry::~RibEntry() {
  destroy();
}

void RibEntry::destroy() noexcept {
  if (cap_ == 0) {
    one_.~RibPath();
  } else {
    delete[] many_;
  }
}

void RibEntry::set(PeerId peer, AttrRef attrs) {
  RibPath* d = data();
  for (std::size_t i = 0; i < size_; ++i) {
    if (d[i].peer == peer) {
      d[i].attrs = std::move(attrs);
      return;
    }
  }
  CALICO_CHECK(size_ < 0xFFFF);
  if (size_ == 0 && cap_ == 0) {
    one_ = RibPath{std::move(attrs), peer};
    size_ = 1;
    return;
  }
  if (cap_ == 0 || size_ == cap_) {
    const std::size_t new_cap =
        cap_ == 0 ? 2 : std::min<std::size_t>(std::size_t{cap_} * 2, 0xFFFF);
    auto* grown = new RibPath[new_cap];
    for (std::size_t i = 0; i < size_; ++i) {
      grown[i] = std::move(d[i]);
    }
    destroy();
    many_ = grown;
    cap_ = static_cast<std::uint16_t>(new_cap);
  }
  many_[size_] = RibPath{std::move(attrs), peer};
  ++size_;
}

bool RibEntry::erase(PeerId peer) {
  RibPath* d = data();
  std::size_t i = 0;
  while (i < size_ && d[i].peer != peer) {
    ++i;
  }
  if (i == size_) {
    return false;
  }
  // Order does not matter here: the entry is re-decided after every change.
  if (i != size_ - 1u) {
    d[i] = std::move(d[size_ - 1u]);
  }
  d[size_ - 1u] = RibPath{};
  --size_;
  if (cap_ != 0 && size_ <= 1) {
    RibPath keep = size_ == 1 ? std::move(many_[0]) : RibPath{};
    delete[] many_;
    cap_ = 0;
    new (&one_) RibPath(std::move(keep));
  }
  if (mp_count_ > size_) {
    mp_count_ = size_;
  }
  return true;
}

// ---- LocRib ---------------------------------------------------------------------------

LocRib::LocRib(const PeerTable& peers, AttrStore& store) : LocRib(peers, store, Options{}) {}

LocRib::LocRib(const PeerTable& peers, AttrStore& store, Options options)
    : peers_(peers), store_(store), options_(options) {}

LocRib::State LocRib::state_of(const RibEntry& e) const {
  State s;
  if (e.empty()) {
    return s;
  }
  s.best = BestRoute{e[0].attrs, e[0].peer};
  if (e[0].peer == kLocalPeerId) {
    return s;
  }
  const std::size_t n = std::max<std::size_t>(1, std::min(e.multipath_count(), e.size()));
  for (std::size_t i = 0; i < n; ++i) {
    if (e[i].attrs->next_hop) {
      s.next_hops.push_back(*e[i].attrs->next_hop);
    }
  }
  std::sort(s.next_hops.begin(), s.next_hops.end());
  s.next_hops.erase(std::unique(s.next_hops.begin(), s.next_hops.end()), s.next_hops.end());
  return s;
}

void LocRib::decide(RibEntry& e) {
  if (e.size() <= 1) {
    e.set_decision(e.size(), DecisionStep::OnlyPath);
    return;
  }
  scratch_.clear();
  for (const RibPath& p : e) {
    const PeerInfo* info = nullptr;
    if (p.peer != kLocalPeerId) {
      info = peers_.find(p.peer);
      CALICO_CHECK(info != nullptr);  // withdraw a peer's routes before forgetting it
    }
    scratch_.push_back(Candidate{p.attrs.get(), info});
  }
  const Selection sel = select_best(scratch_, options_.max_paths);

  // Reorder to [multipath members in order..., the rest in their current order].
  std::vector<std::size_t> order = sel.multipath;
  std::vector<bool> placed(e.size(), false);
  for (std::size_t i : order) {
    placed[i] = true;
  }
  for (std::size_t i = 0; i < e.size(); ++i) {
    if (!placed[i]) {
      order.push_back(i);
    }
  }
  std::vector<RibPath> moved(e.size());
  for (std::size_t i = 0; i < e.size(); ++i) {
    moved[i] = std::move(e[order[i]]);
  }
  for (std::size_t i = 0; i < e.size(); ++i) {
    e[i] = std::move(moved[i]);
  }
  e.set_decision(sel.multipath.size(), sel.step);
}

std::vector<LocRibChange> LocRib::apply(PeerId peer, std::span<const PathChange> changes) {
  CALICO_CHECK(peer == kLocalPeerId || peers_.find(peer) != nullptr);
  // Group by prefix, keeping the order of changes within a prefix.  AdjRibIn output is
  // already sorted and unique, so the sort is skipped in the common case.
  std::vector<std::size_t> order(changes.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  const bool sorted = std::adjacent_find(changes.begin(), changes.end(),
                                         [](const PathChange& a, const PathChange& b) {
                                           return !(a.prefix < b.prefix);
                                         }) == changes.end();
  if (!sorted) {
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return changes[a].prefix < changes[b].prefix;
    });
  }

  std::vector<LocRibChange> out;
  for (std::size_t g = 0; g < order.size();) {
    const Prefix& prefix = changes[order[g]].prefix;
    std::size_t end = g;
    bool announces = false;
    while (end < order.size() && changes[order[end]].prefix == prefix) {
      announces = announces || static_cast<bool>(changes[order[end]].attrs);
      ++end;
    }
    RibEntry* e = table_.find(prefix);
    if (e == nullptr && !announces) {
      g = end;  // withdrawals of routes we never had
      continue;
    }
    if (e == nullptr) {
      e = table_.try_emplace(prefix).first;
    }
    State before = state_of(*e);
    for (std::size_t k = g; k < end; ++k) {
      const PathChange& c = changes[order[k]];
      if (c.attrs) {
        const std::size_t n = e->size();
        e->set(peer, c.attrs);
        paths_ += e->size() - n;
      } else if (e->erase(peer)) {
        --paths_;
      }
    }
    decide(*e);
    State after = state_of(*e);
    if (!(before.best == after.best) || before.next_hops != after.next_hops) {
      out.push_back(LocRibChange{prefix, std::move(before.best), std::move(after.best),
                                 std::move(after.next_hops)});
    }
    if (e->empty()) {
      table_.erase(prefix);
    }
    g = end;
  }
  return out;
}

Result<std::vector<LocRibChange>, std::string> LocRib::originate(const Prefix& prefix,
                                                                 const PathAttributes& attrs) {
  if (prefix.prefix_len() < 0 || prefix.prefix_len() > prefix.addr().bits()) {
    return fail("originate " + prefix.to_string() + ": invalid prefix length");
  }
  if (!prefix.is_masked()) {
    return fail("originate " + prefix.to_string() + ": host bits set");
  }
  const PathChange change{prefix, store_.intern(attrs)};
  return apply(kLocalPeerId, std::span<const PathChange>(&change, 1));
}

std::vector<LocRibChange> LocRib::withdraw_local(const Prefix& prefix) {
  const PathChange change{prefix, AttrRef{}};
  return apply(kLocalPeerId, std::span<const PathChange>(&change, 1));
}

BestRoute LocRib::best(const Prefix& prefix) const {
  const RibEntry* e = table_.find(prefix);
  return e == nullptr ? BestRoute{} : BestRoute{(*e)[0].attrs, (*e)[0].peer};
}

std::optional<DecisionStep> LocRib::decided_by(const Prefix& prefix) const {
  const RibEntry* e = table_.find(prefix);
  if (e == nullptr) {
    return std::nullopt;
  }
  return e->decided_by();
}

std::vector<net::IpAddr> LocRib::next_hops(const Prefix& prefix) const {
  const RibEntry* e = table_.find(prefix);
  return e == nullptr ? std::vector<net::IpAddr>{} : state_of(*e).next_hops;
}

std::vector<RouteView> LocRib::routes(const Prefix& prefix) const {
  std::vector<RouteView> out;
  const RibEntry* e = table_.find(prefix);
  if (e == nullptr) {
    return out;
  }
  for (std::size_t i = 0; i < e->size(); ++i) {
    out.push_back(RouteView{(*e)[i].peer, (*e)[i].attrs, i == 0, i < e->multipath_count()});
  }
  return out;
}

std::size_t LocRib::memory_bytes() const {
  std::size_t heap = 0;
  table_.for_each([&](const Prefix&, const RibEntry& e) { heap += e.heap_bytes(); });
  return table_.memory_bytes() + heap;
}

}  // namespace calico::bgp
