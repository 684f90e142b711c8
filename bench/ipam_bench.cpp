// ipam_bench: Calico block IPAM against a real etcd started here (issue 5).
//
//   ipam_bench [--allocs 10000] [--hosts 100] [--concurrency 20]
//
// Scenarios, all against the same etcd in the same run:
//   single     one allocator allocates --allocs addresses round-robin over --hosts hosts
//   concurrent --concurrency allocators (threads, each with its own datastore client and
//              its own hosts, as one allocator per node does) share the allocations
//   baseline   the naive design: every allocation is a CAS retry loop on one shared key
//              (a counter of the next free address), with the same concurrency, for at
//              most 30 s
// Each allocator reads pools/IPAMConfiguration once per second (view_ttl 1 s).  Prints
// allocations per second, p50 / p99 latency, CAS conflicts of the baseline and the ratio,
// and PASS/MISS against the target (1,000 allocations/s with 20 allocators).
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "datastore/etcd/etcd_client.h"
#include "datastore/etcd/etcd_datastore.h"
#include "ipam/allocator.h"
#include "ipam/check.h"
#include "tests/lib/etcd_server.h"

namespace {

using calico::datastore::etcd::EtcdConfig;
using calico::datastore::etcd::EtcdDatastore;
using Clock = std::chrono::steady_clock;

// The naive baseline collapses under contention; it runs until its allocations are done or
// this much time has passed, and its rate is measured over what it managed.
constexpr std::chrono::seconds kBaselineBudget{30};

struct Figures {
  std::size_t ok = 0;
  std::size_t failed = 0;
  double seconds = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  std::size_t conflicts = 0;
  double rate() const { return seconds > 0 ? static_cast<double>(ok) / seconds : 0; }
};

// Joins the workers, then merges their per-thread latencies into the figures.
Figures finish(std::vector<std::thread>& threads, const std::vector<std::vector<double>>& lat,
               Clock::time_point start) {
  for (auto& t : threads) {
    t.join();
  }
  Figures f;
  f.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  for (const auto& l : lat) {
    all.insert(all.end(), l.begin(), l.end());
  }
  std::sort(all.begin(), all.end());
  f.ok = all.size();
  if (!all.empty()) {
    f.p50_ms = all[all.size() / 2];
    f.p99_ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  }
  return f;
}

void print(const char* name, const Figures& f) {
  std::printf("%-34s %7zu ok %4zu failed %8.2f s %9.1f alloc/s  p50 %7.2f ms  p99 %7.2f ms", name,
              f.ok, f.failed, f.seconds, f.rate(), f.p50_ms, f.p99_ms);
  if (f.conflicts) {
    std::printf("  %zu CAS conflicts", f.conflicts);
  }
  std::printf("\n");
  std::fflush(stdout);
}

// What a run cost: etcd round trips and bytes (this process's clients), and this
// process's CPU time (the allocators and their HTTP/JSON client; etcd not included).
struct Cost {
  calico::datastore::etcd::EtcdCallStats calls;
  double cpu_ms = 0;

  static Cost now() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    const auto ms = [](const timeval& t) { return t.tv_sec * 1e3 + t.tv_usec / 1e3; };
    return Cost{calico::datastore::etcd::etcd_call_stats(), ms(ru.ru_utime) + ms(ru.ru_stime)};
  }
  Cost since(const Cost& b) const {
    Cost d;
    d.calls.range = calls.range - b.calls.range;
    d.calls.txn = calls.txn - b.calls.txn;
    d.calls.deleterange = calls.deleterange - b.calls.deleterange;
    d.calls.other = calls.other - b.calls.other;
    d.calls.request_bytes = calls.request_bytes - b.calls.request_bytes;
    d.calls.reply_bytes = calls.reply_bytes - b.calls.reply_bytes;
    d.cpu_ms = cpu_ms - b.cpu_ms;
    return d;
  }
  void print(std::size_t allocs) const {
    const double n = allocs > 0 ? static_cast<double>(allocs) : 1.0;
    std::printf(
        "  per allocation: %.2f etcd range + %.2f txn + %.2f other calls, %.1f KB sent, "
        "%.1f KB received, %.2f ms client CPU\n",
        static_cast<double>(calls.range) / n, static_cast<double>(calls.txn) / n,
        static_cast<double>(calls.deleterange + calls.other) / n,
        static_cast<double>(calls.request_bytes) / n / 1024.0,
        static_cast<double>(calls.reply_bytes) / n / 1024.0, cpu_ms / n);
  }
};

