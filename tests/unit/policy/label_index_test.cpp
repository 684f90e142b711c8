// The incremental label index (policy/label_index.h): exact deltas for every kind of
// update, reference counting, coalescing, incrementality, a randomized differential test
// against the reference evaluator's definitions, and a scale run that prints timings.
#include "policy/label_index.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "policy/evaluate.h"
#include "policy/model.h"
#include "tests/unit/policy/policy_test_util.h"

namespace calico::policy {
namespace {

using testing::cidr;
using testing::ip;

api::Selector sel(const std::string& text) {
  auto s = api::Selector::parse(text);
  EXPECT_TRUE(s) << text << ": " << (s ? "" : s.error().to_string());
  return s ? *s : api::Selector{};
}

SetMember host(const char* addr) {
  const net::IpAddr a = ip(addr);
  return SetMember{net::Cidr(a, a.bits())};
}

SetMember net_member(const char* c) {
  return SetMember{cidr(c)};
}

SetMember port_member(const char* addr, std::uint8_t protocol, std::uint16_t port) {
  SetMember m = host(addr);
  m.protocol = protocol;
  m.port = port;
  return m;
}

Endpoint endpoint(const std::string& ns, const std::string& name, Labels labels,
                  const std::vector<const char*>& addrs, std::vector<NamedPort> ports = {},
                  std::vector<std::string> profiles = {}) {
  Endpoint ep;
  ep.ns = ns;
  ep.name = name;
  ep.labels = std::move(labels);
  for (const char* a : addrs) {
    ep.addrs.push_back(ip(a));
  }
  ep.ports = std::move(ports);
  ep.profiles = std::move(profiles);
  return ep;
}

NetworkSetEntry network_set(const std::string& ns, const std::string& name, Labels labels,
                            const std::vector<const char*>& nets) {
  NetworkSetEntry s;
  s.ns = ns;
  s.name = name;
  s.labels = std::move(labels);
  for (const char* n : nets) {
    s.nets.push_back(cidr(n));
  }
  return s;
}

MemberDelta delta(std::string id, std::vector<SetMember> added, std::vector<SetMember> removed) {
  return MemberDelta{std::move(id), std::move(added), std::move(removed)};
}

std::set<SetMember> set_of(std::vector<SetMember> v) {
  return {v.begin(), v.end()};
}

TEST(LabelIndex, InitialMembersAreReportedAsAdded) {
  LabelIndex index;
  index.upsert_endpoint(endpoint("ns", "a", {{"app", "web"}}, {"10.0.0.1", "fd00::1"}), false);
  index.upsert_endpoint(endpoint("ns", "b", {{"app", "db"}}, {"10.0.0.2"}), false);
  index.upsert_network_set(network_set("ns", "n", {{"app", "web"}}, {"192.168.0.0/24"}));
  index.add_ip_set("web", {sel("app == 'web'"), ""});
  EXPECT_EQ(index.take_member_deltas(),
            (std::vector<MemberDelta>{delta(
                "web", {host("10.0.0.1"), net_member("192.168.0.0/24"), host("fd00::1")}, {})}));
  EXPECT_EQ(*index.members("web"),
            set_of({host("10.0.0.1"), host("fd00::1"), net_member("192.168.0.0/24")}));
  EXPECT_TRUE(index.take_member_deltas().empty());
  EXPECT_EQ(index.members("unknown"), nullptr);
}

TEST(LabelIndex, EndpointUpdatesMoveMembers) {
  LabelIndex index;
  index.add_ip_set("web", {sel("app == 'web'"), ""});
  index.add_ip_set("db", {sel("app == 'db'"), ""});
  EXPECT_TRUE(index.take_member_deltas().empty());

  index.upsert_endpoint(endpoint("ns", "a", {{"app", "web"}}, {"10.0.0.1"}), false);
  EXPECT_EQ(index.take_member_deltas(),
            (std::vector<MemberDelta>{delta("web", {host("10.0.0.1")}, {})}));

  // Relabel: leaves one set, joins the other.
  index.upsert_endpoint(endpoint("ns", "a", {{"app", "db"}}, {"10.0.0.1"}), false);
  EXPECT_EQ(index.take_member_deltas(),
            (std::vector<MemberDelta>{delta("db", {host("10.0.0.1")}, {}),
                                      delta("web", {}, {host("10.0.0.1")})}));

  // Address change under the same labels.
  index.upsert_endpoint(endpoint("ns", "a", {{"app", "db"}}, {"10.0.0.9"}), false);
  EXPECT_EQ(index.take_member_deltas(),
            (std::vector<MemberDelta>{delta("db", {host("10.0.0.9")}, {host("10.0.0.1")})}));

  // Identical upsert: nothing.
  index.upsert_endpoint(endpoint("ns", "a", {{"app", "db"}}, {"10.0.0.9"}), false);
  EXPECT_TRUE(index.take_member_deltas().empty());

  index.remove_endpoint({"ns", "a"});
  EXPECT_EQ(index.take_member_deltas(),
            (std::vector<MemberDelta>{delta("db", {}, {host("10.0.0.9")})}));
  index.remove_endpoint({"ns", "a"});  // unknown: ignored
  EXPECT_TRUE(index.take_member_deltas().empty());
}

TEST(LabelIndex, NetworkSetUpdates) {
  LabelIndex index;
  index.add_ip_set("ext", {sel("role == 'external'"), ""});
  index.upsert_network_set(network_set("", "g", {{"role", "external"}}, {"203.0.113.0/24"}));
  EXPECT_EQ(index.take_member_deltas(),
            (std::vector<MemberDelta>{delta("ext", {net_member("203.0.113.0/24")}, {})}));
  index.upsert_network_set(
      network_set("", "g", {{"role", "external"}}, {"203.0.113.0/24", "198.51.100.0/24"}));
  EXPECT_EQ(index.take_member_deltas(),
            (std::vector<MemberDelta>{delta("ext", {net_member("198.51.100.0/24")}, {})}));
  // A namespaced set gets projectcalico.org/namespace like an endpoint.
  index.add_ip_set("in-ns", {sel("projectcalico.org/namespace == 'prod'"), ""});
  index.upsert_network_set(network_set("prod", "g", {}, {"10.9.0.0/16"}));
  EXPECT_EQ(index.take_member_deltas(),
            (std::vector<MemberDelta>{delta("in-ns", {net_member("10.9.0.0/16")}, {})}));
  // Same name, other namespace: a different item.
  index.remove_network_set("", "g");
  EXPECT_EQ(index.take_member_deltas(),
            (std::vector<MemberDelta>{
                delta("ext", {}, {net_member("198.51.100.0/24"), net_member("203.0.113.0/24")})}));
  EXPECT_EQ(*index.members("in-ns"), set_of({net_member("10.9.0.0/16")}));
}

TEST(LabelIndex, SharedAddressesAreReferenceCounted) {
  LabelIndex index;
  index.add_ip_set("web", {sel("app == 'web'"), ""});
  index.upsert_endpoint(endpoint("ns", "a", {{"app", "web"}}, {"10.0.0.5"}), false);
  index.upsert_endpoint(endpoint("ns", "b", {{"app", "web"}}, {"10.0.0.5"}), false);
  index.upsert_network_set(network_set("", "n1", {{"app", "web"}}, {"10.0.0.0/24"}));
  index.upsert_network_set(network_set("", "n2", {{"app", "web"}}, {"10.0.0.0/24"}));
  // The /32 and the /24 are distinct members; each is there once.
  EXPECT_EQ(
      index.take_member_deltas(),
      (std::vector<MemberDelta>{delta("web", {net_member("10.0.0.0/24"), host("10.0.0.5")}, {})}));
  index.remove_endpoint({"ns", "a"});
  index.remove_network_set("", "n1");
  EXPECT_TRUE(index.take_member_deltas().empty());
  index.upsert_endpoint(endpoint("ns", "b", {{"app", "other"}}, {"10.0.0.5"}), false);
  EXPECT_EQ(index.take_member_deltas(),
            (std::vector<MemberDelta>{delta("web", {}, {host("10.0.0.5")})}));
  index.remove_network_set("", "n2");
  EXPECT_EQ(index.take_member_deltas(),
            (std::vector<MemberDelta>{delta("web", {}, {net_member("10.0.0.0/24")})}));
  EXPECT_TRUE(index.members("web")->empty());
}

TEST(LabelIndex, DeltasAreCoalesced) {
  LabelIndex index;
  index.add_ip_set("web", {sel("app == 'web'"), ""});
  index.upsert_endpoint(endpoint("ns", "a", {{"app", "web"}}, {"10.0.0.1"}), false);
  index.upsert_endpoint(endpoint("ns", "b", {{"app", "web"}}, {"10.0.0.2"}), false);
  index.take_member_deltas();

  // Added then removed, removed then added back: nothing to report.
  index.upsert_endpoint(endpoint("ns", "c", {{"app", "web"}}, {"10.0.0.3"}), false);
  index.remove_endpoint({"ns", "c"});
  index.remove_endpoint({"ns", "a"});
  index.upsert_endpoint(endpoint("ns", "a", {{"app", "web"}}, {"10.0.0.1"}), false);
  EXPECT_TRUE(index.take_member_deltas().empty());

  // Several changes in one window: net effect, sorted and disjoint.
  index.upsert_endpoint(endpoint("ns", "b", {{"app", "web"}}, {"10.0.0.7"}), false);
  index.upsert_endpoint(endpoint("ns", "b", {{"app", "web"}}, {"10.0.0.4"}), false);
  index.upsert_endpoint(endpoint("ns", "d", {{"app", "web"}}, {"10.0.0.0"}), false);
  index.remove_endpoint({"ns", "a"});
  EXPECT_EQ(index.take_member_deltas(),
            (std::vector<MemberDelta>{delta("web", {host("10.0.0.0"), host("10.0.0.4")},
                                            {host("10.0.0.1"), host("10.0.0.2")})}));
}

TEST(LabelIndex, IpSetReplaceAndRemove) {
  LabelIndex index;
  index.upsert_endpoint(endpoint("ns", "a", {{"app", "web"}, {"tier", "fe"}}, {"10.0.0.1"}), false);
  index.upsert_endpoint(endpoint("ns", "b", {{"app", "db"}, {"tier", "fe"}}, {"10.0.0.2"}), false);
  index.add_ip_set("s", {sel("app == 'web'"), ""});
  index.take_member_deltas();

  // Same spec (spelled differently): no-op.  Different spec: the difference.
  index.add_ip_set("s", {sel("app=='web'"), ""});
  EXPECT_TRUE(index.take_member_deltas().empty());
  index.add_ip_set("s", {sel("tier == 'fe'"), ""});
  EXPECT_EQ(index.take_member_deltas(),
            (std::vector<MemberDelta>{delta("s", {host("10.0.0.2")}, {})}));

  // Pending deltas of a removed set are dropped; re-adding reports everything.
  index.upsert_endpoint(endpoint("ns", "c", {{"tier", "fe"}}, {"10.0.0.3"}), false);
  index.remove_ip_set("s");
  EXPECT_TRUE(index.take_member_deltas().empty());
  EXPECT_EQ(index.members("s"), nullptr);
  index.upsert_endpoint(endpoint("ns", "d", {{"tier", "fe"}}, {"10.0.0.4"}), false);
  index.add_ip_set("s", {sel("tier == 'fe'"), ""});
  EXPECT_EQ(
      index.take_member_deltas(),
      (std::vector<MemberDelta>{delta(
          "s", {host("10.0.0.1"), host("10.0.0.2"), host("10.0.0.3"), host("10.0.0.4")}, {})}));
  // Replacing within one window coalesces with what was pending.
  index.remove_endpoint({"ns", "d"});
  index.add_ip_set("s", {sel("app == 'web'"), ""});
  EXPECT_EQ(index.take_member_deltas(),
            (std::vector<MemberDelta>{
                delta("s", {}, {host("10.0.0.2"), host("10.0.0.3"), host("10.0.0.4")})}));
  EXPECT_EQ(index.selector_count_for_test(), 1u);  // tier == 'fe' released
}

TEST(LabelIndex, NamedPortSets) {
  LabelIndex index;
  const NamedPort http_tcp{"http", kProtoTcp, 8080};
  const NamedPort http_udp{"http", kProtoUdp, 8081};
  const NamedPort dns{"dns", kProtoUdp, 53};
  index.upsert_endpoint(
      endpoint("ns", "a", {{"app", "web"}}, {"10.0.0.1", "fd00::1"}, {http_tcp, http_udp, dns}),
      false);
  index.upsert_endpoint(endpoint("ns", "b", {{"app", "db"}}, {"10.0.0.2"}, {http_tcp}), false);
  // Network sets never contribute to named-port sets.
  index.upsert_network_set(network_set("", "n", {{"app", "web"}}, {"192.168.0.0/24"}));
  index.add_ip_set("web-http", {sel("app == 'web'"), "http"});
  index.add_ip_set("any-http", {api::Selector{}, "http"});  // no selector: every endpoint
  EXPECT_EQ(
      index.take_member_deltas(),
      (std::vector<MemberDelta>{
          delta("any-http",
                {port_member("10.0.0.1", kProtoTcp, 8080), port_member("10.0.0.1", kProtoUdp, 8081),
                 port_member("10.0.0.2", kProtoTcp, 8080), port_member("fd00::1", kProtoTcp, 8080),
                 port_member("fd00::1", kProtoUdp, 8081)},
                {}),
          delta("web-http",
                {port_member("10.0.0.1", kProtoTcp, 8080), port_member("10.0.0.1", kProtoUdp, 8081),
                 port_member("fd00::1", kProtoTcp, 8080), port_member("fd00::1", kProtoUdp, 8081)},
                {})}));
  // Port number change, same labels.
  index.upsert_endpoint(
      endpoint("ns", "b", {{"app", "db"}}, {"10.0.0.2"}, {NamedPort{"http", kProtoTcp, 80}}),
      false);
  EXPECT_EQ(index.take_member_deltas(),
            (std::vector<MemberDelta>{delta("any-http", {port_member("10.0.0.2", kProtoTcp, 80)},
                                            {port_member("10.0.0.2", kProtoTcp, 8080)})}));
  // Port renamed away.
  index.upsert_endpoint(endpoint("ns", "a", {{"app", "web"}}, {"10.0.0.1", "fd00::1"}, {dns}),
                        false);
  const auto d = index.take_member_deltas();
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(
      d[1],
      delta("web-http", {},
            {port_member("10.0.0.1", kProtoTcp, 8080), port_member("10.0.0.1", kProtoUdp, 8081),
             port_member("fd00::1", kProtoTcp, 8080), port_member("fd00::1", kProtoUdp, 8081)}));
  EXPECT_TRUE(index.members("web-http")->empty());
  // Same selector as a selector set and as a named-port set: one shared entry.
  index.add_ip_set("web", {sel("app == 'web'"), ""});
  EXPECT_EQ(index.selector_count_for_test(), 2u);
}

TEST(LabelIndex, ProfilesAndNamespaceRelabel) {
  LabelIndex index;
  const std::vector<std::string> profiles = {"kns.prod", "ksa.prod.default"};
  index.upsert_profile("kns.prod", {{"pcns.env", "prod"}, {"app", "from-profile"}});
  index.upsert_endpoint(
      endpoint("prod", "a", {{"app", "web"}, {"pcns.env", "spoofed"}}, {"10.0.0.1"}, {}, profiles),
      false);
  index.upsert_endpoint(endpoint("prod", "b", {}, {"10.0.0.2"}, {}, profiles), false);
  auto set = network_set("prod", "n", {}, {"10.8.0.0/16"});
  set.profiles = {"kns.prod"};
  index.upsert_network_set(set);
  index.add_ip_set("prod", {sel("pcns.env == 'prod'"), ""});
  index.add_ip_set("fp", {sel("app == 'from-profile'"), ""});
  EXPECT_EQ(
      index.take_member_deltas(),
      (std::vector<MemberDelta>{
          delta("fp", {host("10.0.0.2"), net_member("10.8.0.0/16")}, {}),
          delta("prod", {host("10.0.0.1"), host("10.0.0.2"), net_member("10.8.0.0/16")}, {})}));
  // Own labels win over profile labels; pcns.* own labels are ignored.
  EXPECT_EQ(index.effective_labels({"prod", "a"}),
            (Labels{{"app", "web"},
                    {"pcns.env", "prod"},
                    {"projectcalico.org/namespace", "prod"},
                    {"projectcalico.org/orchestrator", "k8s"}}));

  // The namespace is relabelled: every item listing the profile moves.
  index.upsert_profile("kns.prod", {{"pcns.env", "staging"}});
  EXPECT_EQ(
      index.take_member_deltas(),
      (std::vector<MemberDelta>{
          delta("fp", {}, {host("10.0.0.2"), net_member("10.8.0.0/16")}),
          delta("prod", {}, {host("10.0.0.1"), host("10.0.0.2"), net_member("10.8.0.0/16")})}));
  // A later profile fills in only what earlier ones left unset.
  index.upsert_profile("ksa.prod.default", {{"pcns.env", "prod"}, {"pcsa.name", "default"}});
  EXPECT_TRUE(index.take_member_deltas().empty());
  index.remove_profile("kns.prod");
  EXPECT_EQ(index.take_member_deltas(),
            (std::vector<MemberDelta>{delta("prod", {host("10.0.0.1"), host("10.0.0.2")}, {})}));
  EXPECT_EQ(index.effective_labels({"prod", "b"}).at("pcsa.name"), "default");
  EXPECT_TRUE(index.effective_labels({"prod", "zzz"}).empty());
}

TEST(LabelIndex, EffectiveLabelsEqualThePolicySetOnes) {
  PolicySet set;
  testing::add_pod(set, "prod", "a", "10.0.0.1", {{"app", "web"}, {"pcsa.x", "y"}}, "builder");
  set.endpoints.back().labels["projectcalico.org/namespace"] = "other";  // overridden
  LabelIndex index;
  for (const auto& p : set.profiles) {
    index.upsert_profile(p.name, p.labels_to_apply);
  }
  index.upsert_endpoint(set.endpoints.back(), true);
  EXPECT_EQ(index.effective_labels({"prod", "a"}), set.effective_labels(set.endpoints.back()));
}

TEST(LabelIndex, EndpointSelectorsMatchLocalEndpointsOnly) {
  LabelIndex index;
  index.upsert_endpoint(endpoint("ns", "a", {{"app", "web"}}, {"10.0.0.1"}), true);
  index.upsert_endpoint(endpoint("ns", "b", {{"app", "web"}}, {"10.0.0.2"}), false);
  index.upsert_network_set(network_set("ns", "n", {{"app", "web"}}, {"10.1.0.0/16"}));
  index.add_endpoint_selector("pol", sel("app == 'web'"));
  EXPECT_EQ(index.take_match_deltas(), (std::vector<MatchDelta>{{"pol", {"ns", "a"}, true}}));
  EXPECT_EQ(index.matching_endpoints("pol"), (std::vector<EndpointKey>{{"ns", "a"}}));

  // Becoming local, then a relabel.
  index.upsert_endpoint(endpoint("ns", "b", {{"app", "web"}}, {"10.0.0.2"}), true);
  index.upsert_endpoint(endpoint("ns", "a", {{"app", "db"}}, {"10.0.0.1"}), true);
  EXPECT_EQ(index.take_match_deltas(),
            (std::vector<MatchDelta>{{"pol", {"ns", "a"}, false}, {"pol", {"ns", "b"}, true}}));
  // An address change is no match change.
  index.upsert_endpoint(endpoint("ns", "b", {{"app", "web"}}, {"10.0.0.3"}), true);
  EXPECT_TRUE(index.take_match_deltas().empty());

  // Replacing the selector reports the difference.
  index.add_endpoint_selector("pol", sel("has(app)"));
  EXPECT_EQ(index.take_match_deltas(), (std::vector<MatchDelta>{{"pol", {"ns", "a"}, true}}));
  index.add_endpoint_selector("pol2", sel("app == 'db'"));
  index.remove_endpoint_selector("pol2");
  EXPECT_TRUE(index.take_match_deltas().empty());
  EXPECT_TRUE(index.matching_endpoints("pol2").empty());
  index.remove_endpoint({"ns", "b"});
  EXPECT_EQ(index.take_match_deltas(), (std::vector<MatchDelta>{{"pol", {"ns", "b"}, false}}));
  EXPECT_EQ(index.matching_endpoints("pol"), (std::vector<EndpointKey>{{"ns", "a"}}));
}

TEST(LabelIndex, RestrictionsKeepUpdatesIncremental) {
  LabelIndex index;
  for (int i = 0; i < 500; ++i) {
    index.add_ip_set("s" + std::to_string(i),
                     {sel("app == 'a" + std::to_string(i) + "' && tier != 'x'"), ""});
  }
  index.add_ip_set("or", {sel("app == 'a1' || app in {'a2', 'a3'}"), ""});
  index.add_ip_set("nested", {sel("(tier == 'fe' && !has(x)) && has(y)"), ""});
  index.add_ip_set("neg", {sel("!!has(app)"), ""});       // parsed as has(app)
  index.add_ip_set("negneg", {sel("!(!has(app))"), ""});  // Not(Not(has(app)))
  index.add_ip_set("empty-in", {sel("app in {}"), ""});
  index.add_ip_set("starts", {sel("app starts with 'a'"), ""});
  EXPECT_EQ(index.unrestricted_count_for_test(), 0u);
  index.add_ip_set("unrestricted", {sel("!has(app) || app != 'a1'"), ""});
  EXPECT_EQ(index.unrestricted_count_for_test(), 1u);

  std::uint64_t before = index.evaluations_for_test();
  index.upsert_endpoint(endpoint("ns", "e", {{"app", "a7"}}, {"10.0.0.1"}), false);
  // s7, the unrestricted one, has(app) twice and starts with: not the 500.
  EXPECT_LE(index.evaluations_for_test() - before, 6u);
  EXPECT_EQ(*index.members("s7"), set_of({host("10.0.0.1")}));
  EXPECT_TRUE(index.members("empty-in")->empty());

  before = index.evaluations_for_test();
  index.upsert_endpoint(endpoint("ns", "e", {{"app", "a2"}}, {"10.0.0.1"}), false);
  EXPECT_LE(index.evaluations_for_test() - before, 7u);
  EXPECT_TRUE(index.members("s7")->empty());
  EXPECT_EQ(*index.members("or"), set_of({host("10.0.0.1")}));

  // A new selector is evaluated only against the items its restriction admits.
  for (int i = 0; i < 100; ++i) {
    index.upsert_endpoint(endpoint("ns", "x" + std::to_string(i), {{"app", "other"}}, {"10.1.0.1"}),
                          false);
  }
  before = index.evaluations_for_test();
  index.add_ip_set("new", {sel("app == 'a2' && (role == 'x' || !has(role))"), ""});
  EXPECT_EQ(index.evaluations_for_test() - before, 1u);
  EXPECT_EQ(*index.members("new"), set_of({host("10.0.0.1")}));
  // A conjunction of ==, in, has and their negations is decided by the index alone.
  before = index.evaluations_for_test();
  index.add_ip_set("exact", {sel("app in {'a2', 'other'} && role != 'x' && !has(canary)"), ""});
  EXPECT_EQ(index.evaluations_for_test() - before, 0u);
  EXPECT_EQ(*index.members("exact"), set_of({host("10.0.0.1"), host("10.1.0.1")}));
}

// ---- randomized differential test ----

// Brute force over a PolicySet with the evaluator's definitions (policy/evaluate.h).
std::set<SetMember> expected_members(const PolicySet& set, const IpSetSpec& spec) {
  std::set<SetMember> out;
  for (const auto& ep : set.endpoints) {
    if (!spec.selector.evaluate(set.effective_labels(ep))) {
      continue;
    }
    for (const auto& a : ep.addrs) {
      if (spec.named_port.empty()) {
        out.insert(SetMember{net::Cidr(a, a.bits())});
        continue;
      }
      for (const auto& np : ep.ports) {
        if (np.name == spec.named_port) {
          out.insert(SetMember{net::Cidr(a, a.bits()), np.protocol, np.port});
        }
      }
    }
  }
  if (spec.named_port.empty()) {
    for (const auto& ns : set.network_sets) {
      if (spec.selector.evaluate(set.effective_labels(ns))) {
        for (const auto& n : ns.nets) {
          out.insert(SetMember{n});
        }
      }
    }
  }
  return out;
}

class RandomModel {
 public:
  explicit RandomModel(unsigned seed) : rng_(seed) {}

  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  bool coin(int percent = 50) { return pick(100) < percent; }
  template <class T>
  const T& one_of(const std::vector<T>& v) {
    return v[static_cast<std::size_t>(pick(static_cast<int>(v.size())))];
  }

