#include "calicoctl/commands/datastore_cmd.h"

#include <ostream>

#include "api/resources.h"
#include "common/random_id.h"

namespace calico::calicoctl {
namespace {

constexpr int kRetries = 5;

const char* kUsage =
    "Usage:\n"
    "  calicoctl datastore migrate lock [--config=<CONFIG>]\n"
    "  calicoctl datastore migrate unlock [--config=<CONFIG>]\n"
    "\n"
    "lock sets ClusterInformation datastoreReady=false (new pods cannot start while it is\n"
    "set); unlock sets it back to true.\n";

bool is_help(const std::vector<std::string>& args) {
  for (const auto& a : args) {
    if (a == "-h" || a == "--help") {
      return true;
    }
  }
  return args.empty();
}

bool valid(const std::vector<std::string>& args) {
  return args.size() == 2 && args[0] == "migrate" && (args[1] == "lock" || args[1] == "unlock");
}

}  // namespace

bool datastore_cmd_needs_datastore(const std::vector<std::string>& args) {
  return !is_help(args) && valid(args);
}

int run_datastore_cmd(const std::vector<std::string>& args, datastore::Datastore* ds,
                      std::ostream& out, std::ostream& err) {
  if (is_help(args)) {
    out << kUsage;
    return 0;
  }
  if (!valid(args)) {
    std::string line;
    for (const auto& a : args) {
      line += " " + a;
    }
    err << "Invalid option: 'calicoctl datastore" << line
        << "'. Use flag '--help' to read about a specific subcommand.\n";
    return 1;
  }
  const bool lock = args[1] == "lock";
  const std::string what = lock ? "locking" : "unlocking";
  const datastore::Key key{api::Kind::ClusterInformation, "", "default"};
  for (int attempt = 0; attempt < kRetries; ++attempt) {
    auto cur = ds->get(key);
    if (!cur && cur.error().code == datastore::ErrorCode::NotFound) {
      api::ClusterInformation ci;
      ci.metadata.name = "default";
      ci.spec.cluster_guid = random_hex(32);
      ci.spec.datastore_ready = !lock;
      auto created = ds->create(ci);
      if (created) {
        break;
      }
      if (created.error().code == datastore::ErrorCode::AlreadyExists) {
        continue;
      }
      err << "unable to initialize cluster information for the datastore migration: "
          << created.error().to_string() << "\n";
      return 1;
    }
    if (!cur) {
      err << "error retrieving ClusterInformation for " << what << ": " << cur.error().to_string()
          << "\n";
      return 1;
    }
    auto* ci = std::get_if<api::ClusterInformation>(&cur->value);
    if (ci == nullptr) {
      err << "error retrieving ClusterInformation for " << what << ": unexpected kind\n";
      return 1;
    }
    ci->spec.datastore_ready = !lock;
    ci->metadata.resource_version = cur->revision;
    auto updated = ds->update(*ci);
    if (updated) {
      break;
    }
    if (updated.error().code != datastore::ErrorCode::Conflict || attempt + 1 == kRetries) {
      err << "error updating ClusterInformation for " << what << ": " << updated.error().to_string()
          << "\n";
      return 1;
    }
  }
  out << (lock ? "Datastore locked.\n" : "Datastore unlocked.\n");
  return 0;
}

}  // namespace calico::calicoctl
