// Incremental selector membership (see policy/label_index.h for the design).
#include "policy/label_index.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <map>
#include <optional>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "common/result.h"

namespace calico::policy {
namespace {

using ItemId = std::uint32_t;
using SelId = std::uint32_t;

enum class ItemKind : std::uint8_t { Endpoint, NetworkSet };

// What a selector requires of every item it matches (felix's label restriction).  Only
// the positive kinds can index a selector; the negative ones only filter candidates.
struct Restriction {
  enum class Kind : std::uint8_t {
    None,
    Values,      // the label is one of `values`
    Present,     // the label is present
    NotValues,   // the label is absent or none of `values`
    NotPresent,  // the label is absent
  };
  Kind kind = Kind::None;
  std::string label;
  std::vector<std::string> values;  // sorted, unique
  bool positive() const { return kind == Kind::Values || kind == Kind::Present; }
};

void union_values(std::vector<std::string>& into, const std::vector<std::string>& more) {
  std::vector<std::string> out;
  out.reserve(into.size() + more.size());
  std::set_union(into.begin(), into.end(), more.begin(), more.end(), std::back_inserter(out));
  into = std::move(out);
}

// Appends restrictions implied by `n`: each holds for every label map `n` accepts.
// Returns true when `n` is exactly the conjunction of what it appended (then the
// restrictions decide a match without evaluating the selector).
bool collect_restrictions(const api::SelectorNode& n, std::vector<Restriction>& out);

// The restrictions of a negated leaf: !has(l), !(l == v), !(l in {...}) and the double
// negations of != and not in.  Returns whether `inner` was such a leaf.
bool collect_negated(const api::SelectorNode& inner, std::vector<Restriction>& out) {
  using api::SelectorOp;
  using Kind = Restriction::Kind;
  switch (inner.op) {
    case SelectorOp::Has:
      out.push_back({Kind::NotPresent, inner.label, {}});
      return true;
    case SelectorOp::Equal:
      out.push_back({Kind::NotValues, inner.label, {inner.value}});
      return true;
    case SelectorOp::In:
      out.push_back({Kind::NotValues, inner.label, inner.values});
      return true;
    case SelectorOp::NotEqual:
      out.push_back({Kind::Values, inner.label, {inner.value}});
      return true;
    case SelectorOp::NotIn:
      out.push_back({Kind::Values, inner.label, inner.values});
      return true;
    case SelectorOp::Not:  // !!x (written "!(!x)") is x
      return !inner.operands.empty() && collect_restrictions(inner.operands.front(), out);
    default:
      return false;
  }
}

// A positive restriction every branch of an OR implies: per label every branch
// restricts, the union of their values, or presence.
void collect_or(const api::SelectorNode& n, std::vector<Restriction>& out) {
  std::vector<std::vector<Restriction>> branches(n.operands.size());
  for (std::size_t i = 0; i < n.operands.size(); ++i) {
    collect_restrictions(n.operands[i], branches[i]);
    std::erase_if(branches[i], [](const Restriction& r) { return !r.positive(); });
    if (branches[i].empty()) {
      return;
    }
  }
  if (branches.empty()) {
    return;
  }
  for (const Restriction& first : branches.front()) {
    Restriction merged = first;
    bool everywhere = true;
    for (std::size_t i = 1; i < branches.size() && everywhere; ++i) {
      const auto it = std::find_if(branches[i].begin(), branches[i].end(),
                                   [&](const Restriction& r) { return r.label == first.label; });
      if (it == branches[i].end()) {
        everywhere = false;
      } else if (merged.kind == Restriction::Kind::Values &&
                 it->kind == Restriction::Kind::Values) {
        union_values(merged.values, it->values);
      } else {
        merged.kind = Restriction::Kind::Present;
        merged.values.clear();
      }
    }
    if (everywhere) {
      out.push_back(std::move(merged));
    }
  }
}

// Appends restrictions implied by `n`: each holds for every label map `n` accepts.
// Returns true when `n` is exactly the conjunction of what it appended (then the
// restrictions decide a match without evaluating the selector).
bool collect_restrictions(const api::SelectorNode& n, std::vector<Restriction>& out) {
  using api::SelectorOp;
  using Kind = Restriction::Kind;
  switch (n.op) {
    case SelectorOp::Equal:
      out.push_back({Kind::Values, n.label, {n.value}});
      return true;
    case SelectorOp::In:  // `in {}` never matches: a Values restriction with no value
      out.push_back({Kind::Values, n.label, n.values});
      return true;
    case SelectorOp::Has:
      out.push_back({Kind::Present, n.label, {}});
      return true;
    case SelectorOp::NotEqual:
      out.push_back({Kind::NotValues, n.label, {n.value}});
      return true;
    case SelectorOp::NotIn:
      out.push_back({Kind::NotValues, n.label, n.values});
      return true;
    case SelectorOp::Contains:
    case SelectorOp::StartsWith:
    case SelectorOp::EndsWith:
      out.push_back({Kind::Present, n.label, {}});
      return false;
    case SelectorOp::All:
    case SelectorOp::Global:
      return true;  // always true: the empty conjunction
    case SelectorOp::And: {
      bool exact = true;
      for (const auto& o : n.operands) {
        exact = collect_restrictions(o, out) && exact;
      }
      return exact;
    }
    case SelectorOp::Not:
      return !n.operands.empty() && collect_negated(n.operands.front(), out);
    case SelectorOp::Or:
      collect_or(n, out);
      return false;
  }
  return false;
}

void insert_sorted(std::vector<SelId>& v, SelId s) {
  if (v.empty() || v.back() < s) {
    v.push_back(s);
  } else {
    v.insert(std::lower_bound(v.begin(), v.end(), s), s);
  }
}

void erase_sorted(std::vector<SelId>& v, SelId s) {
  const auto it = std::lower_bound(v.begin(), v.end(), s);
  if (it != v.end() && *it == s) {
    v.erase(it);
  }
}

void erase_one(std::vector<SelId>& v, SelId s) {
  const auto it = std::find(v.begin(), v.end(), s);
  if (it != v.end()) {
    *it = v.back();
    v.pop_back();
  }
}

bool contains_sorted(const std::vector<SelId>& v, SelId s) {
  return std::binary_search(v.begin(), v.end(), s);
}

std::uint64_t mix(std::uint64_t x) {  // splitmix64 finaliser
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

struct CidrHash {
  std::size_t operator()(const net::Cidr& c) const {
    const auto& bytes = c.addr().bytes();
    std::uint64_t hi = 0;
    std::uint64_t lo = 0;
    std::memcpy(&hi, bytes.data(), sizeof hi);
    std::memcpy(&lo, bytes.data() + sizeof hi, sizeof lo);
    const auto rest = static_cast<std::uint64_t>(c.prefix_len());
    return static_cast<std::size_t>(mix(hi ^ mix(lo ^ mix(rest))));
  }
};

struct KeyHash {
  std::size_t operator()(const EndpointKey& k) const {
    const std::hash<std::string> h;
    return static_cast<std::size_t>(mix(h(k.ns) ^ mix(h(k.name))));
  }
};

bool named_port_less(const NamedPort& a, const NamedPort& b) {
  return std::tie(a.name, a.protocol, a.port) < std::tie(b.name, b.protocol, b.port);
}

std::uint64_t load_be64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) {
    v = v << 8 | p[i];
  }
  return v;
}

// The order of SetMember's operator<=> (family, address bytes, prefix length, protocol,
// port) without a memcmp call per comparison: sorting large sets is a hot path.
struct MemberLess {
  bool operator()(const SetMember& a, const SetMember& b) const;
};

inline bool MemberLess::operator()(const SetMember& a, const SetMember& b) const {
  const net::IpAddr& x = a.cidr.addr();
  const net::IpAddr& y = b.cidr.addr();
  if (x.family() != y.family()) {
    return x.family() < y.family();
  }
  const std::uint64_t xh = load_be64(x.bytes().data());
  const std::uint64_t yh = load_be64(y.bytes().data());
  if (xh != yh) {
    return xh < yh;
  }
  const std::uint64_t xl = load_be64(x.bytes().data() + 8);
  const std::uint64_t yl = load_be64(y.bytes().data() + 8);
  if (xl != yl) {
    return xl < yl;
  }
  const int xlen = a.cidr.prefix_len();
  const int ylen = b.cidr.prefix_len();
  return std::tie(xlen, a.protocol, a.port) < std::tie(ylen, b.protocol, b.port);
}

struct MemberEq {
  bool operator()(const SetMember& a, const SetMember& b) const {
    return !MemberLess{}(a, b) && !MemberLess{}(b, a);
  }
};

// Records that `key` moved to state `now` since the last take: an opposite pending change
// cancels out.
template <class Key>
void note(std::map<Key, bool>& pending, const Key& key, bool now) {
  const auto [it, inserted] = pending.try_emplace(key, now);
  if (!inserted) {
    CALICO_CHECK(it->second != now);  // membership alternates
    pending.erase(it);
  }
}

}  // namespace

