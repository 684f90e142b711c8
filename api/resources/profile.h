// Profile (projectcalico.org/v3, cluster scoped): rules and labels that endpoints inherit
// by listing the profile.  In Kubernetes they are synthesised read-only: kns.<namespace>
// (allow-all rules, pcns.* labels) and ksa.<namespace>.<serviceaccount> (pcsa.* labels).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "api/codec.h"
#include "api/kind.h"
#include "api/meta.h"
#include "api/resources/rule.h"

namespace calico::api {

struct ProfileSpec {
  std::vector<Rule> ingress;
  std::vector<Rule> egress;
  // Added to each endpoint using the profile; the endpoint's own labels win on conflict.
  std::map<std::string, std::string> labels_to_apply;

  template <class V>
  void visit(V& v) {
    v("ingress", ingress);
    v("egress", egress);
    v("labelsToApply", labels_to_apply);
  }
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
