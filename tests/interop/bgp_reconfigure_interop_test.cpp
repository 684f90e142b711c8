// Interop: live reconfiguration of our calico-bgp daemon (SIGHUP re-reads --config).
//
//   BIRD (AS 65002, ns b) -- ours (AS 65001, ns a) -- GoBGP (AS 65003, ns c)
//
// Ours starts with BIRD only.  A reload adds GoBGP (TCP MD5, our side passive: GoBGP's
// connection needs the key that the reload installs on our listening socket): the BIRD
// session must not reset (BIRD's "since" and our OPEN counter and established
// transitions unchanged) and GoBGP gets our block and BIRD's.  A second reload removes
// BIRD: it hears Cease/Peer De-configured and its routes leave our kernel and GoBGP.  A
// reload that changes the AS is refused and changes nothing.
#include <algorithm>
#include <cctype>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/lib/bgp_peer.h"
#include "tests/lib/calico_bgp.h"
#include "tests/lib/netns.h"
#include "tests/lib/process.h"

namespace calico::testlib {
namespace {

using nlohmann::json;

constexpr const char* kOursToBird = "10.97.1.1";
constexpr const char* kBird = "10.97.1.2";
constexpr const char* kOursToGobgp = "10.97.2.1";
constexpr const char* kGobgp = "10.97.2.2";
constexpr const char* kOurBlock = "10.221.0.0/26";
constexpr const char* kBirdBlock = "10.222.0.0/26";
constexpr const char* kGobgpBlock = "10.223.0.0/26";
constexpr const char* kPassword = "reload-Pw1";

std::string our_config(bool with_bird, bool with_gobgp, std::uint32_t asn = 65001) {
  std::string y = "asNumber: " + std::to_string(asn) + "\nrouterId: " + kOursToBird +
                  "\nconnectRetryTime: 1\noriginate: [" + kOurBlock + "]\npeers:";
  if (!with_bird && !with_gobgp) {
    return y + " []\n";
  }
  y += "\n";
  if (with_bird) {
    y += std::string("  - peerIP: ") + kBird + "\n    asNumber: 65002\n";
  }
  if (with_gobgp) {
    y += std::string("  - peerIP: ") + kGobgp + "\n    asNumber: 65003\n    passive: true\n" +
         "    password: \"" + kPassword + "\"\n    name: gobgp\n";
  }
  return y;
}

// Our kernel has `dst` (proto 201) via `gw`.
bool kernel_has(const NetNs& ns, const std::string& dst, const std::string& gw) {
  auto r = run_command({"ip", "-n", ns.name(), "-4", "-j", "route", "show", "proto", "201"});
  auto j = json::parse(r.output, nullptr, false);
  if (r.exit_code != 0 || !j.is_array()) {
    return false;
  }
  for (const auto& route : j) {
    if (route.value("dst", "") == dst && (gw.empty() || route.value("gateway", "") == gw)) {
      return true;
    }
  }
  return false;
}

// BIRD's one-line protocol summary ("peer0 BGP --- up <since> Established"): the
// "since" column changes whenever the session goes down or comes up.
std::string bird_summary(BgpPeer& bird, const std::string& neighbor) {
  auto d = bird.neighbor_detail(neighbor);
  if (!d) {
    return "";
  }
  std::istringstream in(*d);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("peer", 0) == 0) {
      return line;
    }
  }
  return "";
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return s;
}

std::uint64_t received_opens(const json& st) {
  return st.is_object() ? st["messages"]["received"].value("open", std::uint64_t{0}) : 0;
}

