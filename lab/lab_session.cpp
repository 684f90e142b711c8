// The lab's session plumbing: where the binaries are, the state file, the control
// namespace and its etcd, progress lines, applying YAML.
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "api/document.h"
#include "calicoctl/commands/cli.h"
#include "common/unix_request.h"
#include "datastore/open/open.h"
#include "lab/lab_internal.h"
#include "lab/render.h"
#include "lab/sys.h"

namespace calico::lab {
namespace detail {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

bool executable(const std::string& p) {
  return !p.empty() && ::access(p.c_str(), X_OK) == 0;
}

}  // namespace

Result<Binaries, std::string> find_binaries() {
  Binaries b;
  std::error_code ec;
  b.self = fs::read_symlink("/proc/self/exe", ec).string();
  if (ec) {
    return fail("cannot read /proc/self/exe: " + ec.message());
  }
  const fs::path here = fs::path(b.self).parent_path();
  std::vector<fs::path> node_dirs;
  std::vector<fs::path> cni_dirs;
  if (const char* d = ::getenv("CALICO_LAB_BIN_DIR"); d != nullptr && *d != '\0') {
    node_dirs.emplace_back(d);
    cni_dirs.emplace_back(d);
  }
  node_dirs.push_back(here);
  node_dirs.push_back(here.parent_path() / "felix");
  cni_dirs.push_back(here);
  cni_dirs.push_back(here.parent_path() / "cni");
  for (const auto& d : node_dirs) {
    if (executable((d / "calico-node").string())) {
      b.calico_node = (d / "calico-node").string();
      break;
    }
  }
  for (const auto& d : cni_dirs) {
    if (executable((d / "calico").string()) && executable((d / "calico-ipam").string())) {
      b.cni_dir = d.string();
      break;
    }
  }
  b.calicoctl = "calicoctl";
  for (const auto& d : {here, here.parent_path() / "calicoctl"}) {
    if (executable((d / "calicoctl").string())) {
      b.calicoctl = (d / "calicoctl").string();
      break;
    }
  }
  if (b.calico_node.empty() || b.cni_dir.empty()) {
    return fail(std::string("cannot find ") +
                (b.calico_node.empty() ? "calico-node" : "the CNI plugins") + " next to " + b.self +
                " (build them: ninja -C build calico-node calico calico-ipam; or set "
                "CALICO_LAB_BIN_DIR)");
  }
  return b;
}

Result<void, std::string> Session::save() const {
  std::error_code ec;
  fs::create_directories(dir(), ec);
  return write_file(dir() + "/state.json", to_json(state).dump(2) + "\n");
}

std::string Session::etcd_endpoint_for_nodes() const {
  return "http://" + plan.ctl_ip + ":" + std::to_string(state.etcd_port);
}

Result<datastore::Datastore*, std::string> Session::datastore() {
  if (ds) {
    return ds.get();
  }
  const int fd = ::open(("/run/netns/" + plan.ctl_netns).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return fail("the lab's control namespace " + plan.ctl_netns + " is missing: run calico-lab up");
  }
  const int rc = ::setns(fd, CLONE_NEWNET);
  ::close(fd);
  if (rc != 0) {
    return fail("entering " + plan.ctl_netns + ": " + std::strerror(errno));
  }
  datastore::DatastoreConfig dc;
  dc.type = datastore::DatastoreType::Etcdv3;
  dc.etcd_endpoints = {"http://127.0.0.1:" + std::to_string(state.etcd_port)};
  auto opened = datastore::open_datastore(dc);
  if (!opened) {
    return fail("opening the lab's etcd: " + opened.error());
  }
  ds = std::move(*opened);
  return ds.get();
}

Result<std::unique_ptr<Session>, std::string> load_session(LabContext& ctx,
                                                           const std::string& name) {
  auto s = std::make_unique<Session>(ctx);
  const std::string path = ctx.state_root + "/" + name + "/state.json";
  const std::string text = read_file(path);
  if (text.empty()) {
    return fail("no lab '" + name + "' here (" + path +
                " is missing): start it with calico-lab up" +
                (name == "lab" ? "" : " --name " + name));
  }
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    return fail(path + ": not JSON; remove the lab with calico-lab down");
  }
  auto st = state_from_json(j);
  if (!st) {
    return fail(path + ": " + st.error());
  }
  s->state = std::move(*st);
  auto plan = make_plan(s->state.options);
  if (!plan) {
    return fail(path + ": " + plan.error());
  }
  s->plan = std::move(*plan);
  auto bins = find_binaries();
  if (!bins) {
    return fail(bins.error());
  }
  s->bins = std::move(*bins);
  return s;
}

Step::Step(std::ostream& out, std::string what)
    : out_(out), start_(std::chrono::steady_clock::now()) {
  out_ << "==> " << what << std::flush;
}

void Step::done(const std::string& note) {
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  out_ << "  (" << format_duration(secs) << (note.empty() ? "" : ", " + note) << ")\n"
       << std::flush;
}

Result<void, std::string> apply_yaml(datastore::Datastore& ds, const std::string& yaml) {
  auto docs = api::decode_yaml(yaml);
  if (!docs) {
    return fail(docs.error().to_string());
  }
  for (auto& d : *docs) {
    api::apply_defaults(d);
    if (auto v = api::validate(d); !v) {
      return fail(v.error().to_string());
    }
    auto created = ds.create(d);
    if (created) {
      continue;
    }
    if (created.error().code != datastore::ErrorCode::AlreadyExists) {
      return fail(created.error().to_string());
    }
    auto current = ds.get(datastore::key_of(d));
    if (!current) {
      return fail(current.error().to_string());
    }
    api::meta_of(d).resource_version = current->revision;
    if (auto u = ds.update(d); !u) {
      return fail(u.error().to_string());
    }
  }
  return {};
}

}  // namespace detail

}  // namespace calico::lab
