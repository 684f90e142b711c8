// The registry of resource kinds: names, plurals, scope and storage class.
//
// One row per kind, used by the document decoder (apiVersion + kind -> type), by the
// datastore backends (plural for etcd keys and CRD URLs) and by calicoctl (short names).
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace calico::api {

enum class Kind {
  // projectcalico.org/v3 user-facing kinds
  IPPool,
  IPReservation,
  IPAMConfiguration,  // stored as IPAMConfig (KDD) / /calico/ipam/v2/config (etcd)
  BGPConfiguration,
  BGPPeer,
  BGPFilter,
  Node,
  WorkloadEndpoint,
  HostEndpoint,
  NetworkPolicy,
  GlobalNetworkPolicy,
  Profile,
  NetworkSet,
  GlobalNetworkSet,
  Tier,
  FelixConfiguration,
  ClusterInformation,
  // IPAM storage kinds (projectcalico.org/v3 read-mostly; crd.projectcalico.org/v1 in KDD)
  IPAMBlock,
  BlockAffinity,
  IPAMHandle,
  // Kubernetes networking.k8s.io/v1 NetworkPolicy
  KubernetesNetworkPolicy,
};

inline constexpr std::string_view kCalicoApiVersion = "projectcalico.org/v3";
inline constexpr std::string_view kCrdApiVersion = "crd.projectcalico.org/v1";
inline constexpr std::string_view kK8sNetworkingApiVersion = "networking.k8s.io/v1";

enum class Storage {
  V3Resource,    // /calico/resources/v3/projectcalico.org/<plural>/[<ns>/]<name>
  IpamBlock,     // /calico/ipam/v2/assignment/ipv<N>/block/<cidr with / as ->
  IpamAffinity,  // /calico/ipam/v2/host/<host>/ipv<N>/block/<cidr with / as ->
  IpamHandle,    // /calico/ipam/v2/handle/<handleID>
  IpamConfig,    // /calico/ipam/v2/config
  Kubernetes,    // native Kubernetes object (not stored in etcd by us)
};

struct KindInfo {
  Kind kind;
  std::string_view name;         // "IPPool"
  std::string_view plural;       // "ippools"
  std::string_view api_version;  // canonical apiVersion
  bool namespaced;
  Storage storage;
  std::string_view short_names;  // comma-separated calicoctl aliases
};

inline constexpr std::array<KindInfo, 21> kKinds{{
    {Kind::IPPool, "IPPool", "ippools", kCalicoApiVersion, false, Storage::V3Resource,
     "ippool,ipp,ipps,pool,pools"},
    {Kind::IPReservation, "IPReservation", "ipreservations", kCalicoApiVersion, false,
     Storage::V3Resource, "ipreservation,ipr,reservation,reservations"},
    {Kind::IPAMConfiguration, "IPAMConfiguration", "ipamconfigurations", kCalicoApiVersion, false,
     Storage::IpamConfig, "ipamconfiguration,ipamconfig,ipamconfigs"},
    {Kind::BGPConfiguration, "BGPConfiguration", "bgpconfigurations", kCalicoApiVersion, false,
     Storage::V3Resource, "bgpconfiguration,bgpconfig,bgpconfigs"},
    {Kind::BGPPeer, "BGPPeer", "bgppeers", kCalicoApiVersion, false, Storage::V3Resource,
     "bgppeer,bgpp,bgpps,bp,bps"},
    {Kind::BGPFilter, "BGPFilter", "bgpfilters", kCalicoApiVersion, false, Storage::V3Resource,
     "bgpfilter,bgpf,bgpfs,bf,bfs"},
    {Kind::Node, "Node", "nodes", kCalicoApiVersion, false, Storage::V3Resource, "node,no,nos"},
    {Kind::WorkloadEndpoint, "WorkloadEndpoint", "workloadendpoints", kCalicoApiVersion, true,
     Storage::V3Resource, "workloadendpoint,wep,weps"},
    {Kind::HostEndpoint, "HostEndpoint", "hostendpoints", kCalicoApiVersion, false,
     Storage::V3Resource, "hostendpoint,hep,heps"},
    {Kind::NetworkPolicy, "NetworkPolicy", "networkpolicies", kCalicoApiVersion, true,
     Storage::V3Resource, "networkpolicy,policy,policies,pol,pols,np,cnp,caliconetworkpolicy"},
    {Kind::GlobalNetworkPolicy, "GlobalNetworkPolicy", "globalnetworkpolicies", kCalicoApiVersion,
     false, Storage::V3Resource, "globalnetworkpolicy,gnp,gnps,cgnp"},
    {Kind::Profile, "Profile", "profiles", kCalicoApiVersion, false, Storage::V3Resource,
     "profile,pro,pros"},
    {Kind::NetworkSet, "NetworkSet", "networksets", kCalicoApiVersion, true, Storage::V3Resource,
     "networkset,netset,netsets"},
    {Kind::GlobalNetworkSet, "GlobalNetworkSet", "globalnetworksets", kCalicoApiVersion, false,
     Storage::V3Resource, "globalnetworkset,gns,gnetsets"},
    {Kind::Tier, "Tier", "tiers", kCalicoApiVersion, false, Storage::V3Resource, "tier"},
    {Kind::FelixConfiguration, "FelixConfiguration", "felixconfigurations", kCalicoApiVersion,
     false, Storage::V3Resource, "felixconfiguration,felixconfig,felixconfigs"},
    {Kind::ClusterInformation, "ClusterInformation", "clusterinformations", kCalicoApiVersion,
     false, Storage::V3Resource, "clusterinformation,clusterinfo,clusterinfos"},
    {Kind::IPAMBlock, "IPAMBlock", "ipamblocks", kCalicoApiVersion, false, Storage::IpamBlock,
     "ipamblock"},
    {Kind::BlockAffinity, "BlockAffinity", "blockaffinities", kCalicoApiVersion, false,
     Storage::IpamAffinity, "blockaffinity,affinity,affinities"},
    {Kind::IPAMHandle, "IPAMHandle", "ipamhandles", kCalicoApiVersion, false, Storage::IpamHandle,
     "ipamhandle"},
    {Kind::KubernetesNetworkPolicy, "NetworkPolicy", "networkpolicies", kK8sNetworkingApiVersion,
     true, Storage::Kubernetes, "knp"},
}};

const KindInfo& info(Kind kind);

// How a kind is stored in the Kubernetes datastore (KDD): as the crd.projectcalico.org/v1
// custom resource `kind` / `plural` (Calico's names; IPAMConfiguration is the CRD
// IPAMConfig), with the scope of KindInfo::namespaced.  nullopt for kinds that are
// projections of native Kubernetes objects (Node, WorkloadEndpoint, Profile) or native
// themselves (Kubernetes NetworkPolicy).  Used by datastore/kdd and by the CRD manifests
// (api/crd_schema.h).
struct CrdNames {
  std::string_view kind;
  std::string_view plural;
};
std::optional<CrdNames> crd_names(Kind kind);

// Resolves (apiVersion, kind) from a document. apiVersion "crd.projectcalico.org/v1" is
// accepted for Calico kinds; kind "IPAMConfig" is an alias of IPAMConfiguration.
std::optional<Kind> kind_from_document(std::string_view api_version, std::string_view kind);
// Resolves a calicoctl-style name: kind name, plural or short name, case-insensitive
// (Calico kinds only).
std::optional<Kind> kind_from_cli_name(std::string_view name);

}  // namespace calico::api
