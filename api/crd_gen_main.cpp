// calico-crd-gen: writes manifests/crds/ from the resource model (api/crd_schema.h).
//
//   calico-crd-gen <outdir>      one crd.projectcalico.org_<plural>.yaml per CRD
//
// A development tool (not installed in the image); tests/unit/manifests fails with a hint
// to run it when a committed CRD differs from what it writes.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "api/crd_schema.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: calico-crd-gen <outdir>\n";
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    std::cerr << "calico-crd-gen: " << dir.string() << ": " << ec.message() << "\n";
    return 1;
  }
  for (const auto& d : calico::api::crd_definitions()) {
    const auto path = dir / calico::api::crd_file_name(d);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << calico::api::crd_yaml(d);
    out.close();
    if (!out) {
      std::cerr << "calico-crd-gen: cannot write " << path.string() << "\n";
      return 1;
    }
    std::cout << path.string() << "\n";
  }
  return 0;
}
