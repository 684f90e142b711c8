// Adj-RIB-Out state and UPDATE packing (see adj_rib_out.h).
#include "bgp/rib/adj_rib_out.h"

#include <algorithm>
#include <unordered_map>

#include "bgp/wire/codec.h"

namespace calico::bgp {

namespace {

// The largest NLRI encoding of a family: 1 length octet + the full address.
std::size_t max_prefix_wire_size(net::Family f) {
  return f == net::Family::V4 ? 1 + 4 : 1 + 16;
}

AfiSafi family_af(net::Family f) {
  return f == net::Family::V4 ? kIpv4Unicast : kIpv6Unicast;
}

std::optional<AfiSafi> mp_family(net::Family f) {
  return f == net::Family::V4 ? std::nullopt : std::optional<AfiSafi>(kIpv6Unicast);
}

// UPDATE size of `attrs` with no NLRI, including the MP_REACH reserve for IPv6.
std::size_t announce_overhead(const PackOptions& opt, const PathAttributes& attrs, net::Family f) {
  return opt.update_size(attrs, mp_family(f)) + (f == net::Family::V4 ? 0 : kMpReachReserve);
}

// What pack_batches() does with a prefix too large for a message even on its own.
enum class Oversized { SendAlone, Skip };

// Splits `prefixes` into runs that fit `max_size` after `overhead` octets each and appends
// make_update(run) to `out` for every run, in order.
template <typename MakeUpdate>
void pack_batches(std::size_t overhead, std::span<const Prefix> prefixes, std::size_t max_size,
                  Oversized oversized, MakeUpdate make_update, std::vector<Update>& out) {
  std::vector<Prefix> batch;
  std::size_t size = overhead;
  auto flush = [&] {
    if (batch.empty()) {
      return;
    }
    out.push_back(make_update(std::move(batch)));
    batch.clear();
    size = overhead;
  };
  for (const Prefix& p : prefixes) {
    const std::size_t w = prefix_wire_size(p);
    if (oversized == Oversized::Skip && overhead + w > max_size) {
      continue;  // cannot be sent at all (the caller should have filtered it)
    }
    if (size + w > max_size) {
      flush();
    }
    batch.push_back(p);
    size += w;
  }
  flush();
}

void pack_withdrawals(std::span<const Prefix> prefixes, net::Family f, const PackOptions& opt,
                      std::vector<Update>& out) {
  const std::size_t overhead =
      kWithdrawUpdateOverhead + (f == net::Family::V4 ? 0 : kMpUnreachOverhead);
  pack_batches(
      overhead, prefixes, opt.max_message_size, Oversized::SendAlone,
      [f](std::vector<Prefix> batch) {
        Update u;
        if (f == net::Family::V4) {
          u.withdrawn = std::move(batch);
        } else {
          u.mp_unreach = MpUnreach{kIpv6Unicast, std::move(batch)};
        }
        return u;
      },
      out);
}

void pack_announcements(const AttrRef& attrs, std::span<const Prefix> prefixes, net::Family f,
                        const PackOptions& opt, std::vector<Update>& out) {
  pack_batches(
      announce_overhead(opt, *attrs, f), prefixes, opt.max_message_size, Oversized::Skip,
      [&attrs, f](std::vector<Prefix> batch) {
        Update u;
        u.attrs = *attrs;
        if (f == net::Family::V4) {
          u.nlri = std::move(batch);
        } else {
          u.mp_reach = MpReach{kIpv6Unicast, std::move(batch)};
        }
        return u;
      },
      out);
}

}  // namespace

std::vector<Update> pack_updates(std::vector<Prefix> withdrawals,
                                 std::vector<Announcement> announcements,
                                 const PackOptions& options) {
  CALICO_CHECK(static_cast<bool>(options.update_size));
  std::vector<Update> out;

  std::sort(withdrawals.begin(), withdrawals.end());
  withdrawals.erase(std::unique(withdrawals.begin(), withdrawals.end()), withdrawals.end());
  const auto v6_begin = std::partition_point(withdrawals.begin(), withdrawals.end(),
                                             [](auto& p) { return p.family() == net::Family::V4; });
  const std::span<const Prefix> all(withdrawals);
  const auto n4 = static_cast<std::size_t>(v6_begin - withdrawals.begin());
  pack_withdrawals(all.first(n4), net::Family::V4, options, out);
  pack_withdrawals(all.subspan(n4), net::Family::V6, options, out);

  // Group by (attributes, family); groups ordered by their lowest prefix.
  std::sort(announcements.begin(), announcements.end(),
            [](const Announcement& a, const Announcement& b) { return a.prefix < b.prefix; });
  struct Group {
    AttrRef attrs;
    net::Family family;
    std::vector<Prefix> prefixes;
  };
  std::vector<Group> groups;
  struct KeyHash {
    std::size_t operator()(const std::pair<const PathAttributes*, net::Family>& k) const {
      return std::hash<const void*>()(k.first) ^ static_cast<std::size_t>(k.second);
    }
  };
  std::unordered_map<std::pair<const PathAttributes*, net::Family>, std::size_t, KeyHash> index;
  for (Announcement& a : announcements) {
    if (!a.attrs) {
      continue;
    }
    const auto key = std::make_pair(a.attrs.get(), a.prefix.family());
    auto [it, inserted] = index.try_emplace(key, groups.size());
    if (inserted) {
      groups.push_back(Group{a.attrs, a.prefix.family(), {}});
    }
    groups[it->second].prefixes.push_back(a.prefix);
  }
  for (const Group& g : groups) {
    pack_announcements(g.attrs, g.prefixes, g.family, options, out);
  }
  return out;
}

Update end_of_rib_update(AfiSafi af) {
  Update u;
  if (af != kIpv4Unicast) {
    u.mp_unreach = MpUnreach{af, {}};
  }
  return u;
}

// ---- AdjRibOut ------------------------------------------------------------------------

// Memoises export decisions within one stage()/full_table() call: routes sharing
// attributes and source (most of a full table) are rewritten and interned once.  Keys
// are raw pointers, valid because the routes being exported hold their attributes alive
// for the duration of the call.
class AdjRibOut::ExportCache {
 public:
  struct Key {
    const PathAttributes* attrs;
    PeerId source;
    net::Family family;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const {
      return std::hash<const void*>()(k.attrs) ^ (std::size_t{k.source} << 1) ^
             static_cast<std::size_t>(k.family);
    }
  };
  std::unordered_map<Key, Exported, KeyHash> entries;
};

AdjRibOut::AdjRibOut(const PeerTable& peers, AttrStore& store, Config config)
    : peers_(peers), store_(store), config_(std::move(config)) {
  CALICO_CHECK(static_cast<bool>(config_.pack.update_size));
}

bool AdjRibOut::carries(net::Family f) const {
  return std::find(config_.families.begin(), config_.families.end(), family_af(f)) !=
         config_.families.end();
}

AttrRef AdjRibOut::desired(const Prefix& prefix, const AttrRef& attrs, PeerId source,
                           ExportCache& cache) {
  const net::Family f = prefix.family();
  if (!attrs || !carries(f)) {
    return AttrRef{};
  }
  const ExportCache::Key key{attrs.get(), source, f};
  auto it = cache.entries.find(key);
  if (it == cache.entries.end()) {
    it = cache.entries.emplace(key, compute_export(f, attrs, source)).first;
  }
  if (it->second.oversized) {
    ++oversized_;
  }
  return it->second.attrs;
}

AdjRibOut::Exported AdjRibOut::compute_export(net::Family f, const AttrRef& attrs,
                                              PeerId source) const {
  const PeerInfo* src = nullptr;
  if (source != kLocalPeerId) {
    src = peers_.find(source);
    CALICO_CHECK(src != nullptr);  // a best route from a peer the speaker forgot
  }
  ExportResult r = export_route(f, *attrs, src, config_.target, store_);
  if (r.attrs && announce_overhead(config_.pack, *r.attrs, f) + max_prefix_wire_size(f) >
                     config_.pack.max_message_size) {
    return Exported{AttrRef{}, true};  // cannot fit one UPDATE
  }
  return Exported{std::move(r.attrs), false};
}

void AdjRibOut::stage(std::span<const LocRibChange> changes) {
  ExportCache cache;
  for (const LocRibChange& c : changes) {
    if (!carries(c.prefix.family())) {
      continue;
    }
    AttrRef want = desired(c.prefix, c.new_best.attrs, c.new_best.peer, cache);
    *pending_.try_emplace(c.prefix).first = std::move(want);
  }
}

std::vector<Update> AdjRibOut::take_updates() {
  std::vector<Prefix> withdrawals;
  std::vector<Announcement> announcements;
  pending_.for_each([&](const Prefix& p, const AttrRef& want) {
    const AttrRef* have = advertised_.find(p);
    if (want) {
      if (have == nullptr || !(*have == want)) {
        announcements.push_back(Announcement{p, want});
      }
    } else if (have != nullptr) {
      withdrawals.push_back(p);
    }
  });
  pending_.clear();
  for (const Announcement& a : announcements) {
    *advertised_.try_emplace(a.prefix).first = a.attrs;
  }
  for (const Prefix& p : withdrawals) {
    advertised_.erase(p);
  }
  return pack_updates(std::move(withdrawals), std::move(announcements), config_.pack);
}

std::vector<Update> AdjRibOut::full_table(const LocRib& rib, std::optional<AfiSafi> family,
                                          bool end_of_rib) {
  std::vector<AfiSafi> afs;
  for (const AfiSafi& af : config_.families) {
    if (!family || *family == af) {
      afs.push_back(af);
    }
  }
  auto wanted = [&](net::Family f) {
    return std::find(afs.begin(), afs.end(), family_af(f)) != afs.end();
  };

  // What the peer had, then forget it: the Loc-RIB is the truth.
  std::vector<Prefix> had;
  advertised_.for_each([&](const Prefix& p, const AttrRef&) {
    if (wanted(p.family())) {
      had.push_back(p);
    }
  });
  for (const AfiSafi& af : afs) {
    const net::Family f = af.afi == Afi::Ipv4 ? net::Family::V4 : net::Family::V6;
    advertised_.clear(f);
    pending_.clear(f);
  }

  ExportCache cache;
  std::vector<Announcement> announcements;
  rib.for_each_best([&](const Prefix& p, const RibPath& best) {
    if (!wanted(p.family())) {
      return;
    }
    AttrRef want = desired(p, best.attrs, best.peer, cache);
    if (want) {
      *advertised_.try_emplace(p).first = want;
      announcements.push_back(Announcement{p, std::move(want)});
    }
  });
  std::vector<Prefix> withdrawals;
  for (const Prefix& p : had) {
    if (advertised_.find(p) == nullptr) {
      withdrawals.push_back(p);
    }
  }
  std::vector<Update> out =
      pack_updates(std::move(withdrawals), std::move(announcements), config_.pack);
  if (end_of_rib) {
    for (const AfiSafi& af : afs) {
      out.push_back(end_of_rib_update(af));
    }
  }
  return out;
}

void AdjRibOut::reset() {
  advertised_.clear();
  pending_.clear();
}

AttrRef AdjRibOut::advertised(const Prefix& prefix) const {
  const AttrRef* a = advertised_.find(prefix);
  return a != nullptr ? *a : AttrRef{};
}

}  // namespace calico::bgp
