// `calicoctl node status`: the pure formatter (status document + now -> Calico's text),
// golden, in UTC; and the `node` argument handling that runs before any socket or uid check.
#include "calicoctl/commands/node_status.h"

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "calicoctl/commands/node_status_format.h"

namespace calico::calicoctl {
namespace {

using nlohmann::json;
using std::chrono::system_clock;

// 2024-05-10 12:00:00 UTC.
constexpr std::int64_t kNowUnix = 1715342400;

system_clock::time_point at(std::int64_t unix_seconds) {
  return system_clock::time_point(std::chrono::seconds(unix_seconds));
}

class NodeStatusFormatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tz = std::getenv("TZ");
    had_tz_ = tz != nullptr;
    if (had_tz_) {
      old_tz_ = tz;
    }
    ::setenv("TZ", "UTC", 1);
    ::tzset();
  }
  void TearDown() override {
    if (had_tz_) {
      ::setenv("TZ", old_tz_.c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
    ::tzset();
  }

 private:
  bool had_tz_ = false;
  std::string old_tz_;
};

json peer(const std::string& name, const std::string& address, const std::string& state,
          std::int64_t since_unix, const std::string& last_error = "") {
  return {{"name", name},
          {"address", address},
          {"port", 179},
          {"asNumber", 64512},
          {"type", "iBGP"},
          {"state", state},
          {"lastError", last_error},
          {"sinceUnix", since_unix},
          {"establishedTransitions", 1}};
}

TEST_F(NodeStatusFormatTest, GoldenMeshNodeGlobalAndIpv6Peers) {
  json status;
  status["asNumber"] = 64512;
  status["peers"] = json::array({
      // Established: a stale error from an earlier session is not shown (BIRD clears it).
      peer("Mesh_10_0_0_2", "10.0.0.2", "Established", kNowUnix - 3600, "hold timer expired"),
      // Long INFO: wraps at 30 characters like tablewriter.
      peer("Node_10_0_0_3", "10.0.0.3", "Active", kNowUnix - 30,
           "connect failed: Connection refused"),
      // Three days ago: a date.
      peer("Global_10_0_0_4_port_1790", "10.0.0.4", "Connect", kNowUnix - 3 * 86400),
      // No session: BIRD's "down".
      peer("Mesh_10_0_0_5", "10.0.0.5", "", kNowUnix - 600),
      // Names Calico does not generate: not shown.
      peer("tor1", "10.0.0.6", "Established", kNowUnix),
      peer("mesh_10_0_0_7", "10.0.0.7", "Established", kNowUnix),
      peer("Mesh_", "10.0.0.8", "Established", kNowUnix),
      // 19h59m ago is yesterday but still within BIRD's 20 hours: a time.
      peer("Mesh_fd00__2", "fd00::2", "Established", kNowUnix - (19 * 3600 + 59 * 60)),
      // Exactly 20 hours ago: a date.
      peer("Global_fd00__3", "fd00::3", "OpenSent", kNowUnix - 20 * 3600),
  });
  const std::string want =
      "Calico process is running.\n"
      "\n"
      "IPv4 BGP status\n"
      "+--------------+-------------------+-------+------------+------------------------+\n"
      "| PEER ADDRESS |     PEER TYPE     | STATE |   SINCE    |          INFO          |\n"
      "+--------------+-------------------+-------+------------+------------------------+\n"
      "| 10.0.0.2     | node-to-node mesh | up    | 11:00:00   | Established            |\n"
      "| 10.0.0.3     | node specific     | start | 11:59:30   | Active connect failed: |\n"
      "|              |                   |       |            | Connection refused     |\n"
      "| 10.0.0.4     | global            | start | 2024-05-07 | Connect                |\n"
      "| 10.0.0.5     | node-to-node mesh | down  | 11:50:00   | Idle                   |\n"
      "+--------------+-------------------+-------+------------+------------------------+\n"
      "\n"
      "IPv6 BGP status\n"
      "+--------------+-------------------+-------+------------+-------------+\n"
      "| PEER ADDRESS |     PEER TYPE     | STATE |   SINCE    |    INFO     |\n"
      "+--------------+-------------------+-------+------------+-------------+\n"
      "| fd00::2      | node-to-node mesh | up    | 16:01:00   | Established |\n"
      "| fd00::3      | global            | start | 2024-05-09 | OpenSent    |\n"
      "+--------------+-------------------+-------+------------+-------------+\n"
      "\n";
  EXPECT_EQ(format_node_status(status, at(kNowUnix)), want);
}

TEST_F(NodeStatusFormatTest, CalicoExampleLayout) {
  // The layout of Calico's documentation example, byte for byte.
  json status;
  const std::int64_t since = kNowUnix - 1800;  // 11:30:00
  status["peers"] = json::array({peer("Mesh_172_17_8_102", "172.17.8.102", "Established", since),
                                 peer("Global_172_17_8_103", "172.17.8.103", "Connect", since)});
  EXPECT_EQ(format_node_status(status, at(kNowUnix)),
            "Calico process is running.\n"
            "\n"
            "IPv4 BGP status\n"
            "+--------------+-------------------+-------+----------+-------------+\n"
            "| PEER ADDRESS |     PEER TYPE     | STATE |  SINCE   |    INFO     |\n"
            "+--------------+-------------------+-------+----------+-------------+\n"
            "| 172.17.8.102 | node-to-node mesh | up    | 11:30:00 | Established |\n"
            "| 172.17.8.103 | global            | start | 11:30:00 | Connect     |\n"
            "+--------------+-------------------+-------+----------+-------------+\n"
            "\n"
            "IPv6 BGP status\n"
            "No IPv6 peers found.\n"
            "\n");
}

TEST_F(NodeStatusFormatTest, NoPeers) {
  const std::string want =
      "Calico process is running.\n"
      "\n"
      "IPv4 BGP status\n"
      "No IPv4 peers found.\n"
      "\n"
      "IPv6 BGP status\n"
      "No IPv6 peers found.\n"
      "\n";
  EXPECT_EQ(format_node_status(json{{"peers", json::array()}}, at(kNowUnix)), want);
  // A speaker without peers, or a document without the field at all.
  EXPECT_EQ(format_node_status(json::object(), at(kNowUnix)), want);
  // Only peers Calico would not show.
  json only_unknown{{"peers", json::array({peer("tor1", "10.0.0.1", "Established", kNowUnix),
                                           json("not an object")})}};
  EXPECT_EQ(format_node_status(only_unknown, at(kNowUnix)), want);
}

TEST_F(NodeStatusFormatTest, AddressFromNameWhenMissing) {
  json v4{{"name", "Node_10_1_2_3_port_1790"}, {"state", "Idle"}};
  json v6{{"name", "Mesh_fd80_24e2_f998_72d7__2"}, {"state", "Established"}};
  const auto peers = node_status_peers(json{{"peers", json::array({v4, v6})}}, at(kNowUnix));
  ASSERT_EQ(peers.size(), 2U);
  EXPECT_EQ(peers[0].address, "10.1.2.3");
  EXPECT_FALSE(peers[0].ipv6);
  EXPECT_EQ(peers[0].type, "node specific");
  EXPECT_EQ(peers[0].state, "start");
  EXPECT_EQ(peers[0].since, "");  // no sinceUnix (an older speaker)
  EXPECT_EQ(peers[0].info, "Idle");
  EXPECT_EQ(peers[1].address, "fd80:24e2:f998:72d7::2");
  EXPECT_TRUE(peers[1].ipv6);
  EXPECT_EQ(peers[1].state, "up");
}

TEST_F(NodeStatusFormatTest, SinceFollowsBirdTwentyHourRule) {
  EXPECT_EQ(format_bird_since(at(kNowUnix), at(kNowUnix)), "12:00:00");
  EXPECT_EQ(format_bird_since(at(kNowUnix - 12 * 3600 - 1), at(kNowUnix)), "23:59:59");
  EXPECT_EQ(format_bird_since(at(kNowUnix - 20 * 3600 + 1), at(kNowUnix)), "16:00:01");
  EXPECT_EQ(format_bird_since(at(kNowUnix - 20 * 3600), at(kNowUnix)), "2024-05-09");
  EXPECT_EQ(format_bird_since(at(kNowUnix - 400 * 86400), at(kNowUnix)), "2023-04-06");
  // A wall-clock step backwards leaves `since` in the future: still recent.
  EXPECT_EQ(format_bird_since(at(kNowUnix + 5), at(kNowUnix)), "12:00:05");
}

struct Run {
  int code = -1;
  std::string out;
  std::string err;
};

Run node(const std::vector<std::string>& args) {
  std::ostringstream out;
  std::ostringstream err;
  Run r;
  r.code = run_node(args, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

std::size_t lines(const std::string& s) {
  return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

TEST(NodeCommandTest, HelpAndUsage) {
  for (const char* flag : {"-h", "--help"}) {
    const auto help = node({flag});
    EXPECT_EQ(help.code, 0);
    EXPECT_NE(help.out.find("calicoctl node <command>"), std::string::npos) << help.out;
    EXPECT_NE(help.out.find("status"), std::string::npos);
    EXPECT_EQ(help.err, "");
  }
  const auto bare = node({});
  EXPECT_EQ(bare.code, 1);
  EXPECT_EQ(bare.out, "");
  EXPECT_NE(bare.err.find("Usage:"), std::string::npos);

  const auto status_help = node({"status", "--help"});
  EXPECT_EQ(status_help.code, 0);
  EXPECT_NE(status_help.out.find("calicoctl node status [--socket=<path>]"), std::string::npos);
  EXPECT_NE(status_help.out.find("CALICO_BGP_CONTROL_SOCKET"), std::string::npos);
  EXPECT_NE(status_help.out.find("/var/run/calico/bgp.sock"), std::string::npos);
}

TEST(NodeCommandTest, UnknownAndUnsupportedCommandsFailWithOneLine) {
  const auto unknown = node({"frobnicate"});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_EQ(unknown.out, "");
  EXPECT_EQ(lines(unknown.err), 1U) << unknown.err;
  EXPECT_NE(unknown.err.find("frobnicate"), std::string::npos);
  for (const char* sub : {"run", "diags", "checksystem"}) {
    const auto r = node({sub, "--log-dir", "/tmp"});
    EXPECT_EQ(r.code, 1) << sub;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(lines(r.err), 1U) << r.err;
    EXPECT_NE(r.err.find(std::string("calicoctl node ") + sub + " is not supported"),
              std::string::npos)
        << r.err;
  }
  const auto bad_flag = node({"status", "--bogus"});
  EXPECT_EQ(bad_flag.code, 1);
  EXPECT_EQ(lines(bad_flag.err), 1U) << bad_flag.err;
  EXPECT_NE(bad_flag.err.find("--bogus"), std::string::npos);
}

}  // namespace
}  // namespace calico::calicoctl
