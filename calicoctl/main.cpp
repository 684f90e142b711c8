// calicoctl: flags -> command, config -> datastore, run.  Logic lives in commands/.
#include <filesystem>
#include <iostream>

#include "calicoctl/commands/cli.h"
#include "common/log.h"
#include "datastore/open/open.h"

namespace {

constexpr const char* kDefaultConfig = "/etc/calico/calicoctl.cfg";

// Calico's -l levels: panic and fatal log nothing we would print, so both mean "off".
bool apply_log_level(const std::string& text) {
  if (text.empty() || text == "panic" || text == "fatal") {
    calico::set_log_level(calico::LogLevel::Off);
    return true;
  }
  calico::LogLevel level{};
  if (!calico::parse_log_level(text == "warning" ? "warn" : text, level)) {
    return false;
  }
  calico::set_log_level(level);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  auto cmd = calico::calicoctl::parse_args(args);
  if (!cmd) {
    std::cerr << cmd.error() << "\n";
    return 1;
  }
  if (!apply_log_level(cmd->log_level)) {
    std::cerr << "Unknown log level: " << cmd->log_level
              << ", expected one of: \npanic, fatal, error, warn, info, debug.\n";
    return 1;
  }
  std::unique_ptr<calico::datastore::Datastore> ds;
  if (calico::calicoctl::needs_datastore(*cmd)) {
    std::string path = cmd->config_file;
    std::error_code ec;
    if (path.empty() && std::filesystem::exists(kDefaultConfig, ec)) {
      path = kDefaultConfig;  // Calico's default -c, used when it exists
    }
    auto config = calico::datastore::load_config(path, calico::datastore::process_environment());
    if (!config) {
      std::cerr << "Failed to load datastore configuration: " << config.error() << "\n";
      return 1;
    }
    auto opened = calico::datastore::open_datastore(*config);
    if (!opened) {
      std::cerr << "Failed to create Calico API client: " << opened.error() << "\n";
      return 1;
    }
    ds = std::move(*opened);
  }
  return calico::calicoctl::run(*cmd, ds.get(), std::cin, std::cout, std::cerr);
}
