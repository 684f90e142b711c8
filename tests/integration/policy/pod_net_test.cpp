// The pod network fixture itself (tests/lib/pod_net.h): Calico-style wiring passes traffic
// between pods through the host namespace, the in-process servers answer every probe,
// a table committed in the host namespace drops exactly what it says, an established flow
// survives a rule that drops new connections, and nothing is left behind.
#include "tests/lib/pod_net.h"

#include <chrono>
#include <functional>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "netlink/nft_committer.h"
#include "policy/nft_model.h"
#include "tests/lib/netns.h"

namespace calico::testlib {
namespace {

using namespace std::chrono_literals;
using policy::NftBaseChain;
using policy::NftField;
using policy::NftHook;
using policy::NftMatch;
using policy::NftPlan;
using policy::NftRule;
using policy::NftValue;
using policy::NftVerdict;

constexpr std::uint8_t kTcp = IPPROTO_TCP;
constexpr std::uint8_t kUdp = IPPROTO_UDP;

std::vector<PodSpec> pods(std::size_t n, bool ipv6 = false) {
  std::vector<PodSpec> out;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string host = std::to_string(10 + i);
    out.push_back({"p" + std::to_string(i), "10.65.9." + host, ipv6 ? "fd00:65:9::" + host : ""});
  }
  return out;
}

// Every (from, to) pair, including from == to, for each (protocol, port).
std::vector<PodProbe> matrix(std::size_t n, bool ipv6 = false) {
  std::vector<PodProbe> out;
  for (std::size_t f = 0; f < n; ++f) {
    for (std::size_t t = 0; t < n; ++t) {
      for (const auto proto : {kTcp, kUdp}) {
        for (const std::uint16_t port : {80, 81}) {
          out.push_back({f, t, proto, port, ipv6});
        }
      }
    }
  }
  return out;
}

std::string describe(const PodNetwork& net, const PodProbe& p, const PodProbeResult& r) {
  return net.pod(p.from).name + " -> " + net.pod(p.to).name + " " +
         (p.protocol == kTcp   ? "tcp/"
          : p.protocol == kUdp ? "udp/"
                               : "sctp/") +
         std::to_string(p.port) + (p.ipv6 ? " (v6)" : "") + ": " +
         std::string(to_string(r.outcome)) + (r.detail.empty() ? "" : " (" + r.detail + ")");
}

// A probe `expect_allowed` says should pass but did not is retried once with a long
// timeout (a late echo on a loaded machine is no policy failure, while an unexpected pass
// can never be a timing artefact).
void confirm(PodNetwork& net, const std::vector<PodProbe>& probes,
             const std::function<bool(const PodProbe&)>& expect_allowed,
             std::vector<PodProbeResult>& results) {
  std::vector<PodProbe> again;
  std::vector<std::size_t> where;
  for (std::size_t i = 0; i < probes.size(); ++i) {
    if (!results[i].allowed() && expect_allowed(probes[i])) {
      again.push_back(probes[i]);
      where.push_back(i);
    }
  }
  if (!again.empty()) {
    const auto retried = net.probe_all(again, 1500ms);
    for (std::size_t k = 0; k < again.size(); ++k) {
      results[where[k]] = retried[k];
    }
  }
}

// probe_all with the default timeout, then confirm().
std::vector<PodProbeResult> probe_confirmed(
    PodNetwork& net, const std::vector<PodProbe>& probes,
    const std::function<bool(const PodProbe&)>& expect_allowed) {
  auto results = net.probe_all(probes);
  confirm(net, probes, expect_allowed, results);
  return results;
}

std::unique_ptr<PodNetwork> make_net(std::size_t n, bool ipv6 = false) {
  auto net = PodNetwork::create(pods(n, ipv6));
  EXPECT_TRUE(net.has_value()) << net.error();
  return net ? std::move(*net) : nullptr;
}

std::unique_ptr<netlink::NftCommitter> committer_for(const PodNetwork& net) {
  auto c = netlink::NftCommitter::open(net.host().name());
  EXPECT_TRUE(c.has_value()) << c.error();
  return c ? std::move(*c) : nullptr;
}

void apply(netlink::NftCommitter& committer, const NftPlan& want) {
  ASSERT_TRUE(policy::validate(want).has_value()) << policy::validate(want).error();
  auto have = committer.read_table(want.table);
  ASSERT_TRUE(have.has_value()) << have.error();
  auto done = committer.commit(policy::diff(*have, want));
  ASSERT_TRUE(done.has_value()) << done.error() << "\n" << policy::to_nft_text(want);
}

NftRule drop_tcp_to(const std::string& iface, std::uint16_t port) {
  NftRule r;
  r.matches = {NftMatch::eq(NftField::Oifname, NftValue::ifname(iface)),
               NftMatch::eq(NftField::L4proto, NftValue::proto(kTcp)),
               NftMatch::eq(NftField::ThDport, NftValue::port(port))};
  r.counter = true;
  r.verdict = NftVerdict::drop();
  return r;
}

TEST(PodNet, InterfacesAreNamedLikeCalicoCni) {
  auto net = make_net(2);
  ASSERT_NE(net, nullptr);
  const std::regex cali("cali[0-9a-f]{11}");
  for (std::size_t i = 0; i < net->size(); ++i) {
    EXPECT_TRUE(std::regex_match(net->iface(i), cali)) << net->iface(i);
    EXPECT_TRUE(link_exists(net->host().name(), net->iface(i)));
    EXPECT_FALSE(link_exists("", net->iface(i)));  // never in the test runner's namespace
  }
  EXPECT_NE(net->iface(0), net->iface(1));
  // The pod side as the CNI plugin leaves it.
  const auto routes = run_command({"ip", "-n", net->pod_netns(0), "-4", "route", "show"});
  EXPECT_NE(routes.output.find("default via 169.254.1.1 dev eth0"), std::string::npos)
      << routes.output;
  EXPECT_NE(routes.output.find("169.254.1.1 dev eth0 scope link"), std::string::npos)
      << routes.output;
  const auto host_routes = run_command({"ip", "-n", net->host().name(), "-4", "route", "show"});
  EXPECT_NE(host_routes.output.find("10.65.9.10 dev " + net->iface(0) + " scope link"),
            std::string::npos)
      << host_routes.output;
}

TEST(PodNet, WithoutATableEveryProbeSucceeds) {
  auto net = make_net(3);
  ASSERT_NE(net, nullptr);
  const auto probes = matrix(net->size());
  const auto results = net->probe_all(probes, 1500ms);  // returns as soon as all answered
  ASSERT_EQ(results.size(), probes.size());
  for (std::size_t i = 0; i < probes.size(); ++i) {
    EXPECT_TRUE(results[i].allowed()) << describe(*net, probes[i], results[i]);
  }
}

TEST(PodNet, SctpIsProbedOrReportedUnsupported) {
  auto net = make_net(2);
  ASSERT_NE(net, nullptr);
  const auto results = net->probe_all({{0, 1, IPPROTO_SCTP, 80}});
  if (net->sctp_available()) {
    EXPECT_TRUE(results[0].allowed()) << describe(*net, {0, 1, IPPROTO_SCTP, 80}, results[0]);
  } else {
    EXPECT_FALSE(net->sctp_unavailable_reason().empty());
    EXPECT_EQ(results[0].outcome, ProbeOutcome::Unsupported);
    EXPECT_FALSE(results[0].allowed());
    GTEST_SKIP() << "SCTP not available: " << net->sctp_unavailable_reason();
  }
}

TEST(PodNet, Ipv6ProbesSucceed) {
  auto net = make_net(2, true);
  ASSERT_NE(net, nullptr);
  const auto probes = matrix(net->size(), true);
  const auto results = net->probe_all(probes, 2000ms);
  for (std::size_t i = 0; i < probes.size(); ++i) {
    EXPECT_TRUE(results[i].allowed()) << describe(*net, probes[i], results[i]);
  }
}

TEST(PodNet, AProbeToAClosedPortIsRefused) {
  auto net = make_net(2);
  ASSERT_NE(net, nullptr);
  const std::vector<PodProbe> probes = {{0, 1, kTcp, 82}, {0, 1, kUdp, 82}};
  const auto results = net->probe_all(probes);
  for (std::size_t i = 0; i < probes.size(); ++i) {
    EXPECT_EQ(results[i].outcome, ProbeOutcome::Refused) << describe(*net, probes[i], results[i]);
  }
}

TEST(PodNet, DropInForwardChainDeniesExactlyThoseProbes) {
  auto net = make_net(3);
  ASSERT_NE(net, nullptr);
  auto committer = committer_for(*net);
  ASSERT_NE(committer, nullptr);
  NftPlan plan;
  plan.add_chain("filter-FORWARD", NftBaseChain{NftHook::Forward})
      .rules.push_back(drop_tcp_to(net->iface(1), 80));
  apply(*committer, plan);

  const auto probes = matrix(net->size());
  // The pod's own traffic never leaves its namespace, so it is never forwarded.
  const auto is_denied = [](const PodProbe& p) {
    return p.to == 1 && p.from != 1 && p.protocol == kTcp && p.port == 80;
  };
  const auto results =
      probe_confirmed(*net, probes, [&](const PodProbe& p) { return !is_denied(p); });
  for (std::size_t i = 0; i < probes.size(); ++i) {
    const PodProbe& p = probes[i];
    const bool denied = is_denied(p);
    EXPECT_EQ(results[i].allowed(), !denied) << describe(*net, p, results[i]);
    if (denied) {
      EXPECT_EQ(results[i].outcome, ProbeOutcome::TimedOut) << describe(*net, p, results[i]);
    }
  }

  ASSERT_TRUE(committer->delete_table("calico").has_value());
  for (const auto& r : net->probe_all(probes, 1500ms)) {
    EXPECT_TRUE(r.allowed()) << to_string(r.outcome) << " " << r.detail;
  }
}

TEST(PodNet, FullNineByNineMatrixTakesAboutOneTimeout) {
  auto net = make_net(9);
  ASSERT_NE(net, nullptr);
  const auto probes = matrix(net->size());
  ASSERT_EQ(probes.size(), 9U * 9U * 4U);
  auto start = std::chrono::steady_clock::now();
  auto results = net->probe_all(probes, 1500ms);  // returns as soon as all answered
  const auto open_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  for (std::size_t i = 0; i < probes.size(); ++i) {
    EXPECT_TRUE(results[i].allowed()) << describe(*net, probes[i], results[i]);
  }
  // Now drop all TCP to pods 0..4: the denied probes wait out their timeout, in parallel.
  auto committer = committer_for(*net);
  ASSERT_NE(committer, nullptr);
  NftPlan plan;
  auto& fwd = plan.add_chain("filter-FORWARD", NftBaseChain{NftHook::Forward});
  for (std::size_t i = 0; i < 5; ++i) {
    fwd.rules.push_back(drop_tcp_to(net->iface(i), 80));
    fwd.rules.push_back(drop_tcp_to(net->iface(i), 81));
  }
  apply(*committer, plan);
  const auto is_denied = [](const PodProbe& p) {
    return p.to < 5 && p.from != p.to && p.protocol == kTcp;
  };
  start = std::chrono::steady_clock::now();
  results = net->probe_all(probes);
  const auto denied_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  confirm(
      *net, probes, [&](const PodProbe& p) { return !is_denied(p); }, results);
  std::size_t denied = 0;
  for (std::size_t i = 0; i < probes.size(); ++i) {
    const PodProbe& p = probes[i];
    const bool expect_denied = is_denied(p);
    denied += expect_denied ? 1 : 0;
    EXPECT_EQ(results[i].allowed(), !expect_denied) << describe(*net, p, results[i]);
  }
  EXPECT_EQ(denied, 5U * 8U * 2U);
  std::printf("9x9x4 probes: all allowed %lld ms; %zu denied %lld ms\n",
              static_cast<long long>(open_ms.count()), denied,
              static_cast<long long>(denied_ms.count()));
  EXPECT_LT(open_ms, 1500ms);
  EXPECT_LT(denied_ms, 1500ms);
}

TEST(PodNet, DestroyLeavesNoNamespaces) {
  std::vector<std::string> names;
  {
    auto net = make_net(3);
    ASSERT_NE(net, nullptr);
    names = net->netns_names();
    ASSERT_EQ(names.size(), 4U);
    for (const auto& n : names) {
      EXPECT_TRUE(netns_exists(n)) << n;
    }
    auto flow = net->open_flow(0, 1);  // an open socket must not pin anything either
    ASSERT_TRUE(flow.has_value()) << flow.error();
    net->destroy();
    net->destroy();  // idempotent
  }
  const auto list = run_command({"ip", "netns", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.output;
  for (const auto& n : names) {
    EXPECT_EQ(list.output.find(n), std::string::npos) << n << " left in:\n" << list.output;
    EXPECT_FALSE(netns_exists(n)) << n;
  }
}

TEST(PodNet, EstablishedFlowSurvivesARuleDroppingNewConnections) {
  auto net = make_net(2);
  ASSERT_NE(net, nullptr);
  auto committer = committer_for(*net);
  ASSERT_NE(committer, nullptr);
  auto flow = net->open_flow(0, 1, 80);
  ASSERT_TRUE(flow.has_value()) << flow.error();
  ASSERT_TRUE((*flow)->exchange()) << (*flow)->error();

  // ct state established,related accept; then new TCP to pod 1 port 80 dropped.
  NftPlan plan;
  auto& fwd = plan.add_chain("filter-FORWARD", NftBaseChain{NftHook::Forward});
  NftRule ct;
  ct.matches = {policy::NftCtStateMatch{policy::kNftCtEstablished | policy::kNftCtRelated}};
  ct.verdict = NftVerdict::accept();
  fwd.rules.push_back(ct);
  fwd.rules.push_back(drop_tcp_to(net->iface(1), 80));
  apply(*committer, plan);

  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE((*flow)->exchange()) << "exchange " << i << ": " << (*flow)->error();
  }
  const std::vector<PodProbe> probes = {{0, 1, kTcp, 80}, {0, 1, kTcp, 81}};
  const auto results =
      probe_confirmed(*net, probes, [](const PodProbe& p) { return p.port == 81; });
  EXPECT_EQ(results[0].outcome, ProbeOutcome::TimedOut) << describe(*net, probes[0], results[0]);
  EXPECT_TRUE(results[1].allowed()) << describe(*net, probes[1], results[1]);
  auto second = net->open_flow(0, 1, 80, 500ms);
  EXPECT_FALSE(second.has_value());

  // Without the ct rule the same drop also stops the established flow: the rule order is
  // what keeps it alive.
  fwd.rules.erase(fwd.rules.begin());
  apply(*committer, plan);
  EXPECT_FALSE((*flow)->exchange(300ms));
  ASSERT_TRUE(committer->delete_table("calico").has_value());
}

}  // namespace
}  // namespace calico::testlib
