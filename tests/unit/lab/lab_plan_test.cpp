// The lab's pure parts: plan (names, addresses, AS numbers per topology), the Calico
// resources it loads (decoded and validated by api/), the ToR configurations, the state
// file round trip, argument parsers and the rendered tables.
#include <signal.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "api/document.h"
#include "lab/plan.h"
#include "lab/render.h"
#include "lab/state.h"
#include "lab/sys.h"

namespace calico::lab {
namespace {

std::vector<api::AnyResource> decode_valid(const std::string& yaml) {
  auto docs = api::decode_yaml(yaml);
  EXPECT_TRUE(docs) << (docs ? "" : docs.error().to_string()) << "\n" << yaml;
  if (!docs) {
    return {};
  }
  for (auto& d : *docs) {
    api::apply_defaults(d);
    auto v = api::validate(d);
    EXPECT_TRUE(v) << (v ? "" : v.error().to_string());
  }
  return *docs;
}

TEST(LabPlan, TorTopologyHasOneAsPerRack) {
  Options o;
  o.name = "x1";
  o.nodes = 5;
  o.nodes_per_rack = 2;
  auto p = make_plan(o);
  ASSERT_TRUE(p) << p.error();
  ASSERT_EQ(p->nodes.size(), 5U);
  EXPECT_EQ(p->tor_netns, "x1-tor");
  EXPECT_EQ(p->ctl_netns, "x1-ctl");
  EXPECT_EQ(p->nodes[0].netns, "x1-node1");
  EXPECT_EQ(p->nodes[4].ip, "10.99.0.5");
  std::vector<int> as;
  for (const auto& n : p->nodes) {
    as.push_back(n.as);
    EXPECT_FALSE(n.route_reflector);
  }
  EXPECT_EQ(as, (std::vector<int>{65001, 65001, 65002, 65002, 65003}));
  EXPECT_EQ(p->nodes[2].rack, 2);

  const auto docs = decode_valid(calico_resources_yaml(*p));
  ASSERT_EQ(docs.size(), 1U + 1U + 5U + 1U);  // config, pool, nodes, the ToR peer
  const auto& cfg = std::get<api::BGPConfiguration>(docs[0]);
  ASSERT_TRUE(cfg.spec.node_to_node_mesh_enabled.has_value());
  EXPECT_FALSE(*cfg.spec.node_to_node_mesh_enabled);
  const auto& node3 = std::get<api::Node>(docs[4]);
  EXPECT_EQ(node3.metadata.labels.at("rack"), "rack2");
  EXPECT_EQ(node3.spec.bgp->as_number->value(), 65002U);
  const auto& tor = std::get<api::BGPPeer>(docs.back());
  EXPECT_EQ(tor.spec.peer_ip, "10.99.0.254");
  EXPECT_EQ(tor.spec.as_number->value(), static_cast<std::uint32_t>(kTorAs));

  const std::string bird = bird_config(*p, "/d");
  EXPECT_NE(bird.find("protocol bgp node3 from node_tpl { neighbor 10.99.0.3 as 65002; }"),
            std::string::npos)
      << bird;
  const std::string frr = frr_config(*p);
  EXPECT_NE(frr.find(" neighbor 10.99.0.5 remote-as 65003\n"), std::string::npos) << frr;
  EXPECT_NE(frr.find("  neighbor 10.99.0.5 activate\n"), std::string::npos) << frr;
}

TEST(LabPlan, MeshAndRouteReflectorTopologies) {
  Options o;
  o.topology = Topology::Mesh;
  auto mesh = make_plan(o);
  ASSERT_TRUE(mesh);
  for (const auto& n : mesh->nodes) {
    EXPECT_EQ(n.as, kClusterAs);
  }
  auto docs = decode_valid(calico_resources_yaml(*mesh));
  EXPECT_TRUE(*std::get<api::BGPConfiguration>(docs[0]).spec.node_to_node_mesh_enabled);

  o.topology = Topology::RouteReflector;
  auto rr = make_plan(o);
  ASSERT_TRUE(rr);
  EXPECT_TRUE(rr->nodes[0].route_reflector);
  EXPECT_FALSE(rr->nodes[1].route_reflector);
  docs = decode_valid(calico_resources_yaml(*rr));
  const auto& node1 = std::get<api::Node>(docs[2]);
  EXPECT_EQ(node1.metadata.labels.at("route-reflector"), "true");
  EXPECT_EQ(node1.spec.bgp->route_reflector_cluster_id, kRouteReflectorClusterId);
  const auto& to_rr = std::get<api::BGPPeer>(docs.back());
  EXPECT_EQ(to_rr.spec.peer_selector, "route-reflector == 'true'");
  EXPECT_FALSE(*std::get<api::BGPConfiguration>(docs[0]).spec.node_to_node_mesh_enabled);
}

TEST(LabPlan, BadOptionsAreRejectedNamingTheOption) {
  Options o;
  o.name = "Lab";
  EXPECT_NE(make_plan(o).error().find("lab name 'Lab'"), std::string::npos);
  o.name = "a-very-long-lab-name";
  EXPECT_FALSE(make_plan(o));
  o.name = "ok";
  o.nodes = 0;
  EXPECT_NE(make_plan(o).error().find("--nodes 0"), std::string::npos);
  o.nodes = kMaxNodes + 1;
  EXPECT_FALSE(make_plan(o));
  o.nodes = 2;
  o.nodes_per_rack = 0;
  EXPECT_NE(make_plan(o).error().find("--nodes-per-rack"), std::string::npos);
  EXPECT_FALSE(parse_topology("star"));
  EXPECT_FALSE(parse_tor_daemon("quagga"));
}

TEST(LabPlan, PodReferencesAndNetnsNames) {
  auto r = parse_pod_ref("demo/web-1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->first, "demo");
  EXPECT_EQ(r->second, "web-1");
  r = parse_pod_ref("solo");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->first, "default");
  EXPECT_FALSE(parse_pod_ref("Demo/x"));
  EXPECT_FALSE(parse_pod_ref("demo/"));
  EXPECT_FALSE(parse_pod_ref("demo/-x"));
  EXPECT_TRUE(parse_pod_ref("demo/a.b"));
  auto p = make_plan(Options{});
  EXPECT_EQ(pod_netns(*p, "demo", "a.b"), "lab-demo.a.b");
}

TEST(LabState, RoundTripsThroughJson) {
  LabState s;
  s.options.name = "t9";
  s.options.nodes = 2;
  s.options.topology = Topology::RouteReflector;
  s.options.tor = TorDaemon::Frr;
  s.dir = "/run/calico-lab/t9";
  s.tor = {{11, "/usr/lib/frr/zebra"}, {12, "/usr/lib/frr/bgpd"}};
  s.etcd = {13, "/usr/bin/etcd"};
  s.nodes = {{"node1", "/d/node1", {14, "/x/calico-node"}}, {"node2", "/d/node2", {}}};
  s.namespaces["demo"] = {{"kubernetes.io/metadata.name", "demo"}, {"env", "prod"}};
  PodState p;
  p.ns = "demo";
  p.name = "web-1";
  p.node = "node1";
  p.netns = "t9-demo.web-1";
  p.container_id = "c1";
  p.ip = "10.65.0.1";
  p.labels = {{"app", "web"}};
  p.ports = {{"http", "TCP", 80}};
  p.listeners = {{"udp", 53}};
  p.server = {15, "/x/calico-lab"};
  s.pods["demo/web-1"] = p;
  s.next_container = 4;
  auto back = state_from_json(to_json(s));
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(to_json(*back), to_json(s));
  EXPECT_EQ(back->pods.at("demo/web-1").ports[0].name, "http");
  EXPECT_EQ(back->options.tor, TorDaemon::Frr);

  auto bad = state_from_json(nlohmann::json{{"options", 3}});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("malformed state file"), std::string::npos);
}

TEST(LabState, ParsersNameWhatIsWrong) {
  auto l = parse_listener("udp:53");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->protocol, "udp");
  EXPECT_EQ(l->port, 53);
  EXPECT_EQ(parse_listener("8080")->protocol, "tcp");
  EXPECT_NE(parse_listener("sctp:1").error().find("not tcp or udp"), std::string::npos);
  EXPECT_NE(parse_listener("tcp:0").error().find("not a port number"), std::string::npos);
  EXPECT_FALSE(parse_listener("tcp:80:1"));

