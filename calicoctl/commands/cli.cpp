#include "calicoctl/commands/cli.h"

#include <ostream>

#include "calicoctl/commands/datastore_cmd.h"
#include "calicoctl/commands/ipam.h"
#include "calicoctl/commands/node_status.h"
#include "calicoctl/commands/policy_render.h"
#include "calicoctl/commands/printer.h"
#include "calicoctl/commands/resources.h"

namespace calico::calicoctl {
namespace {

struct VerbName {
  std::string_view name;
  Verb verb;
};
constexpr VerbName kVerbs[] = {{"create", Verb::Create},
                               {"apply", Verb::Apply},
                               {"replace", Verb::Replace},
                               {"delete", Verb::Delete},
                               {"get", Verb::Get},
                               {"patch", Verb::Patch},
                               {"label", Verb::Label},
                               {"validate", Verb::Validate},
                               {"node", Verb::Node},
                               {"ipam", Verb::Ipam},
                               {"datastore", Verb::Datastore}};

bool takes_file(Verb v) {
  return v == Verb::Create || v == Verb::Apply || v == Verb::Replace || v == Verb::Delete ||
         v == Verb::Get || v == Verb::Validate;
}

// Calico's docopt message for a command line it cannot parse.
std::string invalid_option(const std::vector<std::string>& args, const std::string& why) {
  std::string line;
  for (const auto& a : args) {
    line += (line.empty() ? "" : " ") + a;
  }
  return "Invalid option: 'calicoctl " + line + "' (" + why +
         "). Use flag '--help' to read about a specific subcommand.";
}

}  // namespace

std::string usage() {
  return R"(Usage:
  calicoctl [options] <command> [<args>...]

    create       Create a resource by file, directory or stdin.
    replace      Replace a resource by file, directory or stdin.
    apply        Apply a resource by file, directory or stdin.  This creates a resource
                 if it does not exist, and replaces a resource if it does exists.
    patch        Patch a pre-existing resource in place.
    delete       Delete a resource identified by file, directory, stdin or resource type and
                 name.
    get          Get a resource identified by file, directory, stdin or resource type and
                 name.
    label        Add or update labels of resources.
    validate     Validate a resource by file, directory or stdin without applying it.
    ipam         IP address management (show, check, release, configure, split).
    node         Calico node management (status).
    datastore    Calico datastore management (migrate lock, migrate unlock).
    policy       Render policy to nftables without a datastore (policy render -f FILE).

Resource commands:
  calicoctl create  -f FILE [-R] [--skip-empty] [--skip-exists] [-n NS] [-c CONFIG]
  calicoctl apply   -f FILE [-R] [--skip-empty] [-n NS] [-c CONFIG]
  calicoctl replace -f FILE [-R] [--skip-empty] [-n NS] [-c CONFIG]
  calicoctl delete  (KIND NAME... | -f FILE [-R] [--skip-empty]) [-s|--skip-not-exists]
                    [-n NS] [-c CONFIG]
  calicoctl get     (KIND [NAME...] | -f FILE [-R] [--skip-empty]) [-o OUTPUT] [-n NS | -A]
                    [--export] [-c CONFIG]
                    OUTPUT: ps (default), wide, yaml, json, name, custom-columns=COL,...
  calicoctl patch   KIND NAME -p PATCH [-t strategic|merge|json] [-n NS] [-c CONFIG]
  calicoctl label   KIND NAME (KEY=VALUE [--overwrite] | KEY --remove) [-n NS] [-c CONFIG]
  calicoctl validate -f FILE [-R] [--skip-empty]

Options:
  -h --help                  Show this screen.
  -l --log-level=<level>     Set the log level (one of panic, fatal, error, warn, info,
                             debug) [default: panic]
  -c --config=<CONFIG>       Path to the file containing connection configuration in YAML
                             or JSON format (CalicoAPIConfig) [default: /etc/calico/calicoctl.cfg].
                             The environment (DATASTORE_TYPE, ETCD_ENDPOINTS, KUBECONFIG, ...)
                             overrides it.
     --allow-version-mismatch Accepted for compatibility (there is no version check).
)";
}

