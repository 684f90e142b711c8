// Adj-RIB-In: import checks and per-peer route storage (see adj_rib_in.h).
#include "bgp/rib/adj_rib_in.h"

#include <algorithm>

namespace calico::bgp {

namespace {

bool is_unspecified(const net::IpAddr& a) {
  const auto& b = a.bytes();
  const std::size_t n = a.is_v4() ? 4 : 16;
  return std::all_of(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n),
                     [](std::uint8_t x) { return x == 0; });
}

bool is_multicast(const net::IpAddr& a) {
  const auto& b = a.bytes();
  return a.is_v4() ? (b[0] & 0xF0) == 0xE0 : b[0] == 0xFF;
}

bool is_v6_link_local(const net::IpAddr& a) {
  const auto& b = a.bytes();
  return a.is_v6() && b[0] == 0xFE && (b[1] & 0xC0) == 0x80;
}

// One prefix touched by an UPDATE: its route before the UPDATE and after this step.
struct Touch {
  Prefix prefix;
  AttrRef before;
  AttrRef after;
};

}  // namespace

std::string_view to_string(RejectReason r) {
  switch (r) {
    case RejectReason::AsLoop:
      return "rejected: AS loop";
    case RejectReason::OriginatorId:
      return "rejected: ORIGINATOR_ID loop";
    case RejectReason::ClusterList:
      return "rejected: CLUSTER_LIST loop";
    case RejectReason::MissingAttributes:
      return "rejected: no path attributes";
    case RejectReason::MissingNextHop:
      return "rejected: no next hop";
    case RejectReason::InvalidNextHop:
      return "rejected: invalid next hop";
  }
  return "rejected";
}

std::optional<RejectReason> check_loops(const PeerInfo& peer, const PathAttributes& attrs) {
  // RFC 4271 §9.1.2: a route whose AS_PATH contains our own AS is a loop.
  if (peer.is_ebgp() && attrs.as_path.contains(peer.local_as)) {
    return RejectReason::AsLoop;
  }
  // RFC 4456 §8: our own reflected route coming back.
  if (attrs.originator_id && *attrs.originator_id == peer.local_router_id) {
    return RejectReason::OriginatorId;
  }
  // RFC 4456 §8: the route already passed through our cluster.
  const std::uint32_t cluster = peer.effective_cluster_id();
  if (std::find(attrs.cluster_list.begin(), attrs.cluster_list.end(), cluster) !=
      attrs.cluster_list.end()) {
    return RejectReason::ClusterList;
  }
  return std::nullopt;
}

std::optional<RejectReason> check_next_hop(const PeerInfo& peer, const PathAttributes& attrs,
                                           net::Family af) {
  // RFC 4271 §5.1.3 (IPv4 NEXT_HOP), RFC 4760 §3 / RFC 2545 §3 (IPv6 global next hop).
  if (!attrs.next_hop || attrs.next_hop->family() != af) {
    return RejectReason::MissingNextHop;
  }
  const net::IpAddr& nh = *attrs.next_hop;
  // RFC 4271 §6.3: a next hop that is our own address (or not a unicast host address)
  // is semantically incorrect; the route is ignored.
  if (is_unspecified(nh) || is_multicast(nh) || is_v6_link_local(nh) ||
      peer.local_address(af) == nh) {
    return RejectReason::InvalidNextHop;
  }
  return std::nullopt;
}

