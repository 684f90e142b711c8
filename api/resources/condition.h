// Kubernetes metav1.Condition, as carried in the status of Tier (and other kinds).
#pragma once

#include <cstdint>
#include <string>

#include "api/codec.h"

namespace calico::api {

struct Condition {
  std::string type;    // "Ready"
  std::string status;  // True | False | Unknown
  std::int64_t observed_generation = 0;
  std::string last_transition_time;  // RFC 3339
  std::string reason;
  std::string message;

  template <class V>
  void visit(V& v) {
    v("type", type, Emit::Always);
    v("status", status, Emit::Always);
    v("observedGeneration", observed_generation);
    v("lastTransitionTime", last_transition_time, Emit::Always);
    v("reason", reason, Emit::Always);
    v("message", message, Emit::Always);
  }
  bool operator==(const Condition&) const = default;
};

}  // namespace calico::api
