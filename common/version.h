// The version this build reports where Calico reports its own: ClusterInformation
// spec.calicoVersion (written by calico-node) and `calicoctl ipam check -o` reports.
// Calico's release it follows, plus our suffix.
#pragma once

namespace calico {

inline constexpr const char* kCalicoVersion = "v3.32.1-calico-cpp";

}  // namespace calico