  Labels labels(int max) {
    static const std::vector<std::string> keys = {"app", "tier", "env", "role", "pcns.team"};
    static const std::vector<std::string> values = {"a", "b", "c", "ab"};
    Labels out;
    const int n = pick(max + 1);
    for (int i = 0; i < n; ++i) {
      out[one_of(keys)] = one_of(values);
    }
    return out;
  }

  std::vector<std::string> profiles() {
    static const std::vector<std::string> names = {"kns.n1", "kns.n2", "p3", "missing"};
    std::vector<std::string> out;
    for (const auto& n : names) {
      if (coin(35)) {
        out.push_back(n);
      }
    }
    std::shuffle(out.begin(), out.end(), rng_);
    return out;
  }

  std::string value() {
    static const std::vector<std::string> values = {"a", "b", "c", "ab", "n1", "n2"};
    return "'" + one_of(values) + "'";
  }

  std::string label() {
    static const std::vector<std::string> keys = {
        "app", "tier", "env", "role", "pcns.team", "projectcalico.org/namespace"};
    return one_of(keys);
  }

  std::string selector(int depth) {
    const int kind = pick(depth > 0 ? 14 : 10);
    switch (kind) {
      case 0:
      case 1:
        return label() + " == " + value();
      case 2:
        return label() + " != " + value();
      case 3:
        return label() + " in {" + value() + ", " + value() + "}";
      case 4:
        return label() + " not in {" + value() + "}";
      case 5:
        return "has(" + label() + ")";
      case 6:
        return "!has(" + label() + ")";
      case 7:
        return coin(70) ? label() + " starts with 'a'" : label() + " contains 'b'";
      case 8:
        return coin(50) ? "all()" : label() + " in {}";
      case 9:
        return label() + " ends with 'b'";
      case 10:
      case 11:
        return "(" + selector(depth - 1) + " && " + selector(depth - 1) + ")";
      case 12:
        return "(" + selector(depth - 1) + " || " + selector(depth - 1) + ")";
      default:
        return "!(" + selector(depth - 1) + ")";
    }
  }

