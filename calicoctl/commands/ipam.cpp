// `calicoctl ipam`: word parsing, usage and dispatch.  The subcommands live in
// ipam_show.cpp, ipam_check.cpp, ipam_release.cpp and ipam_configure.cpp (configure,
// split); their behaviour follows Calico's released calicoctl (v3.32, docopt).
#include "calicoctl/commands/ipam.h"

#include <ostream>
#include <string_view>

#include "calicoctl/commands/ipam_internal.h"

namespace calico::calicoctl {

namespace ipamcmd {

namespace {

struct FlagSpec {
  std::string_view name;   // "--ip"
  std::string_view alias;  // "-o" or ""
  bool takes_value = false;
  bool repeatable = false;
};

const std::map<std::string, std::vector<FlagSpec>>& flag_table() {
  static const std::map<std::string, std::vector<FlagSpec>> table = {
      {"show",
       {{"--ip", "", true, false},
        {"--show-blocks", "", false, false},
        {"--show-borrowed", "", false, false},
        {"--show-configuration", "", false, false}}},
      {"check",
       {{"--output", "-o", true, false},
        {"--show-all-ips", "", false, false},
        {"--show-problem-ips", "", false, false},
        {"--kubeconfig", "", true, false}}},
      {"release",
       {{"--ip", "", true, false},
        {"--from-report", "", true, true},
        {"--force", "", false, false}}},
      {"configure",
       {{"--strictaffinity", "", true, false}, {"--max-blocks-per-host", "", true, false}}},
      {"split", {{"--cidr", "", true, false}, {"--name", "", true, false}}},
  };
  return table;
}

const FlagSpec* find_flag(const std::string& sub, std::string_view word) {
  for (const auto& f : flag_table().at(sub)) {
    if (word == f.name || (!f.alias.empty() && word == f.alias)) {
      return &f;
    }
  }
  return nullptr;
}

bool valid_ip(const std::string& s) {
  return net::IpAddr::parse(s).has_value();
}

// Checks that need no datastore, so that a usage error never opens one.
Result<void, std::string> check_words(const IpamArgs& a) {
  const std::string ctx = "calicoctl ipam " + a.sub + ": ";
  if (a.sub == "show") {
    int modes = 0;
    for (const char* f : {"--ip", "--show-blocks", "--show-borrowed", "--show-configuration"}) {
      modes += a.has(f) ? 1 : 0;
    }
    if (modes > 1) {
      return fail(ctx +
                  "--ip, --show-blocks, --show-borrowed and --show-configuration are "
                  "mutually exclusive");
    }
    if (auto ip = a.value("--ip"); ip && !valid_ip(*ip)) {
      return fail(ctx + "invalid IP address specified: \"" + *ip + "\"");
    }
  } else if (a.sub == "release") {
    if (auto ip = a.value("--ip"); ip && !valid_ip(*ip)) {
      return fail(ctx + "invalid IP address specified: \"" + *ip + "\"");
    }
    if (a.has("--ip") == a.has("--from-report")) {
      return fail(ctx + "give either --ip=ADDR or --from-report=FILE");
    }
  } else if (a.sub == "configure") {
    if (auto v = a.value("--strictaffinity"); v && !parse_go_bool(*v)) {
      return fail(ctx + "invalid value. Use true or false to set strictaffinity");
    }
    if (auto v = a.value("--max-blocks-per-host")) {
      std::size_t used = 0;
      try {
        (void)std::stoi(*v, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || used != v->size()) {
        return fail(ctx + "invalid value for maxblockhost. Use a valid number");
      }
    }
    if (!a.has("--strictaffinity") && !a.has("--max-blocks-per-host")) {
      return fail(ctx + "at least one configuration option must be specified");
    }
  } else if (a.sub == "split") {
    if (a.positional.size() != 1) {
      return fail(ctx + "needs exactly one NUMBER (the number of pools to split into)");
    }
    const std::string& n = a.positional[0];
    long long v = 0;
    std::size_t used = 0;
    try {
      v = std::stoll(n, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != n.size()) {
      return fail(ctx + "error reading number to split IP pools into. " + n +
                  " is not a valid number");
    }
    if (v < 2 || (v & (v - 1)) != 0) {
      return fail(ctx + "number to split CIDR into is not a valid power of 2: " + n);
    }
    if (!a.value("--cidr") && !a.value("--name")) {
      return fail(ctx +
                  "no name or CIDR provided. Provide a name or CIDR to denote the IP pool to "
                  "split");
    }
  }
  if (!a.positional.empty() && a.sub != "split") {
    return fail(ctx + "unexpected argument \"" + a.positional[0] + "\"");
  }
  return {};
}

}  // namespace

std::optional<bool> parse_go_bool(const std::string& s) {
  if (s == "1" || s == "t" || s == "T" || s == "TRUE" || s == "true" || s == "True") {
    return true;
  }
  if (s == "0" || s == "f" || s == "F" || s == "FALSE" || s == "false" || s == "False") {
    return false;
  }
  return std::nullopt;
}

Result<IpamArgs, std::string> parse(const std::vector<std::string>& args) {
  IpamArgs a;
  if (args.empty() || args[0] == "-h" || args[0] == "--help") {
    a.help = true;
    return a;
  }
  a.sub = args[0];
  if (!flag_table().contains(a.sub)) {
    return fail("calicoctl ipam: unknown command \"" + a.sub +
                "\" (one of check, configure, release, show, split; see 'calicoctl ipam "
                "--help')");
  }
  const std::string ctx = "calicoctl ipam " + a.sub + ": ";
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& w = args[i];
    if (w == "-h" || w == "--help") {
      a.help = true;
      continue;
    }
    if (w.size() < 2 || w[0] != '-') {
      a.positional.push_back(w);
      continue;
    }
    std::string name = w;
    std::optional<std::string> inline_value;
    if (w.rfind("--", 0) == 0) {
      if (auto eq = w.find('='); eq != std::string::npos) {
        name = w.substr(0, eq);
        inline_value = w.substr(eq + 1);
      }
    } else if (w.size() > 2) {  // -oFILE, -o=FILE
      name = w.substr(0, 2);
      inline_value = w.substr(w[2] == '=' ? 3 : 2);
    }
    const FlagSpec* f = find_flag(a.sub, name);
    if (f == nullptr) {
      return fail(ctx + "unknown flag \"" + name + "\" (see 'calicoctl ipam " + a.sub +
                  " --help')");
    }
    const std::string key(f->name);
    if (!f->repeatable && a.has(key)) {
      return fail(ctx + "flag " + key + " given more than once");
    }
    if (!f->takes_value) {
      if (inline_value) {
        return fail(ctx + "flag " + key + " takes no value");
      }
      a.switches.insert(key);
      continue;
    }
    if (!inline_value) {
      if (i + 1 >= args.size()) {
        return fail(ctx + "flag " + key + " needs a value");
      }
      inline_value = args[++i];
    }
    a.values[key].push_back(*inline_value);
  }
  if (a.help) {
    return a;
  }
  if (auto c = check_words(a); !c) {
    return fail(c.error());
  }
  return a;
}

std::string usage(const std::string& sub) {
  if (sub == "show") {
    return "Usage:\n"
           "  calicoctl ipam show [--ip=<IP> | --show-blocks | --show-borrowed |"
           " --show-configuration] [-c <CONFIG>]\n\n"
           "Options:\n"
           "  -h --help              This text.\n"
           "     --ip=<IP>           Whether this address is allocated, and to whom.\n"
           "     --show-blocks       Also one row per allocation block under its pool.\n"
           "     --show-borrowed     Addresses allocated from a block affine to another node.\n"
           "     --show-configuration  The cluster's IPAM settings.\n"
           "  -c --config=<CONFIG>   Connection configuration file.\n\n"
           "Description:\n"
           "  Prints one address, or the use of every IP pool (and block).\n";
  }
  if (sub == "check") {
    return "Usage:\n"
           "  calicoctl ipam check [-o <FILE>] [--show-all-ips] [--show-problem-ips]"
           " [-c <CONFIG>]\n\n"
           "Options:\n"
           "  -h --help              This text.\n"
           "  -o --output=<FILE>     Also write a JSON report (input of 'ipam release"
           " --from-report').\n"
           "     --show-all-ips      Print every address examined.\n"
           "     --show-problem-ips  Print every leaked or unallocated address.\n"
           "     --kubeconfig=<FILE> Accepted for compatibility; workloads are read from the\n"
           "                         datastore.\n"
           "  -c --config=<CONFIG>   Connection configuration file.\n\n"
           "Description:\n"
           "  Cross-checks IPAM blocks and handles against nodes and workload endpoints.\n"
           "  Read-only; lock the datastore first if you mean to release what it finds.\n";
  }
  if (sub == "release") {
    return "Usage:\n"
           "  calicoctl ipam release (--ip=<IP> | --from-report=<REPORT>...) [--force]"
           " [-c <CONFIG>]\n\n"
           "Options:\n"
           "  -h --help                This text.\n"
           "     --ip=<IP>             Release this address (even if an endpoint still\n"
           "                           uses it).\n"
           "     --from-report=<FILE>  Release the leaked addresses and handles of an 'ipam\n"
           "                           check -o' report; repeated: only what every report\n"
           "                           calls leaked.\n"
           "     --force               Proceed although the datastore is not locked or the\n"
           "                           report comes from another calicoctl version.\n"
           "  -c --config=<CONFIG>     Connection configuration file.\n";
  }
  if (sub == "configure") {
    return "Usage:\n"
           "  calicoctl ipam configure [--strictaffinity=<true/false>]"
           " [--max-blocks-per-host=<number>] [-c <CONFIG>]\n\n"
           "Options:\n"
           "  -h --help                        This text.\n"
           "     --strictaffinity=<true/false> No borrowing from other nodes' blocks.\n"
           "     --max-blocks-per-host=<N>     Cap on the blocks affine to one node.\n"
           "  -c --config=<CONFIG>             Connection configuration file.\n\n"
           "Description:\n"
           "  Updates the IPAMConfiguration 'default' (created if missing).\n";
  }
  if (sub == "split") {
    return "Usage:\n"
           "  calicoctl ipam split <NUMBER> (--cidr=<CIDR> | --name=<POOL_NAME>)"
           " [-c <CONFIG>]\n\n"
           "Options:\n"
           "  -h --help             This text.\n"
           "     --cidr=<CIDR>      The pool to split, by CIDR.\n"
           "     --name=<POOL_NAME> The pool to split, by name.\n"
           "  -c --config=<CONFIG>  Connection configuration file.\n\n"
           "Description:\n"
           "  Replaces a pool by NUMBER (a power of 2) equal pools named\n"
           "  split-<name>-<i>.  The datastore must be locked (ClusterInformation\n"
           "  datastoreReady: false).\n";
  }
  return "Usage:\n"
         "  calicoctl ipam <command> [<args>...]\n\n"
         "    check            Check the IPAM data for leaks and inconsistencies.\n"
         "    release          Release an IP address (or the leaks of a check report).\n"
         "    show             Show IP pool and block use, one address, borrowed\n"
         "                     addresses or the IPAM configuration.\n"
         "    split            Split an IP pool into 2^n equal pools.\n"
         "    configure        Configure IPAM.\n\n"
         "Options:\n"
         "  -h --help      This text.\n\n"
         "See 'calicoctl ipam <command> --help' for a command's flags.\n";
}

Result<ClusterInfo, std::string> read_cluster_info(datastore::Datastore& ds) {
  auto got = ds.get(datastore::Key{api::Kind::ClusterInformation, "", "default"});
  ClusterInfo ci;
  if (!got) {
    if (got.error().code == datastore::ErrorCode::NotFound) {
      return ci;
    }
    return fail("failed to read ClusterInformation default: " + got.error().to_string());
  }
  ci.present = true;
  ci.spec = std::get<api::ClusterInformation>(got->value).spec;
  ci.revision = got->revision;
  return ci;
}

}  // namespace ipamcmd

bool ipam_needs_datastore(const std::vector<std::string>& args) {
  auto a = ipamcmd::parse(args);
  return a && !a->help;
}

int run_ipam(const std::vector<std::string>& args, datastore::Datastore* ds, std::ostream& out,
             std::ostream& err) {
  auto a = ipamcmd::parse(args);
  if (!a) {
    err << a.error() << "\n";
    return 1;
  }
  if (a->help) {
    out << ipamcmd::usage(a->sub);
    return 0;
  }
  if (ds == nullptr) {
    err << "calicoctl ipam " << a->sub << ": no datastore\n";
    return 1;
  }
  if (a->sub == "show") {
    return ipamcmd::run_show(*a, *ds, out, err);
  }
  if (a->sub == "check") {
    return ipamcmd::run_check(*a, *ds, out, err);
  }
  if (a->sub == "release") {
    return ipamcmd::run_release(*a, *ds, out, err);
  }
  if (a->sub == "configure") {
    return ipamcmd::run_configure(*a, *ds, out, err);
  }
  return ipamcmd::run_split(*a, *ds, out, err);
}

}  // namespace calico::calicoctl
