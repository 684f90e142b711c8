// The Kubernetes e2e NetworkPolicy layout and a table of policy cases with their expected
// reachability, shared by the evaluator tests (tests/unit/policy) and the real-traffic
// tests that replay exactly these cases against the nftables dataplane.
//
// Layout (as in upstream test/e2e/network/netpol and cyclonus):
//   namespaces x, y, z labelled ns=<name> and kubernetes.io/metadata.name=<name>;
//   pods a, b, c in each, labelled pod=<name>, addresses 10.65.<ns>.<10+pod>
//   (x = 10.65.0.0/24, y = 10.65.1.0/24, z = 10.65.2.0/24; x/a = 10.65.0.10);
//   service accounts sa-a, sa-b, sa-c (sa-c labelled privileged=true);
//   servers on TCP, UDP and SCTP ports 80 and 81 with named ports serve-<port>-<proto>,
//   plus the TCP port "web": 80 on pods a and c, 81 on pods b (one name, different
//   numbers per pod).
// A probe is (from pod, to pod, protocol/port) for tcp/80, tcp/81, udp/80, udp/81, sctp/80.
// A pod always reaches itself (the packet stays inside its network namespace), so the
// diagonal is allowed in every expectation.
//
// A case is a sequence of steps.  Each step gives the complete set of policy resources in
// force (YAML, as applied with calicoctl / kubectl), optional pod and namespace label
// overrides (relative to the layout, not to the previous step) and the expected matrix.
// Replaying a step means: make the cluster state equal to the step's, then probe.
//
// Header-only; depends on api/ and policy/ only.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "api/document.h"
#include "common/net/ip.h"
#include "common/result.h"
#include "policy/compile.h"
#include "policy/convert.h"
#include "policy/evaluate.h"
#include "policy/model.h"

namespace calico::testlib::netpol {

using policy::Labels;

// ---- Layout ------------------------------------------------------------------------------

inline constexpr std::array<std::string_view, 3> kNamespaces{"x", "y", "z"};
inline constexpr std::array<std::string_view, 3> kPodNames{"a", "b", "c"};
inline constexpr std::size_t kPodCount = kNamespaces.size() * kPodNames.size();

struct Probe {
  std::string_view name;
  std::uint8_t protocol;
  std::uint16_t port;
};
inline constexpr std::array<Probe, 5> kProbes{{{"tcp/80", policy::kProtoTcp, 80},
                                               {"tcp/81", policy::kProtoTcp, 81},
                                               {"udp/80", policy::kProtoUdp, 80},
                                               {"udp/81", policy::kProtoUdp, 81},
                                               {"sctp/80", policy::kProtoSctp, 80}}};
// Source port the probes use (any ephemeral port).
inline constexpr std::uint16_t kProbeSourcePort = 40000;

// Probe masks for Reachability.
inline constexpr unsigned kTcp80 = 1U << 0U;
inline constexpr unsigned kTcp81 = 1U << 1U;
inline constexpr unsigned kUdp80 = 1U << 2U;
inline constexpr unsigned kUdp81 = 1U << 3U;
inline constexpr unsigned kSctp80 = 1U << 4U;
inline constexpr unsigned kTcp = kTcp80 | kTcp81;
inline constexpr unsigned kUdp = kUdp80 | kUdp81;
inline constexpr unsigned kAllProbes = kTcp | kUdp | kSctp80;

// Pod index i: namespace i / 3, pod i % 3.
inline std::string_view pod_namespace(std::size_t i) {
  return kNamespaces[i / 3];
}
inline std::string_view pod_name(std::size_t i) {
  return kPodNames[i % 3];
}
inline std::string pod_id(std::size_t i) {
  return std::string(pod_namespace(i)) + "/" + std::string(pod_name(i));
}
inline std::string pod_ip_text(std::size_t i) {
  return "10.65." + std::to_string(i / 3) + "." + std::to_string(10 + i % 3);
}
inline net::IpAddr pod_ip(std::size_t i) {
  return *net::IpAddr::parse(pod_ip_text(i));
}
inline std::string pod_service_account(std::size_t i) {
  return "sa-" + std::string(pod_name(i));
}
inline policy::EndpointKey pod_key(std::size_t i) {
  return {std::string(pod_namespace(i)), std::string(pod_name(i))};
}

// The host-side interface of pod i when all pods are local to one node ("calixa").
inline std::string pod_iface(std::size_t i) {
  return "cali" + std::string(pod_namespace(i)) + std::string(pod_name(i));
}
// Every pod as a local endpoint of one node, on pod_iface(i).
inline std::vector<policy::LocalEndpoint> local_endpoints() {
  std::vector<policy::LocalEndpoint> out;
  for (std::size_t i = 0; i < kPodCount; ++i) {
    out.push_back({pod_key(i), pod_iface(i)});
  }
  return out;
}
inline Labels default_namespace_labels(std::string_view ns) {
  return {{"ns", std::string(ns)}, {"kubernetes.io/metadata.name", std::string(ns)}};
}
inline Labels default_pod_labels(std::size_t i) {
  return {{"pod", std::string(pod_name(i))}};
}
inline Labels service_account_labels(std::string_view sa) {
  if (sa == "sa-c") {
    return {{"privileged", "true"}};
  }
  return {};
}

// The container ports of pod i.
inline std::vector<policy::NamedPort> pod_ports(std::size_t i) {
  std::vector<policy::NamedPort> out;
  for (const std::uint16_t port : {std::uint16_t{80}, std::uint16_t{81}}) {
    out.push_back({"serve-" + std::to_string(port) + "-tcp", policy::kProtoTcp, port});
    out.push_back({"serve-" + std::to_string(port) + "-udp", policy::kProtoUdp, port});
    out.push_back({"serve-" + std::to_string(port) + "-sctp", policy::kProtoSctp, port});
  }
  out.push_back({"web", policy::kProtoTcp, static_cast<std::uint16_t>(i % 3 == 1 ? 81 : 80)});
  return out;
}

// ---- Reachability ------------------------------------------------------------------------

// Expected (or observed) outcome of every probe.  Pod patterns: "x/a", "x/*", "*/a", "*",
// or several separated by commas ("x/a,y/b").  The diagonal is always allowed.
class Reachability {
 public:
  explicit Reachability(bool allowed = true) {
    for (auto& probe : m_) {
      for (auto& row : probe) {
        row.fill(allowed);
      }
    }
    fill_diagonal();
  }

