// KddDatastore: the Datastore over the Kubernetes API ("KDD"), storing Calico's kinds as
// crd.projectcalico.org/v1 custom resources exactly as Calico does (kdd/crd_codec.h), so
// a cluster can move between Calico and this project.
//
// Semantics behind the Datastore contract:
//   * revision = the object's resourceVersion; update/delete with a revision are CAS
//     (PUT with metadata.resourceVersion; DELETE with preconditions) and a stale one is
//     Conflict (HTTP 409).  An update without a revision reads the current one and
//     retries on conflict (custom resources refuse unconditional PUTs).
//   * list pages through the collection (limit/continue; an expired continue token
//     relists from the start) and returns the list's resourceVersion.
//   * watch: GET ?watch=1&resourceVersion=R&allowWatchBookmarks=true through the shared
//     Watcher; a server-side timeout re-opens the watch from the last revision without a
//     gap; 410 Gone (an ERROR event or HTTP 410) -> Gone -> relist and diff.
//   * IPAMBlock, IPAMHandle and BlockAffinity use Calico's two-step delete: an update to
//     deleted=true (CAS: the linearisation point), then DELETE with uid + resourceVersion
//     preconditions.  Readers treat deleted=true as absent and finish such deletes; a
//     watch reports the deleted=true update as Deleted.
//   * BlockAffinity custom resources carry Calico's hostname-hash / affinity-type /
//     ip-version labels, and a list of one host's affinities (ListOptions.ns = host) is a
//     server-side label-selector query.
//   * Writes are validated first (api::validate): nothing malformed is sent.
//
// Node, WorkloadEndpoint, Profile and Kubernetes NetworkPolicy are projections of native
// Kubernetes objects (Node, Pod, Namespace/ServiceAccount, networking.k8s.io
// NetworkPolicy); see kdd/projections.h.  Thread-safe.
#pragma once

#include <memory>

#include "common/log.h"
#include "datastore/kube/kube_client.h"
#include "datastore/watcher.h"

namespace calico::datastore::kube {

// Node, WorkloadEndpoint, Profile, KubernetesNetworkPolicy: projections of native objects.
bool is_native(api::Kind kind);

struct KddOptions {
  KubeClientOptions client;
  int list_page_size = 500;
  // Server-side watch timeout (timeoutSeconds); the watch is re-opened from its revision.
  std::chrono::seconds watch_timeout{300};
  // A watch with no bytes for this long (bookmarks arrive every minute) is re-opened.
  std::chrono::milliseconds watch_idle_timeout{std::chrono::seconds(150)};
};

class KddDatastore final : public Datastore, private WatchSource {
 public:
  explicit KddDatastore(kdd::KubeConfig config, KddOptions options = {});

  Result<Object, StoreError> get(const Key& key) override;
  Result<ListResult, StoreError> list(const ListOptions& opts) override;
  Result<Object, StoreError> create(const api::AnyResource& value) override;
  Result<Object, StoreError> update(const api::AnyResource& value) override;
  Result<Object, StoreError> remove(const Key& key, const std::string& revision = "") override;
  std::unique_ptr<Watch> watch(const WatchOptions& opts, WatchCallbacks callbacks) override;
  Result<std::size_t, StoreError> upgrade_host(const std::string& host) override;

  KubeClient& client() { return client_; }

 private:
  StoreError stream(const ListOptions& opts, const std::string& after_revision,
                    const std::function<void()>& on_ready,
                    const std::function<bool(const SourceEvent&)>& sink,
                    std::stop_token stop) override;

  Result<Object, StoreError> put(const api::AnyResource& value, const std::string& revision);

  // Kinds projected from native Kubernetes objects (kdd_native.cpp).
  Result<Object, StoreError> native_get(const Key& key);
  Result<ListResult, StoreError> native_list(const ListOptions& opts);
  Result<Object, StoreError> native_write(const api::AnyResource& value, bool create);
  Result<Object, StoreError> native_remove(const Key& key, const std::string& revision);
  StoreError native_stream(const ListOptions& opts, const std::string& after_revision,
                           const std::function<void()>& on_ready,
                           const std::function<bool(const SourceEvent&)>& sink,
                           std::stop_token stop);
  // Every item of a collection (paginated), and the list's resourceVersion.
  Result<std::pair<std::vector<nlohmann::json>, std::string>, StoreError> list_collection(
      const std::string& path, const std::string& selector, const std::string& what);
  // Step 2 of a two-step delete (best effort for readers that find deleted=true).
  void finish_delete(const Key& key, const nlohmann::json& crd);

  KubeClient client_;
  KddOptions opts_;
  Logger log_;
};

}  // namespace calico::datastore::kube