  auto np = parse_named_port("dns:udp:53");
  ASSERT_TRUE(np);
  EXPECT_EQ(np->protocol, "UDP");
  EXPECT_EQ(parse_named_port("http:80")->protocol, "TCP");
  EXPECT_NE(parse_named_port("HTTP:80").error().find("not a valid port name"), std::string::npos);
  EXPECT_FALSE(parse_named_port("123:80"));  // needs a letter
  EXPECT_FALSE(parse_named_port("a-very-long-port-name:80"));
  EXPECT_FALSE(parse_named_port("80"));

  auto e = parse_label_edit("app=web");
  ASSERT_TRUE(e);
  EXPECT_FALSE(e->remove);
  EXPECT_EQ(e->value, "web");
  e = parse_label_edit("app-");
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->remove);
  EXPECT_EQ(e->key, "app");
  EXPECT_TRUE(parse_label_edit("empty="));
  EXPECT_FALSE(parse_label_edit("app"));
  EXPECT_FALSE(parse_label_edit("=v"));
}

TEST(LabRender, TablesAndMatrix) {
  EXPECT_EQ(render_table({"A", "LONGER"}, {{"xyz", "1"}, {"q", ""}}),
            "A     LONGER\n"
            "xyz   1\n"
            "q\n");
  const std::string m =
      render_matrix({"a/x", "b/y"}, {"a/x", "b/y"}, {{std::nullopt, true}, {false, std::nullopt}});
  EXPECT_EQ(m,
            "FROM \\ TO   a/x   b/y\n"
            "a/x         -     yes\n"
            "b/y         no    -\n"
            "1 of 2 connected\n");
  EXPECT_EQ(format_duration(0.25), "250ms");
  EXPECT_EQ(format_duration(2.04), "2.0s");
}

}  // namespace
}  // namespace calico::lab

