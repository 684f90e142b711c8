// `calicoctl ipam ...`: show, check, release, configure, split over the Datastore.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "datastore/datastore.h"

namespace calico::calicoctl {

// True when the ipam words need no datastore (help, or a usage error found before any
// datastore access).
bool ipam_needs_datastore(const std::vector<std::string>& args);

// `args` are the words after "ipam" (e.g. {"show", "--show-blocks"}).  `ds` is null only
// when ipam_needs_datastore() said false.  Returns the exit code.
int run_ipam(const std::vector<std::string>& args, datastore::Datastore* ds, std::ostream& out,
             std::ostream& err);

}  // namespace calico::calicoctl
