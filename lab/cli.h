// calico-lab's command line (usage: `calico-lab help`).  Returns the exit status:
// 0 success, 1 failure (or a probe that did not connect), 2 bad arguments.
#pragma once

#include <string>
#include <vector>

namespace calico::lab {

int run_cli(std::vector<std::string> args);

}  // namespace calico::lab
