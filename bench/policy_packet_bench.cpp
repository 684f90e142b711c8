// policy_packet_bench: per-packet cost of the policy dataplane (issue 4).
//
//   policy_packet_bench [--seconds N] [--udp-runs N]
//
// Two pods, client (bench-client/client, 10.0.250.10) and server (ns-0/app-0-50,
// 10.0.0.50: one more replica of app-0 of the synthetic cluster), wired by
// testlib::PodNetwork exactly like the CNI plugin does (host veth cali..., /32 routes,
// proxy_arp); the policy is committed in the host namespace, which forwards pod to pod.
// iperf3 (server in the server pod, started and stopped by PID) measures TCP throughput
// (-t N) and the UDP packet rate (-u -b 0 -l 64 -t N; delivered packets/s from -J, best of
// --udp-runs runs, default 2: other load on the machine only ever lowers it) with:
//   none        no nftables table at all (run first, before the 1,000-policy group and
//               last; the baseline is the mean);
//   ours-P      our compiled plan (policy/compile.h) for the two local pods, with P
//               policies in the cluster: P-1 Kubernetes policies of the synthetic cluster
//               (bench/synthetic_cluster.h, 10,000 other pods; some select app-0, so the
//               server) and one allowing client -> server on 5201, named to sort last;
//   linear-P    the same policies rendered as an iptables-style dataplane evaluates them:
//               ONE base chain on the forward hook, one literal rule per policy rule, peer
//               and port (ip saddr/daddr prefixes, th dport; no sets, no maps, no
//               per-endpoint dispatch), the allowing rule last, then the isolation drops;
// each with the conntrack shortcut (`ct state established,related accept` first, as both
// dataplanes ship) and without it (every packet walks the rules; for ours the shortcut is
// removed from the base chains of the compiled plan).  Before each measurement a probe to
// the server's port 80 checks the policy is in force (allowed with 0 policies, dropped
// otherwise).  Prints a table with ratios to no policy and PASS/MISS for "ours within 5%
// of no policy at 1,000 policies".  Needs root, iperf3 and a kernel with nf_tables; every
// namespace and process it creates is removed on exit.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/bench_util.h"
#include "bench/synthetic_cluster.h"
#include "netlink/nft_committer.h"
#include "policy/compile.h"
#include "policy/convert.h"
#include "policy/nft_model.h"
#include "tests/lib/netns.h"
#include "tests/lib/pod_net.h"
#include "tests/lib/process.h"

