#include "felix/node/host_net_linux.h"

#include <cerrno>
#include <cstring>
#include <fstream>

#include "netlink/route_sink_nl.h"

namespace calico::felix {

Result<int, std::string> LinuxHostNet::ifindex(const std::string& iface) {
  return links_.ifindex(iface);
}

Result<void, std::string> LinuxHostNet::write(const std::string& path, const std::string& value,
                                              bool optional) {
  const std::string full = proc_sys_ + "/" + path;
  std::ofstream f(full);
  if (!f) {
    if (optional && errno == ENOENT) {
      return {};
    }
    return fail("writing " + full + ": " + std::strerror(errno));
  }
  f << value << "\n";
  f.close();
  if (!f) {
    return fail("writing " + value + " to " + full + ": " + std::strerror(errno));
  }
  return {};
}

Result<void, std::string> LinuxHostNet::configure_workload_iface(const std::string& iface,
                                                                 bool ipv6) {
  if (iface.empty() || iface.find('/') != std::string::npos || iface == "." || iface == "..") {
    return fail("invalid interface name \"" + iface + "\"");
  }
  // Calico's configureProcSysForInterface (research: policy-dataplane.md 5.3).
  const std::pair<std::string, std::string> v4[] = {
      {"net/ipv4/conf/" + iface + "/route_localnet", "1"},
      {"net/ipv4/neigh/" + iface + "/proxy_delay", "0"},
      {"net/ipv4/conf/" + iface + "/proxy_arp", "1"},
      {"net/ipv4/conf/" + iface + "/forwarding", "1"},
  };
  for (const auto& [path, value] : v4) {
    if (auto r = write(path, value); !r) {
      return r;
    }
  }
  // accept_ra=0 even without IPv6 (the file is absent when IPv6 is disabled).
  if (auto r = write("net/ipv6/conf/" + iface + "/accept_ra", "0", true); !r) {
    return r;
  }
  if (ipv6) {
    for (const char* leaf : {"proxy_ndp", "forwarding"}) {
      if (auto r = write("net/ipv6/conf/" + iface + "/" + leaf, "1"); !r) {
        return r;
      }
    }
  }
  return {};
}

Result<void, std::string> LinuxHostNet::enable_forwarding(bool ipv6) {
  if (auto r = write("net/ipv4/ip_forward", "1"); !r) {
    return r;
  }
  if (ipv6) {
    return write("net/ipv6/conf/all/forwarding", "1", true);
  }
  return {};
}

}  // namespace calico::felix
