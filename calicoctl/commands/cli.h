// calicoctl command line: parsing (pure) and execution against a Datastore.
//
// Supported so far (the seed of issue 8; flags and messages follow Calico's calicoctl):
//   calicoctl create|apply|replace -f FILE [--skip-exists]
//   calicoctl delete (-f FILE | KIND NAME...) [-n NS] [--skip-not-exists]
//   calicoctl get KIND [NAME...] [-n NS | -A] [-o ps|wide|yaml|json|name]
//   calicoctl validate -f FILE
//   calicoctl policy render -f FILE... [--node NAME] [--iface-prefix P] [--table T]
//     (a debug command: no datastore; see calicoctl/commands/policy_render.h)
// Global: -c/--config FILE (CalicoAPIConfig), env DATASTORE_TYPE, ETCD_ENDPOINTS, ...
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "api/kind.h"
#include "common/result.h"
#include "datastore/datastore.h"

namespace calico::calicoctl {

enum class Verb {
  Create,
  Apply,
  Replace,
  Delete,
  Get,
  Patch,
  Label,
  Validate,
  PolicyRender,
  Node,  // `calicoctl node ...`: sub_args go to run_node (node_status.h)
  Ipam,  // `calicoctl ipam ...`: sub_args go to run_ipam (ipam.h)
  Help
};

struct Command {
  Verb verb = Verb::Help;
  std::string config_file;         // -c
  std::string log_level;           // -l (default: errors only)
  std::vector<std::string> files;  // -f (may repeat; "-" = stdin)
  std::optional<api::Kind> kind;
  std::vector<std::string> names;
  std::string ns;  // -n
  bool all_namespaces = false;
  std::string output = "ps";  // -o
  bool skip_exists = false;
  bool skip_not_exists = false;
  // policy render
  std::string node;                   // --node: local endpoints are this node's ("" = all)
  std::string iface_prefix = "cali";  // --iface-prefix
  std::string table = "calico";       // --table
  // node / ipam: every argument after the subcommand word except the global ones
  // (-c/--config, -l/--log-level, --allow-version-mismatch), in order.
  std::vector<std::string> sub_args;
};

// Parses argv (without the program name).  Errors are one-line messages.
Result<Command, std::string> parse_args(const std::vector<std::string>& args);

std::string usage();

// True if the command runs without a datastore (help, validate, policy render, node,
// `ipam` help).
bool needs_datastore(const Command& cmd);

// Reads every resource document of one file ("-" = stdin); namespaced resources without a
// namespace get `ns` ("default" if empty).  Errors name the file and document.
Result<std::vector<api::AnyResource>, std::string> load_file(const std::string& file,
                                                             const std::string& ns,
                                                             std::istream& stdin_stream);

// Reads every resource document from the command's files.  Errors name the file and
// document.
Result<std::vector<api::AnyResource>, std::string> load_resources(const Command& cmd,
                                                                  std::istream& stdin_stream);

// Runs a parsed command; returns the process exit code.  `ds` may be null for commands
// that need no datastore (validate, help).
int run(const Command& cmd, datastore::Datastore* ds, std::istream& in, std::ostream& out,
        std::ostream& err);

}  // namespace calico::calicoctl