ImportResult AdjRibIn::apply(const PeerInfo& peer, const Update& update, bool treat_as_withdraw) {
  ImportResult result;
  PeerRoutes& pr = peers_[peer.id];
  std::vector<Touch> touches;

  auto withdraw = [&](const Prefix& raw) {
    ++pr.stats.withdrawn;
    const Prefix p = raw.masked();
    AttrRef* cur = pr.routes.find(p);
    if (cur == nullptr) {
      return;
    }
    touches.push_back(Touch{p, std::move(*cur), AttrRef{}});
    pr.routes.erase(p);
  };
  auto announce = [&](const Prefix& raw, const AttrRef& ref) {
    const Prefix p = raw.masked();
    auto [cur, inserted] = pr.routes.try_emplace(p);
    if (!inserted && *cur == ref) {
      return;
    }
    touches.push_back(Touch{p, inserted ? AttrRef{} : *cur, ref});
    *cur = ref;
  };

  // Withdrawals first (RFC 4271 §4.3 field order).
  for (const Prefix& p : update.withdrawn) {
    withdraw(p);
  }
  if (update.mp_unreach) {
    for (const Prefix& p : update.mp_unreach->withdrawn) {
      withdraw(p);
    }
  }

  std::vector<const Prefix*> announced;
  for (const Prefix& p : update.nlri) {
    announced.push_back(&p);
  }
  if (update.mp_reach) {
    for (const Prefix& p : update.mp_reach->nlri) {
      announced.push_back(&p);
    }
  }

  if (treat_as_withdraw) {
    // RFC 7606 §2: every NLRI of the UPDATE is withdrawn.
    for (const Prefix* p : announced) {
      withdraw(*p);
    }
  } else if (!announced.empty()) {
    pr.stats.received += announced.size();
    // One verdict per family: the checks depend only on the attributes.
    std::optional<RejectReason> verdict[2];
    AttrRef ref;
    if (!update.attrs) {
      verdict[0] = verdict[1] = RejectReason::MissingAttributes;
    } else {
      PathAttributes attrs = *update.attrs;
      if (peer.is_ebgp()) {
        attrs.local_pref.reset();     // RFC 4271 §5.1.5
        attrs.originator_id.reset();  // RFC 4456: internal to the AS
        attrs.cluster_list.clear();
      }
      const auto loop = check_loops(peer, attrs);
      verdict[0] = loop ? loop : check_next_hop(peer, attrs, net::Family::V4);
      verdict[1] = loop ? loop : check_next_hop(peer, attrs, net::Family::V6);
      if (!verdict[0] || !verdict[1]) {
        ref = store_.intern(std::move(attrs));
      }
    }
    std::size_t rejected[2] = {0, 0};
    for (const Prefix* p : announced) {
      const std::size_t fam = p->family() == net::Family::V4 ? 0 : 1;
      if (verdict[fam]) {
        ++rejected[fam];
        // The previous route for the prefix is replaced by nothing.
        AttrRef* cur = pr.routes.find(p->masked());
        if (cur != nullptr) {
          touches.push_back(Touch{p->masked(), std::move(*cur), AttrRef{}});
          pr.routes.erase(p->masked());
        }
      } else {
        ++pr.stats.accepted;
        announce(*p, ref);
      }
    }
    for (std::size_t fam = 0; fam < 2; ++fam) {
      if (rejected[fam] > 0) {
        pr.stats.rejected += rejected[fam];
        result.rejections.push_back(
            Rejection{*verdict[fam], fam == 0 ? kIpv4Unicast : kIpv6Unicast, rejected[fam]});
      }
    }
  }

  // Net effect per prefix: its route before the UPDATE vs after it.
  std::stable_sort(touches.begin(), touches.end(),
                   [](const Touch& a, const Touch& b) { return a.prefix < b.prefix; });
  for (std::size_t i = 0; i < touches.size();) {
    std::size_t j = i;
    while (j + 1 < touches.size() && touches[j + 1].prefix == touches[i].prefix) {
      ++j;
    }
    if (!(touches[i].before == touches[j].after)) {
      result.changes.push_back(PathChange{touches[i].prefix, std::move(touches[j].after)});
    }
    i = j + 1;
  }
  return result;
}

std::vector<PathChange> AdjRibIn::withdraw_all(PeerId peer) {
  std::vector<PathChange> out;
  auto it = peers_.find(peer);
  if (it == peers_.end()) {
    return out;
  }
  const std::vector<Prefix> keys = it->second.routes.sorted_keys();
  out.reserve(keys.size());
  for (const Prefix& p : keys) {
    out.push_back(PathChange{p, AttrRef{}});
  }
  it->second.routes.clear();
  return out;
}

void AdjRibIn::forget_peer(PeerId peer) {
  peers_.erase(peer);
}

AttrRef AdjRibIn::lookup(PeerId peer, const Prefix& prefix) const {
  auto it = peers_.find(peer);
  if (it == peers_.end()) {
    return AttrRef{};
  }
  const AttrRef* r = it->second.routes.find(prefix);
  return r != nullptr ? *r : AttrRef{};
}

std::size_t AdjRibIn::route_count(PeerId peer) const {
  auto it = peers_.find(peer);
  return it == peers_.end() ? 0 : it->second.routes.size();
}

AdjRibInStats AdjRibIn::stats(PeerId peer) const {
  auto it = peers_.find(peer);
  return it == peers_.end() ? AdjRibInStats{} : it->second.stats;
}

std::size_t AdjRibIn::memory_bytes() const {
  std::size_t n = 0;
  for (const auto& [id, pr] : peers_) {
    n += pr.routes.memory_bytes();
  }
  return n;
}

}  // namespace calico::bgp