  Endpoint endpoint_for(const EndpointKey& key) {
    static const std::vector<const char*> addrs = {"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.1.1",
                                                   "10.2.0.1", "fd00::1",  "fd00::2"};
    static const std::vector<NamedPort> ports = {{"http", kProtoTcp, 80},
                                                 {"http", kProtoTcp, 8080},
                                                 {"http", kProtoUdp, 80},
                                                 {"dns", kProtoUdp, 53}};
    Endpoint ep;
    ep.ns = key.ns;
    ep.name = key.name;
    ep.labels = labels(3);
    for (int i = pick(3); i > 0; --i) {
      ep.addrs.push_back(ip(one_of(addrs)));
    }
    for (int i = pick(3); i > 0; --i) {
      ep.ports.push_back(one_of(ports));
    }
    ep.service_account = coin() ? "sa" : "";
    ep.orchestrator = coin(80) ? "k8s" : "";
    ep.profiles = profiles();
    return ep;
  }

  NetworkSetEntry network_set_for(const EndpointKey& key) {
    static const std::vector<const char*> nets = {"10.0.0.0/24", "10.0.0.0/16", "192.0.2.0/24",
                                                  "fd00::/64"};
    NetworkSetEntry s;
    s.ns = key.ns;
    s.name = key.name;
    s.labels = labels(2);
    for (int i = pick(3); i > 0; --i) {
      s.nets.push_back(cidr(one_of(nets)));
    }
    s.profiles = profiles();
    return s;
  }

