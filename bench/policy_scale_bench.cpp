// policy_scale_bench: control-plane cost of the policy dataplane at cluster scale (issue 4).
//
//   policy_scale_bench [--policies N] [--namespaces N] [--pods-per-namespace N]
//                      [--iterations N] [--local N]
//
// A synthetic cluster (bench/synthetic_cluster.h: 10,000 endpoints in 50 namespaces, 1,000
// policies converted from YAML), EVERY endpoint local to the node being programmed (the
// worst case: every policy is active and every endpoint has its two chains; --local N
// makes only N endpoints, spread over the cluster, local: a typical node).  In a fresh
// network namespace, with the real netlink::NftCommitter:
//   full sync     PolicyDataplane: model load (upserts), compute, commit (one transaction);
//                 ops, chains, rules, set and map elements; kernel memory of the table;
//   incremental   N pod label changes (app label: the pod moves between selector sets and
//                 its policies change) and N policy edits (one rule's port): apply latency
//                 = compute + commit, ops;
//   peer          felix's nftables mode programs through the nft CLI: `nft -f` of the same
//                 plan text (to_nft_text) into another fresh namespace, then `nft -f` of
//                 each incremental batch's text (to_nft_text(batch)), in the same order.
// Prints figures, ratios ours/nft and PASS/MISS against the targets (full sync
// < 1 s, incremental p95 < 10 ms).  Misses do not fail the process; setup errors do
// (exit 1).  Needs root.  Every namespace it creates is removed on exit.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "bench/synthetic_cluster.h"
#include "netlink/nft_committer.h"
#include "policy/dataplane.h"
#include "policy/nft_model.h"
#include "tests/lib/netns.h"
#include "tests/lib/process.h"

namespace calico::bench {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr double kFullSyncTargetMs = 1000;
constexpr double kIncrementalTargetMs = 10;
constexpr auto kNftTimeout = 300s;

struct Options {
  ClusterShape shape;
  std::size_t iterations = 50;
  std::size_t local = 0;  // endpoints local to this node; 0 = all (the worst case)
};

// Forwards to the real committer and keeps a copy of the last committed batch (small for
// incremental changes; recording is switched off for the full sync).
class RecordingCommitter final : public policy::NftCommitter {
 public:
  explicit RecordingCommitter(policy::NftCommitter& inner) : inner_(inner) {}
  Result<void, std::string> commit(const policy::NftBatch& batch) override {
    auto r = inner_.commit(batch);
    if (recording_) {
      last_ = batch;
    }
    return r;
  }
  Result<policy::NftPlan, std::string> read_table(const std::string& name) override {
    return inner_.read_table(name);
  }
  Result<void, std::string> delete_table(const std::string& name) override {
    return inner_.delete_table(name);
  }
  void set_recording(bool on) { recording_ = on; }
  void clear() { last_ = policy::NftBatch{}; }
  const policy::NftBatch& last() const { return last_; }

 private:
  policy::NftCommitter& inner_;
  bool recording_ = false;
  policy::NftBatch last_;
};

std::string local_iface(std::size_t i) {
  return format("cali%011zx", i);
}

struct PlanCounts {
  std::size_t chains = 0, rules = 0, sets = 0, set_elements = 0, maps = 0, map_elements = 0;
};

PlanCounts count(const policy::NftPlan& plan) {
  PlanCounts c;
  c.chains = plan.chains.size();
  for (const auto& [name, chain] : plan.chains) {
    c.rules += chain.rules.size();
  }
  c.sets = plan.sets.size();
  for (const auto& [name, set] : plan.sets) {
    c.set_elements += policy::canonical_elements(set).size();
  }
  c.maps = plan.maps.size();
  for (const auto& [name, map] : plan.maps) {
    c.map_elements += map.elements.size();
  }
  return c;
}

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  return static_cast<bool>(out);
}

std::string mib(std::optional<std::int64_t> before, std::optional<std::int64_t> after) {
  if (!before || !after) {
    return "n/a";
  }
  return format("%.1f MiB", static_cast<double>(*after - *before) / (1024.0 * 1024.0));
}

double ratio(double ours, double peer) {
  return peer > 0 ? ours / peer : 0;
}

// Which policies get the port edit: Kubernetes policies whose first ingress rule has
// numeric ports.
std::vector<std::size_t> editable_policies(const policy::PolicySet& set) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < set.policies.size(); ++i) {
    const auto& p = set.policies[i];
    if (p.kind == policy::PolicyKind::KubernetesNetworkPolicy && !p.ingress.empty() &&
        !p.ingress[0].destination.ports.ranges.empty()) {
      out.push_back(i);
    }
  }
  return out;
}

