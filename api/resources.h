// Every resource type, and AnyResource: a value that holds one resource of any kind.
//
// Each resource struct has `static constexpr Kind kKind`, `ObjectMeta metadata`, a `spec`
// (and `status` where the kind has one), and a visit() listing its fields (api/codec.h).
// Per kind, api/defaults.cpp applies Calico's defaults and api/validation/*.cpp checks
// Calico's rules.
#pragma once

#include <variant>

#include "api/resources/bgp_configuration.h"
#include "api/resources/bgp_filter.h"
#include "api/resources/bgp_peer.h"
#include "api/resources/block_affinity.h"
#include "api/resources/cluster_information.h"
#include "api/resources/felix_configuration.h"
#include "api/resources/host_endpoint.h"
#include "api/resources/ipam_block.h"
#include "api/resources/ipam_configuration.h"
#include "api/resources/ipam_handle.h"
#include "api/resources/ippool.h"
#include "api/resources/ipreservation.h"
#include "api/resources/k8s_network_policy.h"
#include "api/resources/network_policy.h"
#include "api/resources/network_set.h"
#include "api/resources/node.h"
#include "api/resources/profile.h"
#include "api/resources/tier.h"
#include "api/resources/workload_endpoint.h"
#include "common/result.h"

namespace calico::api {

using AnyResource =
    std::variant<IPPool, IPReservation, IPAMConfiguration, BGPConfiguration, BGPPeer, BGPFilter,
                 Node, WorkloadEndpoint, HostEndpoint, NetworkPolicy, GlobalNetworkPolicy, Profile,
                 NetworkSet, GlobalNetworkSet, Tier, FelixConfiguration, ClusterInformation,
                 IPAMBlock, BlockAffinity, IPAMHandle, KubernetesNetworkPolicy>;

Kind kind_of(const AnyResource& r);
const ObjectMeta& meta_of(const AnyResource& r);
ObjectMeta& meta_of(AnyResource& r);

// Default-constructs the resource type of `kind` (metadata and spec empty).
AnyResource make_resource(Kind kind);

}  // namespace calico::api
