// calico-node: felix and the BGP speaker of one node (felix/node/daemon.h).
//
//   calico-node                     run (configuration from the environment, as Calico's)
//   calico-node -felix-live -bird-live | -felix-ready -bird-ready
//                                   probe the running daemon's health endpoint (exit 0 =
//                                   healthy), for the DaemonSet's liveness/readiness probes
//                                   (felix/health_probe.h)
//   calico-node --check-config      validate the environment and exit
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "felix/health_probe.h"
#include "felix/node/daemon.h"
#include "felix/node/health_server.h"

namespace {

int usage() {
  std::cerr << "usage: calico-node [-felix-live] [-bird-live] | [-felix-ready] [-bird-ready] | "
               "--check-config\n";
  return 2;
}

std::string hostname() {
  std::array<char, 256> buf{};
  return gethostname(buf.data(), buf.size() - 1) == 0 ? std::string(buf.data()) : "";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace calico;
  const auto env = datastore::process_environment();
  auto opt = felix::node_options_from_env(env, hostname());
  if (!opt) {
    std::cerr << "calico-node: " << opt.error() << "\n";
    return 1;
  }
  std::vector<std::string> probe_args;
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--check-config") {
      check_only = true;
    } else {
      probe_args.push_back(a);
    }
  }
  std::string probe;
  if (!probe_args.empty()) {
    auto path = felix::probe_path(probe_args);
    if (!path) {
      return usage();
    }
    probe = *path;
  }
  if (!probe.empty()) {
    const std::string host = opt->health_host == "localhost" ? "127.0.0.1" : opt->health_host;
    auto r = felix::http_get(host, opt->health_port, probe, std::chrono::seconds(5));
    if (!r) {
      std::cerr << "calico-node: " << r.error() << "\n";
      return 1;
    }
    std::cout << r->second;
    return r->first == 200 ? 0 : 1;
  }
  auto ds = datastore::load_config("", env);
  if (!ds) {
    std::cerr << "calico-node: " << ds.error() << "\n";
    return 1;
  }
  if (check_only) {
    std::cout << "calico-node: configuration is valid (node " << opt->node_name << ")\n";
    return 0;
  }
  return felix::run_node_daemon(*opt, *ds);
}
