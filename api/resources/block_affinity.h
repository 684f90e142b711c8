// BlockAffinity: a host's claim on a block (state pending -> confirmed -> pendingDeletion).
// Name "<host>-<mangled cidr>" (api/ipam_names.h).  In the v1 CRD `deleted` is a STRING
// "true"/"false"; we keep that form so KDD objects round-trip.
#pragma once

#include <string>

#include "api/codec.h"
#include "api/kind.h"
#include "api/meta.h"

namespace calico::api {

struct BlockAffinitySpec {
  std::string state;  // pending | confirmed | pendingDeletion ("" = confirmed, old data)
  std::string node;   // owning host (or virtual owner name)
  std::string type;   // host | virtual ("" = host)
  std::string cidr;
  std::string deleted;  // "true" | "false"

  template <class V>
  void visit(V& v) {
    v("state", state, Emit::Always);
    v("node", node, Emit::Always);
    v("type", type);
    v("cidr", cidr, Emit::Always);
    v("deleted", deleted, Emit::Always);
  }
  bool operator==(const BlockAffinitySpec&) const = default;
};

struct BlockAffinity {
  static constexpr Kind kKind = Kind::BlockAffinity;
  ObjectMeta metadata;
  BlockAffinitySpec spec;

  template <class V>
  void visit(V& v) {
    v("metadata", metadata, Emit::Always);
    v("spec", spec, Emit::Always);
  }
  bool operator==(const BlockAffinity&) const = default;
};

}  // namespace calico::api
