#include "datastore/open/open.h"

#include "datastore/etcd/etcd_datastore.h"

namespace calico::datastore {

Result<std::unique_ptr<Datastore>, std::string> open_datastore(const DatastoreConfig& config) {
  if (config.type == DatastoreType::Kubernetes) {
    return fail(std::string(
        "the kubernetes datastore is not implemented yet (issue 6); use DATASTORE_TYPE=etcdv3 "
        "with ETCD_ENDPOINTS"));
  }
  etcd::EtcdConfig ec;
  ec.endpoints = config.etcd_endpoints;
  ec.ca_file = config.etcd_ca_cert_file;
  ec.cert_file = config.etcd_cert_file;
  ec.key_file = config.etcd_key_file;
  return std::unique_ptr<Datastore>(std::make_unique<etcd::EtcdDatastore>(std::move(ec)));
}

}  // namespace calico::datastore
