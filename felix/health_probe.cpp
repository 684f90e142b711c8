// calico-node's probe flags (see health_probe.h).
#include "felix/health_probe.h"

namespace calico::felix {

std::optional<ProbeFlag> find_probe_flag(std::string_view arg) {
  if (arg.substr(0, 2) == "--") {
    arg.remove_prefix(1);
  }
  for (const auto& f : kProbeFlags) {
    if (f.flag == arg) {
      return f;
    }
  }
  return std::nullopt;
}

std::optional<std::string> probe_path(const std::vector<std::string>& args) {
  std::optional<bool> readiness;
  std::string component;
  for (const auto& a : args) {
    const auto f = find_probe_flag(a);
    if (!f || (readiness && *readiness != f->readiness)) {
      return std::nullopt;
    }
    readiness = f->readiness;
    if (component.empty() || component == f->component) {
      component = f->component;
    } else {
      component = "both";
    }
  }
  if (!readiness) {
    return std::nullopt;
  }
  const std::string base = *readiness ? "/readiness" : "/liveness";
  return component == "both" ? base : base + "/" + component;
}

}  // namespace calico::felix