  std::mt19937 rng_;
};

// The index under test, the same data as a PolicySet, and what the deltas rebuilt.
struct DifferentialHarness {
  LabelIndex index;
  std::map<EndpointKey, std::pair<Endpoint, bool>> endpoints;  // -> (endpoint, local)
  std::map<EndpointKey, NetworkSetEntry> sets;
  std::map<std::string, Labels> profiles;
  std::map<std::string, IpSetSpec> ip_sets;
  std::map<std::string, api::Selector> ep_selectors;
  std::map<std::string, std::set<SetMember>> applied_members;
  std::map<std::string, std::set<EndpointKey>> applied_matches;

  PolicySet policy_set() const {
    PolicySet set;
    for (const auto& [k, e] : endpoints) {
      set.endpoints.push_back(e.first);
    }
    for (const auto& [k, s] : sets) {
      set.network_sets.push_back(s);
    }
    for (const auto& [name, labels] : profiles) {
      set.profiles.push_back(Profile{name, labels, {}, {}});
    }
    return set;
  }

  void apply_deltas() {
    for (const auto& d : index.take_member_deltas()) {
      ASSERT_TRUE(applied_members.count(d.set_id)) << d.set_id;
      ASSERT_TRUE(std::is_sorted(d.added.begin(), d.added.end()));
      ASSERT_TRUE(std::is_sorted(d.removed.begin(), d.removed.end()));
      ASSERT_FALSE(d.added.empty() && d.removed.empty());
      auto& members = applied_members[d.set_id];
      for (const auto& m : d.removed) {
        ASSERT_EQ(members.erase(m), 1u) << d.set_id << " removes a non-member";
      }
      for (const auto& m : d.added) {
        ASSERT_TRUE(members.insert(m).second) << d.set_id << " adds a member twice";
      }
    }
    const auto matches = index.take_match_deltas();
    for (std::size_t i = 0; i < matches.size(); ++i) {
      const auto& d = matches[i];
      if (i > 0) {
        const auto& p = matches[i - 1];
        ASSERT_TRUE(std::tie(p.selector_id, p.endpoint) < std::tie(d.selector_id, d.endpoint));
      }
      ASSERT_TRUE(applied_matches.count(d.selector_id)) << d.selector_id;
      auto& eps = applied_matches[d.selector_id];
      if (d.matched) {
        ASSERT_TRUE(eps.insert(d.endpoint).second);
      } else {
        ASSERT_EQ(eps.erase(d.endpoint), 1u);
      }
    }
  }