int run(const Options& opt) {
  const std::string nft = find_program("nft");
  if (nft.empty()) {
    std::fprintf(stderr, "policy_scale_bench: nft not found on PATH (scripts/install-deps)\n");
    return 1;
  }
  const KernelMemory kmem = KernelMemory::detect();
  const auto bench_start = Clock::now();
  const auto stamp = [&] { return format("[t+%.1fs]", to_ms(Clock::now() - bench_start) / 1e3); };

  // ---- The cluster, converted from YAML by the real converters.
  auto t0 = Clock::now();
  auto cluster = make_cluster(opt.shape);
  if (!cluster) {
    std::fprintf(stderr, "policy_scale_bench: cluster: %s\n", cluster.error().c_str());
    return 1;
  }
  const double convert_ms = to_ms(Clock::now() - t0);
  policy::PolicySet& set = cluster->set;
  std::printf(
      "cluster: %zu endpoints (%s local), %zu namespaces, %zu policies (%zu tiers, "
      "%zu network sets), %zu profiles; YAML %.1f KiB decoded+validated+converted in "
      "%.0f ms (not counted below)\n",
      set.endpoints.size(), opt.local == 0 ? "all" : std::to_string(opt.local).c_str(),
      opt.shape.namespaces, set.policies.size(), set.tiers.size(), set.network_sets.size(),
      set.profiles.size(), static_cast<double>(cluster->yaml.size()) / 1024.0, convert_ms);

  testlib::NetNs ours_ns;
  testlib::NetNs peer_ns;
  if (!ours_ns.ok() || !peer_ns.ok()) {
    std::fprintf(stderr, "policy_scale_bench: netns: %s %s\n", ours_ns.error().c_str(),
                 peer_ns.error().c_str());
    return 1;
  }
  auto committer = netlink::NftCommitter::open(ours_ns.name());
  if (!committer) {
    std::fprintf(stderr, "policy_scale_bench: committer: %s\n", committer.error().c_str());
    return 1;
  }
  RecordingCommitter rec(**committer);
  policy::PolicyDataplane dp(rec);

  // ---- Full sync.
  t0 = Clock::now();
  for (const auto& tier : set.tiers) {
    dp.upsert_tier(tier);
  }
  for (const auto& profile : set.profiles) {
    dp.upsert_profile(profile);
  }
  for (const auto& ns : set.network_sets) {
    dp.upsert_network_set(ns);
  }
  // Local endpoints: all, or every stride-th one (spread over namespaces and apps).
  const std::size_t n_endpoints = set.endpoints.size();
  const std::size_t stride = opt.local == 0 ? 1 : std::max<std::size_t>(1, n_endpoints / opt.local);
  const std::size_t n_local =
      opt.local == 0 ? n_endpoints : std::min(opt.local, (n_endpoints + stride - 1) / stride);
  const auto iface_of = [&](std::size_t i) {
    return i % stride == 0 && i / stride < n_local ? local_iface(i) : std::string();
  };
  for (std::size_t i = 0; i < n_endpoints; ++i) {
    dp.upsert_endpoint(set.endpoints[i], iface_of(i));
  }
  for (const auto& p : set.policies) {
    dp.upsert_policy(p);
  }
  const double load_ms = to_ms(Clock::now() - t0);
  const auto mem_before = kmem.read();
  const auto sys_before = meminfo_kernel_bytes();
  auto full = dp.apply();
  const auto mem_after = kmem.read();
  const auto sys_after = meminfo_kernel_bytes();
  if (!full) {
    std::fprintf(stderr, "policy_scale_bench: full sync: %s\n", full.error().c_str());
    return 1;
  }
  const double compute_ms = to_ms(full->compute);
  const double commit_ms = to_ms(full->commit);
  const double total_ms = load_ms + compute_ms + commit_ms;
  const PlanCounts pc = count(dp.plan());
  const std::string full_text = policy::to_nft_text(dp.plan());

  std::printf("\n== full sync (PolicyDataplane, netlink::NftCommitter, one transaction) %s\n",
              stamp().c_str());
  std::printf(
      "  load (upserts) %8.1f ms\n  compute        %8.1f ms\n  commit         %8.1f ms "
      "(incl. read-back of the empty table)\n  total          %8.1f ms   target < %.0f "
      "ms: %s\n",
      load_ms, compute_ms, commit_ms, total_ms, kFullSyncTargetMs,
      pass_miss(total_ms < kFullSyncTargetMs));
  std::printf(
      "  ops %zu; chains %zu, rules %zu; sets %zu with %zu elements; maps %zu with %zu "
      "elements; nft text %.1f MiB\n",
      full->ops, pc.chains, pc.rules, pc.sets, pc.set_elements, pc.maps, pc.map_elements,
      static_cast<double>(full_text.size()) / (1024.0 * 1024.0));
  std::printf("  kernel memory of the table: %s  [%s]\n", mib(mem_before, mem_after).c_str(),
              kmem.source().c_str());
  std::printf("    (system-wide /proc/meminfo SUnreclaim+VmallocUsed+Percpu delta: %s)\n",
              mib(sys_before, sys_after).c_str());

  // ---- Peer full sync: nft -f of the same text into a fresh namespace.
  testlib::TempDir tmp("calico-bench");
  const std::string full_file = tmp.path() + "/full.nft";
  if (!write_file(full_file, full_text)) {
    std::fprintf(stderr, "policy_scale_bench: cannot write %s\n", full_file.c_str());
    return 1;
  }
  const auto peer_mem_before = kmem.read();
  const SpawnResult peer_full = spawn_in_netns(peer_ns.name(), {nft, "-f", full_file}, kNftTimeout);
  const auto peer_mem_after = kmem.read();
  std::printf(
      "\n== peer: nft -f of the same ruleset text into a fresh namespace (felix nftables "
      "mode programs through the nft CLI) %s\n",
      stamp().c_str());
  if (peer_full.exit_code != 0) {
    std::printf("  nft -f FAILED (exit %d): %.2000s\n", peer_full.exit_code,
                peer_full.output.c_str());
  } else {
    std::printf("  nft -f         %8.1f ms (process start to exit)\n", peer_full.elapsed_ms);
    std::printf("  kernel memory of the table: %s\n", mib(peer_mem_before, peer_mem_after).c_str());
    std::printf("  ratio ours/nft: total %.2f, commit only %.2f\n",
                ratio(total_ms, peer_full.elapsed_ms), ratio(commit_ms, peer_full.elapsed_ms));
  }

  // ---- Incremental: label changes and policy edits, ours now, nft replays the batches.
  std::printf("\n(incremental changes start %s)\n", stamp().c_str());
  rec.set_recording(true);
  struct Step {
    const char* kind;
    double ms;
    double compute_ms;
    std::size_t ops;
    std::string text;
  };
  std::vector<Step> steps;
  const auto editable = editable_policies(set);
  for (std::size_t it = 0; it < opt.iterations; ++it) {
    // Label change: pod moves to the next app of its namespace.
    const std::size_t e = stride * ((it * 7919 + 13) % n_local);
    policy::Endpoint ep = set.endpoints[e];
    const std::string& app = ep.labels["app"];
    const std::size_t a = std::stoul(app.substr(4));
    ep.labels["app"] = app_name(a - a % kAppsPerNamespace + (a + 1) % kAppsPerNamespace);
    dp.upsert_endpoint(ep, iface_of(e));
    rec.clear();
    auto r = dp.apply();
    if (!r) {
      std::fprintf(stderr, "policy_scale_bench: label change: %s\n", r.error().c_str());
      return 1;
    }
    steps.push_back({"label", to_ms(r->compute + r->commit), to_ms(r->compute), r->ops,
                     to_nft_text(rec.last())});
    set.endpoints[e] = ep;

    if (editable.empty()) {
      continue;
    }
    // Policy edit: the first port of the first ingress rule, of a policy programmed on this
    // node (an edit of a policy that selects no local endpoint is a no-op: try the next).
    for (std::size_t attempt = 0; attempt < editable.size(); ++attempt) {
      policy::Policy& p = set.policies[editable[(it * 37 + attempt) % editable.size()]];
      auto& range = p.ingress[0].destination.ports.ranges[0];
      const auto port = static_cast<std::uint16_t>(range.min == 8080 ? 8081 : 8080);
      range = {port, port};
      dp.upsert_policy(p);
      rec.clear();
      r = dp.apply();
      if (!r) {
        std::fprintf(stderr, "policy_scale_bench: policy edit: %s\n", r.error().c_str());
        return 1;
      }
      if (r->ops > 0) {
        steps.push_back({"policy", to_ms(r->compute + r->commit), to_ms(r->compute), r->ops,
                         to_nft_text(rec.last())});
        break;
      }
    }
  }
  rec.set_recording(false);

  // Replay each batch with nft -f in the peer namespace (same order, same table state).
  std::vector<double> nft_ms[2];
  std::vector<double> our_ms[2];
  std::vector<double> ops[2];
  std::vector<double> compute[2];
  std::size_t nft_failures = 0;
  std::string first_failure;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const int k = std::string(steps[i].kind) == "label" ? 0 : 1;
    our_ms[k].push_back(steps[i].ms);
    ops[k].push_back(static_cast<double>(steps[i].ops));
    compute[k].push_back(steps[i].compute_ms);
    if (peer_full.exit_code != 0) {
      continue;
    }
    const std::string file = tmp.path() + format("/step%zu.nft", i);
    if (!write_file(file, steps[i].text)) {
      continue;
    }
    const SpawnResult s = spawn_in_netns(peer_ns.name(), {nft, "-f", file}, 60s);
    if (s.exit_code != 0) {
      if (nft_failures++ == 0) {
        first_failure = s.output.substr(0, 2000);
      }
      continue;
    }
    nft_ms[k].push_back(s.elapsed_ms);
  }

  std::printf("\n== incremental (%zu of each; latency = compute + commit of one apply()) %s\n",
              opt.iterations, stamp().c_str());
  const char* names[2] = {"pod label change (moves between selector sets)",
                          "policy edit (one rule's port)"};
  bool all_pass = true;
  for (int k = 0; k < 2; ++k) {
    const Summary o = summarize(our_ms[k]);
    const Summary n = summarize(nft_ms[k]);
    const Summary c = summarize(ops[k]);
    all_pass = all_pass && o.p95 < kIncrementalTargetMs;
    std::printf("  %s:\n", names[k]);
    std::printf(
        "    ours     median %7.2f ms  p95 %7.2f ms  max %7.2f ms  ops median %.0f "
        "(max %.0f)   target p95 < %.0f ms: %s\n",
        o.median, o.p95, o.max, c.median, c.max, kIncrementalTargetMs,
        pass_miss(o.p95 < kIncrementalTargetMs));
    std::printf("             of which compute median %.2f ms (commit: the rest)\n",
                summarize(compute[k]).median);
    if (n.n > 0) {
      std::printf("    nft -f   median %7.2f ms  p95 %7.2f ms  max %7.2f ms\n", n.median, n.p95,
                  n.max);
      std::printf("    ratio ours/nft: median %.3f  p95 %.3f\n", ratio(o.median, n.median),
                  ratio(o.p95, n.p95));
    }
  }
  if (nft_failures > 0) {
    std::printf("  nft -f failed on %zu batches; first: %s\n", nft_failures, first_failure.c_str());
  }
  if (peer_full.exit_code == 0) {
    auto peer_committer = netlink::NftCommitter::open(peer_ns.name());
    if (peer_committer) {
      auto read = (*peer_committer)->read_table(dp.plan().table);
      if (read) {
        std::printf("  after the replay, nft's table equals ours: %s\n",
                    policy::diff(*read, dp.plan()).empty() ? "yes" : "NO");
      }
    }
  }

  std::printf("\n%s ", stamp().c_str());
  std::printf(
      "summary: full sync %.0f ms (target < %.0f ms: %s), incremental p95 label %.2f "
      "ms / policy %.2f ms (target < %.0f ms: %s); ours/nft full %.2f, incremental "
      "median label %.3f / policy %.3f\n",
      total_ms, kFullSyncTargetMs, pass_miss(total_ms < kFullSyncTargetMs),
      summarize(our_ms[0]).p95, summarize(our_ms[1]).p95, kIncrementalTargetMs, pass_miss(all_pass),
      ratio(total_ms, peer_full.elapsed_ms),
      ratio(summarize(our_ms[0]).median, summarize(nft_ms[0]).median),
      ratio(summarize(our_ms[1]).median, summarize(nft_ms[1]).median));
  return 0;
}

