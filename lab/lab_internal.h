// Shared by lab.cpp (lifecycle) and lab_pods.cpp (namespaces, pods, policy, probes).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "common/result.h"
#include "datastore/datastore.h"
#include "lab/lab.h"
#include "lab/plan.h"
#include "lab/state.h"

namespace calico::lab::detail {

// Where the other binaries are: $CALICO_LAB_BIN_DIR (all in one directory, as installed),
// else next to calico-lab, else the build tree's layout (lab/, felix/, cni/).
struct Binaries {
  std::string self;
  std::string calico_node;
  std::string cni_dir;    // holds calico and calico-ipam
  std::string calicoctl;  // optional: only printed in the how-to ("calicoctl" if not found)
};
Result<Binaries, std::string> find_binaries();

struct Session {
  explicit Session(LabContext& c) : ctx(c) {}
  LabContext& ctx;
  LabState state;
  Plan plan;
  Binaries bins;
  std::unique_ptr<datastore::Datastore> ds;

  std::string dir() const { return ctx.state_root + "/" + state.options.name; }
  Result<void, std::string> save() const;
  // Enters the control namespace (this thread, for good: threads started later inherit
  // it) and opens the lab's etcd on 127.0.0.1.
  Result<datastore::Datastore*, std::string> datastore();
  std::string etcd_endpoint_for_nodes() const;
};

// Loads <state_root>/<name>/state.json; fails "no lab 'x' here: start it with calico-lab up".
Result<std::unique_ptr<Session>, std::string> load_session(LabContext& ctx,
                                                           const std::string& name);

// Prints "==> what" and, on done(), "    done in 1.2s".
class Step {
 public:
  Step(std::ostream& out, std::string what);
  void done(const std::string& note = "");

 private:
  std::ostream& out_;
  std::chrono::steady_clock::time_point start_;
};

// Creates or updates every document of `yaml` (projectcalico.org/v3).
Result<void, std::string> apply_yaml(datastore::Datastore& ds, const std::string& yaml);

// Namespace profile kns.<ns> (Calico's NamespaceToProfile: labelsToApply pcns.<k> for the
// namespace's labels, which always include kubernetes.io/metadata.name).
Result<void, std::string> write_namespace(Session& s, const std::string& ns,
                                          std::map<std::string, std::string> labels);
Result<void, std::string> add_pod(Session& s, const PodSpec& spec);
Result<void, std::string> delete_pod(Session& s, const std::string& key);

// lab_status.cpp: every node's sessions and the ToR's all Established; the status
// sections; the how-to; why an existing lab cannot be reused ("" = it can).
bool all_sessions_up(const Session& s);
void print_status(Session& s, std::ostream& out);
void print_howto(const Session& s, std::ostream& out);
std::string reuse_blocker(const Session& s, const Options& wanted);

// Every pod to every other pod (probed in parallel); names are "ns/name" in key order.
struct Matrix {
  std::vector<std::string> names;
  std::vector<const PodState*> pods;
  std::vector<std::vector<std::optional<bool>>> cells;
};
Matrix probe_matrix(Session& s, int port, const std::string& protocol,
                    std::chrono::milliseconds timeout);

}  // namespace calico::lab::detail
