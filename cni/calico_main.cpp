// calico: the CNI plugin binary.  All logic is in calico_plugin.cpp / calico_run.cpp; the
// real system (delegate exec, netlink dataplane) is wired here.
#include <iostream>
#include <iterator>
#include <string>

#include "cni/calico_host.h"
#include "cni/calico_plugin.h"
#include "common/log.h"
#include "netlink/workload_veth.h"

int main(int argc, char** argv) {
  calico::set_log_level(calico::LogLevel::Error);
  if (argc > 1) {
    const std::string flag = argv[1];
    if (flag == "-v" || flag == "--version") {
      std::cout << "calico (calico-cpp); CNI spec versions 0.1.0-" << calico::cni::kLatestVersion
                << "\n";
      return 0;
    }
    std::cerr << "usage: calico [-v]  (a CNI plugin: run by the container runtime with "
                 "CNI_COMMAND set and the network config on stdin)\n";
    return 1;
  }
  std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  calico::netlink::WorkloadVeth dataplane;
  auto out = calico::cni::run_calico_plugin(input, calico::cni::calico_system_io(dataplane));
  std::cout << out.stdout_text << std::flush;
  return out.exit_code;
}
