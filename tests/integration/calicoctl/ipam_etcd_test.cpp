// `calicoctl ipam` exec'd against a real etcd (DATASTORE_TYPE=etcdv3): the pool applied
// with `calicoctl apply`, addresses allocated by ipam::Allocator in this process on the
// same etcd (one of them leaked: no workload endpoint uses it), then `ipam show
// --show-blocks` (golden), `ipam check` finding the leak, `ipam check -o report.json`,
// `ipam release --from-report report.json --force`, and a clean `ipam check`.
#include <fstream>
#include <iostream>
#include <sstream>

#include <gtest/gtest.h>

#include "api/codec.h"
#include "datastore/etcd/etcd_datastore.h"
#include "ipam/allocator.h"
#include "tests/lib/etcd_server.h"
#include "tests/lib/process.h"

namespace calico::calicoctl {
namespace {

api::WorkloadEndpoint wep(const std::string& pod, const std::string& node, const std::string& ip) {
  api::WorkloadEndpoint w;
  w.metadata.name = node + "-k8s-" + pod + "-eth0";
  w.metadata.ns = "default";
  w.metadata.labels = {{"projectcalico.org/namespace", "default"},
                       {"projectcalico.org/orchestrator", "k8s"}};
  w.spec.orchestrator = "k8s";
  w.spec.node = node;
  w.spec.pod = pod;
  w.spec.endpoint = "eth0";
  w.spec.interface_name = "cali" + pod;
  w.spec.ip_networks = {ip + "/32"};
  return w;
}

TEST(CalicoctlIpamEtcd, ShowCheckReportAndReleaseOnEtcd) {
  auto s = testlib::EtcdServer::start();
  ASSERT_TRUE(s) << s.error();
  auto& etcd = **s;
  datastore::etcd::EtcdConfig cfg;
  cfg.endpoints = {etcd.endpoint()};
  datastore::etcd::EtcdDatastore store(cfg);
  testlib::TempDir dir("calicoctl-ipam");
  const std::map<std::string, std::string> env = {
      {"DATASTORE_TYPE", "etcdv3"}, {"ETCD_ENDPOINTS", etcd.endpoint()}, {"PATH", "/usr/bin:/bin"}};
  auto ctl = [&](std::vector<std::string> args) {
    args.insert(args.begin(), CALICOCTL_BINARY);
    return testlib::run_with_input(args, env, "", /*clear_env=*/true);
  };

  const std::string pool = dir.path() + "/pool.yaml";
  std::ofstream(pool) << "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n"
                         "  name: ctl-pool\nspec:\n  cidr: 10.77.0.0/24\n  blockSize: 26\n";
  auto applied = ctl({"apply", "-f", pool});
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  for (const char* n : {"node-1", "node-2"}) {
    api::Node node;
    node.metadata.name = n;
    ASSERT_TRUE(store.create(node));
  }
  api::ClusterInformation ci;
  ci.metadata.name = "default";
  ci.spec.cluster_guid = "5e2b6c0f0a6d4d3c9d1e2f3a4b5c6d7e";
  ci.spec.cluster_type = "bgp";
  ci.spec.datastore_ready = true;
  ASSERT_TRUE(store.create(ci));

  ipam::Allocator alloc(store);
  auto assign = [&](const std::string& ip, const std::string& pod, const std::string& node) {
    ipam::AssignIpRequest req;
    req.ip = *net::IpAddr::parse(ip);
    req.handle_id = "k8s-pod-network." + pod;
    req.attrs = {{"node", node}, {"pod", pod}, {"namespace", "default"}};
    req.host = node;
    auto r = alloc.assign_ip(req);
    ASSERT_TRUE(r) << r.error().message;
  };
  assign("10.77.0.1", "web-1", "node-1");
  assign("10.77.0.2", "web-2", "node-2");  // borrowed from node-1's block
  assign("10.77.0.66", "web-3", "node-2");
  assign("10.77.0.3", "gone", "node-1");  // leaked: no endpoint
  for (const auto& w : {wep("web-1", "node-1", "10.77.0.1"), wep("web-2", "node-2", "10.77.0.2"),
                        wep("web-3", "node-2", "10.77.0.66")}) {
    ASSERT_TRUE(store.create(w));
  }

  auto show = ctl({"ipam", "show", "--show-blocks"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  std::cout << "$ calicoctl ipam show --show-blocks\n" << show.out;
  EXPECT_EQ(show.out,
            "+----------+---------------+-----------+------------+-----------+\n"
            "| GROUPING |     CIDR      | IPS TOTAL | IPS IN USE | IPS FREE  |\n"
            "+----------+---------------+-----------+------------+-----------+\n"
            "| IP Pool  | 10.77.0.0/24  |       256 | 4 (2%)     | 252 (98%) |\n"
            "| Block    | 10.77.0.0/26  |        64 | 3 (5%)     | 61 (95%)  |\n"
            "| Block    | 10.77.0.64/26 |        64 | 1 (2%)     | 63 (98%)  |\n"
            "+----------+---------------+-----------+------------+-----------+\n");

  auto check = ctl({"ipam", "check", "--show-problem-ips"});
  ASSERT_EQ(check.exit_code, 0) << check.err;
  std::cout << "$ calicoctl ipam check --show-problem-ips\n" << check.out;
  EXPECT_NE(check.out.find("Found 2 IPAM blocks.\n"), std::string::npos) << check.out;
  EXPECT_NE(check.out.find("IPAM blocks record 4 allocations.\n"), std::string::npos);
  EXPECT_NE(check.out.find("  10.77.0.3 leaked; attrs Main:k8s-pod-network.gone "
                           "Extra:namespace=default,node=node-1,pod=gone\n"),
            std::string::npos);
  EXPECT_NE(check.out.find("Found 1 IPs that are allocated in IPAM but not actually in use.\n"),
            std::string::npos);
  EXPECT_NE(check.out.find("Check complete; found 1 problems.\n"), std::string::npos);

  const std::string report = dir.path() + "/report.json";
  auto reported = ctl({"ipam", "check", "-o", report});
  ASSERT_EQ(reported.exit_code, 0) << reported.err;
  std::ifstream rf(report);
  std::stringstream text;
  text << rf.rdbuf();
  auto j = api::Json::parse(text.str(), nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << text.str();
  EXPECT_EQ(j["clusterGUID"], "5e2b6c0f0a6d4d3c9d1e2f3a4b5c6d7e");
  EXPECT_EQ(j["datastoreLocked"], false);
  EXPECT_EQ(j["allocations"]["10.77.0.3"][0]["inUse"], false);
  EXPECT_EQ(j["allocations"]["10.77.0.3"][0]["handle"], "k8s-pod-network.gone");
  EXPECT_EQ(j["allocations"]["10.77.0.2"][0]["borrowed"], true);
  EXPECT_EQ(j["allocations"]["10.77.0.1"][0]["owners"][0],
            "Workload(default/node-1-k8s-web-1-eth0)");

  // The datastore is not locked: refused without --force.
  auto refused = ctl({"ipam", "release", "--from-report", report});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_EQ(refused.err,
            "data store is not locked. Either lock the data store, or re-run with --force\n");
  auto released = ctl({"ipam", "release", "--from-report=" + report, "--force"});
  ASSERT_EQ(released.exit_code, 0) << released.out << released.err;
  std::cout << "$ calicoctl ipam release --from-report=report.json --force\n" << released.out;
  EXPECT_EQ(released.out,
            "WARNING: Data store is not locked. Ignoring due to --force option\n"
            "Releasing 1 old IPs...\n"
            "Released 1 IPs successfully\n"
            "Report didn't contain any handles to clean up.\n"
            "You may now unlock the data store.\n");

  auto clean = ctl({"ipam", "check"});
  ASSERT_EQ(clean.exit_code, 0) << clean.err;
  std::cout << "$ calicoctl ipam check\n" << clean.out;
  EXPECT_NE(clean.out.find("IPAM blocks record 3 allocations.\n"), std::string::npos);
  EXPECT_NE(clean.out.find("Check complete; found 0 problems.\n"), std::string::npos);
  auto ip = ctl({"ipam", "show", "--ip=10.77.0.3"});
  EXPECT_EQ(ip.out, "10.77.0.3 is not assigned\n");
  auto used = ctl({"ipam", "show", "--ip", "10.77.0.1"});
  EXPECT_EQ(used.out,
            "IP 10.77.0.1 is in use\nHandle ID: k8s-pod-network.web-1\n"
            "Active Owner Attributes:\n  namespace: default\n  node: node-1\n  pod: web-1\n");

  // etcd gone: a one-line error and exit 1.
  etcd.stop();
  auto down = ctl({"ipam", "show"});
  EXPECT_EQ(down.exit_code, 1);
  EXPECT_EQ(down.out, "");
  EXPECT_NE(down.err.find("failed to list IP pools"), std::string::npos) << down.err;
}

}  // namespace
}  // namespace calico::calicoctl
