// PolicyDataplane: the incremental policy programmer of one node.  It keeps the model
// (tiers, policies, profiles, endpoints, network sets), the label index
// (policy/label_index.h) and the desired nftables plan, and turns every batch of model
// changes into ONE atomic nftables transaction that touches only what changed:
//   - a label change on a pod = set element updates (and, if it is a local pod whose set of
//     applicable policies changed, a rewrite of its two endpoint chains);
//   - a policy change = a rewrite of that policy's chains (and of the endpoint chains of the
//     endpoints it starts or stops selecting);
//   - a new local pod = its two chains, its dispatch map elements and set elements.
// The rendering is policy/compile_internal.h's, so plan() equals compile() of the same
// model (a unit test checks this after random update sequences).
//
//   PolicyDataplane dp(committer);
//   dp.upsert_profile(namespace_profile("x", {}));
//   dp.upsert_endpoint(ep, "cali12345678901");      // local; "" = another node's pod
//   dp.upsert_policy(*from_k8s_network_policy(knp));
//   if (auto r = dp.apply(); !r) { log(r.error()); }   // retried by the caller
//
// Only policies that select at least one local endpoint and profiles that a local endpoint
// lists are rendered ("active"), with the sets their rules use; set membership covers
// every endpoint and network set of the cluster.
//
// apply(): the first call, and the first after a failed commit, is a full resync: our table
// is read back from the kernel and diffed against the complete desired plan, so objects left
// by an earlier run are removed and nothing is recreated needlessly.  Other calls commit the
// incremental batch.  A failure leaves the desired state in place; the next apply()
// resyncs.  Tables other than ours are never read or written.
//
// Not thread-safe: one owner thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"
#include "policy/compile.h"
#include "policy/label_index.h"
#include "policy/model.h"
#include "policy/nft_committer.h"
#include "policy/nft_model.h"

namespace calico::policy {

struct ApplyStats {
  bool full_resync = false;
  std::size_t ops = 0;                   // ops in the committed transaction
  std::chrono::microseconds compute{0};  // model -> batch
  std::chrono::microseconds commit{0};   // kernel (including read-back on a resync)
};

class PolicyDataplane {
 public:
  explicit PolicyDataplane(NftCommitter& committer, CompileOptions options = {});
  ~PolicyDataplane();
  PolicyDataplane(const PolicyDataplane&) = delete;
  PolicyDataplane& operator=(const PolicyDataplane&) = delete;

  // Model updates: cheap, nothing reaches the kernel before apply().
  void upsert_tier(const Tier& tier);
  void remove_tier(const std::string& name);
  void upsert_policy(const Policy& policy);
  void remove_policy(PolicyKind kind, const std::string& ns, const std::string& name);
  void upsert_profile(const Profile& profile);
  void remove_profile(const std::string& name);
  // `local_iface`: the host-side interface of an endpoint on this node; "" for an endpoint
  // of another node (it only feeds IP sets).
  void upsert_endpoint(const Endpoint& endpoint, const std::string& local_iface);
  void remove_endpoint(const EndpointKey& key);
  void upsert_network_set(const NetworkSetEntry& set);
  void remove_network_set(const std::string& ns, const std::string& name);

  // Programs everything changed since the last successful apply in one transaction.
  Result<ApplyStats, std::string> apply();
  // Computes the desired plan without touching the kernel (what apply() would program).
  void compute();
  // The desired plan as of the last compute()/apply().
  const NftPlan& plan() const;
  SetOrigins set_origins() const;
  // Forces the next apply() to resync from the kernel.
  void invalidate();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace calico::policy
