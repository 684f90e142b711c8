// The crd.projectcalico.org/v1 CustomResourceDefinitions of the Kubernetes datastore,
// generated from the resource model: manifests/crds/ is this module's output
// (calico-crd-gen, api/crd_gen_main.cpp), and tests/unit/manifests checks it is current.
//
//   for (const auto& d : crd_definitions()) {
//     write(dir + "/" + crd_file_name(d), crd_yaml(d));
//   }
//
// Each modelled kind's spec (and status) becomes an OpenAPI v3 *structural* schema by
// walking the same visit() that drives the JSON codec (api/codec.h), so every field we can
// store is declared with its JSON type and the API server prunes nothing we write:
//
//   std::string                   string; `nullable: true` where the codec can write ""
//                                 (see schema_of in the .cpp: API servers built with a
//                                 recent Go read "" as null)
//   bool                          boolean
//   integers                      integer, format int32 (up to 32-bit signed, and the
//                                 8/16-bit unsigned types) or int64 (the rest)
//   double                        number
//   std::optional<T>              T's schema; `nullable: true` where the codec can write
//                                 null (an Emit::Always field, a list item or map value)
//   std::vector<T>                array with items
//   std::map<std::string, T>      object with additionalProperties
//   nested struct                 object with properties, in visit() order
//   ASNumber, Port, Protocol,     x-kubernetes-int-or-string (each is a number or a
//   IntOrString                   string, kept in the form written)
//   Json (free-form)              x-kubernetes-preserve-unknown-fields (no resource has one)
//
// Types only: enums, formats, ranges and cross-field rules stay in api/validation, so an
// object Calico's own (stricter or newer) schema accepts is never refused by ours on a
// type it shares.  Kinds we install but do not model (kUnmodelledCrds) keep spec/status as
// preserve-unknown-fields objects.  Pure: no I/O.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/codec.h"
#include "api/kind.h"

namespace calico::api {

inline constexpr std::string_view kCrdGroup = "crd.projectcalico.org";

// One CRD of manifests/crds/.
struct CrdDefinition {
  std::string_view kind;    // CRD kind, e.g. "IPAMConfig"
  std::string_view plural;  // e.g. "ipamconfigs"
  bool namespaced = false;
  bool status_subresource = false;  // a modelled kind: its model has a status
  std::optional<Kind> model;        // the api/ kind stored in it; nullopt: not modelled
};

// Calico CRDs installed (so that Calico's own clients and RBAC find them) but neither read
// nor written by us: their objects are kept as written.
inline constexpr std::array<CrdDefinition, 5> kUnmodelledCrds{{
    {"CalicoNodeStatus", "caliconodestatuses", false, true, std::nullopt},
    {"KubeControllersConfiguration", "kubecontrollersconfigurations", false, false, std::nullopt},
    {"StagedGlobalNetworkPolicy", "stagedglobalnetworkpolicies", false, false, std::nullopt},
    {"StagedKubernetesNetworkPolicy", "stagedkubernetesnetworkpolicies", true, false, std::nullopt},
    {"StagedNetworkPolicy", "stagednetworkpolicies", true, false, std::nullopt},
}};

// Every CRD: the modelled kinds (crd_names(kind) set) and kUnmodelledCrds, by plural.
std::vector<CrdDefinition> crd_definitions();

// "crd.projectcalico.org_<plural>.yaml".
std::string crd_file_name(const CrdDefinition& d);

// The openAPIV3Schema of a modelled kind: apiVersion, kind, metadata (type object: the
// server validates ObjectMeta itself) and the model's spec/status.  `kind` must have a CRD
// (crd_names); checked.
Json crd_schema(Kind kind);

// The whole CustomResourceDefinition (apiextensions.k8s.io/v1).
Json crd_document(const CrdDefinition& d);

// The manifest file's text: a header comment, then crd_document as block YAML.
std::string crd_yaml(const CrdDefinition& d);

}  // namespace calico::api