EtcdConfig config(const std::string& endpoint) {
  EtcdConfig c;
  c.endpoints = {endpoint};
  return c;
}

// `workers` allocators, worker w allocating `per_worker` addresses round-robin over hosts
// w, w + workers, ... (of `hosts`).
Figures run_ipam(const std::string& endpoint, int workers, int per_worker, int hosts,
                 const std::string& tag) {
  std::vector<std::vector<double>> lat(static_cast<std::size_t>(workers));
  std::atomic<std::size_t> failed{0};
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      EtcdDatastore ds(config(endpoint));
      calico::ipam::AllocatorOptions opts;
      opts.view_ttl = std::chrono::milliseconds(1000);
      calico::ipam::Allocator ipam(ds, opts);
      std::vector<std::string> mine;
      for (int h = w; h < hosts; h += workers) {
        mine.push_back("node-" + std::to_string(h));
      }
      auto& out = lat[static_cast<std::size_t>(w)];
      out.reserve(static_cast<std::size_t>(per_worker));
      for (int i = 0; i < per_worker; ++i) {
        calico::ipam::AutoAssignRequest req;
        req.num4 = 1;
        req.host = mine[static_cast<std::size_t>(i) % mine.size()];
        req.handle_id =
            "k8s-pod-network." + tag + "-" + std::to_string(w) + "-" + std::to_string(i);
        req.attrs = {{"node", req.host}};
        const auto t0 = Clock::now();
        auto r = ipam.auto_assign(req);
        const auto t1 = Clock::now();
        if (r) {
          out.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        } else {
          if (failed.fetch_add(1) < 3) {
            std::fprintf(stderr, "allocation failed: %s\n", r.error().message.c_str());
          }
        }
      }
    });
  }
  Figures f = finish(threads, lat, start);
  f.failed = failed.load();
  return f;
}

