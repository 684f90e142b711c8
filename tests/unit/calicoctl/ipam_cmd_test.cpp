// `calicoctl ipam show|check|release|configure|split` over the in-memory datastore, with
// a state built by the real ipam::Allocator: two pools (listed by name, as Calico lists
// them), blocks of node-1 and node-2, an address node-3 borrowed from node-1's block, an
// IPReservation the allocator skips, workload endpoints for every allocation.  Layouts are
// compared whole (golden text); check counters before and after an injected leak and an
// orphaned handle; the JSON report and release --from-report; configure; split; errors.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "api/codec.h"
#include "api/document.h"
#include "calicoctl/commands/cli.h"
#include "calicoctl/commands/ipam.h"
#include "datastore/memory_store.h"
#include "ipam/allocator.h"

namespace calico::calicoctl {
namespace {

// A report file removed at the end of the test.
struct TempFile {
  std::string path = (std::filesystem::temp_directory_path() /
                      ("ipam-report-" + std::to_string(::getpid()) + "-" +
                       std::to_string(reinterpret_cast<std::uintptr_t>(this)) + ".json"))
                         .string();
  ~TempFile() { std::filesystem::remove(path); }
};

struct CliRun {
  int code = -1;
  std::string out;
  std::string err;
};

class IpamCmdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    put("kind: IPPool\nmetadata: {name: b-pool}\nspec: {cidr: 10.10.0.0/24, blockSize: 26}\n");
    put("kind: IPPool\nmetadata: {name: a-pool}\nspec: {cidr: 10.20.0.0/16, blockSize: 26}\n");
    put("kind: IPReservation\nmetadata: {name: infra}\nspec: {reservedCIDRs: [10.10.0.64/32]}\n");
    for (const char* n : {"node-1", "node-2", "node-3"}) {
      put(std::string("kind: Node\nmetadata: {name: ") + n + "}\nspec: {}\n");
    }
    assign("10.10.0.1", "web-1", "node-1");
    assign("10.10.0.70", "web-2", "node-2");
    assign("10.10.0.2", "web-3", "node-3");  // borrowed from node-1's block
    ipam::AutoAssignRequest req;
    req.num4 = 1;
    req.handle_id = "k8s-pod-network.web-4";
    req.attrs = attrs("web-4", "node-2");
    req.host = "node-2";
    auto r = alloc_.auto_assign(req);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->ipv4.size(), 1U);
    EXPECT_EQ(r->ipv4[0].ip.to_string(), "10.10.0.65");  // .64 is reserved
    wep("web-4", "node-2", "10.10.0.65");
  }

  void put(const std::string& yaml) {
    auto docs = api::decode_yaml("apiVersion: projectcalico.org/v3\n" + yaml, "test");
    ASSERT_TRUE(docs) << docs.error().to_string_all();
    for (auto& d : *docs) {
      api::apply_defaults(d);
      auto c = store_.create(d);
      ASSERT_TRUE(c) << c.error().to_string();
    }
  }

  static ipam::Attrs attrs(const std::string& pod, const std::string& node) {
    return {{"node", node},
            {"pod", pod},
            {"namespace", "default"},
            {"timestamp", "2025-01-02 03:04:05.000000006 +0000 UTC"}};
  }

  void wep(const std::string& pod, const std::string& node, const std::string& ip) {
    put("kind: WorkloadEndpoint\nmetadata:\n  name: " + node + "-k8s-" + pod +
        "-eth0\n  namespace: default\n  labels: {projectcalico.org/namespace: default,"
        " projectcalico.org/orchestrator: k8s}\nspec:\n  orchestrator: k8s\n  node: " +
        node + "\n  pod: " + pod + "\n  endpoint: eth0\n  interfaceName: cali" + pod +
        "\n  ipNetworks: [" + ip + "/32]\n");
  }

  void assign(const std::string& ip, const std::string& pod, const std::string& node) {
    ipam::AssignIpRequest req;
    req.ip = *net::IpAddr::parse(ip);
    req.handle_id = "k8s-pod-network." + pod;
    req.attrs = attrs(pod, node);
    req.host = node;
    auto r = alloc_.assign_ip(req);
    ASSERT_TRUE(r) << r.error().message;
    wep(pod, node, ip);
  }

  CliRun ctl(std::vector<std::string> args) {
    args.insert(args.begin(), "ipam");
    CliRun r;
    auto cmd = parse_args(args);
    if (!cmd) {
      r.err = cmd.error();
      return r;
    }
    std::istringstream in;
    std::ostringstream out;
    std::ostringstream err;
    r.code = run(*cmd, needs_datastore(*cmd) ? &store_ : nullptr, in, out, err);
    r.out = out.str();
    r.err = err.str();
    return r;
  }

  void set_cluster_info(const std::string& guid, bool ready) {
    api::ClusterInformation ci;
    ci.metadata.name = "default";
    ci.spec.cluster_guid = guid;
    ci.spec.cluster_type = "k8s,bgp";
    ci.spec.datastore_ready = ready;
    auto cur = store_.get(datastore::Key{api::Kind::ClusterInformation, "", "default"});
    if (cur) {
      ci.metadata.resource_version = cur->revision;
      ASSERT_TRUE(store_.update(ci));
    } else {
      ASSERT_TRUE(store_.create(ci));
    }
  }

  datastore::MemoryStore store_;
  ipam::Allocator alloc_{store_};
};

