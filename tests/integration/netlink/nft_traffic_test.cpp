// Real packets through tables programmed by netlink::NftCommitter: two namespaces joined
// by a veth pair, a TCP listener in "server", and bash /dev/tcp connects from "client".
// A drop in our table must refuse new connections; removing it must let them through.
#include <chrono>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "netlink/nft_committer.h"
#include "policy/nft_model.h"
#include "tests/lib/netns.h"
#include "tests/lib/process.h"

namespace calico::netlink {
namespace {

using namespace std::chrono_literals;
using policy::NftBaseChain;
using policy::NftDispatch;
using policy::NftField;
using policy::NftHook;
using policy::NftMatch;
using policy::NftPlan;
using policy::NftRule;
using policy::NftType;
using policy::NftValue;
using policy::NftVerdict;
using testlib::NetNs;

constexpr const char* kServerAddr = "10.199.7.2";
constexpr int kPort = 8080;

class NftTrafficTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(client_.ok()) << client_.error();
    ASSERT_TRUE(server_.ok()) << server_.error();
    link_ = std::make_unique<testlib::VethPair>(&client_, "10.199.7.1/30", &server_,
                                                std::string(kServerAddr) + "/30");
    ASSERT_TRUE(link_->ok()) << link_->error();
    // A listener that never accepts: the kernel completes handshakes into the backlog.
    auto p = testlib::Process::start({{"python3", "-c",
                                       "import socket,time\n"
                                       "s=socket.socket()\n"
                                       "s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
                                       "s.bind(('0.0.0.0'," +
                                           std::to_string(kPort) +
                                           "))\n"
                                           "s.listen(1024)\n"
                                           "time.sleep(600)\n"},
                                      server_.name(),
                                      {},
                                      ""});
    ASSERT_TRUE(p.has_value()) << p.error();
    listener_ = std::move(*p);
    ASSERT_TRUE(testlib::wait_until([&] { return connects(); }, 10s)) << listener_->log_tail();
    auto c = NftCommitter::open(server_.name());
    ASSERT_TRUE(c.has_value()) << c.error();
    committer_ = std::move(*c);
  }

  // One TCP connect from client to server, bounded to 1 s.
  bool connects() {
    const std::string probe =
        "exec 3<>/dev/tcp/" + std::string(kServerAddr) + "/" + std::to_string(kPort);
    return client_.exec({"timeout", "1", "bash", "-c", probe}).exit_code == 0;
  }

  void apply(const NftPlan& want) {
    ASSERT_TRUE(policy::validate(want).has_value()) << policy::validate(want).error();
    auto have = committer_->read_table(want.table);
    ASSERT_TRUE(have.has_value()) << have.error();
    auto done = committer_->commit(policy::diff(*have, want));
    ASSERT_TRUE(done.has_value()) << done.error();
  }

  // Input hook: established/related accepted, then dispatch on the incoming interface to
  // a per-endpoint chain that drops new TCP connections to kPort.
  NftPlan plan(bool dispatch_to_deny) {
    NftPlan p;
    p.table = "calico-traffic";
    p.add_chain("deny-web").rules.push_back([] {
      NftRule r;
      r.matches = {NftMatch::eq(NftField::L4proto, NftValue::proto(6)),
                   NftMatch::eq(NftField::ThDport, NftValue::port(kPort))};
      r.counter = true;
      r.verdict = NftVerdict::drop();
      return r;
    }());
    auto& map = p.add_map("from-if", {NftType::Ifname});
    if (dispatch_to_deny) {
      map.elements[{NftValue::ifname(link_->name_b())}] = NftVerdict::go_to("deny-web");
    }
    auto& input = p.add_chain("filter-INPUT", NftBaseChain{NftHook::Input});
    NftRule ct;
    ct.matches = {policy::NftCtStateMatch{policy::kNftCtEstablished | policy::kNftCtRelated}};
    ct.verdict = NftVerdict::accept();
    input.rules.push_back(ct);
    NftRule d;
    d.dispatch = NftDispatch{NftField::Iifname, "from-if"};
    input.rules.push_back(d);
    return p;
  }

  NetNs client_;
  NetNs server_;
  std::unique_ptr<testlib::VethPair> link_;
  std::unique_ptr<testlib::Process> listener_;
  std::unique_ptr<NftCommitter> committer_;
};

TEST_F(NftTrafficTest, DropInOurTableBlocksTcpConnectAndRemovalAllowsIt) {
  ASSERT_TRUE(connects());

  // A plain drop rule on the input hook.
  NftPlan drop;
  drop.table = "calico-traffic";
  NftRule r;
  r.matches = {NftMatch::eq(NftField::L4proto, NftValue::proto(6)),
               NftMatch::eq(NftField::ThDport, NftValue::port(kPort))};
  r.verdict = NftVerdict::drop();
  drop.add_chain("filter-INPUT", NftBaseChain{NftHook::Input}).rules.push_back(r);
  apply(drop);
  EXPECT_FALSE(connects());

  // Removal (the chain stays, its rule goes): connections work again.
  drop.chains.at("filter-INPUT").rules.clear();
  apply(drop);
  EXPECT_TRUE(connects());

  ASSERT_TRUE(committer_->delete_table("calico-traffic").has_value());
  EXPECT_TRUE(connects());
}

TEST_F(NftTrafficTest, VmapDispatchElementChangeTogglesTheEndpointPolicy) {
  apply(plan(false));
  EXPECT_TRUE(connects());

  // Only the vmap element is added: the interface now dispatches to deny-web.
  apply(plan(true));
  EXPECT_FALSE(connects());
  auto counter = server_.exec({"nft", "list", "chain", "inet", "calico-traffic", "deny-web"});
  EXPECT_EQ(counter.output.find("packets 0 "), std::string::npos) << counter.output;

  apply(plan(false));
  EXPECT_TRUE(connects());
  ASSERT_TRUE(committer_->delete_table("calico-traffic").has_value());
}

}  // namespace
}  // namespace calico::netlink