// The naive baseline: one shared key holding the next free address; every allocation
// reads it and CASes it forward, retrying on conflict.
Figures run_baseline(const std::string& endpoint, int workers, int per_worker) {
  {
    EtcdDatastore ds(config(endpoint));
    calico::api::IPAMHandle h;
    h.metadata.name = "naive-counter";
    h.spec.handle_id = "naive-counter";
    h.spec.block["10.0.0.0/8"] = 1;
    if (auto r = ds.create(h); !r) {
      std::fprintf(stderr, "baseline: cannot create the shared key: %s\n",
                   r.error().to_string().c_str());
    }
  }
  std::vector<std::vector<double>> lat(static_cast<std::size_t>(workers));
  std::atomic<std::size_t> failed{0};
  std::atomic<std::size_t> conflicts{0};
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      EtcdDatastore ds(config(endpoint));
      const calico::datastore::Key key{calico::api::Kind::IPAMHandle, "", "naive-counter"};
      auto& out = lat[static_cast<std::size_t>(w)];
      for (int i = 0; i < per_worker && Clock::now() - start < kBaselineBudget; ++i) {
        const auto t0 = Clock::now();
        bool done = false;
        for (int attempt = 0; attempt < 1000 && !done; ++attempt) {
          auto cur = ds.get(key);
          if (!cur) {
            break;
          }
          auto v = std::get<calico::api::IPAMHandle>(cur->value);
          v.spec.block["10.0.0.0/8"] += 1;
          auto u = ds.update(v);  // CAS on the revision just read
          if (u) {
            done = true;
          } else {
            conflicts.fetch_add(1);
          }
        }
        if (done) {
          out.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        } else {
          failed.fetch_add(1);
        }
      }
    });
  }
  Figures f = finish(threads, lat, start);
  f.failed = failed.load();
  f.conflicts = conflicts.load();
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  int allocs = 10000;
  int hosts = 100;
  int concurrency = 20;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const int v = std::atoi(argv[i + 1]);
    if (k == "--allocs") {
      allocs = v;
    } else if (k == "--hosts") {
      hosts = v;
    } else if (k == "--concurrency") {
      concurrency = v;
    } else {
      std::fprintf(stderr, "usage: ipam_bench [--allocs N] [--hosts N] [--concurrency N]\n");
      return 2;
    }
  }
  if (allocs < concurrency || hosts < concurrency || concurrency < 1) {
    std::fprintf(stderr, "ipam_bench: need allocs >= hosts >= concurrency >= 1\n");
    return 2;
  }
  auto etcd = calico::testlib::EtcdServer::start();
  if (!etcd) {
    std::fprintf(stderr, "ipam_bench: cannot start etcd: %s\n", etcd.error().c_str());
    return 1;
  }
  const std::string endpoint = (*etcd)->endpoint();
  {
    EtcdDatastore ds(config(endpoint));
    for (const char* cidr : {"10.0.0.0/14", "10.4.0.0/14"}) {
      calico::api::IPPool p;
      p.metadata.name = std::string("pool-") + (cidr[3] == '0' ? "single" : "concurrent");
      p.spec.cidr = cidr;
      p.spec.block_size = 26;
      p.spec.node_selector = "all()";
      if (auto r = ds.create(p); !r) {
        std::fprintf(stderr, "ipam_bench: %s\n", r.error().to_string().c_str());
        return 1;
      }
    }
  }
  std::printf(
      "IPAM: %d allocations over %d hosts, blockSize 26, etcd %s (one member, "
      "loopback)\n",
      allocs, hosts, endpoint.c_str());
  auto before = Cost::now();
  const Figures single = run_ipam(endpoint, 1, allocs, hosts, "single");
  print("calico ipam, 1 allocator", single);
  Cost::now().since(before).print(single.ok);
  before = Cost::now();
  const Figures conc = run_ipam(endpoint, concurrency, allocs / concurrency, hosts, "conc");
  char name[64];
  std::snprintf(name, sizeof name, "calico ipam, %d allocators", concurrency);
  print(name, conc);
  Cost::now().since(before).print(conc.ok);
  // The runs must leave IPAM consistent (checked before the baseline adds its own key).
  {
    EtcdDatastore ds(config(endpoint));
    calico::ipam::CheckOptions o;
    o.in_use = [](const std::string&, const calico::net::IpAddr&) { return true; };
    o.node_exists = [](const std::string&) { return true; };
    auto rep = calico::ipam::check(ds, o);
    if (!rep || !rep->clean()) {
      std::fprintf(stderr, "ipam_bench: IPAM inconsistent after the run:\n%s\n",
                   rep ? rep->to_text().c_str() : rep.error().message.c_str());
      return 1;
    }
    std::printf("check: %zu blocks, %zu allocations, consistent\n", rep->blocks, rep->allocations);
  }
  const Figures base = run_baseline(endpoint, concurrency, allocs / concurrency);
  std::snprintf(name, sizeof name, "naive single-key CAS, %d threads", concurrency);
  print(name, base);
  std::printf("ratio (ipam %d allocators / naive): %.2fx\n", concurrency,
              base.rate() > 0 ? conc.rate() / base.rate() : 0.0);
  std::printf("target 1000 alloc/s with 20 allocators: %s (%.0f alloc/s)\n",
              conc.rate() >= 1000 ? "PASS" : "MISS", conc.rate());
  return 0;
}