TEST(InteropReconfigure, SighupAddsAndRemovesPeersWithoutResettingTheOthers) {
  NetNs a, b, c;
  ASSERT_TRUE(a.ok() && b.ok() && c.ok()) << a.error() << b.error() << c.error();
  VethPair ab(&a, std::string(kOursToBird) + "/30", &b, std::string(kBird) + "/30");
  VethPair ac(&a, std::string(kOursToGobgp) + "/30", &c, std::string(kGobgp) + "/30");
  ASSERT_TRUE(ab.ok()) << ab.error();
  ASSERT_TRUE(ac.ok()) << ac.error();

  BgpPeerConfig bc;
  bc.kind = PeerKind::Bird;
  bc.netns = b.name();
  bc.router_id = kBird;
  bc.local_as = 65002;
  bc.local_v4 = kBird;
  BgpNeighbor to_ours;
  to_ours.address = kOursToBird;
  to_ours.peer_as = 65001;
  bc.neighbors = {to_ours};
  bc.originate = {kBirdBlock};
  bc.connect_retry_s = 1;
  auto bird = BgpPeer::start(bc);
  ASSERT_TRUE(bird) << bird.error();

  BgpPeerConfig gc;
  gc.kind = PeerKind::Gobgp;
  gc.netns = c.name();
  gc.router_id = kGobgp;
  gc.local_as = 65003;
  gc.local_v4 = kGobgp;
  BgpNeighbor g_to_ours;
  g_to_ours.address = kOursToGobgp;
  g_to_ours.peer_as = 65001;
  g_to_ours.md5 = kPassword;
  gc.neighbors = {g_to_ours};
  gc.originate = {kGobgpBlock};
  gc.connect_retry_s = 1;
  auto gobgp = BgpPeer::start(gc);
  ASSERT_TRUE(gobgp) << gobgp.error();

  auto ours = CalicoBgp::start(a.name(), our_config(true, false));
  ASSERT_TRUE(ours) << ours.error();
  auto diag = [&] {
    auto st = (*ours)->query("status");
    return "\n--- calico-bgp:\n" + (*ours)->log_tail() + "\n--- bird:\n" + (*bird)->log_tail() +
           "\n--- gobgp:\n" + (*gobgp)->log_tail() +
           "\n--- status: " + (st ? st->dump() : st.error());
  };

  // Step 0: the BIRD session, routes both ways.
  ASSERT_TRUE((*ours)->wait_established(kBird)) << diag();
  ASSERT_TRUE((*bird)->wait_established(kOursToBird, 20s)) << diag();
  ASSERT_TRUE((*bird)->wait_route(kOurBlock, true, 20s)) << diag();
  ASSERT_TRUE(wait_until([&] { return kernel_has(a, kBirdBlock, kBird); }, 20s, 100ms)) << diag();
  EXPECT_FALSE((*gobgp)->wait_established(kOursToGobgp, 2s)) << "GoBGP is not configured yet";
  const json bird_before = (*ours)->peer_status(kBird);
  ASSERT_EQ(bird_before.value("establishedTransitions", 0), 1) << diag();
  const std::string bird_line = bird_summary(**bird, kOursToBird);
  ASSERT_NE(bird_line.find("Established"), std::string::npos) << bird_line;

  // Step 1: SIGHUP with GoBGP added.
  ASSERT_TRUE((*ours)->reload(our_config(true, true))) << diag();
  ASSERT_TRUE((*ours)->wait_established(kGobgp, 40s)) << diag();
  EXPECT_EQ((*ours)->peer_status(kGobgp).value("name", ""), "gobgp");
  ASSERT_TRUE((*gobgp)->wait_route(kOurBlock, true, 20s)) << diag();
  ASSERT_TRUE((*gobgp)->wait_route(kBirdBlock, true, 20s)) << diag();
  auto learned = (*gobgp)->learned_routes(kBirdBlock);
  ASSERT_TRUE(learned && !learned->empty()) << diag();
  EXPECT_EQ((*learned)[0].as_path, (std::vector<std::uint32_t>{65001, 65002}));
  EXPECT_TRUE(wait_until([&] { return kernel_has(a, kGobgpBlock, kGobgp); }, 20s, 100ms)) << diag();
  EXPECT_TRUE((*bird)->wait_route(kGobgpBlock, true, 20s)) << diag();
  // The BIRD session is the one from before.
  const json bird_after = (*ours)->peer_status(kBird);
  EXPECT_EQ(bird_after.value("state", ""), "Established") << diag();
  EXPECT_EQ(bird_after.value("establishedTransitions", 0), 1) << diag();
  EXPECT_EQ(received_opens(bird_after), received_opens(bird_before)) << diag();
  EXPECT_GE(bird_after.value("uptimeSeconds", 0), bird_before.value("uptimeSeconds", 0));
  EXPECT_EQ(bird_summary(**bird, kOursToBird), bird_line) << diag();

  // Step 2: SIGHUP with BIRD removed: Cease/Peer De-configured, its routes withdrawn.
  const json gobgp_before = (*ours)->peer_status(kGobgp);
  ASSERT_TRUE((*ours)->reload(our_config(false, true))) << diag();
  EXPECT_TRUE(wait_until([&] { return (*ours)->peer_status(kBird).is_null(); }, 10s, 50ms))
      << diag();
  EXPECT_TRUE((*bird)->wait_established(kOursToBird, 10s, false)) << diag();
  auto bird_detail = (*bird)->neighbor_detail(kOursToBird);
  ASSERT_TRUE(bird_detail) << bird_detail.error();
  EXPECT_NE(lower(*bird_detail).find("de-configured"), std::string::npos) << *bird_detail;
  EXPECT_TRUE(wait_until([&] { return !kernel_has(a, kBirdBlock, ""); }, 10s, 100ms)) << diag();
  EXPECT_TRUE((*gobgp)->wait_route(kBirdBlock, false, 10s)) << diag();
  EXPECT_TRUE((*bird)->wait_route(kOurBlock, false, 10s)) << diag();
  const json gobgp_after = (*ours)->peer_status(kGobgp);
  EXPECT_EQ(gobgp_after.value("establishedTransitions", 0), 1) << diag();
  EXPECT_EQ(received_opens(gobgp_after), received_opens(gobgp_before)) << diag();

  // Step 3: a reload that needs a restart (another AS) is refused; nothing changes.
  ASSERT_TRUE((*ours)->reload(our_config(true, true, 65009))) << diag();
  EXPECT_TRUE(wait_until(
      [&] { return (*ours)->log_tail(65536).find("reload refused") != std::string::npos; }, 10s,
      100ms))
      << diag();
  EXPECT_TRUE((*ours)->peer_status(kBird).is_null()) << diag();
  EXPECT_EQ((*ours)->peer_status(kGobgp).value("establishedTransitions", 0), 1) << diag();
  EXPECT_EQ((*ours)->query("status")->value("asNumber", 0), 65001) << diag();
  EXPECT_TRUE((*gobgp)->wait_route(kOurBlock, true, 5s)) << diag();
}

}  // namespace
}  // namespace calico::testlib
