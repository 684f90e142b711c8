// calico-lab: a routed Calico lab cluster on this machine (lab/README.md).
#include <string>
#include <vector>

#include "lab/cli.h"

int main(int argc, char** argv) {
  return calico::lab::run_cli(std::vector<std::string>(argv + 1, argv + argc));
}
