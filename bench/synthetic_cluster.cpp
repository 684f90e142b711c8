// The synthetic cluster of the policy benchmarks (bench/synthetic_cluster.h).
#include "bench/synthetic_cluster.h"

#include <array>
#include <cstdio>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "api/document.h"
#include "policy/convert.h"

namespace calico::bench {

namespace {

constexpr std::array<std::string_view, 5> kRoles{"frontend", "backend", "db", "cache", "worker"};
constexpr std::size_t kMaxNamespaces = 64;  // env blocks below cover 10.0.0.0/18
constexpr std::size_t kNamespacesPerTeam = 4;
constexpr std::size_t kNetworkSets = 20;

std::string padded(std::size_t i) {
  std::array<char, 24> buf{};
  std::snprintf(buf.data(), buf.size(), "%04zu", i);
  return buf.data();
}

std::string env_of(std::size_t k) {
  if (k < 32) {
    return "prod";
  }
  return k < 48 ? "staging" : "dev";
}

net::Cidr cidr(const std::string& text) {
  auto c = net::Cidr::parse(text);
  CALICO_CHECK(c.has_value());
  return *c;
}

net::Cidr team_block(std::size_t team) {
  return cidr("10.0." + std::to_string(team * kNamespacesPerTeam) + ".0/22");
}

net::Cidr prod_block() {
  return cidr("10.0.0.0/19");
}

std::string doc(std::string_view api_version, std::string_view kind, const std::string& metadata,
                const std::string& spec) {
  return "---\napiVersion: " + std::string(api_version) + "\nkind: " + std::string(kind) +
         "\nmetadata: " + metadata + "\nspec: " + spec + "\n";
}

std::string meta(const std::string& name, const std::string& ns = "") {
  return ns.empty() ? "{name: " + name + "}" : "{name: " + name + ", namespace: " + ns + "}";
}

struct Linear {
  std::vector<LinearRule>& rules;
  std::set<std::pair<bool, std::string>> isolated;  // (egress, block) already dropped
  std::vector<LinearRule>& isolation;