bool parse_size(const char* text, std::size_t& out) {
  char* end = nullptr;
  const unsigned long v = std::strtoul(text, &end, 10);
  if (end == text || *end != '\0') {
    return false;
  }
  out = v;
  return true;
}

}  // namespace
}  // namespace calico::bench

int main(int argc, char** argv) {
  using calico::bench::parse_size;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress shows up when piped
  calico::bench::Options opt;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    bool ok = false;
    if (a == "--policies" && has_value) {
      ok = parse_size(argv[++i], opt.shape.policies);
    } else if (a == "--namespaces" && has_value) {
      ok = parse_size(argv[++i], opt.shape.namespaces);
    } else if (a == "--pods-per-namespace" && has_value) {
      ok = parse_size(argv[++i], opt.shape.pods_per_namespace);
    } else if (a == "--iterations" && has_value) {
      ok = parse_size(argv[++i], opt.iterations);
    } else if (a == "--local" && has_value) {
      ok = parse_size(argv[++i], opt.local);
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr,
                   "usage: policy_scale_bench [--policies N] [--namespaces N] "
                   "[--pods-per-namespace N] [--iterations N] [--local N]\n");
      return 2;
    }
  }
  if (::geteuid() != 0) {
    std::fprintf(stderr, "policy_scale_bench: must run as root (network namespaces, nftables)\n");
    return 1;
  }
  return calico::bench::run(opt);
}