namespace calico::lab {
namespace {

// A daemon whose binary is replaced while it runs (a rebuild) is still ours: teardown must
// find it, and `up` must see that it runs old code.
TEST(LabSys, ProcessesSurviveTheirBinaryBeingReplaced) {
  const std::string dir = ::testing::TempDir() + "lab-sys-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  const std::string exe = dir + "/sleeper";
  std::filesystem::copy_file(find_program("sleep"), exe,
                             std::filesystem::copy_options::overwrite_existing);
  auto p = spawn_daemon({exe, "30"}, "", {}, dir + "/log");
  ASSERT_TRUE(p) << p.error();
  EXPECT_TRUE(alive(*p));
  EXPECT_FALSE(binary_replaced(*p));
  std::filesystem::remove(exe);
  EXPECT_TRUE(alive(*p));
  EXPECT_TRUE(binary_replaced(*p));
  EXPECT_FALSE(alive(ProcessRef{p->pid, "/bin/false"}));  // another executable: not ours
  stop(*p, std::chrono::seconds(2));
  EXPECT_FALSE(alive(*p));
  EXPECT_EQ(::kill(p->pid, 0), -1);  // reaped
  std::filesystem::remove_all(dir);

  auto r = run({"sh", "-c", "cat; echo err >&2; exit 3"}, std::chrono::seconds(5), "in\n");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "in\n");
  EXPECT_EQ(r.err, "err\n");
  r = run({"sleep", "5"}, std::chrono::milliseconds(100));
  EXPECT_EQ(r.exit_code, -1);
  EXPECT_NE(r.err.find("timed out"), std::string::npos);
  EXPECT_EQ(run({"no-such-program-xyz"}).exit_code, -1);
}

}  // namespace
}  // namespace calico::lab