bool needs_datastore(const Command& cmd) {
  switch (cmd.verb) {
    case Verb::Help:
    case Verb::Validate:
    case Verb::PolicyRender:
    case Verb::Node:
      return false;
    case Verb::Ipam:
      return ipam_needs_datastore(cmd.sub_args);
    case Verb::Datastore:
      return datastore_cmd_needs_datastore(cmd.sub_args);
    default:
      return true;
  }
}

Result<Command, std::string> parse_args(const std::vector<std::string>& args) {
  Command cmd;
  std::vector<std::string> positional;
  std::vector<std::string> render_flags;  // flags only `policy render` takes
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string_view flag) -> Result<std::string, std::string> {
      const auto eq = a.find('=');
      if (eq != std::string::npos && a.rfind("-", 0) == 0) {
        return a.substr(eq + 1);
      }
      if (i + 1 >= args.size()) {
        return fail("flag " + std::string(flag) + " needs a value");
      }
      return args[++i];
    };
    auto is = [&](std::string_view s, std::string_view l) {
      return a == s || a == l || a.rfind(std::string(l) + "=", 0) == 0 ||
             a.rfind(std::string(s) + "=", 0) == 0;
    };
    const bool subcommand =
        !positional.empty() &&
        (positional[0] == "node" || positional[0] == "ipam" || positional[0] == "datastore");
    Result<std::string, std::string> v = std::string();
    if (is("-l", "--log-level")) {
      if (!(v = value("--log-level"))) {
        return fail(v.error());
      }
      cmd.log_level = *v;
    } else if (a == "--allow-version-mismatch") {
      // Accepted for script compatibility: there is no version check to skip.
    } else if (is("-c", "--config")) {
      if (!(v = value("--config"))) {
        return fail(v.error());
      }
      cmd.config_file = *v;
    } else if (subcommand) {
      cmd.sub_args.push_back(a);
    } else if (is("-f", "--filename")) {
      if (!(v = value("--filename"))) {
        return fail(v.error());
      }
      cmd.files.push_back(*v);
    } else if (is("-n", "--namespace")) {
      if (!(v = value("--namespace"))) {
        return fail(v.error());
      }
      cmd.ns = *v;
    } else if (is("-o", "--output")) {
      if (!(v = value("--output"))) {
        return fail(v.error());
      }
      cmd.output = *v;
      if (!valid_output(cmd.output)) {
        return fail("unrecognized output format '" + cmd.output + "'");
      }
    } else if (is("-p", "--patch")) {
      if (!(v = value("--patch"))) {
        return fail(v.error());
      }
      cmd.patch = *v;
    } else if (is("-t", "--type")) {
      if (!(v = value("--type"))) {
        return fail(v.error());
      }
      cmd.patch_type = *v;
      if (cmd.patch_type != "strategic" && cmd.patch_type != "merge" && cmd.patch_type != "json") {
        return fail("unsupported patch type \"" + cmd.patch_type + "\" (strategic, merge or json)");
      }
    } else if (const std::string flag = a.substr(0, a.find('='));
               flag == "--node" || flag == "--iface-prefix" || flag == "--table") {
      if (!(v = value(flag))) {
        return fail(v.error());
      }
      (flag == "--node" ? cmd.node : flag == "--table" ? cmd.table : cmd.iface_prefix) = *v;
      render_flags.push_back(flag);
    } else if (a == "-A" || a == "-a" || a == "--all-namespaces") {
      cmd.all_namespaces = true;
    } else if (a == "--skip-exists") {
      cmd.skip_exists = true;
    } else if (a == "-s" || a == "--skip-not-exists") {
      cmd.skip_not_exists = true;
    } else if (a == "-R" || a == "--recursive") {
      cmd.recursive = true;
    } else if (a == "--skip-empty") {
      cmd.skip_empty = true;
    } else if (a == "--export") {
      cmd.export_ = true;
    } else if (a == "--overwrite") {
      cmd.overwrite = true;
    } else if (a == "--remove") {
      cmd.remove = true;
    } else if (a == "-h" || a == "--help") {
      cmd.verb = Verb::Help;
      return cmd;
    } else if (!a.empty() && a[0] == '-' && a != "-") {
      return fail(invalid_option(args, "unknown flag \"" + a + "\""));
    } else {
      positional.push_back(a);
    }
  }
  if (positional.empty()) {
    return cmd;  // help
  }
  if (positional[0] == "policy") {
    if (positional.size() != 2 || positional[1] != "render") {
      return fail(std::string("policy needs a subcommand: \"calicoctl policy render -f FILE\""));
    }
    if (cmd.files.empty()) {
      return fail(std::string("policy render needs -f FILE"));
    }
    cmd.verb = Verb::PolicyRender;
    return cmd;
  }
  if (!render_flags.empty()) {
    return fail("flag " + render_flags.front() + " is only valid for \"policy render\"");
  }
  bool found = false;
  for (const auto& vn : kVerbs) {
    if (vn.name == positional[0]) {
      cmd.verb = vn.verb;
      found = true;
    }
  }
  if (!found) {
    return fail("unknown command: \"" + positional[0] + "\"");
  }
  if (cmd.verb == Verb::Node || cmd.verb == Verb::Ipam || cmd.verb == Verb::Datastore) {
    return cmd;
  }
  const std::string verb(positional[0]);
  if (positional.size() > 1) {
    cmd.kind_word = positional[1];
    cmd.kind = api::kind_from_cli_name(positional[1]);
    if (!cmd.kind) {
      return fail("resource type '" + positional[1] + "' is not supported");
    }
    cmd.names.assign(positional.begin() + 2, positional.end());
  }
  if (!cmd.files.empty() && cmd.kind) {
    return fail(invalid_option(args, "give either -f FILE or KIND NAME, not both"));
  }
  if (!cmd.files.empty() && !takes_file(cmd.verb)) {
    return fail(invalid_option(args, verb + " does not take -f"));
  }
  switch (cmd.verb) {
    case Verb::Create:
    case Verb::Apply:
    case Verb::Replace:
    case Verb::Validate:
      if (cmd.files.empty()) {
        return fail(invalid_option(args, verb + " needs -f FILE"));
      }
      break;
    case Verb::Get:
      if (cmd.files.empty() && !cmd.kind) {
        return fail(invalid_option(args, "get needs a resource type or -f FILE"));
      }
      break;
    case Verb::Delete:
      if (cmd.files.empty() && (!cmd.kind || cmd.names.empty())) {
        return fail(invalid_option(args, "delete needs -f FILE or a resource type and name"));
      }
      break;
    case Verb::Patch:
      if (!cmd.kind || cmd.names.size() != 1) {
        return fail(invalid_option(args, "patch needs a resource type and one name"));
      }
      if (cmd.patch.empty()) {
        return fail(invalid_option(args, "patch needs -p/--patch"));
      }
      break;
    case Verb::Label:
      if (!cmd.kind || cmd.names.size() != 2) {
        return fail(
            invalid_option(args, "label needs KIND NAME KEY=VALUE or KIND NAME KEY --remove"));
      }
      if (cmd.overwrite && cmd.remove) {
        return fail(invalid_option(args, "--overwrite and --remove cannot be used together"));
      }
      cmd.label = cmd.names.back();
      cmd.names.pop_back();
      break;
    default:
      break;
  }
  if (cmd.verb != Verb::Get && cmd.output != "ps") {
    return fail(invalid_option(args, "-o is only valid for get"));
  }
  return cmd;
}

int run(const Command& cmd, datastore::Datastore* ds, std::istream& in, std::ostream& out,
        std::ostream& err) {
  switch (cmd.verb) {
    case Verb::Help:
      out << usage();
      return 0;
    case Verb::PolicyRender:
      return run_policy_render(cmd, in, out, err);
    case Verb::Node:
      return run_node(cmd.sub_args, out, err);
    case Verb::Ipam:
      return run_ipam(cmd.sub_args, ds, out, err);
    case Verb::Datastore:
      return run_datastore_cmd(cmd.sub_args, ds, out, err);
    default:
      return run_resource_command(cmd, ds, in, out, err);
  }
}

}  // namespace calico::calicoctl
