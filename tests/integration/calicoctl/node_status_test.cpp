// `calicoctl node status` exec'd against a real calico-bgp speaker: the speaker runs in
// namespace "a" of a veth pair the test creates, with an iBGP mesh peer (BIRD 2 in
// namespace "b", which establishes) and a global peer on a port where nothing listens
// (refused: stays Active).  The control socket lives in the speaker's work directory and
// is named through CALICO_BGP_CONTROL_SOCKET or --socket.  Then a socket nobody serves:
// "Calico process is not running.", unless a calico-node process exists (a symlinked
// `sleep`), which makes it an error about the socket.
#include <dirent.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/lib/bgp_peer.h"
#include "tests/lib/calico_bgp.h"
#include "tests/lib/process.h"

namespace calico::calicoctl {
namespace {

using namespace std::chrono_literals;

constexpr const char* kOurs = "10.99.0.1";
constexpr const char* kBird = "10.99.0.2";

testlib::ExecResult ctl(std::vector<std::string> args,
                        const std::map<std::string, std::string>& env) {
  args.insert(args.begin(), CALICOCTL_BINARY);
  return testlib::run_with_input(args, env, "", /*clear_env=*/true, 30s);
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string line;
  while (std::getline(in, line)) {
    out.push_back(line);
  }
  return out;
}

// The trimmed cells of a table row ("| a | b |" -> {"a", "b"}).
std::vector<std::string> cells(const std::string& row) {
  std::vector<std::string> out;
  std::size_t start = 1;
  for (std::size_t bar = row.find('|', start); bar != std::string::npos;
       bar = row.find('|', start)) {
    std::string c = row.substr(start, bar - start);
    c.erase(0, c.find_first_not_of(' '));
    c.erase(c.find_last_not_of(' ') + 1);
    out.push_back(c);
    start = bar + 1;
  }
  return out;
}

std::string local_hms(std::int64_t unix_seconds) {
  const auto t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[16];
  return std::string(buf, std::strftime(buf, sizeof(buf), "%H:%M:%S", &tm));
}

TEST(CalicoctlNodeStatus, ShowsEstablishedAndRefusedPeersFromTheSpeaker) {
  ASSERT_TRUE(testlib::is_root()) << "needs root (network namespaces, calicoctl node status)";
  auto link = testlib::BgpLink::create();
  ASSERT_TRUE(link) << link.error();

  testlib::BgpPeerConfig bird;
  bird.kind = testlib::PeerKind::Bird;
  bird.netns = (*link)->b().name();
  bird.router_id = kBird;
  bird.local_as = 64512;
  bird.local_v4 = kBird;
  bird.neighbors.push_back({.address = kOurs, .peer_as = 64512});
  bird.install_kernel_routes = false;
  auto peer = testlib::BgpPeer::start(bird);
  ASSERT_TRUE(peer) << peer.error();

  // Peer names as felix generates them (felix/bgp_config.cpp), which is what Calico's
  // `node status` keys the PEER TYPE on.
  const std::string config = std::string("asNumber: 64512\nrouterId: ") + kOurs +
                             "\nconnectRetryTime: 1\nkernel: {install: false}\n"
                             "peers:\n"
                             "  - peerIP: " +
                             kBird +
                             "\n    asNumber: 64512\n    name: Mesh_10_99_0_2\n"
                             "  - peerIP: \"" +
                             kBird +
                             ":1790\"\n    asNumber: 65010\n    connectRetryTime: 60\n"
                             "    name: Global_10_99_0_2_port_1790\n";
  auto ours = testlib::CalicoBgp::start((*link)->a().name(), config);
  ASSERT_TRUE(ours) << ours.error();
  ASSERT_TRUE((*ours)->wait_established(kBird, 30s)) << (*ours)->log_tail();
  // The refused peer: wait until its first connect has failed.
  nlohmann::json refused;
  ASSERT_TRUE(testlib::wait_until(
      [&] {
        auto st = (*ours)->query("status");
        if (!st) {
          return false;
        }
        for (const auto& p : (*st)["peers"]) {
          if (p.value("port", 0) == 1790) {
            refused = p;
          }
        }
        return refused.value("state", "") == "Active" && !refused.value("lastError", "").empty();
      },
      15s))
      << refused.dump() << "\n"
      << (*ours)->log_tail();
  const auto mesh = (*ours)->peer_status(kBird);
  ASSERT_TRUE(mesh.contains("sinceUnix")) << mesh.dump();

  const std::map<std::string, std::string> env = {
      {"CALICO_BGP_CONTROL_SOCKET", (*ours)->socket_path()}};
  const auto r = ctl({"node", "status"}, env);
  std::cout << "---- calicoctl node status ----\n" << r.out << "---- (stderr) ----\n" << r.err;
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.err, "");
  const auto lines = split_lines(r.out);
  ASSERT_GE(lines.size(), 13U) << r.out;
  EXPECT_EQ(lines[0], "Calico process is running.");
  EXPECT_EQ(lines[1], "");
  EXPECT_EQ(lines[2], "IPv4 BGP status");
  // Fixed widths but for INFO, which holds the refused peer's wrapped error.
  static const std::regex kBorder(R"(\+-{14}\+-{19}\+-{7}\+-{10}\+(-+)\+)");
  std::smatch m;
  ASSERT_TRUE(std::regex_match(lines[3], m, kBorder)) << r.out;
  const std::size_t info_width = m[1].length() - 2;
  const std::size_t gap = info_width - 4;
  EXPECT_EQ(lines[4], "| PEER ADDRESS |     PEER TYPE     | STATE |  SINCE   | " +
                          std::string(gap / 2, ' ') + "INFO" + std::string(gap - gap / 2, ' ') +
                          " |");
  EXPECT_EQ(lines[5], lines[3]);

