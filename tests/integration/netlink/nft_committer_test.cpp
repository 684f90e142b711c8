// netlink::NftCommitter against the real kernel.  Every test makes its own network
// namespace and programs a uniquely named inet table inside it; results are checked
// through the committer's read_table() and independently through `nft -j list table`.
// Nothing runs in the host namespace.
#include "netlink/nft_committer.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "policy/nft_model.h"
#include "tests/lib/netns.h"
#include "tests/lib/process.h"

namespace calico::netlink {
namespace {

using json = nlohmann::json;
using policy::NftBaseChain;
using policy::NftBatch;
using policy::NftChainType;
using policy::NftCtStateMatch;
using policy::NftDispatch;
using policy::NftField;
using policy::NftHook;
using policy::NftKey;
using policy::NftMatch;
using policy::NftPlan;
using policy::NftRule;
using policy::NftType;
using policy::NftValue;
using policy::NftVerdict;
using testlib::NetNs;

net::IpAddr ip(std::string_view text) {
  auto a = net::IpAddr::parse(text);
  CALICO_CHECK(a.has_value());
  return *a;
}

NftValue cidr(std::string_view text) {
  auto c = net::Cidr::parse_addr_or_cidr(text);
  CALICO_CHECK(c.has_value());
  return NftValue::cidr(*c);
}

NftRule rule(std::vector<policy::NftExpr> matches, NftVerdict verdict) {
  NftRule r;
  r.matches = std::move(matches);
  r.verdict = std::move(verdict);
  return r;
}

NftMatch tcp() {
  return NftMatch::eq(NftField::L4proto, NftValue::proto(6));
}

// A plan exercising every construct: base chains, plain/interval/IPv6/concatenated/ifname
// sets, ifname vmaps, literal lists (anonymous sets), ranges, prefixes, wildcards, marks.
NftPlan sample_plan(const std::string& table) {
  NftPlan p;
  p.table = table;
  auto& v4 = p.add_set("pods-v4", {NftType::Ipv4Addr}, true);
  v4.elements = {{cidr("10.65.0.1")},
                 {cidr("10.66.0.0/16")},
                 {NftValue::addr_range(ip("10.65.1.10"), ip("10.65.1.20"))}};
  auto& v6 = p.add_set("pods-v6", {NftType::Ipv6Addr}, true);
  v6.elements = {{cidr("fd00::1")}, {cidr("fd00:1::/64")}};
  auto& hosts = p.add_set("hosts", {NftType::Ipv4Addr});
  hosts.elements = {{cidr("192.168.0.1")}, {cidr("192.168.0.2")}};
  auto& ports = p.add_set("ports", {NftType::InetService}, true);
  ports.elements = {{NftValue::port(80)}, {NftValue::port_range(8000, 8080)}};
  const std::vector<NftType> np_key = {NftType::Ipv4Addr, NftType::InetProto, NftType::InetService};
  auto& np = p.add_set("np-web", np_key);
  np.elements = {{cidr("10.65.0.1"), NftValue::proto(6), NftValue::port(80)},
                 {cidr("10.65.0.2"), NftValue::proto(17), NftValue::port(53)}};
  auto& npr = p.add_set("np-ranges", np_key, true);
  npr.elements = {{cidr("10.65.0.0/24"), NftValue::proto(6), NftValue::port_range(80, 90)}};
  auto& ifs = p.add_set("ifaces", {NftType::Ifname});
  ifs.elements = {{NftValue::ifname("cali1")}, {NftValue::ifname("cali2")}};

  for (const char* name : {"tw-cali1", "tw-cali2", "fw-cali1", "pi-allow-web"}) {
    p.add_chain(name);
  }
  auto& to_wl = p.add_map("to-wl", {NftType::Ifname});
  to_wl.elements = {{{NftValue::ifname("cali1")}, NftVerdict::go_to("tw-cali1")},
                    {{NftValue::ifname("cali2")}, NftVerdict::go_to("tw-cali2")}};
  auto& from_wl = p.add_map("from-wl", {NftType::Ifname});
  from_wl.elements = {{{NftValue::ifname("cali1")}, NftVerdict::go_to("fw-cali1")}};

  auto& fwd =
      p.add_chain("filter-FORWARD", NftBaseChain{NftHook::Forward, NftChainType::Filter, 0, false});
  fwd.rules.push_back(rule({NftCtStateMatch{policy::kNftCtEstablished | policy::kNftCtRelated}},
                           NftVerdict::accept()));
  fwd.rules.push_back(rule({NftCtStateMatch{policy::kNftCtInvalid}}, NftVerdict::drop()));
  NftRule from;
  from.dispatch = NftDispatch{NftField::Iifname, "from-wl"};
  fwd.rules.push_back(from);
  NftRule to;
  to.dispatch = NftDispatch{NftField::Oifname, "to-wl"};
  fwd.rules.push_back(to);
  NftRule unknown =
      rule({NftMatch::eq(NftField::Iifname, NftValue::ifname("cali*"))}, NftVerdict::drop());
  unknown.comment = "unknown workload interface";
  unknown.counter = true;
  fwd.rules.push_back(unknown);

  auto& input =
      p.add_chain("filter-INPUT", NftBaseChain{NftHook::Input, NftChainType::Filter, 10, false});
  input.rules.push_back(
      rule({NftMatch::in_set({NftField::Iifname}, "ifaces")}, NftVerdict::jump("fw-cali1")));

  auto& tw1 = p.chains.at("tw-cali1");
  tw1.rules.push_back(rule({NftCtStateMatch{policy::kNftCtEstablished | policy::kNftCtRelated}},
                           NftVerdict::accept()));
  tw1.rules.push_back(rule({NftCtStateMatch{policy::kNftCtInvalid}}, NftVerdict::drop()));
  NftRule clear;
  clear.mark_set = policy::NftMarkSet{0x30000, 0};
  tw1.rules.push_back(clear);
  tw1.rules.push_back(rule({}, NftVerdict::jump("pi-allow-web")));
  tw1.rules.push_back(rule({policy::NftMarkMatch{0x10000, 0x10000, false}}, NftVerdict::ret()));
  NftRule deny = rule({}, NftVerdict::drop());
  deny.counter = true;
  deny.log_prefix = "drop tw-cali1 ";
  tw1.rules.push_back(deny);

  auto& pi = p.chains.at("pi-allow-web");
  NftRule allow = rule({tcp(), NftMatch::in_set({NftField::ThDport}, "ports"),
                        NftMatch::in_set({NftField::IpSaddr}, "pods-v4")},
                       NftVerdict::ret());
  allow.mark_set = policy::NftMarkSet{0x10000, 0x10000};
  pi.rules.push_back(allow);
  pi.rules.push_back(
      rule({NftMatch::in(NftField::L4proto, {NftValue::proto(6), NftValue::proto(17)}),
            NftMatch::in(NftField::ThDport, {NftValue::port(53), NftValue::port_range(5353, 5354)}),
            NftMatch::in_set({NftField::Ip6Saddr}, "pods-v6")},
           NftVerdict::accept()));
  pi.rules.push_back(
      rule({NftMatch::in_set({NftField::IpDaddr, NftField::L4proto, NftField::ThDport}, "np-web")},
           NftVerdict::accept()));
  pi.rules.push_back(rule(
      {NftMatch::in_set({NftField::IpDaddr, NftField::L4proto, NftField::ThDport}, "np-ranges")},
      NftVerdict::accept()));
  pi.rules.push_back(
      rule({NftMatch::in(NftField::IpSaddr, {cidr("10.1.0.0/16"), cidr("10.2.0.0/16")}).negated(),
            NftMatch::eq(NftField::IpDaddr, cidr("10.65.0.0/24")), tcp(),
            NftMatch::eq(NftField::ThSport, NftValue::port_range(1024, 65535))},
           NftVerdict::accept()));
  pi.rules.push_back(
      rule({NftMatch::eq(NftField::IcmpType, NftValue::proto(8))}, NftVerdict::accept()));
  pi.rules.push_back(rule({NftMatch::eq(NftField::Icmpv6Type, NftValue::proto(128)),
                           NftMatch::eq(NftField::Icmpv6Code, NftValue::proto(0))},
                          NftVerdict::accept()));
  NftMatch pair;
  pair.fields = {NftField::IpSaddr, NftField::IpDaddr};
  pair.values = {{cidr("10.0.0.1"), cidr("10.0.0.2")}, {cidr("10.0.0.3"), cidr("10.0.0.4")}};
  pi.rules.push_back(rule({pair}, NftVerdict::accept()));
  pi.rules.push_back(
      rule({NftMatch::eq(NftField::Ip6Daddr, cidr("fd00::/8")).negated()}, NftVerdict::drop()));

  p.chains.at("tw-cali2").rules.push_back(rule({}, NftVerdict::drop()));
  auto& fw1 = p.chains.at("fw-cali1");
  fw1.rules.push_back(rule({NftMatch::in_set({NftField::IpSaddr}, "hosts").negated(),
                            NftMatch::eq(NftField::Oifname, NftValue::ifname("eth0"))},
                           NftVerdict::accept()));
  fw1.rules.push_back(rule({}, NftVerdict::ret()));
  return p;
}

NftPlan absent(const std::string& table) {
  NftPlan p;
  p.table = table;
  p.table_exists = false;
  return p;
}

// `nft -j list table inet NAME` inside the namespace; null on failure.
json nft_json(const NetNs& ns, const std::string& table) {
  auto r = ns.exec({"nft", "-j", "list", "table", "inet", table});
  if (r.exit_code != 0) {
    ADD_FAILURE() << "nft list table " << table << ": " << r.output;
    return nullptr;
  }
  return json::parse(r.output, nullptr, false);
}

// Objects of one kind ("set", "map", "chain", "rule") from nft's JSON.
std::vector<json> objects(const json& j, const std::string& kind) {
  std::vector<json> out;
  if (!j.is_object() || !j.contains("nftables")) {
    return out;
  }
  for (const auto& o : j["nftables"]) {
    if (o.contains(kind)) {
      out.push_back(o[kind]);
    }
  }
  return out;
}

// chain name -> rule handles, in order.
std::map<std::string, std::vector<std::uint64_t>> rule_handles(const json& j) {
  std::map<std::string, std::vector<std::uint64_t>> out;
  for (const auto& r : objects(j, "rule")) {
    out[r["chain"].get<std::string>()].push_back(r["handle"].get<std::uint64_t>());
  }
  return out;
}

json set_elements(const json& j, const std::string& name) {
  for (const char* kind : {"set", "map"}) {
    for (const auto& s : objects(j, kind)) {
      if (s["name"] == name) {
        return s.contains("elem") ? s["elem"] : json::array();
      }
    }
  }
  return nullptr;
}

// Everything but handles and the table name, keyed by kind and name: what two tables
// programmed from the same plan must share.
std::map<std::string, json> comparable(const json& j) {
  std::map<std::string, json> out;
  for (const char* kind : {"set", "map", "chain"}) {
    for (auto o : objects(j, kind)) {
      o.erase("handle");
      o.erase("table");
      out[std::string(kind) + " " + o["name"].get<std::string>()] = o;
    }
  }
  std::map<std::string, json> rules;
  for (auto r : objects(j, "rule")) {
    const std::string chain = r["chain"].get<std::string>();
    r.erase("handle");
    r.erase("table");
    if (!rules.count(chain)) {
      rules[chain] = json::array();
    }
    rules[chain].push_back(r);
  }
  for (auto& [chain, list] : rules) {
    out["rules " + chain] = list;
  }
  return out;
}

std::string write_temp(const std::string& text) {
  char path[] = "/tmp/calico-nft-XXXXXX";
  const int fd = ::mkstemp(path);
  CALICO_CHECK(fd >= 0);
  ::close(fd);
  std::ofstream(path) << text;
  return path;
}

class NftCommitterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(ns_.ok()) << ns_.error();
    auto c = NftCommitter::open(ns_.name());
    ASSERT_TRUE(c.has_value()) << c.error();
    committer_ = std::move(*c);
    table_ = testlib::unique_name("calt");
  }

