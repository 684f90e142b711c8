// HostNet for the real system: interface indexes over rtnetlink (the namespace this
// process runs in) and Calico's sysctls written under /proc/sys (which shows the calling
// process's network namespace).
#pragma once

#include <memory>
#include <string>

#include "felix/agent.h"

namespace calico::netlink {
class NetlinkRouteSink;
}

namespace calico::felix {

class LinuxHostNet final : public HostNet {
 public:
  // `links` answers ifindex lookups (a NetlinkRouteSink of this namespace).
  explicit LinuxHostNet(netlink::NetlinkRouteSink& links, std::string proc_sys = "/proc/sys")
      : links_(links), proc_sys_(std::move(proc_sys)) {}

  Result<int, std::string> ifindex(const std::string& iface) override;
  Result<void, std::string> configure_workload_iface(const std::string& iface, bool ipv6) override;
  Result<void, std::string> enable_forwarding(bool ipv6) override;

 private:
  Result<void, std::string> write(const std::string& path, const std::string& value,
                                  bool optional = false);
  netlink::NetlinkRouteSink& links_;
  std::string proc_sys_;
};

}  // namespace calico::felix
