// IPAMConfiguration (v3; stored as IPAMConfig): cluster-wide IPAM settings, singleton
// "default".  Absent object = defaults (readers do not create it).
#pragma once

#include <optional>
#include <string>

#include "api/codec.h"
#include "api/kind.h"
#include "api/meta.h"

namespace calico::api {

inline constexpr int kDefaultMaxBlocksPerHost = 20;  // what maxBlocksPerHost 0 means

struct IPAMConfigurationSpec {
  bool strict_affinity = false;
  std::optional<bool> auto_allocate_blocks;      // default true
  int max_blocks_per_host = 0;                   // 0 = built-in cap (20)
  std::string kube_virt_vm_address_persistence;  // Enabled | Disabled
  int ip_cooldown_seconds = 0;

  template <class V>
  void visit(V& v) {
    v("strictAffinity", strict_affinity, Emit::Always);
    v("autoAllocateBlocks", auto_allocate_blocks);
    v("maxBlocksPerHost", max_blocks_per_host);
    v("kubeVirtVMAddressPersistence", kube_virt_vm_address_persistence);
    v("ipCooldownSeconds", ip_cooldown_seconds);
  }
  bool operator==(const IPAMConfigurationSpec&) const = default;
};

struct IPAMConfiguration {
  static constexpr Kind kKind = Kind::IPAMConfiguration;
  ObjectMeta metadata;
  IPAMConfigurationSpec spec;

  template <class V>
  void visit(V& v) {
    v("metadata", metadata, Emit::Always);
    v("spec", spec, Emit::Always);
  }
  bool operator==(const IPAMConfiguration&) const = default;
};

}  // namespace calico::api