TEST_F(IpamCmdTest, ShowPoolsInNameOrder) {
  auto r = ctl({"show"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "+----------+--------------+-----------+------------+--------------+\n"
            "| GROUPING |     CIDR     | IPS TOTAL | IPS IN USE |   IPS FREE   |\n"
            "+----------+--------------+-----------+------------+--------------+\n"
            "| IP Pool  | 10.20.0.0/16 |     65536 | 0 (0%)     | 65536 (100%) |\n"
            "| IP Pool  | 10.10.0.0/24 |       256 | 4 (2%)     | 252 (98%)    |\n"
            "+----------+--------------+-----------+------------+--------------+\n");
  EXPECT_EQ(r.err, "");
}

TEST_F(IpamCmdTest, ShowBlocks) {
  auto r = ctl({"show", "--show-blocks"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "+----------+---------------+-----------+------------+--------------+\n"
            "| GROUPING |     CIDR      | IPS TOTAL | IPS IN USE |   IPS FREE   |\n"
            "+----------+---------------+-----------+------------+--------------+\n"
            "| IP Pool  | 10.20.0.0/16  |     65536 | 0 (0%)     | 65536 (100%) |\n"
            "| IP Pool  | 10.10.0.0/24  |       256 | 4 (2%)     | 252 (98%)    |\n"
            "| Block    | 10.10.0.0/26  |        64 | 2 (3%)     | 62 (97%)     |\n"
            "| Block    | 10.10.0.64/26 |        64 | 2 (3%)     | 62 (97%)     |\n"
            "+----------+---------------+-----------+------------+--------------+\n");
}

TEST_F(IpamCmdTest, ShowBlocksOutsideEveryPoolAndLargePools) {
  // A /12 pool prints %.5g; deleting b-pool leaves its blocks listed without a pool row.
  put("kind: IPPool\nmetadata: {name: c-pool}\nspec: {cidr: 10.32.0.0/12, blockSize: 26}\n");
  ASSERT_TRUE(store_.remove(datastore::Key{api::Kind::IPPool, "", "b-pool"}));
  auto r = ctl({"show", "--show-blocks"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "+----------+---------------+------------+------------+-------------------+\n"
            "| GROUPING |     CIDR      | IPS TOTAL  | IPS IN USE |     IPS FREE      |\n"
            "+----------+---------------+------------+------------+-------------------+\n"
            "| IP Pool  | 10.20.0.0/16  |      65536 | 0 (0%)     | 65536 (100%)      |\n"
            "| IP Pool  | 10.32.0.0/12  | 1.0486e+06 | 0 (0%)     | 1.0486e+06 (100%) |\n"
            "| Block    | 10.10.0.0/26  |         64 | 2 (3%)     | 62 (97%)          |\n"
            "| Block    | 10.10.0.64/26 |         64 | 2 (3%)     | 62 (97%)          |\n"
            "+----------+---------------+------------+------------+-------------------+\n");
}

TEST_F(IpamCmdTest, ShowIp) {
  auto used = ctl({"show", "--ip=10.10.0.2"});
  ASSERT_EQ(used.code, 0) << used.err;
  EXPECT_EQ(used.out,
            "IP 10.10.0.2 is in use\n"
            "Handle ID: k8s-pod-network.web-3\n"
            "Active Owner Attributes:\n"
            "  namespace: default\n"
            "  node: node-3\n"
            "  pod: web-3\n"
            "  timestamp: 2025-01-02 03:04:05.000000006 +0000 UTC\n");
  auto reserved = ctl({"show", "--ip", "10.10.0.64"});  // reserved, never allocated
  EXPECT_EQ(reserved.code, 0);
  EXPECT_EQ(reserved.out, "10.10.0.64 is not assigned\n");
  auto no_block = ctl({"show", "--ip=192.168.9.9"});
  EXPECT_EQ(no_block.out, "192.168.9.9 is not assigned\n");
  auto bad = ctl({"show", "--ip=10.10.0.300"});
  EXPECT_EQ(bad.code, 1);
  EXPECT_EQ(bad.out, "");
  EXPECT_EQ(bad.err, "calicoctl ipam show: invalid IP address specified: \"10.10.0.300\"\n");
}

TEST_F(IpamCmdTest, ShowBorrowed) {
  auto r = ctl({"show", "--show-borrowed"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "+-----------+----------------+--------------+-------------+------+---------------+\n"
            "|    IP     | BORROWING-NODE |    BLOCK     | BLOCK OWNER | TYPE | ALLOCATED-TO  |\n"
            "+-----------+----------------+--------------+-------------+------+---------------+\n"
            "| 10.10.0.2 | node-3         | 10.10.0.0/26 | node-1      | pod  | default/web-3 |\n"
            "+-----------+----------------+--------------+-------------+------+---------------+\n");
}

TEST_F(IpamCmdTest, ConfigureRoundTrip) {
  const std::string defaults =
      "+--------------------+-------+\n"
      "|      PROPERTY      | VALUE |\n"
      "+--------------------+-------+\n"
      "| StrictAffinity     | false |\n"
      "| AutoAllocateBlocks | true  |\n"
      "| MaxBlocksPerHost   |     0 |\n"
      "+--------------------+-------+\n";
  EXPECT_EQ(ctl({"show", "--show-configuration"}).out, defaults);
  auto set = ctl({"configure", "--strictaffinity=true"});
  ASSERT_EQ(set.code, 0) << set.err;
  EXPECT_EQ(set.out, "Successfully set StrictAffinity to: true\n");
  auto max = ctl({"configure", "--max-blocks-per-host", "4"});
  ASSERT_EQ(max.code, 0) << max.err;
  EXPECT_EQ(max.out, "Successfully set MaxBlocksPerHost to: 4\n");
  EXPECT_EQ(ctl({"show", "--show-configuration"}).out,
            "+--------------------+-------+\n"
            "|      PROPERTY      | VALUE |\n"
            "+--------------------+-------+\n"
            "| StrictAffinity     | true  |\n"
            "| AutoAllocateBlocks | true  |\n"
            "| MaxBlocksPerHost   |     4 |\n"
            "+--------------------+-------+\n");
  auto stored = store_.get(datastore::Key{api::Kind::IPAMConfiguration, "", "default"});
  ASSERT_TRUE(stored);
  EXPECT_TRUE(std::get<api::IPAMConfiguration>(stored->value).spec.strict_affinity);
  // Calico's rule: a block cap needs strict affinity; nothing is written.
  auto refused = ctl({"configure", "--strictaffinity=false"});
  EXPECT_EQ(refused.code, 1);
  EXPECT_EQ(refused.err, "error: MaxBlocksPerHost requires StrictAffinity to be enabled\n");
  auto both = ctl({"configure", "--strictaffinity=F", "--max-blocks-per-host=0"});
  ASSERT_EQ(both.code, 0) << both.err;
  EXPECT_EQ(both.out,
            "Successfully set StrictAffinity to: false\nSuccessfully set MaxBlocksPerHost to: 0\n");
  EXPECT_EQ(ctl({"show", "--show-configuration"}).out, defaults);
  // Usage errors never reach the datastore.
  EXPECT_FALSE(ipam_needs_datastore({"configure", "--strictaffinity=maybe"}));
  auto bad = ctl({"configure", "--strictaffinity=maybe"});
  EXPECT_EQ(bad.code, 1);
  EXPECT_EQ(bad.err,
            "calicoctl ipam configure: invalid value. Use true or false to set strictaffinity\n");
  EXPECT_EQ(ctl({"configure", "--max-blocks-per-host=x"}).code, 1);
  EXPECT_EQ(ctl({"configure"}).err,
            "calicoctl ipam configure: at least one configuration option must be specified\n");
}

TEST_F(IpamCmdTest, CheckCleanState) {
  auto r = ctl({"check"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "Checking IPAM for inconsistencies...\n"
            "\n"
            "Loading all IPAM blocks...\n"
            "Found 2 IPAM blocks.\n"
            " IPAM block 10.10.0.0/26 affinity=host:node-1:\n"
            " IPAM block 10.10.0.64/26 affinity=host:node-2:\n"
            "IPAM blocks record 4 allocations.\n"
            "\n"
            "Loading all IPAM pools...\n"
            "  10.20.0.0/16\n"
            "  10.10.0.0/24\n"
            "Found 2 active IP pools.\n"
            "\n"
            "Loading all nodes.\n"
            "Found 0 node tunnel IPs.\n"
            "\n"
            "Loading all service load balancer IPs.\n"
            "No configuration for LoadBalancer kubecontroller found, skipping service check\n"
            "\n"
            "Loading all workload endpoints.\n"
            "Found 4 workload IPs.\n"
            "Workloads and nodes are using 4 IPs.\n"
            "\n"
            "Loading all handles\n"
            "Looking for top (up to 20) nodes by allocations...\n"
            "  node-2 has 2 allocations\n"
            "  node-1 has 1 allocations\n"
            "  node-3 has 1 allocations\n"
            "Node with most allocations has 2; median is 1\n"
            "\n"
            "Scanning for IPs that are allocated but not actually in use...\n"
            "Found 0 IPs that are allocated in IPAM but not actually in use.\n"
            "Scanning for IPs that are in use by a workload or node but not allocated in "
            "IPAM...\n"
            "Found 0 in-use IPs that are not in active IP pools.\n"
            "Found 0 in-use IPs that are in active IP pools but have no corresponding IPAM "
            "allocation.\n"
            "\n"
            "Scanning for IPAM handles with no matching IPs...\n"
            "Found 0 handles with no matching IPs (and 4 handles with matches).\n"
            "Scanning for IPs with missing handle...\n"
            "Found 0 handles mentioned in blocks with no matching handle resource.\n"
            "Check complete; found 0 problems.\n");
}

TEST_F(IpamCmdTest, CheckFindsLeakOrphanedHandleAndUnallocatedIp) {
  ipam::AssignIpRequest req;
  req.ip = *net::IpAddr::parse("10.10.0.9");
  req.handle_id = "k8s-pod-network.leaked";
  req.attrs = attrs("leaked", "node-1");
  req.host = "node-1";
  ASSERT_TRUE(alloc_.assign_ip(req));  // no endpoint uses it
  put("kind: IPAMHandle\nmetadata: {name: orphan}\nspec: {handleID: orphan, block: {}}\n");
  wep("stray", "node-2", "10.10.0.100");   // in a pool, never allocated
  wep("outside", "node-2", "172.16.0.1");  // in no pool
  auto r = ctl({"check", "--show-problem-ips"});
  ASSERT_EQ(r.code, 0) << r.err;  // problems found is not a failure (as Calico)
  for (const char* line :
       {"IPAM blocks record 5 allocations.\n",
        "Found 6 workload IPs.\nWorkloads and nodes are using 6 IPs.\n",
        "  10.10.0.9 leaked; attrs Main:k8s-pod-network.leaked Extra:namespace=default,"
        "node=node-1,pod=leaked,timestamp=2025-01-02 03:04:05.000000006 +0000 UTC\n",
        "Found 1 IPs that are allocated in IPAM but not actually in use.\n",
        "  10.10.0.100 in use by Workload(default/node-2-k8s-stray-eth0) and in active IPAM "
        "pool but has no IPAM allocation.\n",
        "  172.16.0.1 in use by Workload(default/node-2-k8s-outside-eth0) is not in any "
        "active IP pool.\n",
        "Found 1 in-use IPs that are not in active IP pools.\n",
        "Found 1 in-use IPs that are in active IP pools but have no corresponding IPAM "
        "allocation.\n",
        "Found 1 handles with no matching IPs (and 5 handles with matches).\n",
        "Check complete; found 4 problems.\n"}) {
    EXPECT_NE(r.out.find(line), std::string::npos) << line << "\n---\n" << r.out;
  }
  // Without --show-problem-ips the addresses are not listed.
  auto quiet = ctl({"check"});
  EXPECT_EQ(quiet.out.find("leaked; attrs"), std::string::npos);
  EXPECT_NE(quiet.out.find("Check complete; found 4 problems.\n"), std::string::npos);
}

TEST_F(IpamCmdTest, CheckReportsStructuralProblemsFromIpamCheck) {
  // A block affine to a node with no BlockAffinity object (Calico's check does not look).
  auto aff = store_.list({.kind = api::Kind::BlockAffinity, .ns = "", .name_prefix = ""});
  ASSERT_TRUE(aff);
  ASSERT_FALSE(aff->items.empty());
  ASSERT_TRUE(store_.remove(aff->items.front().key));
  auto r = ctl({"check"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("Scanning for inconsistent blocks, handles and affinities...\n"
                       "  block without affinity: block 10.10.0.0/26 is affine to node-1 but "
                       "has no BlockAffinity\n"
                       "Found 1 inconsistent blocks, handles or affinities.\n"
                       "Check complete; found 1 problems.\n"),
            std::string::npos)
      << r.out;
}

TEST_F(IpamCmdTest, ReportThenReleaseFromReport) {
  set_cluster_info("guid-1", /*ready=*/false);  // locked
  ipam::AssignIpRequest req;
  req.ip = *net::IpAddr::parse("10.10.0.9");
  req.handle_id = "k8s-pod-network.leaked";
  req.attrs = attrs("leaked", "node-1");
  req.host = "node-1";
  ASSERT_TRUE(alloc_.assign_ip(req));
  put("kind: IPAMHandle\nmetadata: {name: orphan}\nspec: {handleID: orphan, block: {}}\n");
  TempFile tmp;
  const std::string& file = tmp.path;
  auto c = ctl({"check", "-o", file});
  ASSERT_EQ(c.code, 0) << c.err;
  std::ifstream f(file);
  std::stringstream text;
  text << f.rdbuf();
  auto j = api::Json::parse(text.str());
  EXPECT_EQ(j["version"], "v3.32.1-calico-cpp");
  EXPECT_EQ(j["clusterGUID"], "guid-1");
  EXPECT_EQ(j["datastoreLocked"], true);
  EXPECT_EQ(j["clusterType"], "k8s,bgp");
  const auto& leak = j["allocations"]["10.10.0.9"][0];
  EXPECT_EQ(leak["inUse"], false);
  EXPECT_EQ(leak["owners"], nullptr);
  EXPECT_EQ(leak["node"], "node-1");
  EXPECT_EQ(leak["creationTimestamp"], "2025-01-02 03:04:05.000000006 +0000 UTC");
  EXPECT_TRUE(leak["sequenceNumber"].is_number_unsigned());
  EXPECT_FALSE(leak.contains("borrowed"));
  EXPECT_EQ(j["allocations"]["10.10.0.2"][0]["borrowed"], true);
  EXPECT_EQ(j["allocations"]["10.10.0.2"][0]["inUse"], true);
  ASSERT_EQ(j["leakedHandles"].size(), 1U);
  EXPECT_EQ(j["leakedHandles"][0]["ID"], "orphan");
  // The object's uid as the store set it (null when a backend has none, as etcd in Calico).
  auto orphan = store_.get(datastore::Key{api::Kind::IPAMHandle, "", "orphan"});
  ASSERT_TRUE(orphan);
  EXPECT_EQ(j["leakedHandles"][0]["UID"], api::meta_of(orphan->value).uid);
  EXPECT_EQ(j["leakedHandles"][0]["Revision"], orphan->revision);

  auto r = ctl({"release", "--from-report", file});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "Releasing 1 old IPs...\n"
            "Released 1 IPs successfully\n"
            "Deleting 1 handles...\n"
            "Key: '.' = Deleted OK; 'x' = skip, handle missing/changed.\n"
            ".\n"
            "Released 1 handles; 0 skipped; 0 errors.\n"
            "You may now unlock the data store.\n");
  EXPECT_NE(ctl({"check"}).out.find("Check complete; found 0 problems.\n"), std::string::npos);
  EXPECT_EQ(ctl({"show", "--ip=10.10.0.9"}).out, "10.10.0.9 is not assigned\n");

  // Another cluster's report is refused, even with --force.
  set_cluster_info("guid-2", false);
  auto other = ctl({"release", "--from-report=" + file, "--force"});
  EXPECT_EQ(other.code, 1);
  EXPECT_EQ(other.err, "cluster does not match the provided report (" + file +
                           "): mismatched cluster GUID. Refusing to release\n");
}

TEST_F(IpamCmdTest, ReleaseFromReportNeedsLockAndFreshReport) {
  set_cluster_info("guid-1", /*ready=*/true);
  TempFile tmp;
  const std::string& file = tmp.path;
  ASSERT_EQ(ctl({"check", "--output=" + file}).code, 0);
  auto r = ctl({"release", "--from-report", file});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err,
            "data store is not locked. Either lock the data store, or re-run with --force\n");
  set_cluster_info("guid-1", /*ready=*/false);  // a new revision: the report is stale
  auto stale = ctl({"release", "--from-report", file, "--force"});
  EXPECT_EQ(stale.code, 1);
  EXPECT_NE(stale.err.find("the provided reports are all stale"), std::string::npos);
}

TEST_F(IpamCmdTest, ReleaseIpThenShow) {
  auto r = ctl({"release", "--ip=10.10.0.1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "Successfully released IP address 10.10.0.1\n");
  auto again = ctl({"release", "--ip", "10.10.0.1"});
  EXPECT_EQ(again.code, 1);
  EXPECT_EQ(again.err, "IP address 10.10.0.1 is not assigned\n");
  EXPECT_EQ(ctl({"show", "--ip=10.10.0.1"}).out, "10.10.0.1 is not assigned\n");
  auto show = ctl({"show"});
  EXPECT_NE(show.out.find("| IP Pool  | 10.10.0.0/24 |       256 | 3 (1%)     | 253 (99%)    |"),
            std::string::npos)
      << show.out;
}

TEST_F(IpamCmdTest, SplitPool) {
  auto unlocked = ctl({"split", "4", "--name=a-pool"});
  EXPECT_EQ(unlocked.code, 1);
  EXPECT_NE(unlocked.err.find("datastore is not locked"), std::string::npos);
  set_cluster_info("guid-1", /*ready=*/false);
  auto r = ctl({"split", "--cidr", "10.20.0.0/16", "4"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "IP Pool a-pool was successfully split into 4 smaller pools.\n"
            "Created split-a-pool-0 with CIDR 10.20.0.0/18.\n"
            "Created split-a-pool-1 with CIDR 10.20.64.0/18.\n"
            "Created split-a-pool-2 with CIDR 10.20.128.0/18.\n"
            "Created split-a-pool-3 with CIDR 10.20.192.0/18.\n"
            "Please refer to the documentation for final steps.\n");
  EXPECT_FALSE(store_.get(datastore::Key{api::Kind::IPPool, "", "a-pool"}));
  auto p3 = store_.get(datastore::Key{api::Kind::IPPool, "", "split-a-pool-3"});
  ASSERT_TRUE(p3);
  EXPECT_EQ(std::get<api::IPPool>(p3->value).spec.block_size, 26);
  EXPECT_FALSE(std::get<api::IPPool>(p3->value).spec.disabled);
  // Parts smaller than the block size: refused before anything is written.
  auto small = ctl({"split", "8", "--name=b-pool"});
  EXPECT_EQ(small.code, 1);
  EXPECT_EQ(small.err,
            "error splitting the CIDR 10.10.0.0/24 into 8 CIDRs: the parts (/27) would be "
            "smaller than the pool's blockSize 26\n");
  auto b = store_.get(datastore::Key{api::Kind::IPPool, "", "b-pool"});
  ASSERT_TRUE(b);
  EXPECT_FALSE(std::get<api::IPPool>(b->value).spec.disabled);
  EXPECT_EQ(ctl({"split", "3", "--name=b-pool"}).err,
            "calicoctl ipam split: number to split CIDR into is not a valid power of 2: 3\n");
  EXPECT_EQ(ctl({"split", "2"}).code, 1);
}

TEST_F(IpamCmdTest, UsageAndWordErrors) {
  EXPECT_FALSE(ipam_needs_datastore({}));
  EXPECT_FALSE(ipam_needs_datastore({"show", "--help"}));
  EXPECT_FALSE(ipam_needs_datastore({"show", "--bogus"}));
  EXPECT_TRUE(ipam_needs_datastore({"show"}));
  auto top = ctl({});
  EXPECT_EQ(top.code, 0);
  EXPECT_NE(top.out.find("calicoctl ipam <command>"), std::string::npos);
  auto help = ctl({"check", "-h"});
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("--show-problem-ips"), std::string::npos);
  auto unknown = ctl({"frob"});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_EQ(unknown.err,
            "calicoctl ipam: unknown command \"frob\" (one of check, configure, release, show, "
            "split; see 'calicoctl ipam --help')\n");
  auto flag = ctl({"show", "--bogus"});
  EXPECT_EQ(flag.code, 1);
  EXPECT_EQ(flag.err,
            "calicoctl ipam show: unknown flag \"--bogus\" (see 'calicoctl ipam show --help')\n");
  EXPECT_EQ(ctl({"show", "--ip"}).err, "calicoctl ipam show: flag --ip needs a value\n");
  EXPECT_EQ(ctl({"show", "--show-blocks=yes"}).err,
            "calicoctl ipam show: flag --show-blocks takes no value\n");
  EXPECT_EQ(ctl({"show", "--show-blocks", "--show-borrowed"}).code, 1);
  EXPECT_EQ(ctl({"show", "extra"}).err, "calicoctl ipam show: unexpected argument \"extra\"\n");
  EXPECT_EQ(ctl({"release"}).err,
            "calicoctl ipam release: give either --ip=ADDR or --from-report=FILE\n");
  EXPECT_EQ(ctl({"check", "-o"}).err, "calicoctl ipam check: flag --output needs a value\n");
}

TEST_F(IpamCmdTest, DatastoreErrorsAreOneLine) {
  store_.fail_next_writes(1);
  auto r = ctl({"configure", "--strictaffinity=true"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(store_.get(datastore::Key{api::Kind::IPAMConfiguration, "", "default"}));
}

}  // namespace
}  // namespace calico::calicoctl
