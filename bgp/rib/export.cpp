// Export filters and attribute rewriting (see export.h).
#include "bgp/rib/export.h"

#include <algorithm>

namespace calico::bgp {

namespace {

bool has_community(const PathAttributes& attrs, std::uint32_t c) {
  return std::find(attrs.communities.begin(), attrs.communities.end(), c) !=
         attrs.communities.end();
}

// Whether we put our own address in NEXT_HOP toward `target`.
bool next_hop_is_ours(const PeerInfo* source, const PeerInfo& target) {
  return target.is_ebgp() || target.next_hop_self || source == nullptr;
}

}  // namespace

std::string_view to_string(ExportFilter f) {
  switch (f) {
    case ExportFilter::None:
      return "exported";
    case ExportFilter::SourcePeer:
      return "split horizon";
    case ExportFilter::NoAdvertise:
      return "NO_ADVERTISE";
    case ExportFilter::NoExport:
      return "NO_EXPORT";
    case ExportFilter::IbgpNotReflected:
      return "iBGP route to iBGP peer (not reflected)";
    case ExportFilter::NoLocalAddress:
      return "no local address of the family";
  }
  return "filtered";
}

ExportFilter export_filter(net::Family family, const PathAttributes& attrs, const PeerInfo* source,
                           const PeerInfo& target) {
  if (source != nullptr && source->id == target.id) {
    return ExportFilter::SourcePeer;
  }
  // RFC 1997: NO_ADVERTISE - not to any peer.
  if (has_community(attrs, kNoAdvertise)) {
    return ExportFilter::NoAdvertise;
  }
  // RFC 1997: NO_EXPORT / NO_EXPORT_SUBCONFED - not outside the AS.
  if (target.is_ebgp() &&
      (has_community(attrs, kNoExport) || has_community(attrs, kNoExportSubconfed))) {
    return ExportFilter::NoExport;
  }
  // RFC 4271 §9.1.3: iBGP-learned routes are not sent to iBGP peers, except by a route
  // reflector (RFC 4456 §6): client -> everyone, non-client -> clients.
  if (source != nullptr && source->is_ibgp() && target.is_ibgp() && !source->rr_client &&
      !target.rr_client) {
    return ExportFilter::IbgpNotReflected;
  }
  if (next_hop_is_ours(source, target) && !target.local_address(family)) {
    return ExportFilter::NoLocalAddress;
  }
  return ExportFilter::None;
}

PathAttributes export_attributes(net::Family family, const PathAttributes& attrs,
                                 const PeerInfo* source, const PeerInfo& target) {
  PathAttributes out = attrs;
  out.link_local_next_hop.reset();  // RFC 2545 §3, see export.h
  if (next_hop_is_ours(source, target)) {
    out.next_hop = *target.local_address(family);  // RFC 4271 §5.1.3
  }
  if (target.is_ebgp()) {
    out.as_path.prepend(target.local_as);  // RFC 4271 §5.1.2
    out.local_pref.reset();                // RFC 4271 §5.1.5
    if (source != nullptr) {
      out.med.reset();  // RFC 4271 §5.1.4
    }
    out.originator_id.reset();  // RFC 4456: internal to the AS
    out.cluster_list.clear();
    return out;
  }
  if (!out.local_pref) {
    out.local_pref = kDefaultLocalPref;  // RFC 4271 §5.1.5: always sent to internal peers
  }
  if (source != nullptr && source->is_ibgp()) {
    // Reflection, RFC 4456 §8.
    if (!out.originator_id) {
      out.originator_id = source->router_id;
    }
    out.cluster_list.insert(out.cluster_list.begin(), target.effective_cluster_id());
  }
  return out;
}

ExportResult export_route(net::Family family, const PathAttributes& attrs, const PeerInfo* source,
                          const PeerInfo& target, AttrStore& store) {
  const ExportFilter f = export_filter(family, attrs, source, target);
  if (f != ExportFilter::None) {
    return ExportResult{AttrRef{}, f};
  }
  return ExportResult{store.intern(export_attributes(family, attrs, source, target)),
                      ExportFilter::None};
}

}  // namespace calico::bgp
