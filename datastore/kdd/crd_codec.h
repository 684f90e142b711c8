// How Calico stores projectcalico.org/v3 resources as crd.projectcalico.org/v1 custom
// resources in the Kubernetes API (research notes calico-model.md §2.1-2.2).  Pure: JSON in,
// JSON out; the Kubernetes backend (datastore/kube/) does the HTTP.
//
//   auto path = crd_path(*crd_resource(api::Kind::IPPool), "", "pool-a");
//       // "/apis/crd.projectcalico.org/v1/ippools/pool-a"
//   auto doc = to_crd(pool);          // the custom resource to POST/PUT
//   auto obj = from_crd(api::Kind::IPPool, doc_from_server);
//
// Mapping (as Calico's libcalico-go/lib/backend/k8s/resources does it):
//   * spec: the v3 spec JSON unchanged (IPAM kinds already use the CRD field names);
//   * metadata.name / namespace / resourceVersion: passed through;
//   * uid: the v3 uid is the CRD uid with the bit order of every byte reversed except
//     bytes 6 and 8 (UUID version / variant), an involution (reverse_uid);
//   * the rest of the v3 metadata (labels, annotations, creationTimestamp, generateName,
//     ownerReferences, finalizers, ...) is JSON in the annotation projectcalico.org/metadata;
//     the CRD's own labels/annotations keep only keys containing "projectcalico.org/" or
//     "operator.tigera.io/".  Reading merges the CRD's labels/annotations with the
//     annotation's (older releases kept labels on the CRD).
//   * IPAMConfiguration is the CRD kind IPAMConfig (plural ipamconfigs).
// Node, WorkloadEndpoint, Profile and Kubernetes NetworkPolicy have no CRD: they are
// projections of native Kubernetes objects (crd_resource returns nullopt).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "api/resources.h"
#include "datastore/datastore.h"

namespace calico::datastore::kdd {

inline constexpr std::string_view kCrdGroup = "crd.projectcalico.org";
inline constexpr std::string_view kCrdApiVersion = "crd.projectcalico.org/v1";
inline constexpr std::string_view kMetadataAnnotation = "projectcalico.org/metadata";

struct CrdResource {
  std::string kind;    // CRD kind, e.g. "IPAMConfig"
  std::string plural;  // e.g. "ipamconfigs"
  bool namespaced = false;
};

std::optional<CrdResource> crd_resource(api::Kind kind);

// "/apis/crd.projectcalico.org/v1/[namespaces/<ns>/]<plural>[/<name>]"; an empty name gives
// the collection (all namespaces when ns is empty).
std::string crd_path(const CrdResource& r, const std::string& ns, const std::string& name);

// UUID text -> UUID text with each byte's bits reversed except bytes 6 and 8.  Anything
// that is not a UUID is returned unchanged.
std::string reverse_uid(const std::string& uid);

// Calico's label value for host-scoped BlockAffinity queries: unpadded standard base32 of
// SHA3-256(host) (52 characters; label values cannot hold every host name).
std::string hostname_hash(std::string_view host);
inline constexpr std::string_view kHostnameHashLabel = "projectcalico.org/hostname-hash";
inline constexpr std::string_view kAffinityTypeLabel = "projectcalico.org/affinity-type";
inline constexpr std::string_view kIpVersionLabel = "projectcalico.org/ip-version";

// The custom resource for a v3 value (BlockAffinity: stamped with the three labels
// above, as Calico does, so a host's affinities can be listed server-side).  Errors: a kind without
// CRD (Invalid).
Result<nlohmann::json, StoreError> to_crd(const api::AnyResource& value);

// The v3 object for a custom resource read from the API server; revision = its
// resourceVersion.  Errors name the object and what did not decode (Invalid).
Result<Object, StoreError> from_crd(api::Kind kind, const nlohmann::json& crd);

}  // namespace calico::datastore::kdd
