// Profile.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/codec.h"
#include "api/kind.h"
#include "api/meta.h"

namespace calico::api {

// STUB: spec fields to be filled in.
struct ProfileSpec {
  template <class V>
  void visit(V& /*v*/) {}
  bool operator==(const ProfileSpec&) const = default;
};

struct Profile {
  static constexpr Kind kKind = Kind::Profile;
  ObjectMeta metadata;
  ProfileSpec spec;

  template <class V>
  void visit(V& v) {
    v("metadata", metadata, Emit::Always);
    v("spec", spec, Emit::Always);
  }
  bool operator==(const Profile&) const = default;
};

}  // namespace calico::api