struct LabelIndex::Impl {
  // An endpoint or a network set.
  struct Item {
    ItemKind kind = ItemKind::Endpoint;
    EndpointKey key;
    bool local = false;
    std::vector<std::string> inherited;  // labels its profiles gave it (own ones win)
    std::vector<std::string> profiles;
    Labels labels;  // effective labels
    // What the item gives an IP set it matches; sorted, without duplicates.
    std::vector<net::Cidr> cidrs;  // endpoint: its addresses as /32, /128; set: its nets
    std::vector<NamedPort> ports;  // endpoints only
    std::vector<SelId> matched;    // sorted
  };

  // Membership is not stored: it is what the items matching the selector give (see
  // for_each_member).  A member is shared when several of them give it (reference
  // counting without counts: on a change, the other givers are looked up in by_cidr_).
  struct IpSet {
    std::string id;
    IpSetSpec spec;
    SelId sel = 0;
    // The ordered view members() returns: built on first request, then kept up to date.
    std::optional<std::set<SetMember>> sorted;
    // Not yet reported: the next take reports all members as added, and `pending` is
    // not kept (loading thousands of sets costs no per-member bookkeeping).
    bool fresh = true;
    std::map<SetMember, bool> pending;  // member -> added (true) / removed (false)
    bool dirty = false;                 // id listed in dirty_sets_
  };

