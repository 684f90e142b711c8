// The lab: a routed cluster on this machine (lab/plan.h for the layout).  Every command
// loads the lab's state (lab/state.h), acts, and saves it; the processes it starts run
// detached and are found again by PID (checked against their executable).
//
//   LabContext ctx{out, err};
//   int rc = cmd_up(ctx, options, /*rebuild=*/false);       // exit status
//
// Errors are printed to ctx.err naming what failed (a missing program says which Debian
// package provides it); the exit status is 0 on success, 1 on failure.  `probe` exits 0
// when connected and 1 when not.
#pragma once

#include <chrono>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include "lab/plan.h"

namespace calico::lab {

struct LabContext {
  std::ostream& out;
  std::ostream& err;
  std::string state_root = "/run/calico-lab";  // <state_root>/<name>/state.json
};

// Brings the lab up (or reuses a healthy one with the same options; rebuilds otherwise or
// when `rebuild`), runs the demo unless `demo` is false, prints status and how to use it.
int cmd_up(LabContext& ctx, const Options& options, bool rebuild, bool demo);
// Stops every process by PID, deletes every namespace, removes the state directory.
int cmd_down(LabContext& ctx, const std::string& name);
// Node BGP status, the ToR's routes, namespaces and pods (with their netns names).
int cmd_status(LabContext& ctx, const std::string& name);

int cmd_ns_create(LabContext& ctx, const std::string& name, const std::string& ns,
                  const std::vector<std::string>& labels);
int cmd_ns_label(LabContext& ctx, const std::string& name, const std::string& ns,
                 const std::vector<std::string>& edits);
int cmd_ns_delete(LabContext& ctx, const std::string& name, const std::string& ns);

struct PodSpec {
  std::string ref;                     // ns/name
  std::string node;                    // node1 ...
  std::vector<std::string> labels;     // k=v
  std::vector<std::string> ports;      // name:proto:port
  std::vector<std::string> listeners;  // tcp:80
};
int cmd_pod_add(LabContext& ctx, const std::string& name, const PodSpec& spec);
int cmd_pod_label(LabContext& ctx, const std::string& name, const std::string& ref,
                  const std::vector<std::string>& edits);
int cmd_pod_delete(LabContext& ctx, const std::string& name, const std::string& ref);
int cmd_pods(LabContext& ctx, const std::string& name);

// calicoctl apply/delete -f FILE (Kubernetes NetworkPolicy and projectcalico.org/v3 YAML).
int cmd_apply(LabContext& ctx, const std::string& name, const std::string& verb,
              const std::string& file);
// calicoctl with the lab's datastore.
int cmd_calicoctl(LabContext& ctx, const std::string& name, const std::vector<std::string>& args);

// FROM is a pod; TO is a pod or an IPv4 address.  Exit 0 connected, 1 not, 2 bad input.
int cmd_probe(LabContext& ctx, const std::string& name, const std::string& from,
              const std::string& to, int port, const std::string& protocol,
              std::chrono::milliseconds timeout);
// Every pod to every pod on PORT/PROTOCOL.
int cmd_matrix(LabContext& ctx, const std::string& name, int port, const std::string& protocol,
               std::chrono::milliseconds timeout);

// The pod server (run inside the pod's namespace by cmd_pod_add); until SIGTERM.
int cmd_serve(LabContext& ctx, const std::string& identity, const std::vector<std::string>& listen);

}  // namespace calico::lab
