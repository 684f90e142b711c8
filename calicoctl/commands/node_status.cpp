#include "calicoctl/commands/node_status.h"

#include <ostream>

namespace calico::calicoctl {

int run_node(const std::vector<std::string>& /*args*/, std::ostream& /*out*/, std::ostream& err) {
  err << "calicoctl node: not implemented yet\n";
  return 1;
}

}  // namespace calico::calicoctl