  struct SelectorEntry {
    api::Selector selector;
    std::string text;  // canonical, the key in by_text_
    Restriction restriction;
    std::vector<IpSet*> ip_sets;                  // selector and named-port sets using it
    std::vector<std::string> endpoint_selectors;  // ids
    std::uint64_t stamp = 0;                      // visit mark of matching_selectors()
    bool unused() const { return ip_sets.empty() && endpoint_selectors.empty(); }
  };

  struct ValueIndex {
    std::vector<SelId> selectors;  // restricted to this value (== or in)
    std::vector<ItemId> items;     // sorted (ids mostly grow: appends)
  };

  struct LabelEntry {
    std::unordered_map<std::string, ValueIndex> values;
    std::vector<SelId> has_selectors;  // restricted to the label's presence
    std::vector<ItemId> items;         // sorted: items carrying the label
  };

  std::deque<Item> items_;  // stable references
  std::vector<ItemId> free_items_;
  std::unordered_map<EndpointKey, ItemId, KeyHash> endpoints_;
  std::unordered_map<EndpointKey, ItemId, KeyHash> network_sets_;  // {ns, name}
  std::unordered_map<std::string, Labels> profiles_;
  std::unordered_map<std::string, std::vector<ItemId>> profile_users_;    // sorted
  std::unordered_map<net::Cidr, std::vector<ItemId>, CidrHash> by_cidr_;  // who gives it

  std::vector<std::unique_ptr<SelectorEntry>> sels_;  // null: free slot
  std::vector<SelId> free_sels_;
  std::unordered_map<std::string, SelId> by_text_;
  std::unordered_map<std::string, LabelEntry> labels_;
  std::vector<SelId> unrestricted_;

  std::map<std::string, std::unique_ptr<IpSet>> ip_sets_;
  std::vector<std::string> dirty_sets_;  // may hold duplicates and removed ids
  std::map<std::string, SelId> endpoint_selectors_;
  std::map<std::pair<std::string, EndpointKey>, bool> pending_matches_;

  std::uint64_t stamp_ = 0;
  std::uint64_t evaluations_ = 0;

  // ---- items ----

  ItemId alloc_item(ItemKind kind, EndpointKey key) {
    ItemId id = 0;
    if (free_items_.empty()) {
      id = static_cast<ItemId>(items_.size());
      items_.emplace_back();
    } else {
      id = free_items_.back();
      free_items_.pop_back();
    }
    items_[id] = Item{};
    items_[id].kind = kind;
    items_[id].key = std::move(key);
    return id;
  }

  // `base` (labels_before_profiles) plus what `profiles` give (policy/model.h);
  // `inherited` receives the names of the labels the profiles gave.
  Labels with_profiles(Labels base, const std::vector<std::string>& profiles,
                       std::vector<std::string>& inherited) const {
    inherited.clear();
    for (const auto& name : profiles) {
      const auto p = profiles_.find(name);
      if (p != profiles_.end()) {
        inherit_labels(base, p->second, &inherited);
      }
    }
    return base;
  }

  void set_profiles(ItemId id, const std::vector<std::string>& profiles) {
    Item& it = items_[id];
    if (it.profiles == profiles) {
      return;
    }
    for (const auto& p : it.profiles) {
      const auto u = profile_users_.find(p);
      if (u != profile_users_.end()) {
        erase_sorted(u->second, id);
        if (u->second.empty()) {
          profile_users_.erase(u);
        }
      }
    }
    for (const auto& p : profiles) {
      auto& users = profile_users_[p];
      if (!contains_sorted(users, id)) {
        insert_sorted(users, id);
      }
    }
    it.profiles = profiles;
  }

  void index_label(ItemId id, const std::string& k, const std::string& v) {
    LabelEntry& le = labels_[k];
    insert_sorted(le.values[v].items, id);
    insert_sorted(le.items, id);
  }

  void unindex_label(ItemId id, const std::string& k, const std::string& v) {
    const auto li = labels_.find(k);
    CALICO_CHECK(li != labels_.end());
    const auto vi = li->second.values.find(v);
    CALICO_CHECK(vi != li->second.values.end());
    erase_sorted(vi->second.items, id);
    erase_sorted(li->second.items, id);
    if (vi->second.items.empty() && vi->second.selectors.empty()) {
      li->second.values.erase(vi);
    }
    if (li->second.values.empty() && li->second.has_selectors.empty()) {
      labels_.erase(li);
    }
  }

  // Moves item `id` in the (label, value) index from `before` to `after`.
  void reindex_labels(ItemId id, const Labels& before, const Labels& after) {
    auto b = before.begin();
    auto a = after.begin();
    while (b != before.end() || a != after.end()) {
      if (a == after.end() || (b != before.end() && b->first < a->first)) {
        unindex_label(id, b->first, b->second);
        ++b;
      } else if (b == before.end() || a->first < b->first) {
        index_label(id, a->first, a->second);
        ++a;
      } else {
        if (a->second != b->second) {
          unindex_label(id, b->first, b->second);
          index_label(id, a->first, a->second);
        }
        ++a;
        ++b;
      }
    }
  }

