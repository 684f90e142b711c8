// calico-node start-up: environment parsing, address autodetection, Node registration.
#include "felix/node_config.h"

#include <gtest/gtest.h>

#include "datastore/memory_store.h"
#include "tests/unit/felix/felix_test_util.h"

namespace calico::felix {
namespace {

TEST(NodeOptions, DefaultsAndOverrides) {
  auto o = node_options_from_env({}, "host-1");
  ASSERT_TRUE(o) << o.error();
  EXPECT_EQ(o->node_name, "host-1");
  EXPECT_EQ(o->ip, "autodetect");
  EXPECT_EQ(o->ip6, "none");
  EXPECT_TRUE(o->bgp_enabled);
  EXPECT_EQ(o->health_port, 9099);
  EXPECT_EQ(o->nodename_file, "/var/lib/calico/nodename");

  o = node_options_from_env({{"NODENAME", "n1"},
                             {"HOSTNAME", "ignored"},
                             {"IP", "10.0.0.5/24"},
                             {"IP6", "fd00::5"},
                             {"AS", "65010"},
                             {"CALICO_ROUTER_ID", "hash"},
                             {"CALICO_NETWORKING_BACKEND", "none"},
                             {"FELIX_HEALTHPORT", "19099"},
                             {"FELIX_ROUTEREFRESHINTERVAL", "30"}},
                            "host-1");
  ASSERT_TRUE(o) << o.error();
  EXPECT_EQ(o->node_name, "n1");
  EXPECT_EQ(o->ip, "10.0.0.5/24");
  EXPECT_EQ(o->ip6, "fd00::5");
  EXPECT_EQ(o->asn, 65010U);
  EXPECT_FALSE(o->bgp_enabled);
  EXPECT_EQ(o->health_port, 19099);
  EXPECT_EQ(o->refresh_interval, std::chrono::seconds(30));
}

TEST(NodeOptions, ErrorsNameTheVariable) {
  const std::pair<const char*, const char*> bad[] = {
      {"IP", "10.0.0.300"},
      {"IP", "fd00::1"},
      {"IP6", "10.0.0.1"},
      {"AS", "banana"},
      {"CALICO_ROUTER_ID", "1.2.3"},
      {"CALICO_NETWORKING_BACKEND", "gobgp"},
      {"FELIX_HEALTHPORT", "70000"},
      {"FELIX_HEALTHENABLED", "perhaps"},
      {"IP_AUTODETECTION_METHOD", "can-reach=8.8.8.8"},
      {"FELIX_ROUTEREFRESHINTERVAL", "0"},
  };
  for (const auto& [var, value] : bad) {
    auto o = node_options_from_env({{var, value}}, "h");
    ASSERT_FALSE(o) << var << "=" << value;
    EXPECT_NE(o.error().find(var), std::string::npos) << o.error();
  }
}

TEST(Autodetect, FirstFoundSkipsVirtualAndLinkLocal) {
  const std::vector<std::pair<std::string, std::string>> ifaces = {
      {"lo", "127.0.0.1/8"},    {"cali12345678901", "169.254.1.1/32"}, {"docker0", "172.17.0.1/16"},
      {"eth0", "fe80::1/64"},   {"eth0", "192.168.7.10/24"},           {"eth1", "10.20.0.3/16"},
      {"eth1", "fd00:20::3/64"}};
  auto v4 = autodetect_address(ifaces, "first-found", net::Family::V4);
  ASSERT_TRUE(v4) << v4.error();
  EXPECT_EQ(*v4, "192.168.7.10/24");
  auto v6 = autodetect_address(ifaces, "first-found", net::Family::V6);
  ASSERT_TRUE(v6);
  EXPECT_EQ(*v6, "fd00:20::3/64");
  auto by_iface = autodetect_address(ifaces, "interface=eth1", net::Family::V4);
  ASSERT_TRUE(by_iface);
  EXPECT_EQ(*by_iface, "10.20.0.3/16");
  auto by_cidr = autodetect_address(ifaces, "cidr=10.0.0.0/8,172.16.0.0/12", net::Family::V4);
  ASSERT_TRUE(by_cidr);
  EXPECT_EQ(*by_cidr, "172.17.0.1/16");  // cidr= does not skip virtual interfaces
  auto none = autodetect_address(ifaces, "interface=wlan.*", net::Family::V4);
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().find("interface=wlan"), std::string::npos);
  EXPECT_FALSE(autodetect_address(ifaces, "interface=(", net::Family::V4));
}

TEST(RegisterNode, CreatesThenUpdatesKeepingOtherFields) {
  datastore::MemoryStore ds;
  NodeRegistration reg{"n1", "10.0.0.1/24", "", 65001};
  auto n = register_node(ds, reg, true);
  ASSERT_TRUE(n) << n.error().message;
  ASSERT_TRUE(n->spec.bgp.has_value());
  EXPECT_EQ(n->spec.bgp->ipv4_address, "10.0.0.1/24");
  EXPECT_EQ(n->spec.bgp->as_number->value(), 65001U);
  ASSERT_EQ(n->spec.addresses.size(), 1U);
  EXPECT_EQ(n->spec.addresses[0].type, "CalicoNodeIP");

  // An operator made it a route reflector and labelled it: a re-registration with a new
  // address keeps both.
  api::Node edited = *n;
  edited.spec.bgp->route_reflector_cluster_id = "224.0.0.1";
  edited.metadata.labels["rr"] = "true";
  ASSERT_TRUE(ds.update(edited));
  const std::string rev_before = ds.get({api::Kind::Node, "", "n1"})->revision;
  reg.ipv4 = "10.0.0.9/24";
  n = register_node(ds, reg, true);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->spec.bgp->ipv4_address, "10.0.0.9/24");
  EXPECT_EQ(n->spec.bgp->route_reflector_cluster_id, "224.0.0.1");
  EXPECT_EQ(n->metadata.labels.at("rr"), "true");
  // Nothing to change: no write.
  const std::string rev_after = ds.get({api::Kind::Node, "", "n1"})->revision;
  EXPECT_NE(rev_after, rev_before);
  ASSERT_TRUE(register_node(ds, reg, true));
  EXPECT_EQ(ds.get({api::Kind::Node, "", "n1"})->revision, rev_after);
}