  // Commits diff(read_table, want) and checks that the kernel now equals want.
  void converge(const NftPlan& want) {
    auto have = committer_->read_table(want.table);
    ASSERT_TRUE(have.has_value()) << have.error();
    const NftBatch batch = policy::diff(*have, want);
    auto done = committer_->commit(batch);
    ASSERT_TRUE(done.has_value()) << done.error() << "\n" << policy::to_nft_text(batch);
    auto after = committer_->read_table(want.table);
    ASSERT_TRUE(after.has_value()) << after.error();
    EXPECT_TRUE(policy::diff(*after, want).empty())
        << policy::to_nft_text(policy::diff(*after, want));
  }

  NetNs ns_;
  std::unique_ptr<NftCommitter> committer_;
  std::string table_;
};

TEST_F(NftCommitterTest, CommitsAFullPlanThatNftLists) {
  const NftPlan want = sample_plan(table_);
  ASSERT_TRUE(policy::validate(want).has_value()) << policy::validate(want).error();
  auto done = committer_->commit(policy::diff(absent(table_), want));
  ASSERT_TRUE(done.has_value()) << done.error();

  const json j = nft_json(ns_, table_);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(objects(j, "set").size(), 7U);
  EXPECT_EQ(objects(j, "map").size(), 2U);
  EXPECT_EQ(objects(j, "chain").size(), 6U);
  EXPECT_EQ(rule_handles(j)["filter-FORWARD"].size(), 5U);
  EXPECT_EQ(rule_handles(j)["pi-allow-web"].size(), 9U);
  for (const auto& c : objects(j, "chain")) {
    if (c["name"] == "filter-FORWARD") {
      EXPECT_EQ(c["hook"], "forward");
      EXPECT_EQ(c["type"], "filter");
      EXPECT_EQ(c["prio"], 0);
      EXPECT_EQ(c["policy"], "accept");
    }
  }
  // nft decodes our elements the way we meant them.
  EXPECT_EQ(
      set_elements(j, "pods-v4").dump(),
      R"(["10.65.0.1",{"range":["10.65.1.10","10.65.1.20"]},{"prefix":{"addr":"10.66.0.0","len":16}}])");
  EXPECT_EQ(set_elements(j, "pods-v6").dump(),
            R"(["fd00::1",{"prefix":{"addr":"fd00:1::","len":64}}])");
  EXPECT_EQ(set_elements(j, "np-ranges").dump(),
            R"([{"concat":[{"prefix":{"addr":"10.65.0.0","len":24}},"tcp",{"range":[80,90]}]}])");
  const std::string np = set_elements(j, "np-web").dump();
  EXPECT_NE(np.find(R"({"concat":["10.65.0.1","tcp",80]})"), std::string::npos) << np;
  EXPECT_NE(np.find(R"({"concat":["10.65.0.2","udp",53]})"), std::string::npos) << np;
  const std::string to_wl = set_elements(j, "to-wl").dump();
  EXPECT_NE(to_wl.find(R"(["cali1",{"goto":{"target":"tw-cali1"}}])"), std::string::npos) << to_wl;
  // The human-readable listing shows the rule comments with our fingerprints.
  auto text = ns_.exec({"nft", "list", "table", "inet", table_});
  ASSERT_EQ(text.exit_code, 0) << text.output;
  EXPECT_NE(text.output.find("iifname vmap @from-wl"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("comment \"cal:"), std::string::npos) << text.output;
}

TEST_F(NftCommitterTest, OurEncodingEqualsNftsReadingOfOurText) {
  // The same plan, once through our netlink encoding and once as text through nft -f:
  // nft must list both tables identically (sets, maps, chains and every rule).
  const NftPlan ours = sample_plan(table_);
  ASSERT_TRUE(committer_->commit(policy::diff(absent(table_), ours)).has_value());
  const std::string other = table_ + "x";
  const std::string file = write_temp(policy::to_nft_text(sample_plan(other)));
  auto loaded = ns_.exec({"nft", "-f", file});
  std::remove(file.c_str());
  ASSERT_EQ(loaded.exit_code, 0) << loaded.output << "\n" << policy::to_nft_text(ours);
  const auto a = comparable(nft_json(ns_, table_));
  const auto b = comparable(nft_json(ns_, other));
  ASSERT_FALSE(a.empty());
  for (const auto& [key, value] : b) {
    auto it = a.find(key);
    ASSERT_NE(it, a.end()) << key;
    EXPECT_EQ(it->second.dump(), value.dump()) << key;
  }
  EXPECT_EQ(a.size(), b.size());
  // And the nft-loaded table reads back as the plan (fingerprints from the comments).
  auto back = committer_->read_table(other);
  ASSERT_TRUE(back.has_value()) << back.error();
  EXPECT_TRUE(policy::diff(*back, sample_plan(other)).empty())
      << policy::to_nft_text(policy::diff(*back, sample_plan(other)));
}

TEST_F(NftCommitterTest, ReadTableRoundTripsToAnEmptyDiff) {
  const NftPlan want = sample_plan(table_);
  converge(want);
  auto have = committer_->read_table(table_);
  ASSERT_TRUE(have.has_value()) << have.error();
  EXPECT_TRUE(have->table_exists);
  EXPECT_EQ(have->sets.size(), want.sets.size());
  EXPECT_EQ(have->maps.size(), want.maps.size());
  for (const auto& [name, set] : want.sets) {
    ASSERT_TRUE(have->sets.count(name)) << name;
    EXPECT_EQ(have->sets.at(name).key, set.key) << name;
    EXPECT_EQ(have->sets.at(name).interval, set.interval) << name;
    EXPECT_EQ(have->sets.at(name).elements, policy::canonical_elements(set)) << name;
  }
  EXPECT_EQ(have->maps.at("to-wl").elements, want.maps.at("to-wl").elements);
  for (const auto& [name, chain] : want.chains) {
    ASSERT_TRUE(have->chains.count(name)) << name;
    EXPECT_EQ(have->chains.at(name).base, chain.base) << name;
    ASSERT_EQ(have->chains.at(name).rules.size(), chain.rules.size()) << name;
    for (std::size_t i = 0; i < chain.rules.size(); ++i) {
      EXPECT_EQ(have->chains.at(name).rules[i].kernel_fingerprint,
                policy::rule_fingerprint(chain.rules[i]));
      EXPECT_NE(have->chains.at(name).rules[i].handle, 0U);
    }
  }
  auto missing = committer_->read_table(table_ + "none");
  ASSERT_TRUE(missing.has_value()) << missing.error();
  EXPECT_FALSE(missing->table_exists);
}

TEST_F(NftCommitterTest, ElementOnlyChangeLeavesEveryRuleUntouched) {
  NftPlan want = sample_plan(table_);
  converge(want);
  const json before = nft_json(ns_, table_);
  const auto handles = rule_handles(before);

  // A pod label change: set memberships and dispatch entries move, no rule changes.
  want.sets.at("pods-v4").elements.erase({cidr("10.65.0.1")});
  want.sets.at("pods-v4").elements.insert({cidr("10.65.0.7")});
  want.sets.at("np-web").elements.insert(
      {cidr("10.65.0.9"), NftValue::proto(6), NftValue::port(8080)});
  want.maps.at("to-wl").elements[{NftValue::ifname("cali2")}] = NftVerdict::go_to("tw-cali1");
  auto have = committer_->read_table(table_);
  ASSERT_TRUE(have.has_value()) << have.error();
  const NftBatch batch = policy::diff(*have, want);
  for (const auto& op : batch.ops) {
    EXPECT_TRUE(std::holds_alternative<policy::NftSetElements>(op) ||
                std::holds_alternative<policy::NftMapElements>(op))
        << policy::format_op(table_, op);
  }
  EXPECT_EQ(batch.ops.size(), 5U) << policy::to_nft_text(batch);
  ASSERT_TRUE(committer_->commit(batch).has_value());

  const json after = nft_json(ns_, table_);
  EXPECT_EQ(rule_handles(after), handles);
  const std::string v4 = set_elements(after, "pods-v4").dump();
  EXPECT_NE(v4.find("10.65.0.7"), std::string::npos) << v4;
  EXPECT_EQ(v4.find("10.65.0.1\""), std::string::npos) << v4;
  EXPECT_NE(set_elements(after, "to-wl").dump().find(R"(["cali2",{"goto":{"target":"tw-cali1"}}])"),
            std::string::npos);
  auto back = committer_->read_table(table_);
  ASSERT_TRUE(back.has_value());
  EXPECT_TRUE(policy::diff(*back, want).empty());
}

TEST_F(NftCommitterTest, ChangedChainIsRewrittenAndOthersKeepTheirRules) {
  NftPlan want = sample_plan(table_);
  converge(want);
  const auto handles = rule_handles(nft_json(ns_, table_));
  want.chains.at("tw-cali2")
      .rules.insert(want.chains.at("tw-cali2").rules.begin(), rule({tcp()}, NftVerdict::accept()));
  converge(want);
  auto after = rule_handles(nft_json(ns_, table_));
  EXPECT_EQ(after["tw-cali2"].size(), 2U);
  EXPECT_NE(after["tw-cali2"], handles.at("tw-cali2"));
  after.erase("tw-cali2");
  auto others = handles;
  others.erase("tw-cali2");
  EXPECT_EQ(after, others);
}

TEST_F(NftCommitterTest, InvalidBatchFailsAsAWholeAndNamesTheRule) {
  const NftPlan good = sample_plan(table_);
  converge(good);
  const json before = nft_json(ns_, table_);

  // Element additions that would succeed, then a rule jumping to a missing chain.
  NftPlan bad = good;
  bad.sets.at("pods-v4").elements.insert({cidr("10.70.0.1")});
  bad.chains.at("tw-cali2").rules.push_back(rule({tcp()}, NftVerdict::jump("no-such-chain")));
  auto have = committer_->read_table(table_);
  ASSERT_TRUE(have.has_value());
  auto r = committer_->commit(policy::diff(*have, bad));
  ASSERT_FALSE(r.has_value());
  std::printf("[ error  ] %s\n", r.error().c_str());
  EXPECT_NE(r.error().find("add rule inet " + table_ + " tw-cali2"), std::string::npos)
      << r.error();
  EXPECT_NE(r.error().find("jump no-such-chain"), std::string::npos) << r.error();
  // Nothing of the batch is visible: not the element, not the flush of tw-cali2.
  EXPECT_EQ(nft_json(ns_, table_).dump(), before.dump());
}

TEST_F(NftCommitterTest, ElementErrorNamesTheElement) {
  converge(sample_plan(table_));
  NftBatch batch;
  batch.table = table_;
  policy::NftSetElements del{false, "hosts", {NftType::Ipv4Addr}, false, {}};
  del.elements = {{cidr("192.168.0.1")}, {cidr("192.168.0.99")}, {cidr("192.168.0.2")}};
  batch.ops.emplace_back(del);
  auto r = committer_->commit(batch);
  ASSERT_FALSE(r.has_value());
  std::printf("[ error  ] %s\n", r.error().c_str());
  EXPECT_NE(r.error().find("delete element inet " + table_ + " hosts { 192.168.0.99 }"),
            std::string::npos)
      << r.error();
  // The two existing elements were not deleted either.
  const std::string hosts = set_elements(nft_json(ns_, table_), "hosts").dump();
  EXPECT_NE(hosts.find("192.168.0.1"), std::string::npos) << hosts;
  EXPECT_NE(hosts.find("192.168.0.2"), std::string::npos) << hosts;
}

TEST_F(NftCommitterTest, ResyncRemovesStaleObjectsAndForeignRules) {
  converge(sample_plan(table_));
  // Leftovers of an older run plus a rule someone added by hand.
  for (const std::vector<std::string>& cmd : {
           std::vector<std::string>{"nft", "add", "chain", "inet", table_, "tw-old"},
           std::vector<std::string>{"nft", "add", "rule", "inet", table_, "tw-old", "jump",
                                    "tw-cali2"},
           std::vector<std::string>{"nft", "add", "set", "inet", table_, "old-set",
                                    "{ type ipv4_addr; }"},
           std::vector<std::string>{
               "nft", "add", "map", "inet", table_, "old-map",
               "{ type ifname : verdict; elements = { \"x\" : goto tw-old } }"},
           std::vector<std::string>{"nft", "add", "rule", "inet", table_, "tw-cali1", "accept"},
       }) {
    auto r = ns_.exec(cmd);
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  converge(sample_plan(table_));
  const json j = nft_json(ns_, table_);
  EXPECT_EQ(objects(j, "chain").size(), 6U);
  EXPECT_EQ(objects(j, "set").size(), 7U);
  EXPECT_EQ(objects(j, "map").size(), 2U);
  EXPECT_EQ(rule_handles(j)["tw-cali1"].size(),
            sample_plan(table_).chains.at("tw-cali1").rules.size());
}

TEST_F(NftCommitterTest, SetTypeChangeRebuildsTheTableAtomically) {
  NftPlan want = sample_plan(table_);
  converge(want);
  want.sets.at("hosts").interval = true;
  want.sets.at("hosts").elements.insert({cidr("172.16.0.0/12")});
  auto have = committer_->read_table(table_);
  ASSERT_TRUE(have.has_value());
  const NftBatch batch = policy::diff(*have, want);
  ASSERT_GE(batch.ops.size(), 3U);
  EXPECT_TRUE(std::holds_alternative<policy::NftDeleteTable>(batch.ops[1]));
  converge(want);
}

TEST_F(NftCommitterTest, ForeignTablesAreNeverTouched) {
  for (const std::vector<std::string>& cmd : {
           std::vector<std::string>{"nft", "add", "table", "inet", "foreign"},
           std::vector<std::string>{"nft", "add", "chain", "inet", "foreign", "c"},
           std::vector<std::string>{"nft", "add", "rule", "inet", "foreign", "c", "accept"},
           std::vector<std::string>{"nft", "add", "table", "ip", table_},
       }) {
    auto r = ns_.exec(cmd);
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  const auto before = ns_.exec({"nft", "list", "table", "inet", "foreign"});
  converge(sample_plan(table_));
  auto have = committer_->read_table(table_);
  ASSERT_TRUE(have.has_value());
  EXPECT_EQ(have->chains.count("c"), 0U);
  ASSERT_TRUE(committer_->delete_table(table_).has_value());
  EXPECT_TRUE(committer_->delete_table(table_).has_value()) << "absent table is success";
  EXPECT_EQ(ns_.exec({"nft", "list", "table", "inet", "foreign"}).output, before.output);
  EXPECT_EQ(ns_.exec({"nft", "list", "table", "ip", table_}).exit_code, 0);
  EXPECT_NE(ns_.exec({"nft", "list", "table", "inet", table_}).exit_code, 0);
}

TEST_F(NftCommitterTest, TimingTenThousandElementsAndThousandChainsInOneBatch) {
  NftPlan want;
  want.table = table_;
  auto& members = want.add_set("members", {NftType::Ipv4Addr}, true);
  for (std::uint32_t i = 0; i < 10000; ++i) {
    members.elements.insert({NftValue::addr(net::IpAddr::v4(0x0a400000U + i * 2))});
  }
  auto& dispatch = want.add_map("to-wl", {NftType::Ifname});
  auto& fwd = want.add_chain("filter-FORWARD", NftBaseChain{});
  NftRule d;
  d.dispatch = NftDispatch{NftField::Oifname, "to-wl"};
  fwd.rules.push_back(d);
  for (int i = 0; i < 1000; ++i) {
    const std::string name = "tw-cali" + std::to_string(i);
    auto& c = want.add_chain(name);
    c.rules.push_back(rule({NftCtStateMatch{policy::kNftCtEstablished | policy::kNftCtRelated}},
                           NftVerdict::accept()));
    c.rules.push_back(rule({tcp(), NftMatch::eq(NftField::ThDport, NftValue::port(80)),
                            NftMatch::in_set({NftField::IpSaddr}, "members")},
                           NftVerdict::accept()));
    c.rules.push_back(rule({}, NftVerdict::drop()));
    dispatch.elements[{NftValue::ifname("cali" + std::to_string(i))}] = NftVerdict::go_to(name);
  }
  ASSERT_TRUE(policy::validate(want).has_value());
  const auto t0 = std::chrono::steady_clock::now();
  const NftBatch batch = policy::diff(absent(table_), want);
  const auto t1 = std::chrono::steady_clock::now();
  auto r = committer_->commit(batch);
  const auto t2 = std::chrono::steady_clock::now();
  ASSERT_TRUE(r.has_value()) << r.error();
  auto back = committer_->read_table(table_);
  const auto t3 = std::chrono::steady_clock::now();
  ASSERT_TRUE(back.has_value()) << back.error();
  EXPECT_EQ(back->sets.at("members").elements.size(), 10000U);
  EXPECT_EQ(back->chains.size(), 1001U);
  EXPECT_TRUE(policy::diff(*back, want).empty());
  using ms = std::chrono::duration<double, std::milli>;
  std::printf(
      "[ timing ] 10000 set elements + 1000 chains (3001 rules, 1000 vmap elements): "
      "diff %.1f ms, commit %.1f ms (%zu ops), read_table %.1f ms\n",
      ms(t1 - t0).count(), ms(t2 - t1).count(), batch.ops.size(), ms(t3 - t2).count());
  EXPECT_LT(ms(t2 - t1).count(), 10000.0);
}

}  // namespace
}  // namespace calico::netlink
