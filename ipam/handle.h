// IPAMHandle reference counting and Calico's handle ID conventions (research doc
// calico-model.md 3.5, 3.7).  IPAMHandle.spec.block[cidr] is the number of live addresses
// the handle holds in that block: +n before the block write on allocate (rolled back if the
// block write fails), -n after the block write on release; zero entries are removed and a
// handle with no entries is deleted.
#pragma once

#include <optional>
#include <string>

#include "api/resources/ipam_handle.h"
#include "common/result.h"

namespace calico::ipam {

inline constexpr const char* kDefaultNetworkName = "k8s-pod-network";

// "<network>.<container id>" as the Calico CNI plugin derives it.
std::string pod_handle_id(const std::string& network_name, const std::string& container_id);
// "ipip-tunnel-addr-<node>" etc.
std::string ipip_tunnel_handle_id(const std::string& node);
std::string vxlan_tunnel_handle_id(const std::string& node, bool v6);
// The node of a tunnel-address handle (IPIP, VXLAN v4/v6, WireGuard v4/v6), or nullopt
// for any other handle.
std::optional<std::string> tunnel_handle_node(const std::string& handle_id);
// Drops anything from the first '\r' on (data from an old host-local migration bug), as
// Calico does before releasing.
std::string clean_handle_id(const std::string& handle_id);

api::IPAMHandleSpec new_handle(const std::string& handle_id);
void increment(api::IPAMHandleSpec& handle, const std::string& block_cidr, int n);
// Errors (leaving the handle unchanged) if the handle holds fewer than n addresses there.
Result<void, std::string> decrement(api::IPAMHandleSpec& handle, const std::string& block_cidr,
                                    int n);
// True when the handle holds nothing: the object should be deleted.
bool handle_empty(const api::IPAMHandleSpec& handle);

}  // namespace calico::ipam
