// ipam_worker: one allocator process for the IPAM integration tests.  Runs
// tests/lib/ipam_workload.h on T threads against etcd and writes every event to stdout as
// one write(2) per line, so a SIGKILL loses nothing that was logged.
//
//   ipam_worker --etcd http://127.0.0.1:PORT --hosts h0,h1 --ops 100 --threads 4
//               --seed 7 --prefix p3 [--release 0.3]
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "datastore/etcd/etcd_datastore.h"
#include "ipam/allocator.h"
#include "tests/lib/ipam_workload.h"

namespace {

void write_line(const std::string& line) {
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    const ssize_t n = ::write(1, p, left);
    if (n <= 0) {
      return;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string etcd;
  std::string prefix = "w";
  std::vector<std::string> hosts;
  int ops = 100;
  int threads = 1;
  unsigned long long seed = 1;
  double release = 0.3;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const std::string v = argv[i + 1];
    if (k == "--etcd") {
      etcd = v;
    } else if (k == "--hosts") {
      std::stringstream ss(v);
      for (std::string h; std::getline(ss, h, ',');) {
        hosts.push_back(h);
      }
    } else if (k == "--ops") {
      ops = std::atoi(v.c_str());
    } else if (k == "--threads") {
      threads = std::atoi(v.c_str());
    } else if (k == "--seed") {
      seed = std::strtoull(v.c_str(), nullptr, 10);
    } else if (k == "--prefix") {
      prefix = v;
    } else if (k == "--release") {
      release = std::atof(v.c_str());
    } else {
      std::fprintf(stderr, "ipam_worker: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (etcd.empty() || hosts.empty() || threads < 1) {
    std::fprintf(stderr, "ipam_worker: --etcd, --hosts and --threads >= 1 are required\n");
    return 2;
  }
  calico::datastore::etcd::EtcdConfig cfg;
  cfg.endpoints = {etcd};
  cfg.request_timeout = std::chrono::milliseconds(3000);
  calico::datastore::etcd::EtcdDatastore ds(cfg);
  calico::ipam::Allocator allocator(ds);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      calico::testlib::WorkloadConfig wc;
      wc.hosts = hosts;
      wc.ops = ops;
      wc.seed = seed * 1000 + static_cast<unsigned long long>(t);
      wc.release_fraction = release;
      wc.prefix = prefix + "t" + std::to_string(t);
      calico::testlib::run_workload(allocator, wc, [](const calico::testlib::WorkEvent& e) {
        write_line(calico::testlib::format_event(e));
      });
    });
  }
  for (auto& w : workers) {
    w.join();
  }
  write_line("DONE\n");
  return 0;
}
