#include "api/document.h"
#include "datastore/datastore.h"

namespace calico::datastore {

std::string Key::to_string() const {
  std::string out(api::info(kind).name);
  out += '(';
  if (!ns.empty()) {
    out += ns + "/";
  }
  out += name + ")";
  return out;
}

Key key_of(const api::AnyResource& r) {
  Key k;
  k.kind = api::kind_of(r);
  const auto& meta = api::meta_of(r);
  k.name = meta.name;
  if (api::info(k.kind).namespaced) {
    k.ns = meta.ns;
  }
  if (k.kind == api::Kind::BlockAffinity) {
    // Affinities are scoped by their host (etcd keys live under the host).
    const api::Json doc = api::encode_json(r);
    if (doc.contains("spec") && doc["spec"].contains("node") && doc["spec"]["node"].is_string()) {
      k.ns = doc["spec"]["node"].get<std::string>();
    }
  }
  return k;
}

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::NotFound:
      return "not found";
    case ErrorCode::AlreadyExists:
      return "already exists";
    case ErrorCode::Conflict:
      return "conflict";
    case ErrorCode::Gone:
      return "gone";
    case ErrorCode::Invalid:
      return "invalid";
    case ErrorCode::Unavailable:
      return "unavailable";
    case ErrorCode::Unauthorized:
      return "unauthorized";
    case ErrorCode::Internal:
      return "internal error";
  }
  return "?";
}

std::string StoreError::to_string() const {
  return std::string(datastore::to_string(code)) + ": " + message;
}

}  // namespace calico::datastore

namespace calico::datastore {

Result<std::vector<Object>, StoreError> Datastore::write_all(
    const std::vector<api::AnyResource>& /*values*/) {
  return fail(StoreError{ErrorCode::Internal,
                         "this datastore cannot write several objects in one transaction"});
}

}  // namespace calico::datastore