  // Sets s0, s2, ... are inspected with members() at every step; the others only through
  // their deltas until the end (members() keeps an ordered view once asked, so both the
  // with-view and the derived-only paths are covered).
  static bool inspected(const std::string& id) { return (id.back() - '0') % 2 == 0; }

  void check(bool with_deltas, bool with_evaluator, bool all_members = false) {
    const PolicySet set = policy_set();
    for (const auto& ep : set.endpoints) {
      ASSERT_EQ(index.effective_labels(ep.key()), set.effective_labels(ep));
    }
    for (const auto& [id, spec] : ip_sets) {
      const auto expected = expected_members(set, spec);
      if (all_members || inspected(id)) {
        const auto* members = index.members(id);
        ASSERT_NE(members, nullptr);
        ASSERT_EQ(*members, expected)
            << id << " " << spec.selector.to_string() << " port " << spec.named_port;
      }
      if (with_deltas) {
        ASSERT_EQ(applied_members[id], expected) << id;
      }
    }
    for (const auto& [id, selector] : ep_selectors) {
      std::vector<EndpointKey> expected;
      for (const auto& [key, e] : endpoints) {
        if (e.second && selector.evaluate(set.effective_labels(e.first))) {
          expected.push_back(key);
        }
      }
      ASSERT_EQ(index.matching_endpoints(id), expected) << id << " " << selector.to_string();
      if (with_deltas) {
        ASSERT_EQ(std::vector<EndpointKey>(applied_matches[id].begin(), applied_matches[id].end()),
                  expected);
      }
    }
    if (with_evaluator) {
      check_against_evaluator(set);
    }
  }

