// calico-cni-install: the CNI DaemonSet init container's program (see cni/install.h).
//
//   calico-cni-install [--source-dir D] [--bin-dir D] [--net-dir D] [--conf-name F]
//                      [--serviceaccount-dir D]
// Flags override the environment (CNI_SOURCE_DIR, CNI_BIN_DIR, CNI_NET_DIR, CNI_CONF_NAME,
// SERVICEACCOUNT_DIR, ...).  The plugin binaries are taken from this program's own
// directory unless told otherwise.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>

#include "cni/install.h"

namespace {

int usage(const std::string& why) {
  std::cerr << "calico-cni-install: " << why
            << "\nusage: calico-cni-install [--source-dir D] [--bin-dir D] [--net-dir D] "
               "[--conf-name F] [--serviceaccount-dir D]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  namespace install = calico::cni::install;
  auto settings = install::settings_from_env([](const std::string& name) {
    const char* v = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe): read only
    return v != nullptr ? std::optional<std::string>(v) : std::nullopt;
  });
  if (!settings) {
    std::cerr << "calico-cni-install: " << settings.error() << "\n";
    return 1;
  }
  install::Settings& s = *settings;
  const std::map<std::string, std::string*> flags = {
      {"--source-dir", &s.source_dir},
      {"--bin-dir", &s.bin_dir},
      {"--net-dir", &s.net_dir},
      {"--conf-name", &s.conf_name},
      {"--serviceaccount-dir", &s.serviceaccount_dir}};
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "-h" || flag == "--help") {
      return usage("installs the calico CNI plugins, their network config and kubeconfig");
    }
    auto it = flags.find(flag);
    if (it == flags.end() || i + 1 >= argc) {
      return usage(it == flags.end() ? "unknown flag " + flag : std::string("flag needs a value"));
    }
    *it->second = argv[++i];
  }
  if (s.source_dir.empty()) {
    std::error_code ec;
    s.source_dir = std::filesystem::read_symlink("/proc/self/exe", ec).parent_path().string();
  }
  if (s.node_name.empty()) {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) == 0) {
      s.node_name = host;
    }
  }
  auto report = install::run_install(s);
  if (!report) {
    std::cerr << "calico-cni-install: " << report.error() << "\n";
    return 1;
  }
  for (const auto& f : report->installed) {
    std::cout << "installed " << f << "\n";
  }
  for (const auto& f : report->skipped) {
    std::cout << "skipped " << f << "\n";
  }
  return 0;
}
