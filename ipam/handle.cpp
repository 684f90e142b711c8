// IPAMHandle reference counting (ipam/handle.h).
#include "ipam/handle.h"

#include <string>

namespace calico::ipam {

namespace {

constexpr const char* kIpipPrefix = "ipip-tunnel-addr-";
constexpr const char* kVxlanPrefix = "vxlan-tunnel-addr-";
constexpr const char* kVxlanV6Prefix = "vxlan-v6-tunnel-addr-";
constexpr const char* kTunnelPrefixes[] = {kIpipPrefix, kVxlanPrefix, kVxlanV6Prefix,
                                           "wireguard-tunnel-addr-", "wireguard-v6-tunnel-addr-"};

}  // namespace

std::string pod_handle_id(const std::string& network_name, const std::string& container_id) {
  return (network_name.empty() ? std::string(kDefaultNetworkName) : network_name) + "." +
         container_id;
}

std::string ipip_tunnel_handle_id(const std::string& node) {
  return kIpipPrefix + node;
}

std::string vxlan_tunnel_handle_id(const std::string& node, bool v6) {
  return (v6 ? kVxlanV6Prefix : kVxlanPrefix) + node;
}

std::optional<std::string> tunnel_handle_node(const std::string& handle_id) {
  for (const std::string prefix : kTunnelPrefixes) {
    if (handle_id.size() > prefix.size() && handle_id.rfind(prefix, 0) == 0) {
      return handle_id.substr(prefix.size());
    }
  }
  return std::nullopt;
}

std::string clean_handle_id(const std::string& handle_id) {
  return handle_id.substr(0, handle_id.find('\r'));
}

api::IPAMHandleSpec new_handle(const std::string& handle_id) {
  api::IPAMHandleSpec h;
  h.handle_id = handle_id;
  return h;
}

void increment(api::IPAMHandleSpec& handle, const std::string& block_cidr, int n) {
  if (n > 0) {
    handle.block[block_cidr] += n;
  }
}

Result<void, std::string> decrement(api::IPAMHandleSpec& handle, const std::string& block_cidr,
                                    int n) {
  auto it = handle.block.find(block_cidr);
  const int have = it == handle.block.end() ? 0 : it->second;
  if (n > have) {
    return fail("handle " + handle.handle_id + " holds " + std::to_string(have) +
                " addresses in block " + block_cidr + ", cannot release " + std::to_string(n));
  }
  if (n == have && it != handle.block.end()) {
    handle.block.erase(it);
  } else if (n > 0) {
    it->second -= n;
  }
  return {};
}

bool handle_empty(const api::IPAMHandleSpec& handle) {
  return handle.block.empty();
}

}  // namespace calico::ipam
