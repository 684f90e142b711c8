#include "calicoctl/commands/cli.h"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "api/document.h"
#include "api/yaml.h"
#include "calicoctl/commands/ipam.h"
#include "calicoctl/commands/node_status.h"
#include "calicoctl/commands/policy_render.h"

namespace calico::calicoctl {
namespace {

struct VerbName {
  std::string_view name;
  Verb verb;
  std::string_view past;  // "created"
};
constexpr VerbName kVerbs[] = {{"create", Verb::Create, "created"},
                               {"apply", Verb::Apply, "applied"},
                               {"replace", Verb::Replace, "replaced"},
                               {"delete", Verb::Delete, "deleted"},
                               {"get", Verb::Get, "got"},
                               {"validate", Verb::Validate, "validated"}};

std::string_view past_tense(Verb v) {
  for (const auto& n : kVerbs) {
    if (n.verb == v) {
      return n.past;
    }
  }
  return "processed";
}

std::string_view verb_name(Verb v) {
  for (const auto& n : kVerbs) {
    if (n.verb == v) {
      return n.name;
    }
  }
  return "?";
}

std::string read_all(std::istream& in) {
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Writes one resource (create/apply/replace) after defaults and validation.
Result<datastore::Object, std::string> write_one(Verb verb, datastore::Datastore& ds,
                                                 api::AnyResource r) {
  api::apply_defaults(r);
  if (auto v = api::validate(r); !v) {
    return fail(v.error().to_string_all());
  }
  const auto key = datastore::key_of(r);
  if (verb == Verb::Create) {
    auto created = ds.create(r);
    if (!created) {
      return fail(created.error().to_string());
    }
    return *created;
  }
  auto& meta = api::meta_of(r);
  if (meta.resource_version.empty()) {
    auto existing = ds.get(key);
    if (!existing) {
      if (existing.error().code == datastore::ErrorCode::NotFound && verb == Verb::Apply) {
        auto created = ds.create(r);
        if (!created) {
          return fail(created.error().to_string());
        }
        return *created;
      }
      return fail(existing.error().to_string());
    }
    meta.resource_version = existing->revision;
  }
  auto updated = ds.update(r);
  if (!updated) {
    return fail(updated.error().to_string());
  }
  return *updated;
}

std::string list_kind_name(api::Kind k) {
  return std::string(api::info(k).name) + "List";
}

void print_table(const std::vector<datastore::Object>& items, bool show_ns, std::ostream& out) {
  std::size_t width_ns = 9;
  std::size_t width_name = 4;
  for (const auto& o : items) {
    width_ns = std::max(width_ns, o.key.ns.size());
    width_name = std::max(width_name, o.key.name.size());
  }
  auto pad = [](const std::string& s, std::size_t w) {
    return s + std::string(w - s.size() + 3, ' ');
  };
  if (show_ns) {
    out << pad("NAMESPACE", width_ns);
  }
  out << "NAME\n";
  for (const auto& o : items) {
    if (show_ns) {
      out << pad(o.key.ns, width_ns);
    }
    out << o.key.name << "\n";
  }
  (void)width_name;
}

int run_get(const Command& cmd, datastore::Datastore& ds, std::ostream& out, std::ostream& err) {
  const api::Kind kind = *cmd.kind;
  const bool namespaced = api::info(kind).namespaced;
  std::vector<datastore::Object> items;
  std::string list_revision;
  if (!cmd.names.empty()) {
    for (const auto& name : cmd.names) {
      datastore::Key key{kind, namespaced ? (cmd.ns.empty() ? "default" : cmd.ns) : "", name};
      auto got = ds.get(key);
      if (!got) {
        err << "Failed to get resources: " << got.error().to_string() << "\n";
        return 1;
      }
      items.push_back(std::move(*got));
    }
  } else {
    datastore::ListOptions opts;
    opts.kind = kind;
    if (namespaced && !cmd.all_namespaces) {
      opts.ns = cmd.ns.empty() ? "default" : cmd.ns;
    }
    auto listed = ds.list(opts);
    if (!listed) {
      err << "Failed to list resources: " << listed.error().to_string() << "\n";
      return 1;
    }
    items = std::move(listed->items);
    list_revision = listed->revision;
  }
  if (cmd.output == "yaml" || cmd.output == "json") {
    api::Json doc;
    if (items.size() == 1 && !cmd.names.empty()) {
      doc = api::encode_json(items[0].value);
    } else {
      doc = api::Json::object();
      doc["apiVersion"] = std::string(api::kCalicoApiVersion);
      doc["items"] = api::Json::array();
      for (const auto& o : items) {
        doc["items"].push_back(api::encode_json(o.value));
      }
      doc["kind"] = list_kind_name(kind);
      doc["metadata"] = api::Json::object();
      if (!list_revision.empty()) {
        doc["metadata"]["resourceVersion"] = list_revision;
      }
    }
    out << (cmd.output == "yaml" ? api::json_to_yaml(doc) : api::safe_dump(doc, 2) + "\n");
  } else if (cmd.output == "name") {
    for (const auto& o : items) {
      out << o.key.name << "\n";
    }
  } else {
    print_table(items, namespaced && cmd.all_namespaces, out);
  }
  return 0;
}

}  // namespace

std::string usage() {
  return "Usage:\n"
         "  calicoctl create|apply|replace -f FILE [--skip-exists] [-c CONFIG]\n"
         "  calicoctl delete (-f FILE | KIND NAME...) [-n NS] [--skip-not-exists] [-c CONFIG]\n"
         "  calicoctl get KIND [NAME...] [-n NS | -A] [-o ps|wide|yaml|json|name] [-c CONFIG]\n"
         "  calicoctl validate -f FILE\n"
         "  calicoctl policy render -f FILE... [--node NAME] [--iface-prefix cali] "
         "[--table calico]\n";
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
      if (a.rfind("--", 0) == 0 && eq != std::string::npos) {
        return a.substr(eq + 1);
      }
      if (i + 1 >= args.size()) {
        return fail("flag " + std::string(flag) + " needs a value");
      }
      return args[++i];
    };
    auto is = [&](std::string_view s, std::string_view l) {
      return a == s || a == l || (a.rfind(std::string(l) + "=", 0) == 0);
    };
    const bool subcommand =
        !positional.empty() && (positional[0] == "node" || positional[0] == "ipam");
    if (is("-l", "--log-level")) {
      auto v = value("-l");
      if (!v) {
        return fail(v.error());
      }
      cmd.log_level = *v;
    } else if (a == "--allow-version-mismatch") {
      // Accepted for script compatibility: there is no version check to skip.
    } else if (subcommand && !is("-c", "--config")) {
      cmd.sub_args.push_back(a);
    } else if (is("-f", "--filename")) {
      auto v = value("-f");
      if (!v) {
        return fail(v.error());
      }
      cmd.files.push_back(*v);
    } else if (is("-c", "--config")) {
      auto v = value("-c");
      if (!v) {
        return fail(v.error());
      }
      cmd.config_file = *v;
    } else if (is("-n", "--namespace")) {
      auto v = value("-n");
      if (!v) {
        return fail(v.error());
      }
      cmd.ns = *v;
    } else if (is("-o", "--output")) {
      auto v = value("-o");
      if (!v) {
        return fail(v.error());
      }
      cmd.output = *v;
      if (cmd.output != "ps" && cmd.output != "wide" && cmd.output != "yaml" &&
          cmd.output != "json" && cmd.output != "name") {
        return fail("unsupported output format \"" + cmd.output + "\"");
      }
    } else if (const std::string flag = a.substr(0, a.find('='));
               flag == "--node" || flag == "--iface-prefix" || flag == "--table") {
      auto v = value(flag);
      if (!v) {
        return fail(v.error());
      }
      if (flag == "--node") {
        cmd.node = *v;
      } else if (flag == "--table") {
        cmd.table = *v;
      } else {
        cmd.iface_prefix = *v;
      }
      render_flags.push_back(flag);
    } else if (a == "-A" || a == "-a" || a == "--all-namespaces") {
      cmd.all_namespaces = true;
    } else if (a == "--skip-exists") {
      cmd.skip_exists = true;
    } else if (a == "-s" || a == "--skip-not-exists") {
      cmd.skip_not_exists = true;
    } else if (a == "-h" || a == "--help") {
      cmd.verb = Verb::Help;
      return cmd;
    } else if (!a.empty() && a[0] == '-' && a != "-") {
      return fail("unknown flag \"" + a + "\"");
    } else {
      positional.push_back(a);
    }
  }
  if (positional.empty()) {
    return cmd;  // help
  }
  if (positional[0] == "node" || positional[0] == "ipam") {
    cmd.verb = positional[0] == "node" ? Verb::Node : Verb::Ipam;
    if (!render_flags.empty()) {
      return fail("flag " + render_flags.front() + " is only valid for \"policy render\"");
    }
    return cmd;
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
  for (const auto& v : kVerbs) {
    if (v.name == positional[0]) {
      cmd.verb = v.verb;
      found = true;
    }
  }
  if (!found) {
    return fail("unknown command \"" + positional[0] + "\"");
  }
  if (positional.size() > 1) {
    cmd.kind = api::kind_from_cli_name(positional[1]);
    if (!cmd.kind) {
      return fail("resource type \"" + positional[1] + "\" is not supported");
    }
    cmd.names.assign(positional.begin() + 2, positional.end());
  }
  const bool needs_file = cmd.verb == Verb::Create || cmd.verb == Verb::Apply ||
                          cmd.verb == Verb::Replace || cmd.verb == Verb::Validate;
  if (needs_file && cmd.files.empty()) {
    return fail(std::string(verb_name(cmd.verb)) + " needs -f FILE");
  }
  if (cmd.verb == Verb::Get && !cmd.kind) {
    return fail("get needs a resource type, e.g. \"calicoctl get ippools\"");
  }
  if (cmd.verb == Verb::Delete && cmd.files.empty() && (!cmd.kind || cmd.names.empty())) {
    return fail("delete needs -f FILE or a resource type and name");
  }
  return cmd;
}

Result<std::vector<api::AnyResource>, std::string> load_file(const std::string& file,
                                                             const std::string& ns,
                                                             std::istream& stdin_stream) {
  std::string text;
  if (file == "-") {
    text = read_all(stdin_stream);
  } else {
    std::ifstream f(file);
    if (!f) {
      return fail("cannot read \"" + file + "\"");
    }
    text = read_all(f);
  }
  auto docs = api::decode_yaml(text, file == "-" ? "stdin" : file);
  if (!docs) {
    return fail(docs.error().to_string_all());
  }
  for (auto& d : *docs) {
    auto& meta = api::meta_of(d);
    if (api::info(api::kind_of(d)).namespaced && meta.ns.empty()) {
      meta.ns = ns.empty() ? "default" : ns;
    }
  }
  return std::move(*docs);
}

Result<std::vector<api::AnyResource>, std::string> load_resources(const Command& cmd,
                                                                  std::istream& stdin_stream) {
  std::vector<api::AnyResource> out;
  for (const auto& file : cmd.files) {
    auto docs = load_file(file, cmd.ns, stdin_stream);
    if (!docs) {
      return fail(docs.error());
    }
    std::move(docs->begin(), docs->end(), std::back_inserter(out));
  }
  return out;
}

int run(const Command& cmd, datastore::Datastore* ds, std::istream& in, std::ostream& out,
        std::ostream& err) {
  if (cmd.verb == Verb::Help) {
    out << usage();
    return 0;
  }
  if (cmd.verb == Verb::Get) {
    return run_get(cmd, *ds, out, err);
  }
  if (cmd.verb == Verb::PolicyRender) {
    return run_policy_render(cmd, in, out, err);
  }
  if (cmd.verb == Verb::Node) {
    return run_node(cmd.sub_args, out, err);
  }
  if (cmd.verb == Verb::Ipam) {
    return run_ipam(cmd.sub_args, ds, out, err);
  }
  std::vector<api::AnyResource> resources;
  if (!cmd.files.empty()) {
    auto loaded = load_resources(cmd, in);
    if (!loaded) {
      err << "Failed to execute command: " << loaded.error() << "\n";
      return 1;
    }
    resources = std::move(*loaded);
  }
  if (cmd.verb == Verb::Validate) {
    for (auto& r : resources) {
      api::apply_defaults(r);
      if (auto v = api::validate(r); !v) {
        err << v.error().to_string_all() << "\n";
        return 1;
      }
    }
    out << "Successfully validated " << resources.size() << " resource(s)\n";
    return 0;
  }
  std::vector<datastore::Key> delete_keys;
  if (cmd.verb == Verb::Delete) {
    if (resources.empty()) {
      for (const auto& n : cmd.names) {
        const bool nsd = api::info(*cmd.kind).namespaced;
        delete_keys.push_back({*cmd.kind, nsd ? (cmd.ns.empty() ? "default" : cmd.ns) : "", n});
      }
    } else {
      for (const auto& r : resources) {
        delete_keys.push_back(datastore::key_of(r));
      }
    }
  }
  const std::size_t total = cmd.verb == Verb::Delete ? delete_keys.size() : resources.size();
  std::size_t done = 0;
  std::string kind_name;
  bool mixed_kinds = false;
  for (std::size_t i = 0; i < total; ++i) {
    std::string error;
    const api::Kind k = cmd.verb == Verb::Delete ? delete_keys[i].kind : api::kind_of(resources[i]);
    const std::string this_kind(api::info(k).name);
    mixed_kinds = mixed_kinds || (!kind_name.empty() && kind_name != this_kind);
    kind_name = this_kind;
    if (cmd.verb == Verb::Delete) {
      auto r = ds->remove(delete_keys[i]);
      if (!r && !(cmd.skip_not_exists && r.error().code == datastore::ErrorCode::NotFound)) {
        error = r.error().to_string();
      }
    } else {
      auto r = write_one(cmd.verb, *ds, resources[i]);
      if (!r) {
        const bool exists = r.error().find("already exists") != std::string::npos;
        if (!(cmd.skip_exists && exists)) {
          error = r.error();
        }
      }
    }
    if (!error.empty()) {
      if (done == 0) {
        err << "Failed to " << verb_name(cmd.verb) << " '" << kind_name << "' resource: " << error
            << "\n";
      } else {
        err << "Partial success: " << past_tense(cmd.verb) << " the first " << done << " out of "
            << total << " resources:\nHit error: " << error << "\n";
      }
      return 1;
    }
    ++done;
  }
  out << "Successfully " << past_tense(cmd.verb) << " " << done << " ";
  if (!mixed_kinds && !kind_name.empty()) {
    out << "'" << kind_name << "' ";
  }
  out << "resource(s)\n";
  return 0;
}

}  // namespace calico::calicoctl
