// IPPool (projectcalico.org/v3, cluster scoped): a range of pod addresses cut into blocks.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/codec.h"
#include "api/kind.h"
#include "api/meta.h"

namespace calico::api {

inline constexpr int kDefaultBlockSizeV4 = 26;
inline constexpr int kDefaultBlockSizeV6 = 122;

struct IPPoolSpec {
  std::string cidr;
  int block_size = 0;      // 0 = unset; defaulted to 26 (v4) / 122 (v6)
  std::string ipip_mode;   // Never | Always | CrossSubnet (default Never)
  std::string vxlan_mode;  // Never | Always | CrossSubnet (default Never)
  bool nat_outgoing = false;
  bool disabled = false;
  bool disable_bgp_export = false;
  std::string node_selector;  // default all()
  std::string namespace_selector;
  std::vector<std::string> allowed_uses;  // Workload | Tunnel | LoadBalancer
  std::string assignment_mode;            // Automatic | Manual (default Automatic)

  template <class V>
  void visit(V& v) {
    v("cidr", cidr);
    v("vxlanMode", vxlan_mode);
    v("ipipMode", ipip_mode);
    v("natOutgoing", nat_outgoing);
    v("disabled", disabled);
    v("disableBGPExport", disable_bgp_export);
    v("blockSize", block_size);
    v("nodeSelector", node_selector);
    v("namespaceSelector", namespace_selector);
    v("allowedUses", allowed_uses);
    v("assignmentMode", assignment_mode);
  }
  bool operator==(const IPPoolSpec&) const = default;
};

struct IPPool {
  static constexpr Kind kKind = Kind::IPPool;
  ObjectMeta metadata;
  IPPoolSpec spec;

  template <class V>
  void visit(V& v) {
    v("metadata", metadata, Emit::Always);
    v("spec", spec, Emit::Always);
  }
  bool operator==(const IPPool&) const = default;
};

}  // namespace calico::api
