// `calicoctl datastore migrate lock|unlock`: sets ClusterInformation `default`
// spec.datastoreReady to false / true, as Calico's calicoctl does before an IPAM repair
// (`ipam release --from-report`, `ipam split`).  A missing ClusterInformation is created
// (with a new clusterGUID) as Calico's EnsureInitialized does.  export/import are not
// supported.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "datastore/datastore.h"

namespace calico::calicoctl {

// True unless the words are help or a usage error.
bool datastore_cmd_needs_datastore(const std::vector<std::string>& args);

// `args` are the words after "datastore".  Returns the exit code.
int run_datastore_cmd(const std::vector<std::string>& args, datastore::Datastore* ds,
                      std::ostream& out, std::ostream& err);

}  // namespace calico::calicoctl
