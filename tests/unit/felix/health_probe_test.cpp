// calico-node's probe flags: each flag asks for one component, both flags of a probe for
// the combined endpoint; anything else is refused.
#include "felix/health_probe.h"

#include <gtest/gtest.h>

namespace calico::felix {
namespace {

TEST(HealthProbe, FlagsMapToTheHealthEndpoints) {
  EXPECT_EQ(probe_path({"-felix-live"}), "/liveness/felix");
  EXPECT_EQ(probe_path({"-bird-live"}), "/liveness/bgp");
  EXPECT_EQ(probe_path({"-felix-ready"}), "/readiness/felix");
  EXPECT_EQ(probe_path({"--bird-ready"}), "/readiness/bgp");
  // Both components: the combined check (the DaemonSet's probes).
  EXPECT_EQ(probe_path({"-felix-live", "-bird-live"}), "/liveness");
  EXPECT_EQ(probe_path({"-bird-ready", "--felix-ready"}), "/readiness");
  EXPECT_EQ(probe_path({"-felix-ready", "-felix-ready"}), "/readiness/felix");
}

TEST(HealthProbe, RefusesOtherArgumentsAndMixedKinds) {
  EXPECT_FALSE(probe_path({}));
  EXPECT_FALSE(probe_path({"-felix-live", "-bird-ready"}));
  EXPECT_FALSE(probe_path({"-felix-live", "--check-config"}));
  EXPECT_FALSE(probe_path({"-bgp-live"}));
  EXPECT_FALSE(find_probe_flag("---felix-live"));
  EXPECT_FALSE(find_probe_flag("felix-live"));
  ASSERT_TRUE(find_probe_flag("--felix-ready"));
  EXPECT_TRUE(find_probe_flag("--felix-ready")->readiness);
}

}  // namespace
}  // namespace calico::felix
