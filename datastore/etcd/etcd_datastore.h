// EtcdDatastore: the Datastore over etcd v3, with Calico's etcdv3 key layout
// (datastore/etcd/etcd_layout.h) and revision semantics: an object's revision is its
// key's mod_revision; create is a txn on create_revision == 0; update/delete with a
// revision are txns on mod_revision; watches stream /v3/watch through the shared Watcher
// (reconnect from the last revision; compaction -> resync by list + diff).
//
// Writes are validated first (api::validate) and rejected with ErrorCode::Invalid, so
// nothing malformed is ever stored.  Thread-safe.
#pragma once

#include <memory>

#include "datastore/etcd/etcd_client.h"
#include "datastore/watcher.h"

namespace calico::datastore::etcd {

class EtcdDatastore final : public Datastore, private WatchSource {
 public:
  explicit EtcdDatastore(EtcdConfig config);

  Result<Object, StoreError> get(const Key& key) override;
  Result<ListResult, StoreError> list(const ListOptions& opts) override;
  Result<Object, StoreError> create(const api::AnyResource& value) override;
  Result<Object, StoreError> update(const api::AnyResource& value) override;
  Result<Object, StoreError> remove(const Key& key, const std::string& revision = "") override;
  std::unique_ptr<Watch> watch(const WatchOptions& opts, WatchCallbacks callbacks) override;
  bool supports_write_all() const override { return true; }
  Result<std::vector<Object>, StoreError> write_all(
      const std::vector<api::AnyResource>& values) override;

  EtcdClient& client() { return client_; }

 private:
  StoreError stream(const ListOptions& opts, const std::string& after_revision,
                    const std::function<void()>& on_ready,
                    const std::function<bool(const SourceEvent&)>& sink,
                    std::stop_token stop) override;
  Result<Object, StoreError> cas_put(const Key& key, const std::string& etcd_key,
                                     const api::AnyResource& value, const std::string& revision);

  EtcdClient client_;
  Logger log_;
};

}  // namespace calico::datastore::etcd