  // The selectors matching `labels`, sorted; evaluates only those whose restriction the
  // labels satisfy, and the unrestricted ones.
  std::vector<SelId> matching_selectors(const Labels& labels) {
    ++stamp_;
    std::vector<SelId> out;
    const auto visit = [&](SelId s) {
      SelectorEntry& e = *sels_[s];
      if (e.stamp == stamp_) {
        return;
      }
      e.stamp = stamp_;
      ++evaluations_;
      if (e.selector.evaluate(labels)) {
        out.push_back(s);
      }
    };
    for (const SelId s : unrestricted_) {
      visit(s);
    }
    for (const auto& [k, v] : labels) {
      const auto li = labels_.find(k);
      if (li == labels_.end()) {
        continue;
      }
      for (const SelId s : li->second.has_selectors) {
        visit(s);
      }
      const auto vi = li->second.values.find(v);
      if (vi != li->second.values.end()) {
        for (const SelId s : vi->second.selectors) {
          visit(s);
        }
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  void index_cidrs(ItemId id, const std::vector<net::Cidr>& cidrs, bool add) {
    for (const auto& c : cidrs) {
      if (add) {
        by_cidr_[c].push_back(id);
        continue;
      }
      const auto it = by_cidr_.find(c);
      CALICO_CHECK(it != by_cidr_.end());
      erase_one(it->second, id);
      if (it->second.empty()) {
        by_cidr_.erase(it);
      }
    }
  }

  // Moves item `id` to `labels` and, when `data` is given, to its addresses, ports and
  // locality; updates memberships and contributions.  `is_new`: nothing matched yet.
  void update_item(ItemId id, Labels labels, Item* data, bool is_new) {
    Item& cur = items_[id];
    const bool labels_same = !is_new && labels == cur.labels;
    const bool data_same =
        data == nullptr ||
        (data->cidrs == cur.cidrs && data->ports == cur.ports && data->local == cur.local);
    if (labels_same && data_same) {
      return;
    }
    std::vector<SelId> now = labels_same ? cur.matched : matching_selectors(labels);
    // Leaving (or changing what it gives) while by_cidr_ still holds the old data.
    for (const SelId s : cur.matched) {
      if (!data_same || !contains_sorted(now, s)) {
        contribute(s, id, cur, false);
      }
    }
    if (!labels_same) {
      reindex_labels(id, cur.labels, labels);
      cur.labels = std::move(labels);
    }
    if (!data_same) {
      index_cidrs(id, cur.cidrs, false);
      cur.cidrs = std::move(data->cidrs);
      cur.ports = std::move(data->ports);
      cur.local = data->local;
      index_cidrs(id, cur.cidrs, true);
    }
    const std::vector<SelId> before = std::exchange(cur.matched, std::move(now));
    for (const SelId s : cur.matched) {
      if (!data_same || !contains_sorted(before, s)) {
        contribute(s, id, cur, true);
      }
    }
  }

  // Recomputes the labels item `id` inherits (a profile changed).
  void relabel(ItemId id) {
    Item& it = items_[id];
    Labels base = it.labels;
    for (const auto& k : it.inherited) {
      base.erase(k);
    }
    Labels labels = with_profiles(std::move(base), it.profiles, it.inherited);
    update_item(id, std::move(labels), nullptr, false);
  }

  void remove_item(ItemId id) {
    Item& cur = items_[id];
    for (const SelId s : cur.matched) {
      contribute(s, id, cur, false);
    }
    index_cidrs(id, cur.cidrs, false);
    reindex_labels(id, cur.labels, {});
    set_profiles(id, {});
    cur = Item{};
    free_items_.push_back(id);
  }

  // ---- set membership ----

  // Calls f(member) for each member item `it` gives set `s` when it matches: its
  // addresses / nets, or for a named-port set its ports of that name at each address
  // (network sets have no ports).  Distinct, since cidrs and ports are.
  template <class F>
  static void for_each_member(const IpSet& s, const Item& it, F&& f) {
    if (s.spec.named_port.empty()) {
      for (const auto& c : it.cidrs) {
        f(SetMember{c});
      }
      return;
    }
    for (const auto& np : it.ports) {
      if (np.name != s.spec.named_port) {
        continue;
      }
      for (const auto& c : it.cidrs) {
        f(SetMember{c, np.protocol, np.port});
      }
    }
  }

  // Whether an item other than `self` matching the set's selector gives `m`.
  bool given_by_other(const IpSet& s, ItemId self, const SetMember& m) const {
    const auto f = by_cidr_.find(m.cidr);
    if (f == by_cidr_.end()) {
      return false;
    }
    for (const ItemId other : f->second) {
      const Item& it = items_[other];
      if (other == self || !contains_sorted(it.matched, s.sel)) {
        continue;
      }
      if (s.spec.named_port.empty() ||
          std::any_of(it.ports.begin(), it.ports.end(), [&](const NamedPort& np) {
            return np.name == s.spec.named_port && np.protocol == m.protocol && np.port == m.port;
          })) {
        return true;
      }
    }
    return false;
  }

  // The members of `s`, sorted.
  std::vector<SetMember> sorted_members(const IpSet& s) const {
    if (s.sorted) {
      return {s.sorted->begin(), s.sorted->end()};
    }
    std::vector<SetMember> out;
    for_each_match(s.sel, [&](ItemId id) {
      for_each_member(s, items_[id], [&](const SetMember& m) { out.push_back(m); });
    });
    std::sort(out.begin(), out.end(), MemberLess{});
    out.erase(std::unique(out.begin(), out.end(), MemberEq{}), out.end());
    return out;
  }

  void mark_dirty(IpSet& s) {
    if (!s.dirty) {
      s.dirty = true;
      dirty_sets_.push_back(s.id);
    }
  }

  // Item `id` starts (add) or stops giving its members to set `s`; a member changes only
  // when no other matching item gives it.
  void contribute(IpSet& s, ItemId id, const Item& it, bool add) {
    if (s.fresh && !s.sorted) {
      return;  // nothing to keep up to date: members are enumerated when asked for
    }
    for_each_member(s, it, [&](const SetMember& m) {
      if (given_by_other(s, id, m)) {
        return;
      }
      if (s.sorted) {
        if (add) {
          s.sorted->insert(m);
        } else {
          s.sorted->erase(m);
        }
      }
      if (!s.fresh) {
        note(s.pending, m, add);
        mark_dirty(s);
      }
    });
  }

  void note_match(const std::string& selector_id, const EndpointKey& key, bool matched) {
    note(pending_matches_, std::make_pair(selector_id, key), matched);
  }

  bool matchable(const Item& it) const { return it.kind == ItemKind::Endpoint && it.local; }

  // Item `id` starts (add) or stops matching selector `s`, or changes what it gives:
  // every user of `s` hears of it.
  void contribute(SelId s, ItemId id, const Item& it, bool add) {
    SelectorEntry& e = *sels_[s];
    for (IpSet* set : e.ip_sets) {
      contribute(*set, id, it, add);
    }
    if (matchable(it)) {
      for (const auto& selector_id : e.endpoint_selectors) {
        note_match(selector_id, it.key, add);
      }
    }
  }

  // ---- selectors ----

  // Items carrying (label, value), for each value, or carrying the label.
  std::pair<std::size_t, std::size_t> restriction_cost(const Restriction& r) const {
    const auto li = labels_.find(r.label);
    if (li == labels_.end()) {
      return {0, 0};
    }
    if (r.kind == Restriction::Kind::Present) {
      return {li->second.items.size(), li->second.has_selectors.size()};
    }
    std::size_t items = 0;
    std::size_t load = 0;
    for (const auto& v : r.values) {
      const auto vi = li->second.values.find(v);
      if (vi != li->second.values.end()) {
        items += vi->second.items.size();
        load += vi->second.selectors.size();
      }
    }
    return {items, load};
  }

  // The most selective of `all` (index; all.size() if empty): fewest items admitted now,
  // then == over in over has, then the fewest selectors already indexed there (spreads
  // selectors added before the data over their labels rather than piling them on one).
  std::size_t choose_restriction(const std::vector<Restriction>& all) const {
    std::size_t best = all.size();
    std::tuple<std::size_t, int, std::size_t> best_key{};
    for (std::size_t i = 0; i < all.size(); ++i) {
      const Restriction& r = all[i];
      if (!r.positive()) {
        continue;
      }
      const auto [items, load] = restriction_cost(r);
      const int rank = r.kind == Restriction::Kind::Present ? 2 : (r.values.size() <= 1 ? 0 : 1);
      const std::tuple<std::size_t, int, std::size_t> key{items, rank, load};
      if (best == all.size() || key < best_key) {
        best = i;
        best_key = key;
      }
    }
    return best;
  }

  // The sorted item lists a restriction admits (one per value, or the label's list).
  std::vector<const std::vector<ItemId>*> item_lists(const Restriction& r) const {
    std::vector<const std::vector<ItemId>*> out;
    const auto li = labels_.find(r.label);
    if (li == labels_.end()) {
      return out;
    }
    if (r.kind == Restriction::Kind::Present || r.kind == Restriction::Kind::NotPresent) {
      out.push_back(&li->second.items);
      return out;
    }
    for (const auto& v : r.values) {
      const auto vi = li->second.values.find(v);
      if (vi != li->second.values.end()) {
        out.push_back(&vi->second.items);
      }
    }
    return out;
  }

  void index_selector(SelId s, const Restriction& r) {
    switch (r.kind) {
      case Restriction::Kind::None:
        unrestricted_.push_back(s);
        return;
      case Restriction::Kind::Present:
        labels_[r.label].has_selectors.push_back(s);
        return;
      case Restriction::Kind::Values:
        if (r.values.empty()) {
          return;  // matches nothing: never a candidate
        }
        for (const auto& v : r.values) {
          labels_[r.label].values[v].selectors.push_back(s);
        }
        return;
      case Restriction::Kind::NotValues:
      case Restriction::Kind::NotPresent:
        CALICO_CHECK(!"a negative restriction never indexes a selector");
    }
  }

  void unindex_selector(SelId s, const Restriction& r) {
    if (r.kind == Restriction::Kind::None) {
      erase_one(unrestricted_, s);
      return;
    }
    const auto li = labels_.find(r.label);
    if (li == labels_.end()) {
      return;  // `in {}`: never indexed
    }
    LabelEntry& le = li->second;
    if (r.kind == Restriction::Kind::Present) {
      erase_one(le.has_selectors, s);
    } else {
      for (const auto& v : r.values) {
        const auto vi = le.values.find(v);
        CALICO_CHECK(vi != le.values.end());
        erase_one(vi->second.selectors, s);
        if (vi->second.selectors.empty() && vi->second.items.empty()) {
          le.values.erase(vi);
        }
      }
    }
    if (le.values.empty() && le.has_selectors.empty()) {
      labels_.erase(li);
    }
  }

  // Calls f(item) for every item the restriction admits.
  template <class F>
  void for_each_candidate(const Restriction& r, F&& f) const {
    if (r.kind == Restriction::Kind::None) {
      for (const auto& [key, id] : endpoints_) {
        f(id);
      }
      for (const auto& [key, id] : network_sets_) {
        f(id);
      }
      return;
    }
    const auto li = labels_.find(r.label);
    if (li == labels_.end()) {
      return;
    }
    if (r.kind == Restriction::Kind::Present) {
      for (const ItemId id : li->second.items) {
        f(id);
      }
      return;
    }
    for (const auto& v : r.values) {
      const auto vi = li->second.values.find(v);
      if (vi != li->second.values.end()) {
        for (const ItemId id : vi->second.items) {
          f(id);
        }
      }
    }
  }

  // Calls f(item) for every item selector `s` matches.
  template <class F>
  void for_each_match(SelId s, F&& f) const {
    for_each_candidate(sels_[s]->restriction, [&](ItemId id) {
      if (contains_sorted(items_[id].matched, s)) {
        f(id);
      }
    });
  }

  // The entry for `sel` (shared by canonical text), created and matched if new.
  SelId acquire(api::Selector sel) {
    std::string text = sel.to_string();
    if (const auto f = by_text_.find(text); f != by_text_.end()) {
      return f->second;
    }
    SelId s = 0;
    if (free_sels_.empty()) {
      s = static_cast<SelId>(sels_.size());
      sels_.emplace_back();
    } else {
      s = free_sels_.back();
      free_sels_.pop_back();
    }
    sels_[s] = std::make_unique<SelectorEntry>();
    SelectorEntry& e = *sels_[s];
    e.selector = std::move(sel);
    e.text = text;
    std::vector<Restriction> all;
    const bool exact = collect_restrictions(e.selector.root(), all);
    const std::size_t chosen = choose_restriction(all);
    if (chosen < all.size()) {
      e.restriction = all[chosen];
    }
    index_selector(s, e.restriction);
    by_text_.emplace(std::move(text), s);
    // The other restrictions filter the candidates cheaply (sorted id lists) before the
    // selector is evaluated; when they are the whole selector, no evaluation is needed.
    struct Filter {
      bool negative = false;  // the item must be in none of the lists
      std::vector<const std::vector<ItemId>*> lists;
    };
    std::vector<Filter> filters;
    for (std::size_t i = 0; i < all.size(); ++i) {
      if (i != chosen) {
        Filter f{!all[i].positive(), item_lists(all[i])};
        if (!f.negative || !f.lists.empty()) {
          filters.push_back(std::move(f));
        }
      }
    }
    const auto passes = [&](ItemId id) {
      return std::all_of(filters.begin(), filters.end(), [&](const Filter& f) {
        const bool listed =
            std::any_of(f.lists.begin(), f.lists.end(),
                        [&](const std::vector<ItemId>* l) { return contains_sorted(*l, id); });
        return listed != f.negative;
      });
    };
    for_each_candidate(e.restriction, [&](ItemId id) {
      if (!passes(id)) {
        return;
      }
      if (!exact) {
        ++evaluations_;
        if (!e.selector.evaluate(items_[id].labels)) {
          return;
        }
      }
      insert_sorted(items_[id].matched, s);
    });
    return s;
  }

  void release_if_unused(SelId s) {
    SelectorEntry& e = *sels_[s];
    if (!e.unused()) {
      return;
    }
    for_each_candidate(e.restriction, [&](ItemId id) { erase_sorted(items_[id].matched, s); });
    unindex_selector(s, e.restriction);
    by_text_.erase(e.text);
    sels_[s].reset();
    free_sels_.push_back(s);
  }

  void detach(IpSet& set) {
    auto& users = sels_[set.sel]->ip_sets;
    users.erase(std::find(users.begin(), users.end(), &set));
    release_if_unused(set.sel);
  }
};

LabelIndex::LabelIndex() : impl_(std::make_unique<Impl>()) {}
LabelIndex::~LabelIndex() = default;
LabelIndex::LabelIndex(LabelIndex&&) noexcept = default;
LabelIndex& LabelIndex::operator=(LabelIndex&&) noexcept = default;

void LabelIndex::add_ip_set(const std::string& id, IpSetSpec spec) {
  Impl& m = *impl_;
  const auto found = m.ip_sets_.find(id);
  if (found != m.ip_sets_.end() && found->second->spec == spec) {
    return;
  }
  auto next = std::make_unique<Impl::IpSet>();
  next->id = id;
  next->spec = std::move(spec);
  next->sel = m.acquire(next->spec.selector);
  m.sels_[next->sel]->ip_sets.push_back(next.get());
  if (found == m.ip_sets_.end()) {
    m.mark_dirty(*next);
    m.ip_sets_.emplace(id, std::move(next));
    return;
  }
  Impl::IpSet& old = *found->second;
  if (old.fresh) {  // nothing reported yet: the new set is reported whole
    m.mark_dirty(*next);
    m.detach(old);
    found->second = std::move(next);
    return;
  }
  // Replacement: report old -> new on top of what the old set had pending.
  next->fresh = false;
  std::map<SetMember, bool> pending = std::move(old.pending);
  const std::vector<SetMember> before = m.sorted_members(old);
  const std::vector<SetMember> after = m.sorted_members(*next);
  std::vector<SetMember> gone;
  std::set_difference(before.begin(), before.end(), after.begin(), after.end(),
                      std::back_inserter(gone), MemberLess{});
  std::vector<SetMember> came;
  std::set_difference(after.begin(), after.end(), before.begin(), before.end(),
                      std::back_inserter(came), MemberLess{});
  for (const auto& mem : gone) {
    note(pending, mem, false);
  }
  for (const auto& mem : came) {
    note(pending, mem, true);
  }
  next->pending = std::move(pending);
  next->dirty = false;
  if (!next->pending.empty()) {
    m.mark_dirty(*next);
  }
  m.detach(old);
  found->second = std::move(next);
}

void LabelIndex::remove_ip_set(const std::string& id) {
  Impl& m = *impl_;
  const auto found = m.ip_sets_.find(id);
  if (found == m.ip_sets_.end()) {
    return;
  }
  m.detach(*found->second);
  m.ip_sets_.erase(found);  // its dirty_sets_ entry is skipped by take_member_deltas
}

const std::set<SetMember>* LabelIndex::members(const std::string& id) const {
  const auto found = impl_->ip_sets_.find(id);
  if (found == impl_->ip_sets_.end()) {
    return nullptr;
  }
  Impl::IpSet& s = *found->second;
  if (!s.sorted) {  // a cache: logically const
    const std::vector<SetMember> v = impl_->sorted_members(s);
    s.sorted.emplace(v.begin(), v.end());
  }
  return &*s.sorted;
}

void LabelIndex::add_endpoint_selector(const std::string& id, api::Selector selector) {
  Impl& m = *impl_;
  const SelId next = m.acquire(std::move(selector));
  const auto found = m.endpoint_selectors_.find(id);
  std::optional<SelId> old;
  if (found != m.endpoint_selectors_.end()) {
    if (found->second == next) {
      return;
    }
    old = found->second;
    m.for_each_match(*old, [&](ItemId item) {
      if (m.matchable(m.items_[item])) {
        m.note_match(id, m.items_[item].key, false);
      }
    });
    Impl::SelectorEntry& e = *m.sels_[*old];
    e.endpoint_selectors.erase(
        std::find(e.endpoint_selectors.begin(), e.endpoint_selectors.end(), id));
    found->second = next;
  } else {
    m.endpoint_selectors_.emplace(id, next);
  }
  m.sels_[next]->endpoint_selectors.push_back(id);
  m.for_each_match(next, [&](ItemId item) {
    if (m.matchable(m.items_[item])) {
      m.note_match(id, m.items_[item].key, true);
    }
  });
  if (old) {
    m.release_if_unused(*old);
  }
}

void LabelIndex::remove_endpoint_selector(const std::string& id) {
  Impl& m = *impl_;
  const auto found = m.endpoint_selectors_.find(id);
  if (found == m.endpoint_selectors_.end()) {
    return;
  }
  const SelId s = found->second;
  auto& users = m.sels_[s]->endpoint_selectors;
  users.erase(std::find(users.begin(), users.end(), id));
  m.endpoint_selectors_.erase(found);
  m.release_if_unused(s);
  auto it = m.pending_matches_.lower_bound({id, EndpointKey{}});
  while (it != m.pending_matches_.end() && it->first.first == id) {
    it = m.pending_matches_.erase(it);
  }
}

std::vector<EndpointKey> LabelIndex::matching_endpoints(const std::string& id) const {
  std::vector<EndpointKey> out;
  const auto found = impl_->endpoint_selectors_.find(id);
  if (found == impl_->endpoint_selectors_.end()) {
    return out;
  }
  impl_->for_each_match(found->second, [&](ItemId item) {
    if (impl_->matchable(impl_->items_[item])) {
      out.push_back(impl_->items_[item].key);
    }
  });
  std::sort(out.begin(), out.end());
  return out;
}

void LabelIndex::upsert_endpoint(const Endpoint& ep, bool local) {
  Impl& m = *impl_;
  const auto [it, inserted] = m.endpoints_.try_emplace(ep.key(), 0);
  if (inserted) {
    it->second = m.alloc_item(ItemKind::Endpoint, ep.key());
  }
  const ItemId id = it->second;
  m.set_profiles(id, ep.profiles);
  Labels labels = m.with_profiles(labels_before_profiles(ep), ep.profiles, m.items_[id].inherited);
  Impl::Item data;
  data.local = local;
  data.ports = ep.ports;
  std::sort(data.ports.begin(), data.ports.end(), named_port_less);
  data.ports.erase(std::unique(data.ports.begin(), data.ports.end()), data.ports.end());
  data.cidrs.reserve(ep.addrs.size());
  for (const auto& a : ep.addrs) {
    data.cidrs.emplace_back(a, a.bits());
  }
  std::sort(data.cidrs.begin(), data.cidrs.end());
  data.cidrs.erase(std::unique(data.cidrs.begin(), data.cidrs.end()), data.cidrs.end());
  m.update_item(id, std::move(labels), &data, inserted);
}

void LabelIndex::remove_endpoint(const EndpointKey& key) {
  Impl& m = *impl_;
  const auto found = m.endpoints_.find(key);
  if (found == m.endpoints_.end()) {
    return;
  }
  m.remove_item(found->second);
  m.endpoints_.erase(found);
}

void LabelIndex::upsert_network_set(const NetworkSetEntry& set) {
  Impl& m = *impl_;
  const auto [it, inserted] = m.network_sets_.try_emplace(EndpointKey{set.ns, set.name}, 0);
  if (inserted) {
    it->second = m.alloc_item(ItemKind::NetworkSet, EndpointKey{set.ns, set.name});
  }
  const ItemId id = it->second;
  m.set_profiles(id, set.profiles);
  Labels labels =
      m.with_profiles(labels_before_profiles(set), set.profiles, m.items_[id].inherited);
  Impl::Item data;
  data.cidrs = set.nets;
  std::sort(data.cidrs.begin(), data.cidrs.end());
  data.cidrs.erase(std::unique(data.cidrs.begin(), data.cidrs.end()), data.cidrs.end());
  m.update_item(id, std::move(labels), &data, inserted);
}

void LabelIndex::remove_network_set(const std::string& ns, const std::string& name) {
  Impl& m = *impl_;
  const auto found = m.network_sets_.find(EndpointKey{ns, name});
  if (found == m.network_sets_.end()) {
    return;
  }
  m.remove_item(found->second);
  m.network_sets_.erase(found);
}

void LabelIndex::upsert_profile(const std::string& name, const Labels& labels_to_apply) {
  Impl& m = *impl_;
  const auto [it, inserted] = m.profiles_.try_emplace(name, labels_to_apply);
  if (!inserted) {
    if (it->second == labels_to_apply) {
      return;
    }
    it->second = labels_to_apply;
  }
  const auto users = m.profile_users_.find(name);
  if (users != m.profile_users_.end()) {
    for (const ItemId id : users->second) {
      m.relabel(id);
    }
  }
}

void LabelIndex::remove_profile(const std::string& name) {
  Impl& m = *impl_;
  if (m.profiles_.erase(name) == 0) {
    return;
  }
  const auto users = m.profile_users_.find(name);
  if (users != m.profile_users_.end()) {
    for (const ItemId id : users->second) {
      m.relabel(id);
    }
  }
}

std::vector<MemberDelta> LabelIndex::take_member_deltas() {
  Impl& m = *impl_;
  std::sort(m.dirty_sets_.begin(), m.dirty_sets_.end());
  m.dirty_sets_.erase(std::unique(m.dirty_sets_.begin(), m.dirty_sets_.end()), m.dirty_sets_.end());
  std::vector<MemberDelta> out;
  for (const auto& id : m.dirty_sets_) {
    const auto found = m.ip_sets_.find(id);
    if (found == m.ip_sets_.end() || !found->second->dirty) {
      continue;
    }
    Impl::IpSet& s = *found->second;
    s.dirty = false;
    MemberDelta d;
    d.set_id = id;
    if (s.fresh) {
      s.fresh = false;
      d.added = m.sorted_members(s);
    } else {
      for (const auto& [mem, added] : s.pending) {
        (added ? d.added : d.removed).push_back(mem);
      }
      s.pending.clear();
    }
    if (!d.added.empty() || !d.removed.empty()) {
      out.push_back(std::move(d));
    }
  }
  m.dirty_sets_.clear();
  return out;
}

std::vector<MatchDelta> LabelIndex::take_match_deltas() {
  std::vector<MatchDelta> out;
  out.reserve(impl_->pending_matches_.size());
  for (const auto& [key, matched] : impl_->pending_matches_) {
    out.push_back(MatchDelta{key.first, key.second, matched});
  }
  impl_->pending_matches_.clear();
  return out;
}

Labels LabelIndex::effective_labels(const EndpointKey& key) const {
  const auto found = impl_->endpoints_.find(key);
  return found == impl_->endpoints_.end() ? Labels{} : impl_->items_[found->second].labels;
}

std::uint64_t LabelIndex::evaluations_for_test() const {
  return impl_->evaluations_;
}

std::size_t LabelIndex::selector_count_for_test() const {
  return impl_->by_text_.size();
}

std::size_t LabelIndex::unrestricted_count_for_test() const {
  return impl_->unrestricted_.size();
}

}  // namespace calico::policy