  void allow(std::optional<net::Cidr> src, std::optional<net::Cidr> dst, std::uint8_t proto,
             std::uint16_t lo, std::uint16_t hi, std::optional<net::Cidr> except = std::nullopt) {
    LinearRule r;
    r.src = src;
    r.src_except = except;
    r.dst = dst;
    r.protocol = proto;
    r.dport = policy::PortRange{lo, hi};
    rules.push_back(r);
  }
  void isolate(bool egress, const net::Cidr& block) {
    if (!isolated.insert({egress, block.to_string()}).second) {
      return;
    }
    LinearRule r;
    (egress ? r.src : r.dst) = block;
    r.protocol = 0;  // any
    r.accept = false;
    isolation.push_back(r);
  }
};

// A Kubernetes NetworkPolicy selecting app `a` in namespace k (see the header).
std::string k8s_policy(std::size_t i, std::size_t k, std::size_t j, const ClusterShape& shape,
                       Linear& linear) {
  const std::size_t a = k * kAppsPerNamespace + j;
  const std::size_t b = k * kAppsPerNamespace + (j + 1) % kAppsPerNamespace;
  const std::size_t teams = (shape.namespaces + kNamespacesPerTeam - 1) / kNamespacesPerTeam;
  const std::size_t team = (k / kNamespacesPerTeam + 1) % teams;
  const std::string net3 = std::to_string(i % 256);
  const net::Cidr dst = app_block(a);
  std::string ingress;
  switch ((i / 200 + i) % 5) {
    case 0:
      ingress = "[{from: [{podSelector: {matchLabels: {app: " + app_name(b) +
                "}}}], ports: [{port: 8080}, {port: 8443}]}]";
      linear.allow(app_block(b), dst, policy::kProtoTcp, 8080, 8080);
      linear.allow(app_block(b), dst, policy::kProtoTcp, 8443, 8443);
      break;
    case 1:
      ingress = "[{from: [{namespaceSelector: {matchLabels: {team: team-" + std::to_string(team) +
                "}}}], ports: [{port: 8080}, {port: 9090}]}]";
      linear.allow(team_block(team), dst, policy::kProtoTcp, 8080, 8080);
      linear.allow(team_block(team), dst, policy::kProtoTcp, 9090, 9090);
      break;
    case 2:
      ingress =
          "[{from: [{namespaceSelector: {matchLabels: {env: prod}}, podSelector: {matchLabels: "
          "{role: frontend}}}], ports: [{port: http}]}]";
      linear.allow(prod_block(), dst, policy::kProtoTcp, kPortHttp, kPortHttp);
      break;
    case 3:
      ingress = "[{from: [{ipBlock: {cidr: 192.168." + net3 + ".0/24, except: [192.168." + net3 +
                ".0/28]}}], ports: [{port: 443}, {protocol: UDP, port: 53}]}]";
      linear.allow(cidr("192.168." + net3 + ".0/24"), dst, policy::kProtoTcp, 443, 443,
                   cidr("192.168." + net3 + ".0/28"));
      linear.allow(cidr("192.168." + net3 + ".0/24"), dst, policy::kProtoUdp, 53, 53,
                   cidr("192.168." + net3 + ".0/28"));
      break;
    default:
      ingress =
          "[{from: [{podSelector: {matchExpressions: [{key: role, operator: In, values: "
          "[frontend, backend]}]}}], ports: [{port: 8080, endPort: 8090}]}, {from: "
          "[{podSelector: {matchLabels: {app: " +
          app_name(b) + "}}}], ports: [{port: metrics}]}]";
      linear.allow(namespace_block(k), dst, policy::kProtoTcp, 8080, 8090);
      linear.allow(app_block(b), dst, policy::kProtoTcp, kPortMetrics, kPortMetrics);
      break;
  }
  std::string spec = "{podSelector: {matchLabels: {app: " + app_name(a) + "}}, ingress: " + ingress;
  linear.isolate(false, dst);
  if (i % 10 == 7 && j == 3) {
    const std::size_t db = k * kAppsPerNamespace;
    spec += ", policyTypes: [Ingress, Egress], egress: [{to: [{podSelector: {matchLabels: {app: " +
            app_name(db) +
            "}}}], ports: [{port: 5432}]}, {to: [{namespaceSelector: {}}], ports: [{protocol: "
            "UDP, port: 53}]}]";
    // Egress rules are evaluated in the same forward chain: source = the selected app.
    linear.allow(dst, app_block(db), policy::kProtoTcp, 5432, 5432);
    linear.allow(dst, cidr("10.0.0.0/16"), policy::kProtoUdp, 53, 53);
    linear.isolate(true, dst);
  }
  spec += "}";
  return doc("networking.k8s.io/v1", "NetworkPolicy", meta("pol-" + padded(i), namespace_name(k)),
             spec);
}

std::string calico_policy(std::size_t i, std::size_t k, std::size_t j) {
  const std::size_t a = k * kAppsPerNamespace + j;
  const std::size_t b = k * kAppsPerNamespace + (j + 2) % kAppsPerNamespace;
  std::string spec = "{order: " + std::to_string(100 + (i % 7) * 10) + ", selector: \"app == '" +
                     app_name(a) + "' && role in {'db', 'cache'}\", ingress: [" +
                     "{action: Allow, protocol: TCP, source: {selector: \"has(role) && version "
                     "!= 'v1'\"}, destination: {ports: [http, \"8000:8100\"]}}, " +
                     "{action: Deny, protocol: TCP, source: {notNets: [10.0.0.0/16]}, "
                     "destination: {ports: [22]}}, " +
                     "{action: Allow, protocol: UDP, source: {nets: [" +
                     namespace_block(k).to_string() +
                     "], notSelector: \"role == 'worker'\"}, destination: {ports: [53, 5353]}}]";
  if (i % 3 == 0) {
    spec +=
        ", types: [Ingress, Egress], egress: [{action: Allow, protocol: TCP, destination: "
        "{selector: \"app == '" +
        app_name(b) +
        "'\", ports: [grpc]}}, {action: Deny, destination: {nets: [169.254.0.0/16]}}, "
        "{action: Allow}]";
  } else {
    spec += ", types: [Ingress]";
  }
  spec += "}";
  return doc("projectcalico.org/v3", "NetworkPolicy", meta("cnp-" + padded(i), namespace_name(k)),
             spec);
}

std::string global_policy(std::size_t i, std::size_t k, const ClusterShape& shape) {
  const std::string tier = (i / 20) % 2 == 0 ? "platform" : "security";
  const std::size_t teams = (shape.namespaces + kNamespacesPerTeam - 1) / kNamespacesPerTeam;
  std::string selector;
  switch ((i / 40) % 3) {
    case 0:
      selector = "selector: \"role == 'db'\", namespaceSelector: \"env == 'prod'\"";
      break;
    case 1:
      selector =
          "selector: \"has(app) && version in {'v2', 'v3'}\", namespaceSelector: \"team == "
          "'team-" +
          std::to_string((k / kNamespacesPerTeam) % teams) + "'\"";
      break;
    default:
      selector = "selector: \"projectcalico.org/namespace in {'" + namespace_name(k) + "', '" +
                 namespace_name((k + 1) % shape.namespaces) + "'}\"";
      break;
  }
  const std::string spec =
      "{tier: " + tier + ", order: " + std::to_string(10 + i % 10) + ", " + selector +
      ", types: [Ingress, Egress], ingress: [{action: Deny, source: {nets: [172.16." +
      std::to_string(i % 256) +
      ".0/24]}}, {action: Deny, protocol: TCP, destination: {ports: [23, 3389]}}, {action: "
      "Allow, protocol: TCP, source: {selector: \"feed == 'partner'\"}, destination: {ports: "
      "[443]}}, {action: Pass}], egress: [{action: Deny, destination: {nets: "
      "[169.254.169.254/32]}}, {action: Pass}]}";
  return doc("projectcalico.org/v3", "GlobalNetworkPolicy", meta(tier + ".gnp-" + padded(i)), spec);
}

std::string tiers_and_sets() {
  std::string out =
      doc("projectcalico.org/v3", "Tier", meta("platform"), "{order: 50, defaultAction: Pass}") +
      doc("projectcalico.org/v3", "Tier", meta("security"), "{order: 100}");
  for (std::size_t n = 0; n < kNetworkSets; ++n) {
    const std::string feed = n % 2 == 0 ? "partner" : "vendor";
    out += doc("projectcalico.org/v3", "GlobalNetworkSet",
               "{name: feed-" + std::to_string(n) + ", labels: {feed: " + feed + "}}",
               "{nets: [203.0.113." + std::to_string(n * 8) + "/29, 198.51.100." +
                   std::to_string(n * 8) + "/29]}");
  }
  return out;
}

}  // namespace

std::string namespace_name(std::size_t k) {
  return "ns-" + std::to_string(k);
}

std::string app_name(std::size_t app) {
  return "app-" + std::to_string(app);
}

std::string pod_name(std::size_t app, std::size_t m) {
  return app_name(app) + "-" + std::to_string(m);
}

net::Cidr app_block(std::size_t app) {
  return cidr("10.0." + std::to_string(app / kAppsPerNamespace) + "." +
              std::to_string((app % kAppsPerNamespace) * 64) + "/26");
}

net::Cidr namespace_block(std::size_t k) {
  return cidr("10.0." + std::to_string(k) + ".0/24");
}

policy::Labels namespace_labels(std::size_t k) {
  return {{"kubernetes.io/metadata.name", namespace_name(k)},
          {"team", "team-" + std::to_string(k / kNamespacesPerTeam)},
          {"env", env_of(k)}};
}

policy::Endpoint make_pod(std::size_t app, std::size_t m) {
  const std::size_t k = app / kAppsPerNamespace;
  policy::Endpoint ep;
  ep.ns = namespace_name(k);
  ep.name = pod_name(app, m);
  ep.labels = {{"app", app_name(app)},
               {"role", std::string(kRoles[m % kRoles.size()])},
               {"version", "v" + std::to_string(1 + (m / kRoles.size()) % 3)}};
  auto ip = net::IpAddr::parse("10.0." + std::to_string(k) + "." +
                               std::to_string((app % kAppsPerNamespace) * 64 + m));
  CALICO_CHECK(ip.has_value());
  ep.addrs = {*ip};
  ep.service_account = "sa-" + app_name(app);
  ep.ports = {{"http", policy::kProtoTcp, kPortHttp},
              {"metrics", policy::kProtoTcp, kPortMetrics},
              {"grpc", policy::kProtoTcp, kPortGrpc}};
  ep.profiles = {policy::namespace_profile_name(ep.ns),
                 policy::service_account_profile_name(ep.ns, ep.service_account)};
  return ep;
}

Result<SyntheticCluster, std::string> make_cluster(const ClusterShape& shape) {
  if (shape.namespaces == 0 || shape.namespaces > kMaxNamespaces ||
      shape.pods_per_namespace > kAppsPerNamespace * 64) {
    return fail(std::string("cluster shape out of range (namespaces 1..64, pods <= 256)"));
  }
  SyntheticCluster c;
  const std::size_t pods_per_app = shape.pods_per_namespace / kAppsPerNamespace;
  for (std::size_t k = 0; k < shape.namespaces; ++k) {
    c.set.profiles.push_back(policy::namespace_profile(namespace_name(k), namespace_labels(k)));
    for (std::size_t j = 0; j < kAppsPerNamespace; ++j) {
      const std::size_t app = k * kAppsPerNamespace + j;
      c.set.profiles.push_back(
          policy::service_account_profile(namespace_name(k), "sa-" + app_name(app), {}));
      for (std::size_t m = 0; m < pods_per_app; ++m) {
        c.set.endpoints.push_back(make_pod(app, m));
      }
    }
  }
  Linear linear{c.linear, {}, c.linear_isolation};
  if (!shape.kubernetes_only) {
    c.yaml = tiers_and_sets();
  }
  for (std::size_t i = 0; i < shape.policies; ++i) {
    const std::size_t k = i % shape.namespaces;
    const std::size_t j = (i / shape.namespaces) % kAppsPerNamespace;
    const std::size_t kind = shape.kubernetes_only ? 0 : i % 20;
    if (kind < 16) {
      c.yaml += k8s_policy(i, k, j, shape, linear);
    } else if (kind < 19) {
      c.yaml += calico_policy(i, k, j);
    } else {
      c.yaml += global_policy(i, k, shape);
    }
  }
  if (auto added = add_yaml(c.set, c.yaml, "synthetic cluster"); !added) {
    return fail(added.error());
  }
  return c;
}

}  // namespace calico::bench
