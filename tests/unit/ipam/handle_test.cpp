// IPAMHandle reference counting and handle ID conventions (ipam/handle.h).
#include "ipam/handle.h"

#include <gtest/gtest.h>

namespace calico::ipam {
namespace {

TEST(IpamHandle, IdsFollowCalicoConventions) {
  EXPECT_EQ(pod_handle_id("", "abc123"), "k8s-pod-network.abc123");
  EXPECT_EQ(pod_handle_id("net2", "abc123"), "net2.abc123");
  EXPECT_EQ(ipip_tunnel_handle_id("worker-1"), "ipip-tunnel-addr-worker-1");
  EXPECT_EQ(vxlan_tunnel_handle_id("worker-1", true), "vxlan-v6-tunnel-addr-worker-1");
  EXPECT_EQ(clean_handle_id("k8s-pod-network.abc\r\nrest"), "k8s-pod-network.abc");
}

TEST(IpamHandle, CountsPerBlockAndEmptiesCleanly) {
  auto h = new_handle("k8s-pod-network.abc");
  increment(h, "10.244.3.64/26", 2);
  increment(h, "10.244.3.128/26", 1);
  ASSERT_TRUE(decrement(h, "10.244.3.64/26", 1));
  EXPECT_EQ(h.block.at("10.244.3.64/26"), 1);
  ASSERT_TRUE(decrement(h, "10.244.3.64/26", 1));
  EXPECT_EQ(h.block.count("10.244.3.64/26"), 0U);  // zero entries are removed
  EXPECT_FALSE(handle_empty(h));
  const auto before = h;
  auto too_many = decrement(h, "10.244.3.128/26", 2);
  ASSERT_FALSE(too_many);
  EXPECT_EQ(
      too_many.error(),
      "handle k8s-pod-network.abc holds 1 addresses in block 10.244.3.128/26, cannot release 2");
  EXPECT_EQ(h, before);
  EXPECT_FALSE(decrement(h, "10.0.0.0/26", 1));  // a block it holds nothing in
  ASSERT_TRUE(decrement(h, "10.244.3.128/26", 1));
  EXPECT_TRUE(handle_empty(h));
}

TEST(IpamHandle, TunnelHandlesNameTheirNode) {
  EXPECT_EQ(tunnel_handle_node(ipip_tunnel_handle_id("worker-1")), "worker-1");
  EXPECT_EQ(tunnel_handle_node(vxlan_tunnel_handle_id("worker-2", false)), "worker-2");
  EXPECT_EQ(tunnel_handle_node(vxlan_tunnel_handle_id("worker-3", true)), "worker-3");
  EXPECT_EQ(tunnel_handle_node("wireguard-v6-tunnel-addr-w4"), "w4");
  EXPECT_EQ(tunnel_handle_node(pod_handle_id("", "abc")), std::nullopt);
  EXPECT_EQ(tunnel_handle_node("ipip-tunnel-addr-"), std::nullopt);  // no node
}

}  // namespace
}  // namespace calico::ipam
