// Kubernetes-style object metadata shared by every resource (metav1.ObjectMeta subset
// that Calico's v3 API carries).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/codec.h"

namespace calico::api {

struct OwnerReference {
  std::string api_version;
  std::string kind;
  std::string name;
  std::string uid;
  std::optional<bool> controller;
  std::optional<bool> block_owner_deletion;

  template <class V>
  void visit(V& v) {
    v("apiVersion", api_version);
    v("kind", kind);
    v("name", name);
    v("uid", uid);
    v("controller", controller);
    v("blockOwnerDeletion", block_owner_deletion);
  }
  bool operator==(const OwnerReference&) const = default;
};

struct ObjectMeta {
  std::string name;
  std::string generate_name;
  std::string ns;  // "namespace"
  std::string uid;
  std::string resource_version;
  std::int64_t generation = 0;
  std::string creation_timestamp;
  std::string deletion_timestamp;
  std::optional<std::int64_t> deletion_grace_period_seconds;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::vector<OwnerReference> owner_references;
  std::vector<std::string> finalizers;

  template <class V>
  void visit(V& v) {
    v("name", name);
    v("generateName", generate_name);
    v("namespace", ns);
    v("uid", uid);
    v("resourceVersion", resource_version);
    v("generation", generation);
    v("creationTimestamp", creation_timestamp);
    v("deletionTimestamp", deletion_timestamp);
    v("deletionGracePeriodSeconds", deletion_grace_period_seconds);
    v("labels", labels);
    v("annotations", annotations);
    v("ownerReferences", owner_references);
    v("finalizers", finalizers);
  }
  bool operator==(const ObjectMeta&) const = default;
};

}  // namespace calico::api
