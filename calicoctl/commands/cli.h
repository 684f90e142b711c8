// calicoctl command line: parsing (pure) and execution against a Datastore.
//
// Commands, flags, messages and exit codes follow Calico's released calicoctl (see
// usage() and calicoctl/README.md):
//   create|apply|replace|delete|get|patch|label|validate  (resources.h, printer.h)
//   node status                                            (node_status.h)
//   ipam show|check|release|configure|split                (ipam.h)
//   datastore migrate lock|unlock                          (datastore_cmd.h)
//   policy render   (our debug command: no datastore; policy_render.h)
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
  Node,       // `calicoctl node ...`: sub_args go to run_node (node_status.h)
  Ipam,       // `calicoctl ipam ...`: sub_args go to run_ipam (ipam.h)
  Datastore,  // `calicoctl datastore migrate lock|unlock` (datastore_cmd.h)
  Help
};

struct Command {
  Verb verb = Verb::Help;
  std::string config_file;         // -c
  std::string log_level;           // -l (default: errors only)
  std::vector<std::string> files;  // -f (may repeat; "-" = stdin)
  std::optional<api::Kind> kind;
  std::string kind_word;  // KIND as typed ("nodes"): label's messages use it
  std::vector<std::string> names;
  std::string label;  // label: key=value, or key with --remove
  std::string ns;     // -n
  bool all_namespaces = false;
  std::string output = "ps";  // -o
  bool skip_exists = false;
  bool skip_not_exists = false;
  bool recursive = false;   // -R: directories given to -f are walked recursively
  bool skip_empty = false;  // --skip-empty: an empty file or directory is not an error
  bool export_ = false;     // --export: get strips cluster-specific metadata
  // patch
  std::string patch;                     // -p/--patch
  std::string patch_type = "strategic";  // -t/--type: strategic | merge | json
  // label
  bool overwrite = false;  // --overwrite
  bool remove = false;     // --remove
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

// Runs a parsed command; returns the process exit code.  `ds` may be null for commands
// that need no datastore (validate, help).
int run(const Command& cmd, datastore::Datastore* ds, std::istream& in, std::ostream& out,
        std::ostream& err);

}  // namespace calico::calicoctl