  // Rows, in configuration order; the refused one may wrap onto continuation lines.
  std::size_t i = 6;
  const auto up = cells(lines[i++]);
  ASSERT_EQ(up.size(), 5U) << r.out;
  EXPECT_EQ(up[0], kBird);
  EXPECT_EQ(up[1], "node-to-node mesh");
  EXPECT_EQ(up[2], "up");
  EXPECT_EQ(up[3], local_hms(mesh["sinceUnix"].get<std::int64_t>()));
  EXPECT_EQ(up[4], "Established");
  const auto dead = cells(lines[i++]);
  ASSERT_EQ(dead.size(), 5U) << r.out;
  EXPECT_EQ(dead[0], kBird);
  EXPECT_EQ(dead[1], "global");
  EXPECT_EQ(dead[2], "start");
  EXPECT_TRUE(std::regex_match(dead[3], std::regex(R"(\d\d:\d\d:\d\d)"))) << dead[3];
  std::string info = dead[4];
  while (i < lines.size() && lines[i].rfind("|  ", 0) == 0) {
    info += " " + cells(lines[i++])[4];
  }
  EXPECT_TRUE(info.rfind("Active ", 0) == 0 || info.rfind("Connect", 0) == 0) << info;
  EXPECT_NE(info.find("refused"), std::string::npos) << info;
  ASSERT_LT(i, lines.size());
  EXPECT_EQ(lines[i++], lines[3]);
  const std::vector<std::string> tail(lines.begin() + static_cast<std::ptrdiff_t>(i), lines.end());
  EXPECT_EQ(tail, (std::vector<std::string>{"", "IPv6 BGP status", "No IPv6 peers found.", ""}));
  EXPECT_EQ(r.out.substr(r.out.size() - 2), "\n\n");

  // --socket names it too (and wins over the environment).
  const auto flag = ctl({"node", "status", "--socket", (*ours)->socket_path()},
                        {{"CALICO_BGP_CONTROL_SOCKET", "/nonexistent/bgp.sock"}});
  EXPECT_EQ(flag.exit_code, 0) << flag.out << flag.err;
  EXPECT_EQ(split_lines(flag.out).size(), lines.size()) << flag.out;
}

TEST(CalicoctlNodeStatus, NothingListeningMeansCalicoIsNotRunning) {
  ASSERT_TRUE(testlib::is_root()) << "needs root (calicoctl node status)";
  // calicoctl runs in a PID namespace of its own with its own /proc, so calico-node
  // processes of other tests (or of the host) are not seen.
  testlib::TempDir dir("calicoctl-node");
  const std::string socket = dir.path() + "/bgp.sock";
  const auto r = testlib::run_with_input(
      {"/usr/bin/unshare", "--pid", "--fork", "--mount-proc", CALICOCTL_BINARY, "node", "status"},
      {{"CALICO_BGP_CONTROL_SOCKET", socket}}, "",
      /*clear_env=*/true, 30s);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "Calico process is not running.\n");
}

TEST(CalicoctlNodeStatus, RunningCalicoNodeWithoutItsSocketIsAnError) {
  ASSERT_TRUE(testlib::is_root()) << "needs root (calicoctl node status)";
  // A process whose argv[0] is .../calico-node: `sleep` behind a symlink of that name.
  testlib::TempDir dir("calicoctl-node");
  const std::string fake = dir.path() + "/calico-node";
  ASSERT_EQ(::symlink("/bin/sleep", fake.c_str()), 0) << std::strerror(errno);
  testlib::ProcessSpec spec;
  spec.argv = {fake, "60"};
  auto proc = testlib::Process::start(spec);
  ASSERT_TRUE(proc) << proc.error();
  const std::string cmdline = "/proc/" + std::to_string((*proc)->pid()) + "/cmdline";
  ASSERT_TRUE(testlib::wait_until(
      [&] { return testlib::read_text_file(cmdline).rfind(fake + '\0', 0) == 0; }, 5s));

  const std::string socket = dir.path() + "/bgp.sock";
  const auto r = ctl({"node", "status"}, {{"CALICO_BGP_CONTROL_SOCKET", socket}});
  (*proc)->stop();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "Calico process is running.\n");
  EXPECT_NE(r.err.find(socket), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("No such file or directory"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace calico::calicoctl
