// Rule and EntityRule: the policy rule model shared by NetworkPolicy, GlobalNetworkPolicy
// and Profile (projectcalico.org/v3 policy_common.go).
//
// A Rule matches packets by protocol, ICMP type/code, source and destination (EntityRule:
// CIDRs, selectors, ports, service accounts, Kubernetes services) and applies an action.
// Validation lives in api/validation/rules.cpp; the semantics (selector rewriting,
// namespace scoping) belong to policy/.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/codec.h"
#include "api/types.h"

namespace calico::api {

// ICMP match; `code` needs `type`.
struct ICMPFields {
  std::optional<int> type;  // 0-254
  std::optional<int> code;  // 0-255

  template <class V>
  void visit(V& v) {
    v("type", type);
    v("code", code);
  }
  bool operator==(const ICMPFields&) const = default;
};

// One HTTP path match: exactly one of exact / prefix.
struct HTTPPath {
  std::string exact;
  std::string prefix;

  template <class V>
  void visit(V& v) {
    v("exact", exact);
    v("prefix", prefix);
  }
  bool operator==(const HTTPPath&) const = default;
};

// Application-layer match (only honoured by an L7-capable dataplane).
struct HTTPMatch {
  std::vector<std::string> methods;
  std::vector<HTTPPath> paths;

  template <class V>
  void visit(V& v) {
    v("methods", methods);
    v("paths", paths);
  }
  bool operator==(const HTTPMatch&) const = default;
};

// Service accounts of the peer: `names` and `selector` are ANDed.
struct ServiceAccountMatch {
  std::vector<std::string> names;
  std::string selector;

  template <class V>
  void visit(V& v) {
    v("names", names);
    v("selector", selector);
  }
  bool operator==(const ServiceAccountMatch&) const = default;
};

// The endpoints of a Kubernetes Service.
struct ServiceMatch {
  std::string name;
  std::string ns;  // "namespace"

  template <class V>
  void visit(V& v) {
    v("name", name);
    v("namespace", ns);
  }
  bool operator==(const ServiceMatch&) const = default;
};

// Source or destination of a rule; all given fields must match.
struct EntityRule {
  std::vector<std::string> nets;
  std::string selector;
  std::string namespace_selector;  // empty: the policy's namespace (NP) / all (GNP)
  std::optional<ServiceMatch> services;
  std::vector<Port> ports;
  std::vector<std::string> not_nets;
  std::string not_selector;
  std::vector<Port> not_ports;
  std::optional<ServiceAccountMatch> service_accounts;

  template <class V>
  void visit(V& v) {
    v("nets", nets);
    v("selector", selector);
    v("namespaceSelector", namespace_selector);
    v("services", services);
    v("ports", ports);
    v("notNets", not_nets);
    v("notSelector", not_selector);
    v("notPorts", not_ports);
    v("serviceAccounts", service_accounts);
  }
  bool operator==(const EntityRule&) const = default;
};

struct RuleMetadata {
  std::map<std::string, std::string> annotations;

  template <class V>
  void visit(V& v) {
    v("annotations", annotations);
  }
  bool operator==(const RuleMetadata&) const = default;
};

struct Rule {
  std::string action;             // Allow | Deny | Log | Pass (required)
  std::optional<int> ip_version;  // 4 | 6
  std::optional<Protocol> protocol;
  std::optional<ICMPFields> icmp;
  std::optional<Protocol> not_protocol;
  std::optional<ICMPFields> not_icmp;
  EntityRule source;
  EntityRule destination;
  std::optional<HTTPMatch> http;
  std::optional<RuleMetadata> metadata;

  template <class V>
  void visit(V& v) {
    v("action", action, Emit::Always);
    v("ipVersion", ip_version);
    v("protocol", protocol);
    v("icmp", icmp);
    v("notProtocol", not_protocol);
    v("notICMP", not_icmp);
    v("source", source, Emit::OmitZero);
    v("destination", destination, Emit::OmitZero);
    v("http", http);
    v("metadata", metadata);
  }
  bool operator==(const Rule&) const = default;
};

}  // namespace calico::api
