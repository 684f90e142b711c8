// BGPPeer.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/codec.h"
#include "api/kind.h"
#include "api/meta.h"

namespace calico::api {

// STUB: spec fields to be filled in.
struct BGPPeerSpec {
  template <class V>
  void visit(V& /*v*/) {}
  bool operator==(const BGPPeerSpec&) const = default;
};

struct BGPPeer {
  static constexpr Kind kKind = Kind::BGPPeer;
  ObjectMeta metadata;
  BGPPeerSpec spec;

  template <class V>
  void visit(V& v) {
    v("metadata", metadata, Emit::Always);
    v("spec", spec, Emit::Always);
  }
  bool operator==(const BGPPeer&) const = default;
};

}  // namespace calico::api
