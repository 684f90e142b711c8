// IPAMBlock (projectcalico.org/v3 read-mostly; crd.projectcalico.org/v1 IPAMBlock in KDD;
// /calico/ipam/v2/assignment/... in etcd): one block of a pool and its allocations.
//
// Field names are the CRD (KDD) spec names.  Ordinal i of the block is address base+i;
// allocations[i] is the index into attributes of its owner, or null when free;
// unallocated lists the free ordinals in allocation order (pop from the head, released
// ordinals appended at the tail).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/codec.h"
#include "api/kind.h"
#include "api/meta.h"

namespace calico::api {

struct AllocationAttribute {
  std::optional<std::string> handle_id;  // "handle_id"
  std::map<std::string, std::string> secondary;
  std::map<std::string, std::string> alternate_owner_attrs;
  std::string released_at;  // cooldown marker (RFC 3339), main-branch Calico

  template <class V>
  void visit(V& v) {
    v("handle_id", handle_id);
    v("secondary", secondary);
    v("alternateOwnerAttrs", alternate_owner_attrs);
    v("releasedAt", released_at);
  }
  bool operator==(const AllocationAttribute&) const = default;
};

struct IPAMBlockSpec {
  std::string cidr;
  std::optional<std::string> affinity;  // "host:<node>" | "virtual:<name>"; unset = unaffine
  std::string affinity_claim_time;
  std::vector<std::optional<int>> allocations;  // length = block size
  std::vector<int> unallocated;
  std::vector<AllocationAttribute> attributes;
  std::uint64_t sequence_number = 0;
  std::map<std::string, std::uint64_t> sequence_number_for_allocation;
  bool deleted = false;
  bool strict_affinity = false;  // deprecated, always false, but required by the v1 schema

  template <class V>
  void visit(V& v) {
    v("cidr", cidr);
    v("affinity", affinity);
    v("affinityClaimTime", affinity_claim_time);
    v("allocations", allocations, Emit::Always);
    v("unallocated", unallocated, Emit::Always);
    v("attributes", attributes, Emit::Always);
    v("sequenceNumber", sequence_number);
    v("sequenceNumberForAllocation", sequence_number_for_allocation);
    v("deleted", deleted);
    v("strictAffinity", strict_affinity, Emit::Always);
  }
  bool operator==(const IPAMBlockSpec&) const = default;
};

struct IPAMBlock {
  static constexpr Kind kKind = Kind::IPAMBlock;
  ObjectMeta metadata;
  IPAMBlockSpec spec;

  template <class V>
  void visit(V& v) {
    v("metadata", metadata, Emit::Always);
    v("spec", spec, Emit::Always);
  }
  bool operator==(const IPAMBlock&) const = default;
};

}  // namespace calico::api