  // The members (of the index, or for sets not inspected yet the brute force they were
  // just found equal to) agree with selector_matches_addr and with named ports as
  // rule_matches resolves them.
  void check_against_evaluator(const PolicySet& set) {
    std::set<net::IpAddr> addrs = {ip("10.0.0.9"), ip("192.0.2.1"), ip("fd00::9")};
    for (const auto& ep : set.endpoints) {
      addrs.insert(ep.addrs.begin(), ep.addrs.end());
    }
    for (const auto& [id, spec] : ip_sets) {
      const std::set<SetMember> members =
          inspected(id) ? *index.members(id) : expected_members(set, spec);
      if (spec.named_port.empty()) {
        for (const auto& a : addrs) {
          const bool in_set = std::any_of(members.begin(), members.end(),
                                          [&](const SetMember& m) { return m.cidr.contains(a); });
          ASSERT_EQ(in_set, selector_matches_addr(set, spec.selector, a))
              << id << " " << spec.selector.to_string() << " " << a.to_string();
        }
        continue;
      }
      Rule rule;
      rule.destination.selector = spec.selector;
      rule.destination.ports.names = {spec.named_port};
      for (const auto& a : addrs) {
        for (const auto& [proto, port] : std::vector<std::pair<std::uint8_t, std::uint16_t>>{
                 {kProtoTcp, 80}, {kProtoTcp, 8080}, {kProtoUdp, 80}, {kProtoUdp, 53}}) {
          Packet p;
          p.src = a.is_v4() ? ip("1.1.1.1") : ip("2001:db8::1");
          p.dst = a;
          p.protocol = proto;
          p.dst_port = port;
          const bool in_set = members.count(SetMember{net::Cidr(a, a.bits()), proto, port}) > 0;
          ASSERT_EQ(in_set, rule_matches(set, rule, p))
              << id << " " << spec.selector.to_string() << " " << a.to_string() << " " << port;
        }
      }
    }
  }
};

void run_differential(unsigned seed, int steps) {
  SCOPED_TRACE("seed " + std::to_string(seed));
  RandomModel r(seed);
  DifferentialHarness h;
  const std::vector<std::string> ns = {"n1", "n2", ""};
  const std::vector<std::string> named_ports = {"", "", "http", "dns"};
  for (int step = 0; step < steps; ++step) {
    SCOPED_TRACE("step " + std::to_string(step));
    const int op = r.pick(100);
    const EndpointKey key{r.one_of(ns), "i" + std::to_string(r.pick(5))};
    if (op < 30) {
      Endpoint ep = r.endpoint_for(key);
      const bool local = r.coin(60);
      h.index.upsert_endpoint(ep, local);
      h.endpoints[key] = {std::move(ep), local};
    } else if (op < 38) {
      h.index.remove_endpoint(key);
      h.endpoints.erase(key);
    } else if (op < 48) {
      NetworkSetEntry s = r.network_set_for(key);
      h.index.upsert_network_set(s);
      h.sets[key] = std::move(s);
    } else if (op < 52) {
      h.index.remove_network_set(key.ns, key.name);
      h.sets.erase(key);
    } else if (op < 62) {
      static const std::vector<std::string> names = {"kns.n1", "kns.n2", "p3"};
      const std::string& name = r.one_of(names);
      if (r.coin(80)) {
        const Labels labels = r.labels(2);
        h.index.upsert_profile(name, labels);
        h.profiles[name] = labels;
      } else {
        h.index.remove_profile(name);
        h.profiles.erase(name);
      }
    } else if (op < 80) {
      const std::string id = "s" + std::to_string(r.pick(8));
      if (r.coin(80)) {
        IpSetSpec spec{sel(r.selector(2)), r.one_of(named_ports)};
        h.index.add_ip_set(id, spec);
        h.ip_sets[id] = spec;
        h.applied_members.try_emplace(id);
      } else {
        h.index.remove_ip_set(id);
        h.ip_sets.erase(id);
        h.applied_members.erase(id);
      }
    } else {
      const std::string id = "p" + std::to_string(r.pick(5));
      if (r.coin(80)) {
        const api::Selector s = sel(r.selector(2));
        h.index.add_endpoint_selector(id, s);
        h.ep_selectors[id] = s;
        h.applied_matches.try_emplace(id);
      } else {
        h.index.remove_endpoint_selector(id);
        h.ep_selectors.erase(id);
        h.applied_matches.erase(id);
      }
    }
    const bool take = r.coin(60);
    if (take) {
      h.apply_deltas();
      if (::testing::Test::HasFatalFailure()) {
        return;
      }
    }
    h.check(take, step % 20 == 19);
    if (::testing::Test::HasFatalFailure()) {
      return;
    }
  }
  h.apply_deltas();
  h.check(true, true, true);
}

TEST(LabelIndex, RandomizedDifferentialAgainstEvaluator) {
  for (unsigned seed : {1u, 2u, 3u, 4u, 5u, 6u}) {
    run_differential(seed, 400);
    if (HasFatalFailure()) {
      return;
    }
  }
}

// ---- scale run (prints figures; no timing assertions) ----

struct Scale {
  std::vector<Endpoint> endpoints;
  std::vector<std::pair<std::string, Labels>> profiles;
  std::vector<std::string> selectors;
  std::vector<api::Selector> parsed;  // the model holds parsed selectors
};

Scale make_scale(std::mt19937& rng) {
  constexpr int kEndpoints = 10000;
  constexpr int kNamespaces = 50;
  constexpr int kApps = 1000;
  constexpr int kSelectors = 2000;
  Scale s;
  for (int n = 0; n < kNamespaces; ++n) {
    const std::string ns = "ns" + std::to_string(n);
    s.profiles.push_back(
        {"kns." + ns, {{"pcns.name", ns}, {"pcns.team", "t" + std::to_string(n % 7)}}});
    s.profiles.push_back({"ksa." + ns + ".default", {{"pcsa.name", "default"}}});
  }
  const std::vector<std::string> tiers = {"frontend", "backend", "db"};
  for (int i = 0; i < kEndpoints; ++i) {
    const int app = i % kApps;
    const std::string ns = "ns" + std::to_string(app % kNamespaces);
    Endpoint ep;
    ep.ns = ns;
    ep.name = "pod" + std::to_string(i);
    ep.labels = {{"app", "app" + std::to_string(app)},
                 {"version", "v" + std::to_string(i % 3)},
                 {"tier", tiers[static_cast<std::size_t>(app % 3)]},
                 {"pod-template-hash", std::to_string(rng() % 100000)}};
    const auto a = static_cast<std::uint32_t>(0x0a000000u + static_cast<std::uint32_t>(i) + 1u);
    ep.addrs = {net::IpAddr::v4(a)};
    ep.service_account = "default";
    ep.ports = {{"http", kProtoTcp, 8080}, {"metrics", kProtoTcp, 9090}};
    if (i % 10 == 0) {
      ep.ports.push_back({"dns", kProtoUdp, 53});
    }
    ep.profiles = {"kns." + ns, "ksa." + ns + ".default"};
    s.endpoints.push_back(std::move(ep));
  }
  for (int i = 0; i < kSelectors; ++i) {
    const int app = i % kApps;
    const std::string n = std::to_string(i);
    const std::string a = "'app" + std::to_string(app) + "'";
    const std::string in_ns =
        " && projectcalico.org/namespace == 'ns" + std::to_string(app % kNamespaces) + "'";
    const int kind = i % 200;
    std::string text;
    if (kind < 150) {  // Kubernetes pod selectors, with a version to keep them distinct
      text = "projectcalico.org/orchestrator == 'k8s' && app == ";
      text += a;
      text += i < kApps ? "" : " && version == 'v1'";
      text += in_ns;
    } else if (kind < 174) {
      text = "projectcalico.org/orchestrator == 'k8s' && app in {";
      text += a;
      text += ", 'app" + std::to_string((app + 1) % kApps) + "', 'app";
      text += n;
      text += "'}";
      text += in_ns;
    } else if (kind < 194) {  // a namespaceSelector folded in
      text = "pcns.name == 'ns" + std::to_string(app % kNamespaces);
      text += "' && tier == 'backend' && version != 'v";
      text += n;
      text += "'";
    } else if (kind < 199) {
      text = "has(tier)" + in_ns;
      text += " && app != 'x";
      text += n;
      text += "'";
    } else if (i % 3 == 0) {  // 10 broad ones
      text = "!has(canary" + n + ")";
    } else {
      text = i % 2 == 0 ? "all() && app != 'y" : "has(app) && app != 'z";
      text += n;
      text += "'";
    }
    s.selectors.push_back(text);
    s.parsed.push_back(sel(text));
  }
  return s;
}

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

// Process CPU time: steadier than wall time on a shared build machine.
double cpu_ms_since(std::clock_t start) {
  return 1000.0 * static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC;
}

void add_sets(LabelIndex& index, const Scale& s) {
  for (std::size_t i = 0; i < s.parsed.size(); ++i) {
    const api::Selector& selector = s.parsed[i];
    index.add_ip_set("s" + std::to_string(i), {selector, ""});
    if (i % 10 == 0) {
      index.add_ip_set("np" + std::to_string(i), {selector, "http"});
    }
    if (i % 4 == 0) {
      index.add_endpoint_selector("p" + std::to_string(i), selector);
    }
  }
}

void add_data(LabelIndex& index, const Scale& s) {
  for (const auto& [name, labels] : s.profiles) {
    index.upsert_profile(name, labels);
  }
  for (std::size_t i = 0; i < s.endpoints.size(); ++i) {
    index.upsert_endpoint(s.endpoints[i], i % 20 == 0);
  }
}

TEST(LabelIndex, ScaleTimings) {
  std::mt19937 rng(42);
  const Scale s = make_scale(rng);
  std::size_t distinct = std::set<std::string>(s.selectors.begin(), s.selectors.end()).size();
  ASSERT_EQ(distinct, s.selectors.size());

  // Data first, then selectors (a restart with a warm datastore).
  LabelIndex index;
  const std::clock_t cpu_start = std::clock();
  auto start = std::chrono::steady_clock::now();
  add_data(index, s);
  const double data_ms = ms_since(start);
  start = std::chrono::steady_clock::now();
  add_sets(index, s);
  const double sets_ms = ms_since(start);
  start = std::chrono::steady_clock::now();
  const auto deltas = index.take_member_deltas();
  const auto matches = index.take_match_deltas();
  const double take_ms = ms_since(start);
  const double load_cpu_ms = cpu_ms_since(cpu_start);
  std::size_t members = 0;
  for (const auto& d : deltas) {
    members += d.added.size();
  }
  EXPECT_GT(members, 0u);
  EXPECT_GT(matches.size(), 0u);

  // Selectors first, then data.
  LabelIndex index2;
  const std::clock_t cpu_start2 = std::clock();
  start = std::chrono::steady_clock::now();
  add_sets(index2, s);
  add_data(index2, s);
  index2.take_member_deltas();
  index2.take_match_deltas();
  const double reverse_ms = ms_since(start);
  const double reverse_cpu_ms = cpu_ms_since(cpu_start2);
  for (std::size_t i = 0; i < s.selectors.size(); i += 97) {
    const std::string id = "s" + std::to_string(i);
    ASSERT_EQ(*index.members(id), *index2.members(id)) << s.selectors[i];
  }

  // Single endpoint label changes, each followed by taking the deltas.
  constexpr int kChanges = 2000;
  const std::uint64_t evals_before = index.evaluations_for_test();
  const std::clock_t cpu_start3 = std::clock();
  double worst_us = 0;
  start = std::chrono::steady_clock::now();
  for (int i = 0; i < kChanges; ++i) {
    const auto one = std::chrono::steady_clock::now();
    Endpoint ep = s.endpoints[rng() % s.endpoints.size()];
    ep.labels["app"] = "app" + std::to_string(rng() % 1000);
    index.upsert_endpoint(ep, false);
    index.take_member_deltas();
    index.take_match_deltas();
    worst_us = std::max(worst_us, ms_since(one) * 1000);
  }
  const double change_us = ms_since(start) * 1000 / kChanges;
  const double change_cpu_us = cpu_ms_since(cpu_start3) * 1000 / kChanges;
  const double evals_per_change =
      static_cast<double>(index.evaluations_for_test() - evals_before) / kChanges;

  // A namespace relabel: one profile, 200 endpoints.
  start = std::chrono::steady_clock::now();
  index.upsert_profile("kns.ns3", {{"pcns.name", "ns3"}, {"pcns.team", "renamed"}});
  index.take_member_deltas();
  index.take_match_deltas();
  const double ns_ms = ms_since(start);

  std::printf(
      "[label_index scale] %zu endpoints, %zu selectors (%zu indexed, %zu unrestricted), "
      "%zu IP-set members\n"
      "  data then selectors: endpoints %.1f ms + sets %.1f ms + take %.1f ms = %.1f ms "
      "(cpu %.1f ms)\n"
      "  selectors then data: %.1f ms (cpu %.1f ms)\n"
      "  endpoint label change + take: %.1f us average (cpu %.1f us), %.1f us worst, "
      "%.1f evaluations\n"
      "  namespace relabel (200 endpoints) + take: %.2f ms\n",
      s.endpoints.size(), s.selectors.size(), index.selector_count_for_test(),
      index.unrestricted_count_for_test(), members, data_ms, sets_ms, take_ms,
      data_ms + sets_ms + take_ms, load_cpu_ms, reverse_ms, reverse_cpu_ms, change_us,
      change_cpu_us, worst_us, evals_per_change, ns_ms);
  RecordProperty("load_ms", std::to_string(data_ms + sets_ms + take_ms));
  RecordProperty("label_change_us", std::to_string(change_us));
}

}  // namespace
}  // namespace calico::policy