namespace calico::bench {
namespace {

using namespace std::chrono_literals;
using policy::NftField;
using policy::NftMatch;
using policy::NftPlan;
using policy::NftValue;

constexpr std::uint16_t kIperfPort = 5201;
constexpr std::uint16_t kProbePort = 80;  // PodNetwork's echo server; not allowed by policy
constexpr std::size_t kClient = 0;
constexpr std::size_t kServer = 1;
constexpr double kWithinNoPolicy = 0.05;
constexpr std::string_view kClientIp = "10.0.250.10";
constexpr std::string_view kServerIp = "10.0.0.50";
constexpr std::string_view kClientNs = "bench-client";

struct Measurement {
  std::string config;
  bool ct_shortcut = false;
  std::size_t policies = 0;
  std::size_t rules = 0;  // rules in the table
  std::optional<double> tcp_gbps;
  std::optional<double> udp_pps;  // delivered
  std::optional<double> udp_sent_pps;
  std::string isolation;  // "ok" or what was wrong
  std::string error;
};

// ---- The policies -----------------------------------------------------------------------

struct Scenario {
  policy::PolicySet set;
  std::vector<LinearRule> linear;  // allow rules in order, the flow's allow last, then drops
};

Result<Scenario, std::string> make_scenario(std::size_t policies) {
  ClusterShape shape;
  shape.policies = policies > 0 ? policies - 1 : 0;
  shape.kubernetes_only = true;
  auto cluster = make_cluster(shape);
  if (!cluster) {
    return fail(cluster.error());
  }
  Scenario s;
  s.set = std::move(cluster->set);
  s.linear = std::move(cluster->linear);

  // The two real pods: the server is one more replica of app-0, the client lives in its
  // own namespace that no generated policy selects.
  policy::Endpoint server = make_pod(0, 50);
  server.addrs = {*net::IpAddr::parse(kServerIp)};
  policy::Endpoint client;
  client.ns = std::string(kClientNs);
  client.name = "client";
  client.labels = {{"app", "client"}};
  client.addrs = {*net::IpAddr::parse(kClientIp)};
  client.profiles = {policy::namespace_profile_name(kClientNs)};
  s.set.endpoints.push_back(server);
  s.set.endpoints.push_back(client);
  s.set.profiles.push_back(policy::namespace_profile(
      kClientNs, {{"kubernetes.io/metadata.name", std::string(kClientNs)}}));
  if (policies == 0) {
    return s;
  }
  const std::string allow =
      "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: "
      "zzz-allow-bench, namespace: ns-0}\nspec: {podSelector: {matchLabels: {app: app-0}}, "
      "ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: " +
      std::string(kClientNs) +
      "}}, podSelector: {matchLabels: {app: client}}}], ports: [{port: 5201}, {protocol: UDP, "
      "port: 5201}]}]}\n";
  if (auto added = add_yaml(s.set, allow, "allow policy"); !added) {
    return fail(added.error());
  }
  const auto client_net = net::Cidr(*net::IpAddr::parse(kClientIp), 32);
  for (const std::uint8_t proto : {policy::kProtoTcp, policy::kProtoUdp}) {
    LinearRule r;
    r.src = client_net;
    r.dst = app_block(0);
    r.protocol = proto;
    r.dport = policy::PortRange{kIperfPort, kIperfPort};
    s.linear.push_back(r);
  }
  std::set<std::string> isolated;
  for (const auto& r : cluster->linear_isolation) {
    if (r.dst) {
      isolated.insert(r.dst->to_string());
    }
  }
  if (!isolated.contains(app_block(0).to_string())) {
    LinearRule r;
    r.dst = app_block(0);
    r.protocol = 0;
    r.accept = false;
    s.linear.push_back(r);
  }
  s.linear.insert(s.linear.end(), cluster->linear_isolation.begin(),
                  cluster->linear_isolation.end());
  return s;
}

// ---- Plans --------------------------------------------------------------------------------

bool is_ct_shortcut(const policy::NftRule& rule) {
  if (rule.matches.size() != 1 || rule.verdict.kind != policy::NftVerdict::Kind::Accept) {
    return false;
  }
  const auto* ct = std::get_if<policy::NftCtStateMatch>(&rule.matches[0]);
  return ct != nullptr && (ct->states & policy::kNftCtEstablished) != 0;
}

std::size_t rule_count(const NftPlan& plan) {
  std::size_t n = 0;
  for (const auto& [name, chain] : plan.chains) {
    n += chain.rules.size();
  }
  return n;
}

Result<NftPlan, std::string> our_plan(const Scenario& s, const testlib::PodNetwork& pods,
                                      bool ct_shortcut) {
  const std::vector<policy::LocalEndpoint> local{
      {{std::string(kClientNs), "client"}, pods.iface(kClient)},
      {{namespace_name(0), pod_name(0, 50)}, pods.iface(kServer)}};
  auto plan = policy::compile(s.set, local);
  if (!plan) {
    return fail(plan.error());
  }
  if (!ct_shortcut) {
    for (auto& [name, chain] : plan->chains) {
      if (chain.base) {
        std::erase_if(chain.rules, is_ct_shortcut);
      }
    }
  }
  return std::move(*plan);
}

NftPlan linear_plan(const Scenario& s, bool ct_shortcut) {
  NftPlan plan;
  plan.table = "linear";
  auto& chain = plan.add_chain(
      "linear-FORWARD",
      policy::NftBaseChain{policy::NftHook::Forward, policy::NftChainType::Filter, 0, false});
  if (ct_shortcut) {
    policy::NftRule r;
    r.matches.emplace_back(
        policy::NftCtStateMatch{policy::kNftCtEstablished | policy::kNftCtRelated});
    r.verdict = policy::NftVerdict::accept();
    chain.rules.push_back(std::move(r));
  }
  for (const LinearRule& l : s.linear) {
    policy::NftRule r;
    if (l.src) {
      r.matches.emplace_back(NftMatch::eq(NftField::IpSaddr, NftValue::cidr(*l.src)));
    }
    if (l.src_except) {
      r.matches.emplace_back(
          NftMatch::eq(NftField::IpSaddr, NftValue::cidr(*l.src_except)).negated());
    }
    if (l.dst) {
      r.matches.emplace_back(NftMatch::eq(NftField::IpDaddr, NftValue::cidr(*l.dst)));
    }
    if (l.protocol != 0) {
      r.matches.emplace_back(NftMatch::eq(NftField::L4proto, NftValue::proto(l.protocol)));
      if (l.dport) {
        r.matches.emplace_back(
            NftMatch::eq(NftField::ThDport, NftValue::port_range(l.dport->min, l.dport->max)));
      }
    }
    r.verdict = l.accept ? policy::NftVerdict::accept() : policy::NftVerdict::drop();
    chain.rules.push_back(std::move(r));
  }
  return plan;
}

// ---- Measuring ----------------------------------------------------------------------------

std::optional<nlohmann::json> iperf_json(const testlib::PodNetwork& pods,
                                         const std::vector<std::string>& extra,
                                         std::string& error) {
  std::vector<std::string> argv = {"ip",
                                   "netns",
                                   "exec",
                                   pods.pod_netns(kClient),
                                   "iperf3",
                                   "-c",
                                   std::string(kServerIp),
                                   "-p",
                                   std::to_string(kIperfPort),
                                   "-J"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  const auto r = testlib::run_command(argv, 30s);
  auto doc = nlohmann::json::parse(r.output, nullptr, false);
  if (r.exit_code != 0 || doc.is_discarded() || !doc.contains("end") || doc.contains("error")) {
    error = "iperf3 exit " + std::to_string(r.exit_code) + ": " + r.output.substr(0, 300);
    return std::nullopt;
  }
  return doc;
}

struct Settings {
  std::string seconds = "3";
  int udp_runs = 2;  // best of: interference from other load only ever lowers the rate
};

void run_iperf(const testlib::PodNetwork& pods, const Settings& settings, Measurement& m) {
  std::string error;
  if (auto tcp = iperf_json(pods, {"-t", settings.seconds}, error)) {
    m.tcp_gbps = (*tcp)["end"]["sum_received"].value("bits_per_second", 0.0) / 1e9;
  } else {
    m.error += "tcp: " + error + " ";
  }
  for (int run = 0; run < settings.udp_runs; ++run) {
    auto udp = iperf_json(pods, {"-u", "-b", "0", "-l", "64", "-t", settings.seconds}, error);
    if (!udp) {
      m.error += "udp: " + error;
      continue;
    }
    const auto& sum = (*udp)["end"]["sum"];
    const double secs = sum.value("seconds", 0.0);
    const double packets = sum.value("packets", 0.0);
    const double lost = sum.value("lost_packets", 0.0);
    if (secs > 0 && (!m.udp_pps || (packets - lost) / secs > *m.udp_pps)) {
      m.udp_pps = (packets - lost) / secs;
      m.udp_sent_pps = packets / secs;
    }
  }
}

// The probe must be allowed exactly when no policy isolates the server.
std::string check_isolation(testlib::PodNetwork& pods, bool expect_allowed) {
  const auto r = pods.probe_all({{kClient, kServer, IPPROTO_TCP, kProbePort, false}}, 500ms);
  if (r[0].allowed() == expect_allowed) {
    return "ok";
  }
  return std::string(expect_allowed ? "probe dropped" : "probe allowed") + " (" +
         std::string(testlib::to_string(r[0].outcome)) + ")";
}

Result<void, std::string> program(netlink::NftCommitter& committer, const NftPlan& plan) {
  if (auto v = policy::validate(plan); !v) {
    return fail("invalid plan: " + v.error());
  }
  auto have = committer.read_table(plan.table);
  if (!have) {
    return fail(have.error());
  }
  return committer.commit(policy::diff(*have, plan));
}

std::string opt_num(const std::optional<double>& v, const char* fmt, double scale) {
  return v ? format(fmt, *v / scale) : std::string("-");
}

std::string opt_ratio(const std::optional<double>& v, double base) {
  return v && base > 0 ? format("%.3f", *v / base) : std::string("-");
}

int run(const Settings& settings) {
  const std::string iperf = find_program("iperf3");
  if (iperf.empty()) {
    std::fprintf(stderr, "policy_packet_bench: iperf3 not found on PATH (scripts/install-deps)\n");
    return 1;
  }
  testlib::PodNetworkOptions pod_options;
  pod_options.ports = {kProbePort};
  auto net = testlib::PodNetwork::create({{"bench-client/client", std::string(kClientIp), ""},
                                          {"ns-0/app-0-50", std::string(kServerIp), ""}},
                                         pod_options);
  if (!net) {
    std::fprintf(stderr, "policy_packet_bench: pod network: %s\n", net.error().c_str());
    return 1;
  }
  testlib::PodNetwork& pods = **net;
  auto committer = netlink::NftCommitter::open(pods.host().name());
  if (!committer) {
    std::fprintf(stderr, "policy_packet_bench: committer: %s\n", committer.error().c_str());
    return 1;
  }
  auto server = testlib::Process::start(
      {{"iperf3", "-s", "-p", std::to_string(kIperfPort)}, pods.pod_netns(kServer), {}, ""});
  if (!server) {
    std::fprintf(stderr, "policy_packet_bench: iperf3 server: %s\n", server.error().c_str());
    return 1;
  }
  const bool listening = testlib::wait_until(
      [&] {
        const auto r = testlib::run_command({"ip", "netns", "exec", pods.pod_netns(kServer), "ss",
                                             "-Htln", "sport = :" + std::to_string(kIperfPort)});
        return r.exit_code == 0 && !r.output.empty();
      },
      10s, 50ms);
  if (!listening) {
    std::fprintf(stderr, "policy_packet_bench: iperf3 server not listening: %s\n",
                 (*server)->log_tail().c_str());
    return 1;
  }
  std::printf(
      "pods: client %s (%s) -> server %s (%s), forwarded by host namespace %s; iperf3 "
      "-t %s (UDP: best of %d); server pid %d\n",
      kClientIp.data(), pods.iface(kClient).c_str(), kServerIp.data(), pods.iface(kServer).c_str(),
      pods.host().name().c_str(), settings.seconds.c_str(), settings.udp_runs,
      static_cast<int>((*server)->pid()));

  std::vector<Measurement> results;
  auto measure_none = [&](const std::string& label) {
    Measurement m;
    m.config = label;
    m.isolation = check_isolation(pods, true);
    run_iperf(pods, settings, m);
    results.push_back(m);
    std::printf("  measured %s\n", label.c_str());
  };
  measure_none("none (first)");
  for (const std::size_t n : {std::size_t{0}, std::size_t{100}, std::size_t{1000}}) {
    if (n == 1000) {
      measure_none("none (middle)");  // a third baseline sample: the machine is shared
    }
    auto scenario = make_scenario(n);
    if (!scenario) {
      std::fprintf(stderr, "policy_packet_bench: scenario %zu: %s\n", n, scenario.error().c_str());
      return 1;
    }
    for (const bool ct : {true, false}) {
      for (const bool linear : {false, true}) {
        Measurement m;
        m.config = format("%s-%zu", linear ? "linear" : "ours", n);
        m.ct_shortcut = ct;
        m.policies = n;
        NftPlan plan;
        if (linear) {
          plan = linear_plan(*scenario, ct);
        } else {
          auto ours = our_plan(*scenario, pods, ct);
          if (!ours) {
            std::fprintf(stderr, "policy_packet_bench: compile: %s\n", ours.error().c_str());
            return 1;
          }
          plan = std::move(*ours);
        }
        m.rules = rule_count(plan);
        if (auto ok = program(**committer, plan); !ok) {
          m.error = "commit: " + ok.error();
        } else {
          m.isolation = check_isolation(pods, n == 0);
          run_iperf(pods, settings, m);
        }
        if (auto gone = (*committer)->delete_table(plan.table); !gone) {
          std::fprintf(stderr, "policy_packet_bench: delete table: %s\n", gone.error().c_str());
          return 1;
        }
        results.push_back(m);
        std::printf("  measured %s %s\n", m.config.c_str(), ct ? "ct" : "no-ct");
      }
    }
  }
  measure_none("none (last)");
  (*server)->stop();

  // Baseline: mean of the two no-table runs.
  double base_tcp = 0;
  double base_pps = 0;
  int base_n = 0;
  for (const auto& m : results) {
    if (m.config.rfind("none", 0) == 0 && m.tcp_gbps && m.udp_pps) {
      base_tcp += *m.tcp_gbps;
      base_pps += *m.udp_pps;
      ++base_n;
    }
  }
  if (base_n > 0) {
    base_tcp /= base_n;
    base_pps /= base_n;
  }
  std::printf("\n%-14s %-9s %7s %10s %7s %11s %7s %11s  %s\n", "config", "ct-accept", "rules",
              "TCP Gbit/s", "ratio", "UDP kpps", "ratio", "(sent kpps)", "policy check");
  for (const auto& m : results) {
    const bool none = m.config.rfind("none", 0) == 0;
    std::printf("%-14s %-9s %7s %10s %7s %11s %7s %11s  %s%s\n", m.config.c_str(),
                none ? "-" : (m.ct_shortcut ? "yes" : "no"),
                none ? "0" : std::to_string(m.rules).c_str(),
                opt_num(m.tcp_gbps, "%.2f", 1).c_str(), opt_ratio(m.tcp_gbps, base_tcp).c_str(),
                opt_num(m.udp_pps, "%.1f", 1e3).c_str(), opt_ratio(m.udp_pps, base_pps).c_str(),
                opt_num(m.udp_sent_pps, "%.1f", 1e3).c_str(), m.isolation.c_str(),
                m.error.empty() ? "" : ("  ERROR " + m.error).c_str());
  }
  std::printf(
      "baseline (no table, mean of the 'none' runs): TCP %.2f Gbit/s, UDP %.1f kpps "
      "delivered\n",
      base_tcp, base_pps / 1e3);
  for (const bool ct : {true, false}) {
    for (const auto& m : results) {
      if (m.config != "ours-1000" || m.ct_shortcut != ct) {
        continue;
      }
      const bool tcp_ok = m.tcp_gbps && *m.tcp_gbps >= (1 - kWithinNoPolicy) * base_tcp;
      const bool pps_ok = m.udp_pps && *m.udp_pps >= (1 - kWithinNoPolicy) * base_pps;
      std::printf(
          "ours at 1,000 policies, %s conntrack shortcut: within 5%% of no policy: TCP "
          "%s, UDP pps %s\n",
          ct ? "with" : "without", pass_miss(tcp_ok), pass_miss(pps_ok));
    }
  }
  // The cost of the policies alone: 1,000 against 0 policies, same dataplane and ct mode.
  const auto find = [&](const std::string& config, bool ct) -> const Measurement* {
    for (const auto& m : results) {
      if (m.config == config && m.ct_shortcut == ct) {
        return &m;
      }
    }
    return nullptr;
  };
  for (const char* kind : {"ours", "linear"}) {
    for (const bool ct : {true, false}) {
      const Measurement* zero = find(std::string(kind) + "-0", ct);
      const Measurement* full = find(std::string(kind) + "-1000", ct);
      if (zero == nullptr || full == nullptr || !zero->tcp_gbps || !zero->udp_pps) {
        continue;
      }
      std::printf("%-6s %-10s 1,000 vs 0 policies: TCP %s, UDP pps %s\n", kind,
                  ct ? "ct-accept" : "no-ct", opt_ratio(full->tcp_gbps, *zero->tcp_gbps).c_str(),
                  opt_ratio(full->udp_pps, *zero->udp_pps).c_str());
    }
  }
  return 0;
}

}  // namespace
}  // namespace calico::bench

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress shows up when piped
  calico::bench::Settings settings;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--seconds" && i + 1 < argc && std::atoi(argv[i + 1]) > 0) {
      settings.seconds = std::to_string(std::atoi(argv[++i]));
    } else if (a == "--udp-runs" && i + 1 < argc && std::atoi(argv[i + 1]) > 0) {
      settings.udp_runs = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: policy_packet_bench [--seconds N] [--udp-runs N]\n");
      return 2;
    }
  }
  if (::geteuid() != 0) {
    std::fprintf(stderr, "policy_packet_bench: must run as root (network namespaces, nftables)\n");
    return 1;
  }
  return calico::bench::run(settings);
}
