// ClusterInformation (projectcalico.org/v3, cluster-scoped singleton "default"): cluster
// identity and the datastore-ready flag, written by calico-node at startup.
#pragma once

#include <optional>
#include <string>

#include "api/codec.h"
#include "api/kind.h"
#include "api/meta.h"

namespace calico::api {

struct ClusterInformationSpec {
  std::string cluster_guid;    // random at install
  std::string cluster_type;    // comma list, e.g. "k8s,bgp,kubeadm"
  std::string calico_version;  // "v3.32.0"
  // false = datastore locked (e.g. during migration): the CNI plugin refuses ADD and DEL.
  // Unset is treated as ready by readers.
  std::optional<bool> datastore_ready;
  std::string variant;  // "Calico"

  template <class V>
  void visit(V& v) {
    v("clusterGUID", cluster_guid);
    v("clusterType", cluster_type);
    v("calicoVersion", calico_version);
    v("datastoreReady", datastore_ready);
    v("variant", variant);
  }
  bool operator==(const ClusterInformationSpec&) const = default;
};

struct ClusterInformation {
  static constexpr Kind kKind = Kind::ClusterInformation;
  ObjectMeta metadata;
  ClusterInformationSpec spec;

  template <class V>
  void visit(V& v) {
    v("metadata", metadata, Emit::Always);
    v("spec", spec, Emit::Always);
  }
  bool operator==(const ClusterInformation&) const = default;
};

}  // namespace calico::api
