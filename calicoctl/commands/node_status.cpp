#include "calicoctl/commands/node_status.h"

#include <dirent.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <ostream>

#include <nlohmann/json.hpp>

#include "calicoctl/commands/node_status_format.h"
#include "common/unix_request.h"

namespace calico::calicoctl {
namespace {

constexpr const char* kDefaultSocket = "/var/run/calico/bgp.sock";
constexpr const char* kSocketEnv = "CALICO_BGP_CONTROL_SOCKET";
constexpr std::chrono::milliseconds kSocketTimeout{5000};

std::string node_usage() {
  return "Usage:\n"
         "  calicoctl node <command> [<args>...]\n"
         "\n"
         "    status       View the current status of a Calico node.\n"
         "\n"
         "Options:\n"
         "  -h --help      Show this screen.\n"
         "\n"
         "Description:\n"
         "  Node specific commands for calicoctl.  These commands must be run directly on\n"
         "  the compute host running the Calico node instance.  Calico's other node\n"
         "  commands (run, diags, checksystem) are not supported: calico-node runs from\n"
         "  its DaemonSet (manifests/).\n"
         "\n"
         "  See 'calicoctl node <command> --help' to read about a specific subcommand.\n";
}

std::string status_usage() {
  return std::string(
             "Usage:\n"
             "  calicoctl node status [--socket=<path>] [--allow-version-mismatch]\n"
             "\n"
             "Options:\n"
             "  -h --help                    Show this screen.\n"
             "     --socket=<path>           The BGP speaker's control socket (default: $") +
         kSocketEnv + ", else " + kDefaultSocket +
         ").\n"
         "     --allow-version-mismatch  Allow client and cluster versions mismatch.\n"
         "\n"
         "Description:\n"
         "  Check the status of the Calico node instance.  This includes the status and\n"
         "  uptime of the node instance, and BGP peering states, read from calico-node's\n"
         "  BGP speaker over its control socket.  Must be run as root.\n";
}

// True if a process whose argv[0] is calico-node or calico-felix (any directory) runs in
// our PID namespace.
bool calico_process_running() {
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) {
    return false;
  }
  bool found = false;
  while (const dirent* e = ::readdir(proc)) {
    const std::string pid = e->d_name;
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    std::ifstream f("/proc/" + pid + "/cmdline", std::ios::binary);
    std::string argv0;
    std::getline(f, argv0, '\0');
    const std::string base = argv0.substr(argv0.rfind('/') + 1);
    if (base == "calico-node" || base == "calico-felix") {
      found = true;
      break;
    }
  }
  ::closedir(proc);
  return found;
}

int run_status(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string socket;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      out << status_usage();
      return 0;
    }
    if (a == "--socket" && i + 1 < args.size()) {
      socket = args[++i];
    } else if (a.rfind("--socket=", 0) == 0) {
      socket = a.substr(9);
    } else {
      err << "Invalid option: 'calicoctl node status " << a
          << "'. Use flag '--help' to read about a specific subcommand.\n";
      return 1;
    }
  }
  // Calico needs root for BIRD's socket; ours is root's too (/var/run/calico).
  if (::getuid() != 0) {
    out << "Need super user privileges: Operation not permitted\n";
    return 1;
  }
  if (socket.empty()) {
    const char* env = std::getenv(kSocketEnv);
    socket = env != nullptr && *env != '\0' ? env : kDefaultSocket;
  }
  auto reply = unix_request(socket, "status", kSocketTimeout);
  if (!reply) {
    if (!calico_process_running()) {
      err << "Calico process is not running.\n";
      return 1;
    }
    out << "Calico process is running.\n";
    err << "\nThe BGP speaker of calico-node is not answering on its control socket: "
        << reply.error() << "\n";
    return 1;
  }
  const auto status = nlohmann::json::parse(*reply, nullptr, /*allow_exceptions=*/false);
  if (!status.is_object() || status.contains("error")) {
    out << "Calico process is running.\n";
    err << "\nUnexpected reply from the BGP control socket " << socket << ": "
        << (status.is_object() ? status["error"].dump() : reply->substr(0, 200)) << "\n";
    return 1;
  }
  out << format_node_status(status, std::chrono::system_clock::now());
  return 0;
}

}  // namespace

int run_node(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty()) {
    err << node_usage();
    return 1;
  }
  const std::string& command = args.front();
  if (command == "-h" || command == "--help") {
    out << node_usage();
    return 0;
  }
  if (command == "status") {
    return run_status({std::next(args.begin()), args.end()}, out, err);
  }
  if (command == "run" || command == "diags" || command == "checksystem") {
    err << "calicoctl node " << command
        << " is not supported by this calicoctl (only \"calicoctl node status\" is)\n";
    return 1;
  }
  err << "Unknown node command \"" << command
      << "\": see 'calicoctl node --help' for the supported commands\n";
  return 1;
}

}  // namespace calico::calicoctl
