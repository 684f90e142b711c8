#include "calicoctl/commands/resources.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <ostream>
#include <sstream>

#include "api/yaml.h"
#include "calicoctl/commands/printer.h"

namespace calico::calicoctl {
namespace {

namespace fs = std::filesystem;

constexpr int kUpdateRetries = 5;  // as calicoctl: only when the input had no resourceVersion

struct Target {
  datastore::Key key;
  std::optional<api::AnyResource> value;  // from a file; absent when named on the command line
  std::string source;                     // "file.yaml document 2" for a file's resource
};

struct Results {
  std::size_t num_resources = 0;
  std::size_t num_handled = 0;
  std::string single_kind;  // the kind when all targets share one, else ""
  std::vector<std::string> errs;
  std::vector<datastore::Object> objects;  // get
  std::string list_revision;
  bool listed = false;  // get by kind without names
};

std::string read_all(std::istream& in) {
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Go's %v of a []error: "[first second]".
std::string bracket(const std::vector<std::string>& errs) {
  std::string s = "[";
  for (std::size_t i = 0; i < errs.size(); ++i) {
    s += (i > 0 ? " " : "") + errs[i];
  }
  return s + "]";
}

std::string_view verb_word(Verb v) {
  switch (v) {
    case Verb::Create:
      return "create";
    case Verb::Apply:
      return "apply";
    case Verb::Replace:
      return "replace";
    case Verb::Delete:
      return "delete";
    case Verb::Patch:
      return "patch";
    default:
      return "process";
  }
}

std::string_view past_word(Verb v) {
  switch (v) {
    case Verb::Create:
      return "created";
    case Verb::Apply:
      return "applied";
    case Verb::Replace:
      return "replaced";
    case Verb::Delete:
      return "deleted";
    case Verb::Patch:
      return "patched";
    default:
      return "processed";
  }
}

// calicoctl's handleNamespace: fills in or checks the namespace of one target.
std::optional<std::string> handle_namespace(Target& t, const Command& cmd) {
  const auto& info = api::info(t.key.kind);
  std::string& ns = t.key.ns;
  if (t.value && !info.namespaced) {
    ns = api::meta_of(*t.value).ns;  // the key of a cluster-scoped kind drops it
  }
  if (info.namespaced) {
    if (cmd.all_namespaces && !cmd.ns.empty()) {
      return "cannot use both --namespace and --all-namespaces flags at the same time";
    }
    if (ns.empty() && !cmd.ns.empty()) {
      ns = cmd.ns;
    } else if (!ns.empty() && cmd.all_namespaces) {
      ns.clear();
    } else if (ns.empty() && cmd.all_namespaces) {
      // every namespace
    } else if (ns.empty()) {
      ns = "default";
    } else if (!cmd.ns.empty() && ns != cmd.ns) {
      return "resource namespace does not match client namespace. " + ns + " != " + cmd.ns;
    }
    if (t.value) {
      api::meta_of(*t.value).ns = ns;
    }
    return std::nullopt;
  }
  if (!ns.empty()) {
    ns.clear();
    return "namespace should not be specified for a non-namespaced resource. " +
           std::string(info.name) + " is not a namespaced resource";
  }
  if (cmd.all_namespaces || !cmd.ns.empty()) {
    return std::string(info.name) + " is not namespaced";
  }
  return std::nullopt;
}

Result<void, std::string> check_valid(api::AnyResource& r) {
  api::apply_defaults(r);
  if (auto v = api::validate(r); !v) {
    return fail(v.error().to_string_all());
  }
  return {};
}

std::string conflict_text(datastore::Datastore& ds, const datastore::Key& key,
                          const std::string& given) {
  std::string latest = "unknown";
  if (auto cur = ds.get(key)) {
    latest = cur->revision;
  }
  return "update conflict: " + key.to_string() + ": resource version '" + given +
         "' is out of date (latest: " + latest +
         "). Update the resource YAML/JSON in order to make changes";
}

// Update with calicoctl's semantics: a given resourceVersion must be the latest (no
// retry); without one, read the latest and retry on conflict.  With `create_if_missing`
// (apply) an absent resource is created instead: one read and one write in the common
// case, where calicoctl's create-then-update costs a failed create first.
Result<datastore::Object, std::string> update_resource(datastore::Datastore& ds, api::AnyResource r,
                                                       bool create_if_missing = false) {
  const auto key = datastore::key_of(r);
  auto& meta = api::meta_of(r);
  const std::string given = meta.resource_version;
  for (int attempt = 0; attempt < kUpdateRetries; ++attempt) {
    auto cur = ds.get(key);
    if (!cur && create_if_missing && cur.error().code == datastore::ErrorCode::NotFound) {
      meta.resource_version.clear();
      auto created = ds.create(r);
      if (created || created.error().code != datastore::ErrorCode::AlreadyExists) {
        if (!created) {
          return fail(calico_error_text(created.error(), key));
        }
        return *created;
      }
      meta.resource_version = given;
      continue;  // created meanwhile: update it
    }
    if (!cur) {
      return fail(calico_error_text(cur.error(), key));
    }
    if (!given.empty() && given != cur->revision) {
      return fail(conflict_text(ds, key, given));
    }
    meta.resource_version = cur->revision;
    auto updated = ds.update(r);
    if (updated) {
      return *updated;
    }
    if (updated.error().code != datastore::ErrorCode::Conflict || !given.empty()) {
      if (updated.error().code == datastore::ErrorCode::Conflict) {
        return fail(conflict_text(ds, key, given));
      }
      return fail(calico_error_text(updated.error(), key));
    }
  }
  return fail("update conflict: " + key.to_string() + ": still changing after " +
              std::to_string(kUpdateRetries) + " attempts");
}

enum class Outcome { Done, Skipped };

// Prefixes each line of a validation error with where the resource came from.
std::string with_source(const Target& t, const std::string& error) {
  if (t.source.empty()) {
    return error;
  }
  std::string out;
  std::size_t start = 0;
  while (start <= error.size()) {
    const auto nl = error.find('\n', start);
    out += (out.empty() ? "" : "\n") + t.source + ": " +
           error.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    if (nl == std::string::npos) {
      break;
    }
    start = nl + 1;
  }
  return out;
}

Result<Outcome, std::string> write_target(const Command& cmd, datastore::Datastore& ds, Target& t) {
  api::AnyResource r = *t.value;
  if (auto v = check_valid(r); !v) {
    return fail(with_source(t, v.error()));
  }
  const auto& key = t.key;
  if (cmd.verb == Verb::Apply && key.kind == api::Kind::ClusterInformation) {
    return fail(
        std::string("operation apply is not supported on ClusterInformation: resource "
                    "is readonly"));
  }
  if (cmd.verb == Verb::Create) {
    api::meta_of(r).resource_version.clear();
    auto created = ds.create(r);
    if (!created) {
      if (created.error().code == datastore::ErrorCode::AlreadyExists && cmd.skip_exists) {
        return Outcome::Skipped;
      }
      return fail(calico_error_text(created.error(), key));
    }
    return Outcome::Done;
  }
  auto updated = update_resource(ds, std::move(r), /*create_if_missing=*/cmd.verb == Verb::Apply);
  if (!updated) {
    return fail(updated.error());
  }
  return Outcome::Done;
}

// Loads targets from -f or from KIND [NAME...].
Result<std::vector<Target>, std::string> targets_of(const Command& cmd, std::istream& in,
                                                    bool& file_invalid) {
  std::vector<Target> targets;
  if (!cmd.files.empty()) {
    std::vector<std::string> sources;
    auto loaded = load_resources(cmd, in, &sources);
    if (!loaded) {
      file_invalid = loaded.error().rfind("no resources specified", 0) != 0;
      return fail(loaded.error());
    }
    for (std::size_t i = 0; i < loaded->size(); ++i) {
      auto& r = (*loaded)[i];
      targets.push_back(
          {datastore::key_of(r), std::move(r), i < sources.size() ? sources[i] : std::string()});
    }
    return targets;
  }
  if (!cmd.kind) {
    return fail(std::string("no resources specified"));
  }
  if (cmd.names.empty()) {
    targets.push_back({datastore::Key{*cmd.kind, "", ""}, std::nullopt, ""});
  }
  for (const auto& n : cmd.names) {
    if (n.empty()) {
      return fail(std::string("resource name may not be empty"));
    }
    targets.push_back({datastore::Key{*cmd.kind, "", n}, std::nullopt, ""});
  }
  return targets;
}

void strip_for_export(datastore::Object& o) {
  auto& meta = api::meta_of(o.value);
  meta.ns.clear();
  meta.uid.clear();
  meta.resource_version.clear();
  meta.creation_timestamp.clear();
  meta.deletion_timestamp.clear();
  meta.deletion_grace_period_seconds.reset();
}

Results execute(const Command& cmd, datastore::Datastore* ds, std::vector<Target>& targets) {
  Results res;
  std::string kind;
  bool mixed = false;
  for (const auto& t : targets) {
    const std::string k(api::info(t.key.kind).name);
    mixed = mixed || (!kind.empty() && kind != k);
    kind = k;
    ++res.num_resources;
  }
  if (!mixed || cmd.files.empty()) {
    res.single_kind = kind;
  }
  for (auto& t : targets) {
    if (auto bad = handle_namespace(t, cmd)) {
      res.errs.push_back(*bad);
      if (cmd.verb == Verb::Replace) {
        return res;
      }
      continue;
    }
    std::string error;
    switch (cmd.verb) {
      case Verb::Validate: {
        api::AnyResource r = *t.value;
        if (auto v = check_valid(r); !v) {
          error = with_source(t, v.error());
        }
        break;
      }
      case Verb::Create:
      case Verb::Apply:
      case Verb::Replace: {
        auto w = write_target(cmd, *ds, t);
        if (!w) {
          error = w.error();
        }
        break;
      }
      case Verb::Delete: {
        const std::string rev = t.value ? api::meta_of(*t.value).resource_version : "";
        auto removed = ds->remove(t.key, rev);
        if (!removed &&
            !(removed.error().code == datastore::ErrorCode::NotFound && cmd.skip_not_exists)) {
          error = calico_error_text(removed.error(), t.key);
        }
        break;
      }
      case Verb::Get: {
        if (t.key.name.empty()) {
          datastore::ListOptions opts;
          opts.kind = t.key.kind;
          opts.ns = t.key.ns;
          auto listed = ds->list(opts);
          if (!listed) {
            error = calico_error_text(listed.error(), t.key);
            break;
          }
          res.listed = true;
          res.list_revision = listed->revision;
          for (auto& o : listed->items) {
            res.objects.push_back(std::move(o));
          }
          break;
        }
        auto got = ds->get(t.key);
        if (!got) {
          error = calico_error_text(got.error(), t.key);
          break;
        }
        if (cmd.export_) {
          strip_for_export(*got);
        }
        res.objects.push_back(std::move(*got));
        break;
      }
      default:
        error = "unsupported action";
    }
    if (!error.empty()) {
      res.errs.push_back(error);
      if (cmd.verb == Verb::Replace) {
        return res;  // replace stops at the first failure
      }
      continue;
    }
    ++res.num_handled;
  }
  return res;
}

std::string kind_phrase(const Results& r) {
  return r.single_kind.empty() ? std::string() : "'" + r.single_kind + "' ";
}

int report_writes(const Command& cmd, const Results& r, std::ostream& out, std::ostream& err) {
  const std::string verb(verb_word(cmd.verb));
  const std::string past(past_word(cmd.verb));
  if (cmd.verb == Verb::Delete) {
    if (r.num_handled > 0) {
      out << "Successfully deleted " << r.num_handled << " " << kind_phrase(r) << "resource(s)\n";
    }
    for (const auto& e : r.errs) {
      err << "Failed to delete " << (r.single_kind.empty() ? "" : kind_phrase(r))
          << "resource: " << e << "\n";
    }
    return r.errs.empty() ? 0 : 1;
  }
  if (r.num_handled == 0) {
    if (r.num_resources == 1) {
      err << "Failed to " << verb << " '" << r.single_kind << "' resource: " << bracket(r.errs)
          << "\n";
    } else if (!r.single_kind.empty()) {
      err << "Failed to " << verb << " any '" << r.single_kind << "' resources: " << bracket(r.errs)
          << "\n";
    } else {
      err << "Failed to " << verb << " any resources: " << bracket(r.errs) << "\n";
    }
    return 1;
  }
  if (r.errs.empty()) {
    out << "Successfully " << past << " " << r.num_handled << " " << kind_phrase(r)
        << "resource(s)\n";
    return 0;
  }
  out << "Partial success: " << past << " the first " << r.num_handled << " out of "
      << r.num_resources << " " << kind_phrase(r) << "resources:\n";
  err << "Hit error: " << bracket(r.errs) << "\n";
  return 1;
}

std::string default_asn(datastore::Datastore& ds) {
  auto cfg = ds.get({api::Kind::BGPConfiguration, "", "default"});
  if (!cfg) {
    return cfg.error().code == datastore::ErrorCode::NotFound ? "64512" : "unknown";
  }
  const auto j = api::encode_json(cfg->value);
  const api::Json::json_pointer p("/spec/asNumber");
  return j.contains(p) ? (j.at(p).is_string() ? j.at(p).get<std::string>() : j.at(p).dump())
                       : "64512";
}

int run_get(const Command& cmd, datastore::Datastore& ds, std::vector<Target>& targets,
            std::ostream& out, std::ostream& err) {
  Results r = execute(cmd, &ds, targets);
  PrintRequest req;
  req.kind = targets.empty() ? api::Kind::IPPool : targets.front().key.kind;
  req.output = cmd.output;
  req.print_namespace = cmd.all_namespaces || !cmd.ns.empty();
  req.by_name = !r.listed;
  req.list_revision = r.list_revision;
  req.items = std::move(r.objects);
  if (needs_default_asn(req)) {
    req.default_asn = default_asn(ds);
  }
  // Several kinds (get -f with mixed documents): one table per kind run.
  std::string text;
  if (req.by_name && cmd.output != "yaml" && cmd.output != "yml" && cmd.output != "json") {
    std::vector<datastore::Object> all = std::move(req.items);
    for (auto& o : all) {
      PrintRequest one = req;
      one.kind = o.key.kind;
      one.items = {std::move(o)};
      auto part = render_get(one);
      if (!part) {
        err << part.error() << "\n";
        return 1;
      }
      text += *part;
    }
  } else {
    auto rendered = render_get(req);
    if (!rendered) {
      err << rendered.error() << "\n";
      return 1;
    }
    text = *rendered;
  }
  out << text;
  for (const auto& e : r.errs) {
    err << e << "\n";
  }
  return r.errs.empty() ? 0 : 1;
}

Result<api::Json, std::string> apply_patch(const api::Json& original, const Command& cmd) {
  api::Json patch;
  try {
    patch = api::Json::parse(cmd.patch);
  } catch (const std::exception& e) {
    return fail("the patch is not valid JSON: " + std::string(e.what()));
  }
  api::Json doc = original;
  if (cmd.patch_type == "json") {
    if (!patch.is_array()) {
      return fail(std::string("a json patch must be a JSON array of operations (RFC 6902)"));
    }
    try {
      return doc.patch(patch);
    } catch (const std::exception& e) {
      return fail("applying the json patch: " + std::string(e.what()));
    }
  }
  if (!patch.is_object()) {
    return fail("a " + cmd.patch_type + " patch must be a JSON object");
  }
  // Calico's types carry no strategic-merge keys, so a strategic patch merges objects and
  // replaces lists, exactly as a JSON merge patch (RFC 7386) does.
  doc.merge_patch(patch);
  return doc;
}

// Where read_edit_write failed: reading the resource (`code` says why), the edit itself,
// or validating / writing the edited resource.
struct EditError {
  enum class Step { Read, Edit, Write } step = Step::Read;
  datastore::ErrorCode code = datastore::ErrorCode::Internal;
  std::string message;
};

// Reads `key`, lets `edit` change the stored resource, validates it and writes it back with
// a compare-and-swap on the revision read.  A conflict starts again from the read
// (bounded), so `edit` must be repeatable.
Result<datastore::Object, EditError> read_edit_write(
    datastore::Datastore& ds, const datastore::Key& key,
    const std::function<Result<void, std::string>(api::AnyResource&)>& edit) {
  using Step = EditError::Step;
  for (int attempt = 0; attempt < kUpdateRetries; ++attempt) {
    auto cur = ds.get(key);
    if (!cur) {
      return fail(EditError{Step::Read, cur.error().code, calico_error_text(cur.error(), key)});
    }
    api::AnyResource r = cur->value;
    if (auto e = edit(r); !e) {
      return fail(EditError{Step::Edit, datastore::ErrorCode::Invalid, e.error()});
    }
    if (auto v = check_valid(r); !v) {
      return fail(EditError{Step::Write, datastore::ErrorCode::Invalid, v.error()});
    }
    api::meta_of(r).resource_version = cur->revision;
    auto updated = ds.update(r);
    if (updated) {
      return *updated;
    }
    if (updated.error().code != datastore::ErrorCode::Conflict) {
      return fail(
          EditError{Step::Write, updated.error().code, calico_error_text(updated.error(), key)});
    }
  }
  return fail(EditError{Step::Write, datastore::ErrorCode::Conflict,
                        "update conflict: " + key.to_string() + ": still changing after " +
                            std::to_string(kUpdateRetries) + " attempts"});
}

int run_patch(const Command& cmd, datastore::Datastore& ds, std::vector<Target>& targets,
              std::ostream& out, std::ostream& err) {
  Target& t = targets.front();
  const std::string kind(api::info(t.key.kind).name);
  auto failed = [&](const std::string& why) {
    err << "Failed to patch '" << kind << "' resource: " << why << "\n";
    return 1;
  };
  if (auto bad = handle_namespace(t, cmd)) {
    return failed(*bad);
  }
  auto done = read_edit_write(ds, t.key, [&](api::AnyResource& r) -> Result<void, std::string> {
    const api::Json original = api::encode_json(r);
    auto patched = apply_patch(original, cmd);
    if (!patched) {
      return fail(patched.error());
    }
    // The patch may not move the resource.
    (*patched)["metadata"]["name"] = t.key.name;
    if (!t.key.ns.empty()) {
      (*patched)["metadata"]["namespace"] = t.key.ns;
    }
    (*patched)["apiVersion"] = original.value("apiVersion", "");
    (*patched)["kind"] = original.value("kind", "");
    auto decoded = api::decode_json(*patched);
    if (!decoded) {
      return fail(decoded.error().to_string_all());
    }
    r = std::move(*decoded);
    return {};
  });
  if (!done) {
    return failed(done.error().message);
  }
  out << "Successfully patched 1 '" << kind << "' resource\n";
  return 0;
}

int run_label(const Command& cmd, datastore::Datastore& ds, std::vector<Target>& targets,
              std::ostream& out, std::ostream& err) {
  Target& t = targets.front();
  const std::string what = cmd.kind_word + " " + t.key.name;  // as typed: "nodes node-1"
  std::string key;
  std::string value;
  if (cmd.remove) {
    key = cmd.label;
  } else {
    const auto eq = cmd.label.find('=');
    if (eq == std::string::npos || cmd.label.find('=', eq + 1) != std::string::npos) {
      err << "invalid label " << cmd.label << "\n";
      return 1;
    }
    key = cmd.label.substr(0, eq);
    value = cmd.label.substr(eq + 1);
  }
  if (auto bad = handle_namespace(t, cmd)) {
    err << "failed to get " << what << ", error " << *bad << "\n";
    return 1;
  }
  bool overwritten = false;
  auto done = read_edit_write(ds, t.key, [&](api::AnyResource& r) -> Result<void, std::string> {
    auto& labels = api::meta_of(r).labels;
    overwritten = false;
    if (cmd.remove) {
      if (labels.erase(key) == 0) {
        return fail("cannot remove label of " + what + ", key " + key + " does not exist");
      }
    } else if (auto it = labels.find(key); it != labels.end()) {
      if (!cmd.overwrite && it->second != value) {
        return fail("failed to update label of " + what + ", key " + key +
                    " is already present. please use '--overwrite' to set a new value");
      }
      it->second = value;
      overwritten = true;
    } else {
      labels[key] = value;
    }
    return {};
  });
  if (!done) {
    const EditError& e = done.error();
    if (e.step == EditError::Step::Read && e.code == datastore::ErrorCode::NotFound) {
      err << what << " not found\n";
    } else if (e.step == EditError::Step::Read) {
      err << "failed to get " << what << ", error " << e.message << "\n";
    } else if (e.step == EditError::Step::Edit) {
      err << e.message << "\n";
    } else {
      err << "failed to update " << what << ", label not changed: " << e.message << "\n";
    }
    return 1;
  }
  if (cmd.remove) {
    out << "Successfully removed label " << key << " from " << what << "\n";
  } else if (overwritten) {
    out << "Successfully updated label " << key << " on " << what << "\n";
  } else {
    out << "Successfully set label " << key << " on " << what << "\n";
  }
  return 0;
}

void collect_dir(const fs::path& dir, bool recursive, std::vector<std::string>& files) {
  std::vector<fs::path> entries;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    entries.push_back(e.path());
  }
  std::sort(entries.begin(), entries.end());
  for (const auto& p : entries) {
    if (fs::is_directory(p, ec)) {
      if (recursive) {
        collect_dir(p, recursive, files);
      }
      continue;
    }
    const auto ext = p.extension().string();
    if (ext == ".yaml" || ext == ".yml" || ext == ".json") {
      files.push_back(p.string());
    }
  }
}

}  // namespace

std::string calico_error_text(const datastore::StoreError& e, const datastore::Key& key) {
  const std::string id = key.to_string();
  switch (e.code) {
    case datastore::ErrorCode::NotFound:
      // libcalico-go appends the backend's own text; ours would only repeat the name.
      if (e.message.find("does not exist") != std::string::npos ||
          e.message.find("not found") != std::string::npos) {
        return "resource does not exist: " + id;
      }
      return "resource does not exist: " + id + " with error: " + e.message;
    case datastore::ErrorCode::AlreadyExists:
      return "resource already exists: " + id;
    case datastore::ErrorCode::Conflict:
      return "update conflict: " + id + ": " + e.message;
    case datastore::ErrorCode::Unauthorized:
      return "connection is unauthorized: " + e.message;
    default:
      return e.to_string();
  }
}

Result<std::vector<api::AnyResource>, std::string> load_file(const std::string& file,
                                                             std::istream& stdin_stream,
                                                             std::vector<std::string>* sources) {
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
  auto docs = api::decode_yaml(text, file == "-" ? "stdin" : file, sources);
  if (!docs) {
    return fail(docs.error().to_string_all());
  }
  return std::move(*docs);
}

Result<std::vector<api::AnyResource>, std::string> load_resources(
    const Command& cmd, std::istream& stdin_stream, std::vector<std::string>* sources) {
  std::vector<api::AnyResource> out;
  for (const auto& arg : cmd.files) {
    std::vector<std::string> files;
    std::error_code ec;
    const bool dir = arg != "-" && fs::is_directory(arg, ec);
    if (dir) {
      collect_dir(arg, cmd.recursive, files);
    } else {
      files.push_back(arg);
    }
    std::size_t from_arg = 0;
    for (const auto& file : files) {
      auto docs = load_file(file, stdin_stream, sources);
      if (!docs) {
        return fail(docs.error());
      }
      if (docs->empty() && !cmd.skip_empty) {
        return fail("no resources specified in file " + (file == "-" ? "stdin" : file));
      }
      from_arg += docs->size();
      std::move(docs->begin(), docs->end(), std::back_inserter(out));
    }
    if (dir && from_arg == 0 && !cmd.skip_empty) {
      return fail("no resources specified in directory " + arg);
    }
  }
  return out;
}

int run_resource_command(const Command& cmd, datastore::Datastore* ds, std::istream& in,
                         std::ostream& out, std::ostream& err) {
  bool file_invalid = false;
  auto targets = targets_of(cmd, in, file_invalid);
  if (!targets) {
    if (file_invalid) {
      err << "Failed to execute command: " << targets.error() << "\n";
    } else {
      err << targets.error() << "\n";
    }
    return 1;
  }
  if (targets->empty()) {
    out << "No resources specified\n";
    return 0;
  }
  switch (cmd.verb) {
    case Verb::Get:
      return run_get(cmd, *ds, *targets, out, err);
    case Verb::Patch:
      return run_patch(cmd, *ds, *targets, out, err);
    case Verb::Label:
      return run_label(cmd, *ds, *targets, out, err);
    case Verb::Validate: {
      const Results r = execute(cmd, ds, *targets);
      if (!r.errs.empty()) {
        for (const auto& e : r.errs) {
          err << e << "\n";
        }
        return 1;
      }
      out << "Successfully validated " << r.num_handled << " " << kind_phrase(r) << "resource(s)\n";
      return 0;
    }
    default:
      return report_writes(cmd, execute(cmd, ds, *targets), out, err);
  }
}

}  // namespace calico::calicoctl