  Reachability& set(std::string_view from, std::string_view to, bool allowed,
                    unsigned probes = kAllProbes) {
    for (std::size_t p = 0; p < kProbes.size(); ++p) {
      if ((probes & (1U << p)) == 0) {
        continue;
      }
      for (std::size_t f = 0; f < kPodCount; ++f) {
        for (std::size_t t = 0; t < kPodCount; ++t) {
          if (f != t && matches(from, f) && matches(to, t)) {
            m_[p][f][t] = allowed;
          }
        }
      }
    }
    return *this;
  }
  Reachability& allow(std::string_view from, std::string_view to, unsigned probes = kAllProbes) {
    return set(from, to, true, probes);
  }
  Reachability& deny(std::string_view from, std::string_view to, unsigned probes = kAllProbes) {
    return set(from, to, false, probes);
  }

  bool allowed(std::size_t probe, std::size_t from, std::size_t to) const {
    return m_[probe][from][to];
  }
  void put(std::size_t probe, std::size_t from, std::size_t to, bool allowed) {
    m_[probe][from][to] = allowed;
  }
  bool operator==(const Reachability&) const = default;

  // One grid per probe; rows are sources, columns destinations; "." allowed, "X" denied.
  std::string to_string() const { return render(nullptr); }
  // Like to_string, but only probes that differ from `expected`, with "+" for unexpectedly
  // allowed and "-" for unexpectedly denied cells.
  std::string diff_from(const Reachability& expected) const { return render(&expected); }

 private:
  static bool matches(std::string_view pattern, std::size_t pod) {
    while (!pattern.empty()) {
      const auto comma = pattern.find(',');
      const std::string_view one = pattern.substr(0, comma);
      if (one == "*") {
        return true;
      }
      const auto slash = one.find('/');
      const std::string_view ns = one.substr(0, slash);
      const std::string_view name = slash == std::string_view::npos ? "*" : one.substr(slash + 1);
      if ((ns == "*" || ns == pod_namespace(pod)) && (name == "*" || name == pod_name(pod))) {
        return true;
      }
      if (comma == std::string_view::npos) {
        break;
      }
      pattern.remove_prefix(comma + 1);
    }
    return false;
  }

  void fill_diagonal() {
    for (auto& probe : m_) {
      for (std::size_t i = 0; i < kPodCount; ++i) {
        probe[i][i] = true;
      }
    }
  }

  std::string render(const Reachability* expected) const {
    std::string out;
    for (std::size_t p = 0; p < kProbes.size(); ++p) {
      if (expected != nullptr && expected->m_[p] == m_[p]) {
        continue;
      }
      std::string grid = std::string(kProbes[p].name);
      grid.resize(8, ' ');
      for (std::size_t t = 0; t < kPodCount; ++t) {
        grid += pod_id(t) + " ";
      }
      grid += "\n";
      for (std::size_t f = 0; f < kPodCount; ++f) {
        grid += pod_id(f) + "     ";
        for (std::size_t t = 0; t < kPodCount; ++t) {
          const bool got = m_[p][f][t];
          char cell = got ? '.' : 'X';
          if (expected != nullptr && expected->m_[p][f][t] != got) {
            cell = got ? '+' : '-';
          }
          grid += std::string(" ") + cell + "  ";
        }
        grid += "\n";
      }
      out += grid;
    }
    return out;
  }

