// `calicoctl node ...`: node status (the local calico-node's BGP sessions, read from its
// control socket).  No datastore.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace calico::calicoctl {

// `args` are the words after "node" (e.g. {"status"}).  Returns the exit code.
int run_node(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace calico::calicoctl