TEST(RegisterNode, RefusesAnAddressAnotherNodeUses) {
  datastore::MemoryStore ds;
  ASSERT_TRUE(register_node(ds, {"n1", "10.0.0.1/24", "", std::nullopt}, true));
  auto r = register_node(ds, {"n2", "10.0.0.1/16", "", std::nullopt}, true);
  ASSERT_FALSE(r);
  EXPECT_FALSE(r.error().retryable);
  EXPECT_NE(r.error().message.find("n1"), std::string::npos) << r.error().message;
  EXPECT_FALSE(ds.get({api::Kind::Node, "", "n2"}));
}

TEST(RegisterNode, MissingNodeOnKubernetesIsRetryable) {
  datastore::MemoryStore ds;
  auto r = register_node(ds, {"n1", "10.0.0.1/24", "", std::nullopt}, false);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().retryable);
  EXPECT_NE(r.error().message.find("kubelet"), std::string::npos);
}

}  // namespace
}  // namespace calico::felix

namespace calico::felix {
namespace {

TEST(ClusterInformation, CreatedOnceThenKeptWithItsGuidAndLock) {
  datastore::MemoryStore ds;
  auto first = ensure_cluster_information(ds, "k8s,bgp", "v9");
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->spec.cluster_guid.size(), 32U);
  EXPECT_EQ(first->spec.cluster_type, "k8s,bgp");
  EXPECT_EQ(first->spec.calico_version, "v9");
  EXPECT_EQ(first->spec.datastore_ready, std::optional<bool>(true));

  // A second node (or a restart) keeps the GUID; nothing is rewritten when unchanged.
  const auto rev = ds.get({api::Kind::ClusterInformation, "", "default"})->revision;
  auto again = ensure_cluster_information(ds, "k8s,bgp", "v9");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->spec.cluster_guid, first->spec.cluster_guid);
  EXPECT_EQ(ds.get({api::Kind::ClusterInformation, "", "default"})->revision, rev);

  // An explicit lock (calicoctl datastore migrate lock) survives; a new version is written.
  auto locked = std::get<api::ClusterInformation>(
      ds.get({api::Kind::ClusterInformation, "", "default"})->value);
  locked.spec.datastore_ready = false;
  locked.metadata.resource_version = rev;
  ASSERT_TRUE(ds.update(locked));
  auto upgraded = ensure_cluster_information(ds, "k8s,bgp,kdd", "v10");
  ASSERT_TRUE(upgraded);
  EXPECT_EQ(upgraded->spec.datastore_ready, std::optional<bool>(false));
  EXPECT_EQ(upgraded->spec.calico_version, "v10");
  EXPECT_EQ(upgraded->spec.cluster_type, "k8s,bgp,kdd");
  EXPECT_EQ(upgraded->spec.cluster_guid, first->spec.cluster_guid);
}

}  // namespace
}  // namespace calico::felix
