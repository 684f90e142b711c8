// Calico's etcdv3 key layout and value formats (pure: no I/O).
//
//   v3 resources  /calico/resources/v3/projectcalico.org/<plural>/[<namespace>/]<name>
//                 value: the full v3 object JSON (resourceVersion not stored: it is the
//                 key's mod_revision)
//   IPAM blocks   /calico/ipam/v2/assignment/ipv4/block/10.244.3.64-26   (ipv6 likewise)
//   affinities    /calico/ipam/v2/host/<host>/ipv4/block/10.244.3.64-26
//   handles       /calico/ipam/v2/handle/<handle id>
//   IPAM config   /calico/ipam/v2/config
// IPAM values use Calico's model JSON (affinity_claim_time, strict_affinity, ...); we hold
// them as projectcalico.org/v3 IPAMBlock/BlockAffinity/IPAMHandle/IPAMConfiguration
// resources with the CRD (KDD) field names, converted here.
//
// Kubernetes NetworkPolicy has no etcd home in Calico (it lives in the API server); in
// etcd mode we keep it at .../projectcalico.org/kubernetesnetworkpolicies/<ns>/<name>
// (our extension, used by the lab which has no API server).
#pragma once

#include <optional>
#include <string>

#include "datastore/datastore.h"

namespace calico::datastore::etcd {

inline constexpr std::string_view kResourcePrefix = "/calico/resources/v3/projectcalico.org/";
inline constexpr std::string_view kIpamPrefix = "/calico/ipam/v2/";

// The etcd key of one object, or an error naming what is wrong with the key.
Result<std::string, StoreError> etcd_key(const Key& key);
// The key prefix that a list/watch with these options reads (results still need
// filtering with `matches`, e.g. for name prefixes across namespaces).
std::string list_prefix(const ListOptions& opts);
// Parses an etcd key back into a Key of `kind`; nullopt if the key is not one of ours.
std::optional<Key> key_from_etcd(api::Kind kind, const std::string& etcd_key);

// True if values of this kind keep their metadata (uid, creationTimestamp, labels) in etcd;
// Calico's IPAM model values (blocks, affinities, handles, IPAM config) do not.
bool stores_metadata(api::Kind kind);

// Value codec.  encode clears resourceVersion; decode sets it to `mod_revision`.
Result<std::string, StoreError> encode_value(const api::AnyResource& value);
Result<Object, StoreError> decode_value(const Key& key, const std::string& bytes,
                                        std::int64_t mod_revision);

}  // namespace calico::datastore::etcd
