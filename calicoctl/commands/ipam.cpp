#include "calicoctl/commands/ipam.h"

#include <ostream>

namespace calico::calicoctl {

bool ipam_needs_datastore(const std::vector<std::string>& /*args*/) {
  return true;
}

int run_ipam(const std::vector<std::string>& /*args*/, datastore::Datastore* /*ds*/,
             std::ostream& /*out*/, std::ostream& err) {
  err << "calicoctl ipam: not implemented yet\n";
  return 1;
}

}  // namespace calico::calicoctl
