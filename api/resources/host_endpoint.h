// HostEndpoint (projectcalico.org/v3, cluster scoped): a host interface (or, with
// interfaceName "*", all of the host's traffic) that policy applies to.  Without any
// applicable policy or profile a host endpoint denies traffic apart from failsafe ports.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "api/codec.h"
#include "api/kind.h"
#include "api/meta.h"
#include "api/types.h"

namespace calico::api {

// A named port, usable as a named Port in policy rules.
struct EndpointPort {
  std::string name;
  Protocol protocol;  // TCP | UDP | SCTP
  std::uint16_t port = 0;

  template <class V>
  void visit(V& v) {
    v("name", name, Emit::Always);
    v("protocol", protocol);
    v("port", port, Emit::Always);
  }
  bool operator==(const EndpointPort&) const = default;
};

struct HostEndpointSpec {
  std::string node;            // required
  std::string interface_name;  // "*", an interface, or empty (then expectedIPs identify it)
  std::vector<std::string> expected_ips;
  std::vector<std::string> profiles;
  std::vector<EndpointPort> ports;

  template <class V>
  void visit(V& v) {
    v("node", node);
    v("interfaceName", interface_name);
    v("expectedIPs", expected_ips);
    v("profiles", profiles);
    v("ports", ports);
  }
  bool operator==(const HostEndpointSpec&) const = default;
};

struct HostEndpoint {
  static constexpr Kind kKind = Kind::HostEndpoint;
  ObjectMeta metadata;
  HostEndpointSpec spec;

  template <class V>
  void visit(V& v) {
    v("metadata", metadata, Emit::Always);
    v("spec", spec, Emit::Always);
  }
  bool operator==(const HostEndpoint&) const = default;
};

}  // namespace calico::api
