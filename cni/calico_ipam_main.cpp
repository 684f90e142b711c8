// calico-ipam: the CNI IPAM plugin binary.  All logic is in ipam_plugin.cpp.
#include <iostream>
#include <iterator>
#include <string>

#include "cni/host_io.h"
#include "cni/ipam_plugin.h"
#include "common/log.h"

int main(int argc, char** argv) {
  calico::set_log_level(calico::LogLevel::Error);
  if (argc > 1) {
    const std::string flag = argv[1];
    if (flag == "-v" || flag == "--version") {
      std::cout << "calico-ipam (calico-cpp); CNI spec versions 0.1.0-"
                << calico::cni::kLatestVersion << "\n";
      return 0;
    }
    std::cerr << "usage: calico-ipam [-v]  (a CNI plugin: run by the container runtime with "
                 "CNI_COMMAND set and the network config on stdin)\n";
    return 1;
  }
  std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  auto out = calico::cni::run_ipam_plugin(input, calico::cni::system_io());
  std::cout << out.stdout_text << std::flush;
  return out.exit_code;
}
