// calicoctl's resource commands: create, apply, replace, delete, get, patch, label,
// validate.  Per-resource results are reported as Calico's calicoctl reports them:
//
//   Successfully created 2 'IPPool' resource(s)                        (stdout, exit 0)
//   Failed to create 'IPPool' resource: [resource already exists: IPPool(p1)]
//                                                                      (stderr, exit 1)
//   Partial success: created the first 1 out of 2 'IPPool' resources:  (stdout)
//   Hit error: [resource already exists: IPPool(p2)]                   (stderr, exit 1)
//
// create/apply/delete/get carry on past a failing resource (as Calico does); replace
// stops at the first.  Datastore errors are named as libcalico-go names them
// ("resource does not exist: IPPool(x) ...", "update conflict: IPPool(x) ...").
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "api/document.h"
#include "calicoctl/commands/cli.h"
#include "common/result.h"
#include "datastore/datastore.h"

namespace calico::calicoctl {

// Reads every resource document of one file ("-" = stdin).  Namespaces are not filled in
// here (see run_resource_command).  Errors name the file and document; `sources`, when
// given, receives each resource's "file document N".
Result<std::vector<api::AnyResource>, std::string> load_file(
    const std::string& file, std::istream& stdin_stream,
    std::vector<std::string>* sources = nullptr);

// Reads every resource document from the command's -f arguments: files, "-", or
// directories (their .yaml/.yml/.json files in name order; subdirectories with -R).  An
// empty file or directory is an error unless --skip-empty.
Result<std::vector<api::AnyResource>, std::string> load_resources(
    const Command& cmd, std::istream& stdin_stream, std::vector<std::string>* sources = nullptr);

// Runs create/apply/replace/delete/get/patch/label/validate; returns the exit code.
// `ds` may be null for validate.
int run_resource_command(const Command& cmd, datastore::Datastore* ds, std::istream& in,
                         std::ostream& out, std::ostream& err);

// libcalico-go's wording for a datastore error about `key`.
std::string calico_error_text(const datastore::StoreError& e, const datastore::Key& key);

}  // namespace calico::calicoctl
