#include "datastore/etcd/etcd_datastore.h"

#include <algorithm>

#include "api/document.h"
#include "datastore/etcd/etcd_layout.h"
#include "datastore/memory_store.h"

namespace calico::datastore::etcd {
namespace {

using nlohmann::json;

constexpr int kUpdateRetries = 5;

std::int64_t as_int(const json& j, const char* field) {
  if (!j.is_object() || !j.contains(field)) {
    return 0;
  }
  const auto& v = j[field];
  if (v.is_string()) {
    try {
      return std::stoll(v.get<std::string>());
    } catch (const std::exception&) {
      return 0;
    }
  }
  return v.is_number() ? v.get<std::int64_t>() : 0;
}

std::string kv_key(const json& kv) {
  return base64_decode(kv.value("key", std::string()));
}
std::string kv_value(const json& kv) {
  return base64_decode(kv.value("value", std::string()));
}

// The first kv of a range response inside a txn response list.
const json* first_range_kv(const json& txn_reply) {
  if (!txn_reply.contains("responses")) {
    return nullptr;
  }
  for (const auto& r : txn_reply["responses"]) {
    if (r.contains("response_range") && r["response_range"].contains("kvs") &&
        !r["response_range"]["kvs"].empty()) {
      return &r["response_range"]["kvs"][0];
    }
  }
  return nullptr;
}

void stamp_server_fields(api::AnyResource& value) {
  if (api::info(api::kind_of(value)).storage != api::Storage::V3Resource &&
      api::info(api::kind_of(value)).storage != api::Storage::Kubernetes) {
    return;
  }
  auto& meta = api::meta_of(value);
  if (meta.uid.empty()) {
    meta.uid = new_uid();
  }
  if (meta.creation_timestamp.empty()) {
    meta.creation_timestamp = now_rfc3339();
  }
}

// Validates a resource about to be written and returns its key and etcd key.
Result<std::pair<Key, std::string>, StoreError> validated_target(const api::AnyResource& value) {
  if (auto v = api::validate(value); !v) {
    return fail(StoreError{ErrorCode::Invalid, v.error().to_string_all()});
  }
  Key key = key_of(value);
  auto ek = etcd_key(key);
  if (!ek) {
    return fail(ek.error());
  }
  return std::pair<Key, std::string>{std::move(key), std::move(*ek)};
}

}  // namespace

EtcdDatastore::EtcdDatastore(EtcdConfig config) : client_(std::move(config)), log_("datastore") {}

Result<Object, StoreError> EtcdDatastore::get(const Key& key) {
  auto k = etcd_key(key);
  if (!k) {
    return fail(k.error());
  }
  auto r = client_.call("/v3/kv/range", {{"key", base64_encode(*k)}});
  if (!r) {
    return fail(r.error());
  }
  if (!r->contains("kvs") || (*r)["kvs"].empty()) {
    return fail(StoreError{ErrorCode::NotFound, key.to_string() + " does not exist"});
  }
  const auto& kv = (*r)["kvs"][0];
  return decode_value(key, kv_value(kv), as_int(kv, "mod_revision"));
}

Result<ListResult, StoreError> EtcdDatastore::list(const ListOptions& opts) {
  const std::string prefix = list_prefix(opts);
  auto r = client_.call("/v3/kv/range", {{"key", base64_encode(prefix)},
                                         {"range_end", base64_encode(prefix_range_end(prefix))}});
  if (!r) {
    return fail(r.error());
  }
  ListResult out;
  out.revision = std::to_string(as_int((*r)["header"], "revision"));
  if (r->contains("kvs")) {
    for (const auto& kv : (*r)["kvs"]) {
      const auto key = key_from_etcd(opts.kind, kv_key(kv));
      if (!key || !matches(opts, *key)) {
        continue;
      }
      auto obj = decode_value(*key, kv_value(kv), as_int(kv, "mod_revision"));
      if (obj) {
        out.items.push_back(std::move(*obj));
      } else {
        out.undecodable.push_back(obj.error());
      }
    }
  }
  std::sort(out.items.begin(), out.items.end(),
            [](const Object& a, const Object& b) { return a.key < b.key; });
  return out;
}

Result<Object, StoreError> EtcdDatastore::cas_put(const Key& key, const std::string& ek,
                                                  const api::AnyResource& value,
                                                  const std::string& revision) {
  auto bytes = encode_value(value);
  if (!bytes) {
    return fail(bytes.error());
  }
  json compare = json::object();
  compare["key"] = base64_encode(ek);
  if (revision.empty()) {  // create
    compare["target"] = "CREATE";
    compare["result"] = "EQUAL";
    compare["create_revision"] = "0";
  } else {
    compare["target"] = "MOD";
    compare["result"] = "EQUAL";
    compare["mod_revision"] = revision;
  }
  json txn = {{"compare", json::array({compare})},
              {"success",
               json::array({{{"request_put",
                              {{"key", base64_encode(ek)}, {"value", base64_encode(*bytes)}}}}})},
              {"failure", json::array({{{"request_range", {{"key", base64_encode(ek)}}}}})}};
  auto r = client_.call("/v3/kv/txn", txn);
  if (!r) {
    return fail(r.error());
  }
  if (!r->value("succeeded", false)) {
    const json* existing = first_range_kv(*r);
    if (revision.empty()) {
      return fail(StoreError{ErrorCode::AlreadyExists, key.to_string() + " already exists"});
    }
    if (existing == nullptr) {
      return fail(StoreError{ErrorCode::NotFound, key.to_string() + " does not exist"});
    }
    return fail(StoreError{ErrorCode::Conflict,
                           key.to_string() + ": resourceVersion " + revision +
                               " is stale (current " +
                               std::to_string(as_int(*existing, "mod_revision")) + ")"});
  }
  const std::string rev = std::to_string(as_int((*r)["header"], "revision"));
  Object obj{key, value, rev};
  api::meta_of(obj.value).resource_version = rev;
  return obj;
}

Result<Object, StoreError> EtcdDatastore::create(const api::AnyResource& value) {
  auto target = validated_target(value);
  if (!target) {
    return fail(target.error());
  }
  const auto& [key, ek] = *target;
  api::AnyResource stored = value;
  api::meta_of(stored).resource_version.clear();
  stamp_server_fields(stored);
  return cas_put(key, ek, stored, "");
}

Result<Object, StoreError> EtcdDatastore::update(const api::AnyResource& value) {
  auto target = validated_target(value);
  if (!target) {
    return fail(target.error());
  }
  const auto& [key, ek] = *target;
  const std::string wanted = api::meta_of(value).resource_version;
  for (int attempt = 0; attempt < kUpdateRetries; ++attempt) {
    api::AnyResource stored = value;
    std::string revision = wanted;
    auto& meta = api::meta_of(stored);
    const bool keep_meta =
        stores_metadata(key.kind) && (meta.uid.empty() || meta.creation_timestamp.empty());
    if (revision.empty() || keep_meta) {
      // Keep server-owned metadata; an unconditional update CASes on what it read.
      auto current = get(key);
      if (!current) {
        return fail(current.error());
      }
      const auto& cur_meta = api::meta_of(current->value);
      if (meta.uid.empty()) {
        meta.uid = cur_meta.uid;
      }
      if (meta.creation_timestamp.empty()) {
        meta.creation_timestamp = cur_meta.creation_timestamp;
      }
      if (revision.empty()) {
        revision = current->revision;
      }
    }
    meta.resource_version.clear();
    auto r = cas_put(key, ek, stored, revision);
    if (r || r.error().code != ErrorCode::Conflict || !wanted.empty()) {
      return r;
    }
  }
  return fail(StoreError{ErrorCode::Conflict, key.to_string() + ": too much contention"});
}

Result<std::vector<Object>, StoreError> EtcdDatastore::write_all(
    const std::vector<api::AnyResource>& values) {
  struct Op {
    Key key;
    std::string ek;
    api::AnyResource stored;
    std::string revision;  // "" = create
  };
  std::vector<Op> ops;
  json compares = json::array();
  json puts = json::array();
  json reads = json::array();
  for (const auto& value : values) {
    auto target = validated_target(value);
    if (!target) {
      return fail(target.error());
    }
    auto [key, ek] = *target;
    for (const auto& o : ops) {
      if (o.ek == ek) {
        return fail(
            StoreError{ErrorCode::Invalid, key.to_string() + " appears twice in one transaction"});
      }
    }
    Op op{key, ek, value, api::meta_of(value).resource_version};
    auto& meta = api::meta_of(op.stored);
    if (op.revision.empty()) {
      meta.resource_version.clear();
      stamp_server_fields(op.stored);
    } else if (stores_metadata(key.kind) && (meta.uid.empty() || meta.creation_timestamp.empty())) {
      auto current = get(key);  // keep server-owned metadata, as update() does
      if (!current) {
        return fail(current.error());
      }
      if (meta.uid.empty()) {
        meta.uid = api::meta_of(current->value).uid;
      }
      if (meta.creation_timestamp.empty()) {
        meta.creation_timestamp = api::meta_of(current->value).creation_timestamp;
      }
    }
    meta.resource_version.clear();
    auto bytes = encode_value(op.stored);
    if (!bytes) {
      return fail(bytes.error());
    }
    json compare = {{"key", base64_encode(ek)}, {"result", "EQUAL"}};
    if (op.revision.empty()) {
      compare["target"] = "CREATE";
      compare["create_revision"] = "0";
    } else {
      compare["target"] = "MOD";
      compare["mod_revision"] = op.revision;
    }
    compares.push_back(std::move(compare));
    puts.push_back(
        {{"request_put", {{"key", base64_encode(ek)}, {"value", base64_encode(*bytes)}}}});
    // On failure, learn each key's mod_revision (keys only: no values shipped back).
    reads.push_back({{"request_range", {{"key", base64_encode(ek)}, {"keys_only", true}}}});
    ops.push_back(std::move(op));
  }
  if (ops.empty()) {
    return std::vector<Object>{};
  }
  json txn = {{"compare", std::move(compares)}, {"success", std::move(puts)}, {"failure", reads}};
  auto r = client_.call("/v3/kv/txn", txn);
  if (!r) {
    return fail(r.error());
  }
  if (!r->value("succeeded", false)) {
    const json& responses = r->contains("responses") ? (*r)["responses"] : json::array();
    for (std::size_t i = 0; i < ops.size(); ++i) {
      const json* kv = nullptr;
      if (i < responses.size() && responses[i].contains("response_range")) {
        const json& rr = responses[i]["response_range"];
        if (rr.contains("kvs") && !rr["kvs"].empty()) {
          kv = &rr["kvs"][0];
        }
      }
      const Op& op = ops[i];
      if (op.revision.empty()) {
        if (kv != nullptr) {
          return fail(StoreError{ErrorCode::AlreadyExists, op.key.to_string() + " already exists"});
        }
      } else if (kv == nullptr) {
        return fail(StoreError{ErrorCode::NotFound, op.key.to_string() + " does not exist"});
      } else if (std::to_string(as_int(*kv, "mod_revision")) != op.revision) {
        return fail(
            StoreError{ErrorCode::Conflict, op.key.to_string() + ": resourceVersion " +
                                                op.revision + " is stale (current " +
                                                std::to_string(as_int(*kv, "mod_revision")) + ")"});
      }
    }
    // Every precondition holds now: something changed between the txn and our reading.
    return fail(StoreError{ErrorCode::Conflict, "transaction on " + ops.front().key.to_string() +
                                                    " and " + std::to_string(ops.size() - 1) +
                                                    " more lost a race"});
  }
  const std::string rev = std::to_string(as_int((*r)["header"], "revision"));
  std::vector<Object> out;
  for (auto& op : ops) {
    Object obj{op.key, std::move(op.stored), rev};
    api::meta_of(obj.value).resource_version = rev;
    out.push_back(std::move(obj));
  }
  return out;
}

Result<Object, StoreError> EtcdDatastore::remove(const Key& key, const std::string& revision) {
  auto ek = etcd_key(key);
  if (!ek) {
    return fail(ek.error());
  }
  json compare = {{"key", base64_encode(*ek)}, {"result", revision.empty() ? "GREATER" : "EQUAL"}};
  if (revision.empty()) {
    compare["target"] = "CREATE";
    compare["create_revision"] = "0";
  } else {
    compare["target"] = "MOD";
    compare["mod_revision"] = revision;
  }
  json txn = {
      {"compare", json::array({compare})},
      {"success",
       json::array({{{"request_delete_range", {{"key", base64_encode(*ek)}, {"prev_kv", true}}}}})},
      {"failure", json::array({{{"request_range", {{"key", base64_encode(*ek)}}}}})}};
  auto r = client_.call("/v3/kv/txn", txn);
  if (!r) {
    return fail(r.error());
  }
  if (!r->value("succeeded", false)) {
    const json* existing = first_range_kv(*r);
    if (existing == nullptr) {
      return fail(StoreError{ErrorCode::NotFound, key.to_string() + " does not exist"});
    }
    return fail(StoreError{ErrorCode::Conflict,
                           key.to_string() + ": revision " + revision + " is stale (current " +
                               std::to_string(as_int(*existing, "mod_revision")) + ")"});
  }
  const auto& responses = (*r)["responses"];
  if (!responses.empty() && responses[0].contains("response_delete_range")) {
    const auto& del = responses[0]["response_delete_range"];
    if (del.contains("prev_kvs") && !del["prev_kvs"].empty()) {
      const auto& kv = del["prev_kvs"][0];
      auto obj = decode_value(key, kv_value(kv), as_int(kv, "mod_revision"));
      if (obj) {
        return obj;
      }
    }
  }
  return fail(StoreError{ErrorCode::NotFound, key.to_string() + " does not exist"});
}

std::unique_ptr<Watch> EtcdDatastore::watch(const WatchOptions& opts, WatchCallbacks callbacks) {
  return std::make_unique<Watcher>(static_cast<WatchSource&>(*this), opts, std::move(callbacks));
}

StoreError EtcdDatastore::stream(const ListOptions& opts, const std::string& after_revision,
                                 const std::function<void()>& on_ready,
                                 const std::function<bool(const SourceEvent&)>& sink,
                                 std::stop_token stop) {
  std::int64_t after = 0;
  try {
    after = std::stoll(after_revision);
  } catch (const std::exception&) {
    return StoreError{ErrorCode::Internal, "bad watch revision \"" + after_revision + "\""};
  }
  const std::string prefix = list_prefix(opts);
  const json create = {{"key", base64_encode(prefix)},
                       {"range_end", base64_encode(prefix_range_end(prefix))},
                       {"start_revision", std::to_string(after + 1)},
                       {"prev_kv", true}};
  StoreError ended{ErrorCode::Unavailable, ""};
  bool ended_set = false;
  auto result = client_.watch(
      create,
      [&](const json& msg) {
        if (as_int(msg, "compact_revision") > 0) {
          ended = StoreError{ErrorCode::Gone, "revision " + std::to_string(after + 1) +
                                                  " has been compacted (compact revision " +
                                                  std::to_string(as_int(msg, "compact_revision")) +
                                                  ")"};
          ended_set = true;
          return false;
        }
        if (msg.value("canceled", false)) {
          ended = StoreError{ErrorCode::Unavailable,
                             "watch canceled: " + msg.value("cancel_reason", std::string())};
          ended_set = true;
          return false;
        }
        if (msg.value("created", false)) {
          on_ready();
        }
        if (!msg.contains("events")) {
          return true;
        }
        for (const auto& ev : msg["events"]) {
          const bool is_delete = ev.value("type", std::string("PUT")) == "DELETE";
          const auto& ekv = ev.contains("kv") ? ev["kv"] : json::object();
          const auto key = key_from_etcd(opts.kind, kv_key(ekv));
          const std::int64_t rev = as_int(ekv, "mod_revision");
          if (!key || !matches(opts, *key)) {
            continue;
          }
          SourceEvent se;
          se.revision = std::to_string(rev);
          if (is_delete) {
            se.event.type = EventType::Deleted;
            if (!ev.contains("prev_kv")) {
              log_.warn("delete event without previous value", {kv("key", key->to_string())});
              continue;
            }
            auto last = decode_value(*key, kv_value(ev["prev_kv"]), rev);
            if (!last) {
              log_.warn("skipping undecodable object", {kv("error", last.error().to_string())});
              continue;
            }
            se.event.object = std::move(*last);
          } else {
            auto obj = decode_value(*key, kv_value(ekv), rev);
            if (!obj) {
              log_.warn("skipping undecodable object", {kv("error", obj.error().to_string())});
              continue;
            }
            se.event.type =
                as_int(ekv, "create_revision") == rev ? EventType::Added : EventType::Modified;
            se.event.object = std::move(*obj);
          }
          if (!sink(se)) {
            ended = StoreError{ErrorCode::Internal, "stopped"};
            ended_set = true;
            return false;
          }
        }
        return true;
      },
      stop);
  return ended_set ? ended : result;
}

}  // namespace calico::datastore::etcd
