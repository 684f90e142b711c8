// calicoctl: flags -> command, config -> datastore, run.  Logic lives in commands/.
#include <iostream>

#include "calicoctl/commands/cli.h"
#include "common/log.h"
#include "datastore/open/open.h"

int main(int argc, char** argv) {
  calico::set_log_level(calico::LogLevel::Error);
  const std::vector<std::string> args(argv + 1, argv + argc);
  auto cmd = calico::calicoctl::parse_args(args);
  if (!cmd) {
    std::cerr << cmd.error() << "\n";
    return 1;
  }
  std::unique_ptr<calico::datastore::Datastore> ds;
  if (calico::calicoctl::needs_datastore(*cmd)) {
    auto config =
        calico::datastore::load_config(cmd->config_file, calico::datastore::process_environment());
    if (!config) {
      std::cerr << "Failed to load datastore configuration: " << config.error() << "\n";
      return 1;
    }
    auto opened = calico::datastore::open_datastore(*config);
    if (!opened) {
      std::cerr << "Failed to open the datastore: " << opened.error() << "\n";
      return 1;
    }
    ds = std::move(*opened);
  }
  return calico::calicoctl::run(*cmd, ds.get(), std::cin, std::cout, std::cerr);
}
