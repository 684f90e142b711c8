// calico-node's probe flags, Calico's names, as the DaemonSet's exec probes run them:
//
//   calico-node -felix-live -bird-live      liveness  (GET /liveness on the health port)
//   calico-node -felix-ready -bird-ready    readiness (GET /readiness)
//
// Each flag asks for one component's check (felix, or the BGP speaker that stands in for
// BIRD); both components of one probe ask for the combined endpoint.  "--felix-live" is
// accepted as well.  calico_node_main.cpp parses its probe arguments with probe_path, and
// the manifest test (tests/unit/manifests) checks the DaemonSet's probes against
// kProbeFlags, so the two cannot drift.  Pure.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace calico::felix {

struct ProbeFlag {
  std::string_view flag;       // "-felix-live"
  bool readiness = false;      // false: liveness
  std::string_view component;  // "felix" | "bgp": the health endpoint's component path
};

inline constexpr std::array<ProbeFlag, 4> kProbeFlags{{
    {"-felix-live", false, "felix"},
    {"-bird-live", false, "bgp"},
    {"-felix-ready", true, "felix"},
    {"-bird-ready", true, "bgp"},
}};

// The flag's entry ("-x" or "--x"); nullopt when `arg` is not a probe flag.
std::optional<ProbeFlag> find_probe_flag(std::string_view arg);

// The health endpoint path for probe flags: "/liveness/felix" for one component,
// "/liveness" for both.  nullopt when `args` is empty, holds a non-probe argument, or mixes
// liveness and readiness flags.
std::optional<std::string> probe_path(const std::vector<std::string>& args);

}  // namespace calico::felix
