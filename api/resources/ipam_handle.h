// IPAMHandle: reverse index from an allocation owner to its blocks (block CIDR -> number
// of addresses the handle holds there).  Object name = lower-cased handle id.
#pragma once

#include <map>
#include <string>

#include "api/codec.h"
#include "api/kind.h"
#include "api/meta.h"

namespace calico::api {

struct IPAMHandleSpec {
  std::string handle_id;
  std::map<std::string, int> block;
  bool deleted = false;

  template <class V>
  void visit(V& v) {
    v("handleID", handle_id, Emit::Always);
    v("block", block, Emit::Always);
    v("deleted", deleted);
  }
  bool operator==(const IPAMHandleSpec&) const = default;
};

struct IPAMHandle {
  static constexpr Kind kKind = Kind::IPAMHandle;
  ObjectMeta metadata;
  IPAMHandleSpec spec;

  template <class V>
  void visit(V& v) {
    v("metadata", metadata, Emit::Always);
    v("spec", spec, Emit::Always);
  }
  bool operator==(const IPAMHandle&) const = default;
};

}  // namespace calico::api