  std::array<std::array<std::array<bool, kPodCount>, kPodCount>, kProbes.size()> m_{};
};

// ---- Cases -------------------------------------------------------------------------------

struct Step {
  std::string resources;                           // YAML documents in force
  std::map<std::string, Labels> pod_labels;        // "x/a" -> labels replacing pod=a
  std::map<std::string, Labels> namespace_labels;  // "z" -> labels replacing ns=z, ...
  Reachability expected;
};

struct Case {
  std::string name;
  std::string description;  // what it checks (research doc section where relevant)
  std::vector<Step> steps;
};

namespace detail {

inline std::string doc(std::string_view api_version, std::string_view kind,
                       std::string_view metadata, std::string_view spec) {
  return "---\napiVersion: " + std::string(api_version) + "\nkind: " + std::string(kind) +
         "\nmetadata: " + std::string(metadata) + "\nspec: " + std::string(spec) + "\n";
}

}  // namespace detail

// Kubernetes NetworkPolicy `name` in `ns` with the given spec (YAML flow style).
inline std::string knp(std::string_view ns, std::string_view name, std::string_view spec) {
  return detail::doc("networking.k8s.io/v1", "NetworkPolicy",
                     "{name: " + std::string(name) + ", namespace: \"" + std::string(ns) + "\"}",
                     spec);
}
inline std::string np(std::string_view ns, std::string_view name, std::string_view spec) {
  return detail::doc("projectcalico.org/v3", "NetworkPolicy",
                     "{name: " + std::string(name) + ", namespace: \"" + std::string(ns) + "\"}",
                     spec);
}
inline std::string gnp(std::string_view name, std::string_view spec) {
  return detail::doc("projectcalico.org/v3", "GlobalNetworkPolicy",
                     "{name: " + std::string(name) + "}", spec);
}
inline std::string tier(std::string_view name, std::string_view spec) {
  return detail::doc("projectcalico.org/v3", "Tier", "{name: " + std::string(name) + "}", spec);
}
inline std::string gns(std::string_view name, std::string_view labels, std::string_view spec) {
  return detail::doc("projectcalico.org/v3", "GlobalNetworkSet",
                     "{name: " + std::string(name) + ", labels: " + std::string(labels) + "}",
                     spec);
}
inline std::string netset(std::string_view ns, std::string_view name, std::string_view labels,
                          std::string_view spec) {
  return detail::doc("projectcalico.org/v3", "NetworkSet",
                     "{name: " + std::string(name) + ", namespace: \"" + std::string(ns) +
                         "\", labels: " + std::string(labels) + "}",
                     spec);
}

inline Case single(std::string name, std::string description, std::string resources,
                   Reachability expected) {
  return Case{std::move(name),
              std::move(description),
              {Step{std::move(resources), {}, {}, std::move(expected)}}};
}

// Commonly used policy specs.
namespace specs {
inline constexpr std::string_view kDenyAllIngress = "{podSelector: {}, policyTypes: [Ingress]}";
inline constexpr std::string_view kDenyAllEgress = "{podSelector: {}, policyTypes: [Egress]}";
inline constexpr std::string_view kPodA = "{matchLabels: {pod: \"a\"}}";
}  // namespace specs

// Builds "{podSelector: {matchLabels: {pod: a}}, ingress: [<rules>]}"-style specs.
inline std::string ingress_to_a(std::string_view rules) {
  return "{podSelector: " + std::string(specs::kPodA) + ", policyTypes: [Ingress], ingress: [" +
         std::string(rules) + "]}";
}

// The case table.  Reachability(true) is "everything allowed"; each case then lists what
// its policies change.
inline std::vector<Case> cases() {
  using R = Reachability;
  std::vector<Case> out;

  // ---- Kubernetes NetworkPolicy (research doc section 2) ----
  out.push_back(
      single("no-policies", "no policy selects any pod: everything is allowed (2.2)", "", R(true)));
  out.push_back(single("deny-all-ingress-x", "podSelector {} with no ingress rules isolates x",
                       knp("x", "deny-all", specs::kDenyAllIngress), R(true).deny("*", "x/*")));
  out.push_back(single("deny-all-egress-x",
                       "policyTypes [Egress] without rules denies all egress of x; ingress open",
                       knp("x", "deny-all", specs::kDenyAllEgress), R(true).deny("x/*", "*")));
  out.push_back(single("deny-all-both-x", "both directions isolated",
                       knp("x", "deny-all", "{podSelector: {}, policyTypes: [Ingress, Egress]}"),
                       R(true).deny("*", "x/*").deny("x/*", "*")));
  out.push_back(single("allow-all-ingress-union-with-deny-all",
                       "ingress: [{}] allows everything; union with a deny-all policy (2.2, 2.4)",
                       knp("x", "deny-all", specs::kDenyAllIngress) +
                           knp("x", "allow-all", "{podSelector: {}, ingress: [{}]}"),
                       R(true)));
  out.push_back(
      single("egress-rules-without-policy-types-isolate-ingress",
             "policyTypes omitted on an egress policy defaults to [Ingress, Egress] (2.3, 2.9 #10)",
             knp("x", "egress-only",
                 "{podSelector: {matchLabels: {pod: \"a\"}}, egress: [{to: "
                 "[{podSelector: {}}]}]}"),
             R(true).deny("*", "x/a").deny("x/a", "*").allow("x/a", "x/*")));
  out.push_back(single(
      "policy-types-egress-ignores-ingress-rules",
      "rules of a type not listed in policyTypes are ignored (2.3)",
      knp("x", "egress-typed",
          "{podSelector: {matchLabels: {pod: \"a\"}}, policyTypes: [Egress], ingress: [{from: "
          "[{podSelector: {matchLabels: {pod: \"b\"}}}]}]}"),
      R(true).deny("x/a", "*")));
  out.push_back(
      single("ingress-from-same-namespace", "peer podSelector {} = the policy's namespace",
             knp("x", "same-ns", "{podSelector: {}, ingress: [{from: [{podSelector: {}}]}]}"),
             R(true).deny("*", "x/*").allow("x/*", "x/*")));
  out.push_back(single("ingress-from-pod-b",
                       "a pod selector peer matches in the policy's namespace only",
                       knp("x", "from-b",
                           ingress_to_a("{from: [{podSelector: {matchLabels: {pod: "
                                        "\"b\"}}}]}")),
                       R(true).deny("*", "x/a").allow("x/b", "x/a")));
  out.push_back(single("ingress-from-namespace-y", "namespaceSelector peer: every pod of y",
                       knp("x", "from-y",
                           ingress_to_a("{from: [{namespaceSelector: {matchLabels: "
                                        "{ns: \"y\"}}}]}")),
                       R(true).deny("*", "x/a").allow("y/*", "x/a")));
  out.push_back(single(
      "namespace-and-pod-selector-in-one-peer", "one peer with both selectors is an AND (2.9 #12)",
      knp("x", "from-y-b",
          ingress_to_a("{from: [{namespaceSelector: {matchLabels: {ns: \"y\"}}, podSelector: "
                       "{matchLabels: {pod: \"b\"}}}]}")),
      R(true).deny("*", "x/a").allow("y/b", "x/a")));
  out.push_back(single(
      "namespace-and-pod-selector-as-two-peers", "two peers are an OR (2.9 #12)",
      knp("x", "from-y-or-b",
          ingress_to_a("{from: [{namespaceSelector: {matchLabels: {ns: \"y\"}}}, {podSelector: "
                       "{matchLabels: {pod: \"b\"}}}]}")),
      R(true).deny("*", "x/a").allow("y/*", "x/a").allow("x/b", "x/a")));
  out.push_back(single("empty-namespace-selector-is-all-namespaces",
                       "namespaceSelector {} = every namespace (2.4)",
                       knp("x", "from-all-ns",
                           ingress_to_a("{from: [{namespaceSelector: {}}], ports: [{port: 80}]}")),
                       R(true).deny("*", "x/a").allow("*", "x/a", kTcp80)));
  out.push_back(
      single("empty-namespace-selector-with-pod-selector", "pods b of every namespace",
             knp("x", "from-all-b",
                 ingress_to_a("{from: [{namespaceSelector: {}, podSelector: {matchLabels: {pod: "
                              "\"b\"}}}]}")),
             R(true).deny("*", "x/a").allow("*/b", "x/a")));
  out.push_back(single("empty-pod-selector-peer", "podSelector {} peer: the policy's namespace",
                       knp("x", "from-x", ingress_to_a("{from: [{podSelector: {}}]}")),
                       R(true).deny("*", "x/a").allow("x/*", "x/a")));
  out.push_back(single("empty-from-list-is-all-sources", "from: [] = from absent (2.9 #11)",
                       knp("x", "from-empty", ingress_to_a("{from: [], ports: [{port: 81}]}")),
                       R(true).deny("*", "x/a").allow("*", "x/a", kTcp81)));
  out.push_back(single("port-without-protocol-is-tcp", "2.9 #1",
                       knp("x", "tcp-80", ingress_to_a("{ports: [{port: 80}]}")),
                       R(true).deny("*", "x/a").allow("*", "x/a", kTcp80)));
  out.push_back(single("udp-port-81", "protocol UDP, port 81",
                       knp("x", "udp-81", ingress_to_a("{ports: [{protocol: UDP, port: 81}]}")),
                       R(true).deny("*", "x/a").allow("*", "x/a", kUdp81)));
  out.push_back(single("protocol-without-port-is-every-port", "{protocol: UDP} = all UDP (2.4)",
                       knp("x", "all-udp", ingress_to_a("{ports: [{protocol: UDP}]}")),
                       R(true).deny("*", "x/a").allow("*", "x/a", kUdp)));
  out.push_back(single(
      "all-ports-not-narrowed-by-a-later-port", "2.9 #2: all TCP, then TCP 80",
      knp("x", "tcp-all", ingress_to_a("{ports: [{protocol: TCP}, {protocol: TCP, port: 80}]}")),
      R(true).deny("*", "x/a").allow("*", "x/a", kTcp)));
  out.push_back(single("all-ports-not-narrowed-by-an-earlier-port", "2.9 #2: TCP 81, then all TCP",
                       knp("x", "tcp-all", ingress_to_a("{ports: [{port: 81}, {protocol: TCP}]}")),
                       R(true).deny("*", "x/a").allow("*", "x/a", kTcp)));
  out.push_back(single("end-port-ranges", "port..endPort per protocol (2.6)",
                       knp("x", "ranges",
                           ingress_to_a("{ports: [{protocol: TCP, port: 80, endPort: 81}, "
                                        "{protocol: UDP, port: 79, endPort: 80}]}")),
                       R(true).deny("*", "x/a").allow("*", "x/a", kTcp | kUdp80)));
  out.push_back(single("sctp-port-80", "SCTP is a first-class protocol (2.9 #16)",
                       knp("x", "sctp", ingress_to_a("{ports: [{protocol: SCTP, port: 80}]}")),
                       R(true).deny("*", "x/a").allow("*", "x/a", kSctp80)));
  out.push_back(single("named-port-ingress", "named port resolved on the destination (2.9 #7)",
                       knp("x", "named", ingress_to_a("{ports: [{port: serve-81-tcp}]}")),
                       R(true).deny("*", "x/a").allow("*", "x/a", kTcp81)));
  out.push_back(
      single("named-port-udp", "a named UDP port",
             knp("x", "named-udp", ingress_to_a("{ports: [{protocol: UDP, port: serve-80-udp}]}")),
             R(true).deny("*", "x/a").allow("*", "x/a", kUdp80)));
  out.push_back(single("named-port-protocol-must-match",
                       "serve-80-udp with the default protocol TCP matches nothing",
                       knp("x", "named-mismatch", ingress_to_a("{ports: [{port: serve-80-udp}]}")),
                       R(true).deny("*", "x/a")));
  out.push_back(single("named-port-resolved-per-destination-pod",
                       "'web' is 80 on a and c, 81 on b: per-pod tuples, not the union (2.9 #8)",
                       knp("x", "web", "{podSelector: {}, ingress: [{ports: [{port: web}]}]}"),
                       R(true)
                           .deny("*", "x/*")
                           .allow("*", "x/a", kTcp80)
                           .allow("*", "x/b", kTcp81)
                           .allow("*", "x/c", kTcp80)));
  out.push_back(single(
      "named-port-egress-resolved-on-peer", "egress named port resolved on the destination pod",
      knp("x", "web-out",
          "{podSelector: {matchLabels: {pod: \"a\"}}, policyTypes: [Egress], egress: [{ports: "
          "[{port: web}]}]}"),
      R(true)
          .deny("x/a", "*")
          .allow("x/a", "*/a", kTcp80)
          .allow("x/a", "*/b", kTcp81)
          .allow("x/a", "*/c", kTcp80)));
  out.push_back(
      single("ipblock-ingress", "ipBlock matches pod addresses (2.9 #3, #6)",
             knp("x", "cidr-y", ingress_to_a("{from: [{ipBlock: {cidr: 10.65.1.0/24}}]}")),
             R(true).deny("*", "x/a").allow("y/*", "x/a")));
  out.push_back(
      single("ipblock-except", "except removes addresses from that peer (2.5)",
             knp("x", "cidr-except",
                 ingress_to_a("{from: [{ipBlock: {cidr: 10.65.0.0/16, except: [10.65.1.0/24]}}]}")),
             R(true).deny("y/*", "x/a")));
  out.push_back(single(
      "except-is-not-a-deny", "another peer or policy still allows excepted addresses (2.9 #5)",
      knp("x", "cidr-except",
          ingress_to_a("{from: [{ipBlock: {cidr: 10.65.0.0/16, except: [10.65.1.0/24]}}, "
                       "{namespaceSelector: {matchLabels: {ns: \"y\"}}, podSelector: "
                       "{matchLabels: {pod: \"b\"}}}]}")) +
          knp("x", "allow-y-c", ingress_to_a("{from: [{ipBlock: {cidr: 10.65.1.12/32}}]}")),
      R(true).deny("y/a", "x/a")));
  out.push_back(single("ipblock-egress", "egress to a CIDR only",
                       knp("x", "to-z",
                           "{podSelector: {matchLabels: {pod: \"a\"}}, policyTypes: [Egress], "
                           "egress: [{to: [{ipBlock: {cidr: 10.65.2.0/24}}]}]}"),
                       R(true).deny("x/a", "*").allow("x/a", "z/*")));
  out.push_back(single(
      "ipblock-single-address-except", "/32 except inside a /24",
      knp("x", "cidr-y-not-b",
          ingress_to_a("{from: [{ipBlock: {cidr: 10.65.1.0/24, except: [10.65.1.11/32]}}]}")),
      R(true).deny("*", "x/a").allow("y/a,y/c", "x/a")));
  out.push_back(single(
      "union-of-policies", "two policies selecting the same pod add up (2.2)",
      knp("x", "from-b", ingress_to_a("{from: [{podSelector: {matchLabels: {pod: \"b\"}}}]}")) +
          knp("x", "udp-from-z",
              ingress_to_a("{from: [{namespaceSelector: {matchLabels: {ns: \"z\"}}}], ports: "
                           "[{protocol: UDP}]}")),
      R(true).deny("*", "x/a").allow("x/b", "x/a").allow("z/*", "x/a", kUdp)));
  out.push_back(single(
      "policy-selects-only-its-namespace", "podSelector never reaches into other namespaces",
      knp("y", "deny-all", specs::kDenyAllIngress) +
          knp("x", "deny-a", "{podSelector: {matchLabels: {pod: \"a\"}}, policyTypes: [Ingress]}"),
      R(true).deny("*", "y/*").deny("*", "x/a")));
  out.push_back(single(
      "match-expressions-in", "podSelector matchExpressions In",
      knp("x", "deny-ab",
          "{podSelector: {matchExpressions: [{key: pod, operator: In, values: [\"a\", \"b\"]}]}, "
          "policyTypes: [Ingress]}"),
      R(true).deny("*", "x/a,x/b")));
  out.push_back(single(
      "match-expressions-notin-exists-doesnotexist", "NotIn, Exists, DoesNotExist (1.6)",
      knp("x", "expr",
          "{podSelector: {matchExpressions: [{key: pod, operator: NotIn, values: [\"a\"]}, {key: "
          "pod, operator: Exists}]}, ingress: [{from: [{podSelector: {matchExpressions: [{key: "
          "missing, operator: DoesNotExist}]}}]}]}"),
      R(true).deny("*", "x/b,x/c").allow("x/*", "x/b,x/c")));
  out.push_back(
      single("egress-to-namespace-z-only", "egress isolation denies what no rule allows (2.9 #4)",
             knp("x", "to-z",
                 "{podSelector: {}, policyTypes: [Egress], egress: [{to: [{namespaceSelector: "
                 "{matchLabels: {ns: \"z\"}}}]}]}"),
             R(true).deny("x/*", "*").allow("x/*", "z/*")));
  out.push_back(single(
      "ingress-and-egress-together", "one policy isolating both directions of x/a",
      knp("x", "both",
          "{podSelector: {matchLabels: {pod: \"a\"}}, policyTypes: [Ingress, Egress], ingress: "
          "[{from: [{podSelector: {matchLabels: {pod: \"b\"}}}]}], egress: [{to: "
          "[{namespaceSelector: {matchLabels: {ns: \"y\"}}}]}]}"),
      R(true).deny("*", "x/a").allow("x/b", "x/a").deny("x/a", "*").allow("x/a", "y/*")));
  out.push_back(single(
      "namespace-by-metadata-name", "kubernetes.io/metadata.name selects a namespace by name",
      knp("x", "from-z",
          ingress_to_a("{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: "
                       "\"z\"}}}]}")),
      R(true).deny("*", "x/a").allow("z/*", "x/a")));
  out.push_back(single("egress-port-restricted", "egress allowed to TCP 80 anywhere",
                       knp("x", "out-80",
                           "{podSelector: {}, policyTypes: [Egress], egress: [{ports: [{protocol: "
                           "TCP, port: 80}]}]}"),
                       R(true).deny("x/*", "*").allow("x/*", "*", kTcp80)));
  out.push_back(Case{
      "update-policy-sequence",
      "add deny-all, add an allow (union), delete both",
      {Step{knp("x", "deny-all", specs::kDenyAllIngress), {}, {}, R(true).deny("*", "x/*")},
       Step{knp("x", "deny-all", specs::kDenyAllIngress) +
                knp("x", "from-y",
                    "{podSelector: {}, ingress: [{from: [{namespaceSelector: {matchLabels: {ns: "
                    "\"y\"}}}]}]}"),
            {},
            {},
            R(true).deny("*", "x/*").allow("y/*", "x/*")},
       Step{"", {}, {}, R(true)}}});
  {
    const std::string from_b =
        knp("x", "from-b", ingress_to_a("{from: [{podSelector: {matchLabels: {pod: \"b\"}}}]}"));
    out.push_back(Case{"pod-label-changes",
                       "relabelling a source pod into, and the selected pod out of, a selector",
                       {Step{from_b, {}, {}, R(true).deny("*", "x/a").allow("x/b", "x/a")},
                        Step{from_b,
                             {{"x/c", {{"pod", "b"}}}},
                             {},
                             R(true).deny("*", "x/a").allow("x/b,x/c", "x/a")},
                        Step{from_b, {{"x/a", {{"pod", "a2"}}}}, {}, R(true)}}});
  }
  {
    const std::string from_y = knp(
        "x", "from-y", ingress_to_a("{from: [{namespaceSelector: {matchLabels: {ns: \"y\"}}}]}"));
    out.push_back(Case{"namespace-label-change",
                       "relabelling namespace z to ns=y makes its pods match",
                       {Step{from_y, {}, {}, R(true).deny("*", "x/a").allow("y/*", "x/a")},
                        Step{from_y,
                             {},
                             {{"z", {{"ns", "y"}, {"kubernetes.io/metadata.name", "z"}}}},
                             R(true).deny("*", "x/a").allow("y/*,z/*", "x/a")}}});
  }

  // ---- Calico policy (research doc section 3) ----
  out.push_back(single("end-of-tier-deny",
                       "a policy with only a Deny rule drops everything else at the end of its "
                       "tier (3.4)",
                       gnp("deny-tcp-81",
                           "{selector: all(), ingress: [{action: Deny, protocol: TCP, destination: "
                           "{ports: [81]}}]}"),
                       R(false)));
  out.push_back(single("gnp-deny-then-allow", "rules are evaluated in order; first match decides",
                       gnp("deny-tcp-81",
                           "{selector: all(), ingress: [{action: Deny, protocol: TCP, destination: "
                           "{ports: [81]}}, {action: Allow}]}"),
                       R(true).deny("*", "*", kTcp81)));
  out.push_back(single(
      "calico-deny-before-k8s-allow", "order 100 Deny beats the Kubernetes policy at order 1000",
      np("x", "deny-y",
         "{order: 100, ingress: [{action: Deny, source: {namespaceSelector: \"ns == "
         "'y'\"}}]}") +
          knp("x", "allow-all", "{podSelector: {}, ingress: [{}]}"),
      R(true).deny("y/*", "x/*")));
  out.push_back(single(
      "tier-pass-to-default-tier", "Pass skips to the next tier, where Kubernetes policy decides",
      tier("security", "{order: 100}") +
          gnp("security.guard-x",
              "{tier: security, selector: \"projectcalico.org/namespace == 'x'\", ingress: "
              "[{action: Deny, source: {namespaceSelector: \"ns == 'z'\"}}, {action: Pass}]}") +
          knp("x", "from-y-z",
              "{podSelector: {}, ingress: [{from: [{namespaceSelector: {matchExpressions: [{key: "
              "ns, operator: In, values: [\"y\", \"z\"]}]}}]}]}"),
      R(true).deny("*", "x/*").allow("y/*", "x/*")));
  out.push_back(single(
      "tier-default-action-pass", "unmatched traffic of a Pass tier continues to the next tier",
      tier("platform", "{order: 50, defaultAction: Pass}") +
          gnp("platform.allow-y",
              "{tier: platform, selector: \"projectcalico.org/namespace == 'x'\", ingress: "
              "[{action: Allow, source: {namespaceSelector: \"ns == 'y'\"}}]}") +
          knp("x", "from-z",
              "{podSelector: {}, ingress: [{from: [{namespaceSelector: {matchLabels: {ns: "
              "\"z\"}}}]}]}"),
      R(true).deny("*", "x/*").allow("y/*,z/*", "x/*")));
  {
    const auto tiers = [](int first_order) {
      return tier("first", "{order: " + std::to_string(first_order) + "}") +
             tier("second", "{order: 20}") +
             gnp("first.deny-y",
                 "{tier: first, selector: \"projectcalico.org/namespace == 'x'\", ingress: "
                 "[{action: Deny, source: {namespaceSelector: \"ns == 'y'\"}}, {action: Pass}]}") +
             gnp("second.allow-y",
                 "{tier: second, selector: \"projectcalico.org/namespace == 'x'\", ingress: "
                 "[{action: Allow, source: {namespaceSelector: \"ns == 'y'\"}}, {action: "
                 "Pass}]}");
    };
    out.push_back(Case{
        "tier-order",
        "the first tier decides; reordering tiers flips the outcome (3.2)",
        {Step{tiers(10), {}, {}, R(true).deny("y/*", "x/*")}, Step{tiers(30), {}, {}, R(true)}}});
  }
  {
    const auto pols = [](std::string_view deny_order, std::string_view allow_order) {
      return np("x", "deny-b",
                "{" + std::string(deny_order) +
                    "ingress: [{action: Deny, source: {selector: \"pod == 'b'\"}}]}") +
             np("x", "allow-all", "{" + std::string(allow_order) + "ingress: [{action: Allow}]}");
    };
    out.push_back(
        Case{"policy-order-within-tier",
             "policies by order, then by name (3.2); a namespaced rule selector is namespaced",
             {Step{pols("order: 10, ", "order: 20, "), {}, {}, R(true).deny("x/b", "x/*")},
              Step{pols("order: 30, ", "order: 20, "), {}, {}, R(true)},
              Step{pols("", ""), {}, {}, R(true)}}});
  }
  out.push_back(
      single("log-continues", "Log records and continues with the next rule (3.3)",
             gnp("log-x",
                 "{selector: \"projectcalico.org/namespace == 'x'\", ingress: [{action: Log}, "
                 "{action: Deny, protocol: UDP}, {action: Allow}]}"),
             R(true).deny("*", "x/*", kUdp)));
  out.push_back(
      single("not-nets", "notNets: every source outside y",
             np("x", "not-y", "{ingress: [{action: Allow, source: {notNets: [10.65.1.0/24]}}]}"),
             R(true).deny("y/*", "x/*")));
  out.push_back(single("not-ports", "notPorts: TCP except 80",
                       np("x", "not-80",
                          "{ingress: [{action: Allow, protocol: TCP, destination: "
                          "{notPorts: [80]}}]}"),
                       R(true).deny("*", "x/*").allow("*", "x/*", kTcp81)));
  out.push_back(single(
      "not-selector-is-namespace-scoped",
      "a notSelector alone still limits a namespaced rule to its namespace (1.5 step 4)",
      np("x", "not-a", "{ingress: [{action: Allow, source: {notSelector: \"pod == 'a'\"}}]}"),
      R(true).deny("*", "x/*").allow("x/b,x/c", "x/*")));
  out.push_back(single(
      "nets-only-rule-is-not-namespace-scoped",
      "nets without selectors match any address; selector all() means the policy's namespace",
      np("x", "a-from-nets",
         "{selector: \"pod == 'a'\", ingress: [{action: Allow, source: "
         "{nets: [10.65.0.0/16]}}]}") +
          np("x", "b-from-all",
             "{selector: \"pod == 'b'\", ingress: [{action: Allow, source: {selector: "
             "all()}}]}"),
      R(true).deny("*", "x/b").allow("x/*", "x/b")));
  out.push_back(single(
      "service-account-rule-match", "serviceAccounts selector (namespaced) and names (global)",
      np("x", "privileged",
         "{ingress: [{action: Allow, source: {serviceAccounts: {selector: "
         "\"privileged == 'true'\"}}}]}") +
          gnp("sa-b",
              "{selector: \"projectcalico.org/namespace == 'x'\", ingress: [{action: "
              "Allow, source: {serviceAccounts: {names: [sa-b]}}}]}"),
      R(true).deny("*", "x/*").allow("x/c", "x/*").allow("*/b", "x/*")));
  out.push_back(single("policy-service-account-selector",
                       "serviceAccountSelector narrows the selected endpoints",
                       np("x", "isolate-privileged",
                          "{serviceAccountSelector: \"privileged == 'true'\", types: [Ingress]}"),
                       R(true).deny("*", "x/c")));
  out.push_back(single("protocol-number-and-not-protocol",
                       "protocol: 132 (SCTP by number); notProtocol: TCP",
                       np("x", "sctp-only", "{ingress: [{action: Allow, protocol: 132}]}") +
                           np("y", "not-tcp", "{ingress: [{action: Allow, notProtocol: TCP}]}"),
                       R(true)
                           .deny("*", "x/*")
                           .allow("*", "x/*", kSctp80)
                           .deny("*", "y/*")
                           .allow("*", "y/*", kUdp | kSctp80)));
  out.push_back(single("global-network-set", "a selector matches GlobalNetworkSet CIDRs",
                       gns("trusted", "{role: trusted}", "{nets: [10.65.2.0/24]}") +
                           gnp("from-trusted",
                               "{selector: \"projectcalico.org/namespace == 'x'\", ingress: "
                               "[{action: Allow, source: {selector: \"role == 'trusted'\"}}]}"),
                       R(true).deny("*", "x/*").allow("z/*", "x/*")));
  out.push_back(single(
      "namespaced-network-set", "a namespaced rule selector matches NetworkSets of its namespace",
      netset("x", "y-pods", "{role: peers}", "{nets: [10.65.1.0/24]}") +
          netset("y", "z-pods", "{role: peers}", "{nets: [10.65.2.0/24]}") +
          np("x", "from-peers",
             "{ingress: [{action: Allow, source: {selector: \"role == 'peers'\"}}]}"),
      R(true).deny("*", "x/*").allow("y/*", "x/*")));
  out.push_back(single("gnp-namespace-selector", "GNP namespaceSelector picks namespaces",
                       gnp("isolate-y", "{namespaceSelector: \"ns == 'y'\", types: [Ingress]}"),
                       R(true).deny("*", "y/*")));
  out.push_back(single("rule-namespace-selector-global",
                       "global() matches only non-namespaced network sets",
                       gns("z-block", "{}", "{nets: [10.65.2.0/24]}") +
                           netset("y", "y-block", "{}", "{nets: [10.65.1.0/24]}") +
                           gnp("from-global",
                               "{selector: \"projectcalico.org/namespace == 'x'\", ingress: "
                               "[{action: Allow, source: {namespaceSelector: global()}}]}"),
                       R(true).deny("*", "x/*").allow("z/*", "x/*")));
  out.push_back(single("egress-deny-udp-to-z", "a global egress Deny before an Allow",
                       gnp("no-udp-to-z",
                           "{selector: all(), types: [Egress], egress: [{action: Deny, protocol: "
                           "UDP, destination: {namespaceSelector: \"ns == 'z'\"}}, {action: "
                           "Allow}]}"),
                       R(true).deny("*", "z/*", kUdp)));
  out.push_back(single(
      "pass-everything-reaches-profiles", "when every tier passes, the kns profile allows (3.4)",
      tier("security", "{order: 100}") + gnp("security.pass",
                                             "{tier: security, selector: all(), ingress: "
                                             "[{action: Pass}], egress: [{action: Pass}]}"),
      R(true)));
  return out;
}

// ---- Evaluation against the reference evaluator -----------------------------------------

// Decodes YAML documents, defaults and validates them as calicoctl / the API server would,
// and adds them to `set` (policy::add_resource).  `source` names the text in errors.
inline Result<void, std::string> add_yaml(policy::PolicySet& set, const std::string& yaml,
                                          const std::string& source) {
  auto docs = api::decode_yaml(yaml, source);
  if (!docs) {
    return fail(docs.error().to_string());
  }
  for (auto& r : *docs) {
    api::apply_defaults(r);
    if (auto v = api::validate(r); !v) {
      return fail(v.error().to_string_all());
    }
    if (auto added = policy::add_resource(set, r); !added) {
      return fail(added.error().to_string());
    }
  }
  return {};
}

// The model of one step: endpoints, kns./ksa. profiles and the step's resources (decoded,
// defaulted and validated as calicoctl / the API server would).
inline Result<policy::PolicySet, std::string> build_policy_set(const Step& step) {
  policy::PolicySet set;
  for (const auto ns : kNamespaces) {
    const auto over = step.namespace_labels.find(std::string(ns));
    set.profiles.push_back(policy::namespace_profile(
        ns, over != step.namespace_labels.end() ? over->second : default_namespace_labels(ns)));
    for (const auto pod : kPodNames) {
      const std::string sa = "sa-" + std::string(pod);
      set.profiles.push_back(policy::service_account_profile(ns, sa, service_account_labels(sa)));
    }
  }
  for (std::size_t i = 0; i < kPodCount; ++i) {
    policy::Endpoint ep;
    ep.ns = std::string(pod_namespace(i));
    ep.name = std::string(pod_name(i));
    const auto over = step.pod_labels.find(pod_id(i));
    ep.labels = over != step.pod_labels.end() ? over->second : default_pod_labels(i);
    ep.addrs = {pod_ip(i)};
    ep.service_account = pod_service_account(i);
    ep.ports = pod_ports(i);
    ep.profiles = {policy::namespace_profile_name(ep.ns),
                   policy::service_account_profile_name(ep.ns, ep.service_account)};
    set.endpoints.push_back(std::move(ep));
  }
  if (step.resources.empty()) {
    return set;
  }
  if (auto added = add_yaml(set, step.resources, "step resources"); !added) {
    return fail(added.error());
  }
  return set;
}

inline policy::Packet probe_packet(std::size_t probe, std::size_t from, std::size_t to) {
  policy::Packet p;
  p.src = pod_ip(from);
  p.dst = pod_ip(to);
  p.src_endpoint = pod_key(from);
  p.dst_endpoint = pod_key(to);
  p.protocol = kProbes[probe].protocol;
  p.src_port = kProbeSourcePort;
  p.dst_port = kProbes[probe].port;
  return p;
}

// Every probe through the reference evaluator.
inline Reachability evaluate(const policy::PolicySet& set) {
  Reachability out(false);
  for (std::size_t p = 0; p < kProbes.size(); ++p) {
    for (std::size_t f = 0; f < kPodCount; ++f) {
      for (std::size_t t = 0; t < kPodCount; ++t) {
        out.put(p, f, t, policy::evaluate(set, probe_packet(p, f, t)).allowed);
      }
    }
  }
  return out;
}

}  // namespace calico::testlib::netpol
