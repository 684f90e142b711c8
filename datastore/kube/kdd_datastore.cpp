#include "datastore/kube/kdd_datastore.h"

#include <algorithm>

#include "api/document.h"
#include "datastore/kdd/crd_codec.h"
#include "datastore/memory_store.h"

namespace calico::datastore::kube {
namespace {

using nlohmann::json;

constexpr int kUpdateRetries = 8;

bool soft_delete_kind(api::Kind k) {
  return k == api::Kind::IPAMBlock || k == api::Kind::IPAMHandle || k == api::Kind::BlockAffinity;
}

// deleted: true (IPAMBlock, IPAMHandle) or "true" (BlockAffinity in v1).
bool marked_deleted(const json& crd) {
  if (!crd.is_object() || !crd.contains("spec") || !crd["spec"].is_object()) {
    return false;
  }
  const json& d = crd["spec"].value("deleted", json());
  return (d.is_boolean() && d.get<bool>()) || (d.is_string() && d.get<std::string>() == "true");
}

std::string rv_of(const json& crd) {
  if (crd.is_object() && crd.contains("metadata") && crd["metadata"].is_object()) {
    return crd["metadata"].value("resourceVersion", std::string());
  }
  return "";
}

Result<kdd::CrdResource, StoreError> resource_for(api::Kind kind) {
  auto r = kdd::crd_resource(kind);
  if (!r) {
    return fail(StoreError{ErrorCode::Invalid,
                           std::string(api::info(kind).name) +
                               " is not stored as a custom resource in the Kubernetes datastore"});
  }
  return *r;
}

// The object's path; BlockAffinity keys carry the host in `ns` but the CRD is cluster-scoped.
std::string object_path(const kdd::CrdResource& r, const Key& key) {
  return kdd::crd_path(r, r.namespaced ? key.ns : "", key.name);
}

std::string collection_path(const kdd::CrdResource& r, const ListOptions& opts) {
  return kdd::crd_path(r, r.namespaced ? opts.ns : "", "");
}

// Query parameters narrowing a collection read to `opts` on the server where possible.
std::string selector_param(const ListOptions& opts) {
  if (opts.kind == api::Kind::BlockAffinity && !opts.ns.empty()) {
    return "labelSelector=" +
           url_encode(std::string(kdd::kHostnameHashLabel) + "=" + kdd::hostname_hash(opts.ns));
  }
  return "";
}

json delete_options(const std::string& uid, const std::string& revision) {
  json pre = json::object();
  if (!uid.empty()) {
    pre["uid"] = uid;
  }
  if (!revision.empty()) {
    pre["resourceVersion"] = revision;
  }
  if (pre.empty()) {
    return nullptr;
  }
  return json{{"kind", "DeleteOptions"}, {"apiVersion", "v1"}, {"preconditions", pre}};
}

Result<json, StoreError> validated_crd(const api::AnyResource& value) {
  if (auto v = api::validate(value); !v) {
    return fail(StoreError{ErrorCode::Invalid, v.error().to_string_all()});
  }
  return kdd::to_crd(value);
}

}  // namespace

KddDatastore::KddDatastore(kdd::KubeConfig config, KddOptions options)
    : client_(std::move(config), options.client), opts_(std::move(options)), log_("datastore") {}

void KddDatastore::finish_delete(const Key& key, const json& crd) {
  auto res = resource_for(key.kind);
  if (!res) {
    return;
  }
  const auto& meta = crd["metadata"];
  auto r = client_.request("DELETE", object_path(*res, key),
                           delete_options(meta.value("uid", std::string()), rv_of(crd)));
  if (!r || (r->status != 200 && r->status != 202 && r->status != 404 && r->status != 409)) {
    log_.warn(
        "could not finish a two-step delete; a later reader will",
        {kv("key", key.to_string()), kv("error", r ? status_message(*r) : r.error().to_string())});
  }
}

Result<Object, StoreError> KddDatastore::get(const Key& key) {
  if (is_native(key.kind)) {
    return native_get(key);
  }
  auto res = resource_for(key.kind);
  if (!res) {
    return fail(res.error());
  }
  auto r = client_.request("GET", object_path(*res, key));
  if (!r) {
    return fail(r.error());
  }
  if (r->status != 200) {
    return fail(error_from_reply(*r, "get " + key.to_string()));
  }
  if (soft_delete_kind(key.kind) && marked_deleted(r->body)) {
    finish_delete(key, r->body);
    return fail(StoreError{ErrorCode::NotFound, key.to_string() + " does not exist (deleted)"});
  }
  auto obj = kdd::from_crd(key.kind, r->body);
  if (obj && obj->key != key) {
    return fail(StoreError{ErrorCode::NotFound, key.to_string() + " does not exist"});
  }
  return obj;
}

Result<std::pair<std::vector<json>, std::string>, StoreError> KddDatastore::list_collection(
    const std::string& path, const std::string& selector, const std::string& what) {
  // An expired continue token (the snapshot was compacted mid-list) restarts the list;
  // the second time without paging, as client-go does.
  for (int pass = 0; pass < 2; ++pass) {
    std::vector<json> items;
    std::string revision;
    std::string cont;
    bool restart = false;
    for (int page = 0; page < 100000; ++page) {
      std::string q = path + "?";
      if (pass == 0) {
        q += "limit=" + std::to_string(opts_.list_page_size);
      }
      if (!selector.empty()) {
        q += (q.back() == '?' ? "" : "&") + selector;
      }
      if (!cont.empty()) {
        q += "&continue=" + url_encode(cont);
      }
      auto r = client_.request("GET", q);
      if (!r) {
        return fail(r.error());
      }
      if (r->status == 410 && !cont.empty()) {
        restart = true;
        break;
      }
      if (r->status != 200) {
        return fail(error_from_reply(*r, what));
      }
      json& body = r->body;
      if (!body.is_object() || !body.contains("items") || !body["items"].is_array()) {
        return fail(StoreError{ErrorCode::Internal, what + ": reply without items"});
      }
      for (auto& item : body["items"]) {
        items.push_back(std::move(item));
      }
      const json meta = body.value("metadata", json::object());
      revision = meta.value("resourceVersion", revision);
      cont = meta.value("continue", std::string());
      if (cont.empty()) {
        break;
      }
    }
    if (restart) {
      log_.info("list continue token expired; relisting", {kv("what", what)});
      continue;
    }
    return std::pair<std::vector<json>, std::string>{std::move(items), std::move(revision)};
  }
  return fail(StoreError{ErrorCode::Gone, what + ": the list snapshot expired twice"});
}

Result<ListResult, StoreError> KddDatastore::list(const ListOptions& opts) {
  if (is_native(opts.kind)) {
    return native_list(opts);
  }
  auto res = resource_for(opts.kind);
  if (!res) {
    return fail(res.error());
  }
  auto got = list_collection(collection_path(*res, opts), selector_param(opts),
                             "list " + std::string(api::info(opts.kind).name));
  if (!got) {
    return fail(got.error());
  }
  ListResult out;
  out.revision = got->second;
  for (const auto& item : got->first) {
    if (soft_delete_kind(opts.kind) && marked_deleted(item)) {
      if (auto k = kdd::from_crd(opts.kind, item)) {
        finish_delete(k->key, item);
      }
      continue;
    }
    auto obj = kdd::from_crd(opts.kind, item);
    if (!obj) {
      out.undecodable.push_back(obj.error());
      continue;
    }
    if (matches(opts, obj->key)) {
      out.items.push_back(std::move(*obj));
    }
  }
  std::sort(out.items.begin(), out.items.end(),
            [](const Object& a, const Object& b) { return a.key < b.key; });
  return out;
}

Result<Object, StoreError> KddDatastore::create(const api::AnyResource& value) {
  if (is_native(api::kind_of(value))) {
    return native_write(value, true);
  }
  auto crd = validated_crd(value);
  if (!crd) {
    return fail(crd.error());
  }
  const Key key = key_of(value);
  auto res = resource_for(key.kind);
  if (!res) {
    return fail(res.error());
  }
  (*crd)["metadata"].erase("resourceVersion");
  (*crd)["metadata"].erase("uid");
  const std::string path = kdd::crd_path(*res, res->namespaced ? key.ns : "", "");
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto r = client_.request("POST", path, *crd);
    if (!r) {
      return fail(r.error());
    }
    if (r->status == 200 || r->status == 201) {
      return kdd::from_crd(key.kind, r->body);
    }
    auto err = error_from_reply(*r, "create " + key.to_string());
    if (err.code == ErrorCode::AlreadyExists && soft_delete_kind(key.kind) && attempt == 0) {
      // A leftover of an unfinished two-step delete is absent: finish it and create.
      auto cur = client_.request("GET", object_path(*res, key));
      if (cur && cur->status == 200 && marked_deleted(cur->body)) {
        finish_delete(key, cur->body);
        continue;
      }
    }
    return fail(err);
  }
  return fail(StoreError{ErrorCode::AlreadyExists, "create " + key.to_string() + ": exists"});
}

Result<Object, StoreError> KddDatastore::put(const api::AnyResource& value,
                                             const std::string& revision) {
  auto crd = validated_crd(value);
  if (!crd) {
    return fail(crd.error());
  }
  const Key key = key_of(value);
  auto res = resource_for(key.kind);
  if (!res) {
    return fail(res.error());
  }
  const std::string path = object_path(*res, key);
  for (int attempt = 0; attempt < kUpdateRetries; ++attempt) {
    if (revision.empty()) {
      // Custom resources refuse a PUT without resourceVersion: read it, then CAS.
      auto cur = client_.request("GET", path);
      if (!cur) {
        return fail(cur.error());
      }
      if (cur->status != 200) {
        return fail(error_from_reply(*cur, "update " + key.to_string()));
      }
      if (soft_delete_kind(key.kind) && marked_deleted(cur->body)) {
        return fail(StoreError{ErrorCode::NotFound, key.to_string() + " does not exist (deleted)"});
      }
      (*crd)["metadata"]["resourceVersion"] = rv_of(cur->body);
      (*crd)["metadata"].erase("uid");
    } else {
      (*crd)["metadata"]["resourceVersion"] = revision;
    }
    auto r = client_.request("PUT", path, *crd);
    if (!r) {
      return fail(r.error());
    }
    if (r->status == 200 || r->status == 201) {
      return kdd::from_crd(key.kind, r->body);
    }
    auto err = error_from_reply(*r, "update " + key.to_string());
    if (err.code == ErrorCode::Conflict && revision.empty()) {
      continue;  // an unconditional update retries on the fresh revision
    }
    return fail(err);
  }
  return fail(StoreError{ErrorCode::Conflict,
                         "update " + key.to_string() + ": still conflicting after retries"});
}

Result<Object, StoreError> KddDatastore::update(const api::AnyResource& value) {
  if (is_native(api::kind_of(value))) {
    return native_write(value, false);
  }
  return put(value, api::meta_of(value).resource_version);
}

Result<Object, StoreError> KddDatastore::remove(const Key& key, const std::string& revision) {
  if (is_native(key.kind)) {
    return native_remove(key, revision);
  }
  auto res = resource_for(key.kind);
  if (!res) {
    return fail(res.error());
  }
  const std::string path = object_path(*res, key);
  const std::string what = "delete " + key.to_string();
  if (!soft_delete_kind(key.kind)) {
    // Read, then delete with uid + resourceVersion preconditions: the value returned is
    // exactly the one deleted (the server answers a custom-resource DELETE with a bare
    // Status), and a revision given by the caller is checked against it.
    for (int attempt = 0; attempt < kUpdateRetries; ++attempt) {
      auto cur = client_.request("GET", path);
      if (!cur) {
        return fail(cur.error());
      }
      if (cur->status != 200) {
        return fail(error_from_reply(*cur, what));
      }
      auto before = kdd::from_crd(key.kind, cur->body);
      if (!before) {
        return fail(before.error());
      }
      if (!revision.empty() && before->revision != revision) {
        return fail(StoreError{
            ErrorCode::Conflict,
            what + ": revision " + revision + " is stale (now " + before->revision + ")"});
      }
      auto r = client_.request(
          "DELETE", path,
          delete_options(cur->body["metadata"].value("uid", std::string()), before->revision));
      if (!r) {
        return fail(r.error());
      }
      if (r->status == 200 || r->status == 202) {
        return before;
      }
      auto err = error_from_reply(*r, what);
      if (err.code == ErrorCode::Conflict && revision.empty()) {
        continue;
      }
      return fail(err);
    }
    return fail(StoreError{ErrorCode::Conflict, what + ": still conflicting after retries"});
  }
  // Two-step delete: mark deleted (CAS), then delete with uid + resourceVersion
  // preconditions.  Without a revision the current one is used (retried on conflict).
  for (int attempt = 0; attempt < kUpdateRetries; ++attempt) {
    auto cur = client_.request("GET", path);
    if (!cur) {
      return fail(cur.error());
    }
    if (cur->status != 200) {
      return fail(error_from_reply(*cur, what));
    }
    if (marked_deleted(cur->body)) {
      finish_delete(key, cur->body);
      return fail(StoreError{ErrorCode::NotFound, key.to_string() + " does not exist (deleted)"});
    }
    auto before = kdd::from_crd(key.kind, cur->body);
    if (!before) {
      return fail(before.error());
    }
    if (!revision.empty() && before->revision != revision) {
      return fail(StoreError{ErrorCode::Conflict, what + ": revision " + revision +
                                                      " is stale (now " + before->revision + ")"});
    }
    json marked = cur->body;
    marked["spec"]["deleted"] = key.kind == api::Kind::BlockAffinity ? json("true") : json(true);
    auto put = client_.request("PUT", path, marked);
    if (!put) {
      return fail(put.error());
    }
    if (put->status != 200) {
      auto err = error_from_reply(*put, what);
      if (err.code == ErrorCode::Conflict && revision.empty()) {
        continue;
      }
      return fail(err);
    }
    finish_delete(key, put->body);
    return before;
  }
  return fail(StoreError{ErrorCode::Conflict, what + ": still conflicting after retries"});
}

Result<std::size_t, StoreError> KddDatastore::upgrade_host(const std::string& host) {
  auto res = resource_for(api::Kind::BlockAffinity);
  auto all = list_collection(kdd::crd_path(*res, "", ""), "", "upgrade host " + host);
  if (!all) {
    return fail(all.error());
  }
  const std::string hash = kdd::hostname_hash(host);
  std::size_t rewritten = 0;
  for (const auto& item : all->first) {
    const json labels = item["metadata"].value("labels", json::object());
    if (labels.value(std::string(kdd::kHostnameHashLabel), std::string()) == hash ||
        marked_deleted(item)) {
      continue;
    }
    auto obj = kdd::from_crd(api::Kind::BlockAffinity, item);
    if (!obj || std::get<api::BlockAffinity>(obj->value).spec.node != host) {
      continue;
    }
    // A rewrite through the codec stamps the labels; CAS on the revision just read.
    auto w = put(obj->value, obj->revision);
    if (!w) {
      if (w.error().code == ErrorCode::Conflict || w.error().code == ErrorCode::NotFound) {
        continue;  // changed meanwhile: whoever wrote it stamped it
      }
      return fail(w.error());
    }
    ++rewritten;
  }
  if (rewritten > 0) {
    log_.info("labelled block affinities written by an older Calico",
              {kv("host", host), kv("count", rewritten)});
  }
  return rewritten;
}

std::unique_ptr<Watch> KddDatastore::watch(const WatchOptions& opts, WatchCallbacks callbacks) {
  return std::make_unique<Watcher>(static_cast<WatchSource&>(*this), opts, std::move(callbacks));
}

StoreError KddDatastore::stream(const ListOptions& opts, const std::string& after_revision,
                                const std::function<void()>& on_ready,
                                const std::function<bool(const SourceEvent&)>& sink,
                                std::stop_token stop) {
  if (is_native(opts.kind)) {
    return native_stream(opts, after_revision, on_ready, sink, stop);
  }
  auto res = resource_for(opts.kind);
  if (!res) {
    return res.error();
  }
  const std::string base = collection_path(*res, opts);
  const std::string selector = selector_param(opts);
  std::string rv = after_revision;
  bool ready = false;
  StoreError gone{ErrorCode::Internal, ""};
  // Each pass is one watch request; a server-side timeout ends it cleanly and the next
  // pass resumes from the last revision seen (events or bookmarks), so nothing is lost.
  for (int pass = 0; !stop.stop_requested(); ++pass) {
    std::string q = base + "?watch=1&allowWatchBookmarks=true&timeoutSeconds=" +
                    std::to_string(opts_.watch_timeout.count()) +
                    "&resourceVersion=" + url_encode(rv);
    if (!selector.empty()) {
      q += "&" + selector;
    }
    bool got_gone = false;
    bool sink_stopped = false;
    const auto pass_start = std::chrono::steady_clock::now();
    StoreError end = client_.watch(
        q,
        [&] {
          if (!ready) {
            ready = true;
            on_ready();
          }
        },
        [&](const json& ev) {
          const std::string type = ev.value("type", std::string());
          const json obj = ev.value("object", json::object());
          if (type == "ERROR") {
            const int code = obj.value("code", 0);
            const std::string msg = obj.value("message", std::string("watch error"));
            if (code == 410) {
              got_gone = true;
              gone = StoreError{ErrorCode::Gone, "watch " + base + " from " + rv + ": " + msg};
            } else {
              gone = StoreError{ErrorCode::Unavailable, "watch " + base + ": " + msg};
            }
            return false;
          }
          const std::string obj_rv = rv_of(obj);
          SourceEvent se;
          se.revision = obj_rv.empty() ? rv : obj_rv;
          if (type == "BOOKMARK") {
            se.bookmark = true;
          } else {
            auto decoded = kdd::from_crd(opts.kind, obj);
            if (!decoded) {
              log_.warn("skipping undecodable watch event", {kv("error", decoded.error().message)});
              se.bookmark = true;
            } else if (!matches(opts, decoded->key)) {
              se.bookmark = true;
            } else {
              const bool soft = soft_delete_kind(opts.kind) && marked_deleted(obj);
              se.event.object = std::move(*decoded);
              if (type == "DELETED") {
                // A soft-deleted object was already reported (or never listed).
                se.bookmark = soft;
                se.event.type = EventType::Deleted;
              } else if (soft) {
                // The deleted=true update is the delete; an ADDED one is a leftover.
                se.bookmark = type == "ADDED";
                se.event.type = EventType::Deleted;
              } else {
                se.event.type = type == "ADDED" ? EventType::Added : EventType::Modified;
              }
            }
          }
          rv = se.revision;
          if (!sink(se)) {
            sink_stopped = true;
            return false;
          }
          return true;
        },
        stop, opts_.watch_idle_timeout);
    if (stop.stop_requested() || sink_stopped) {
      return StoreError{ErrorCode::Internal, "stopped"};
    }
    if (got_gone) {
      return gone;
    }
    if (gone.code == ErrorCode::Unavailable) {
      return gone;
    }
    if (end.code == ErrorCode::Internal && end.message == "watch ended" && ready &&
        std::chrono::steady_clock::now() - pass_start > std::chrono::seconds(1)) {
      continue;  // server-side timeout: resume from rv
    }
    if (end.code == ErrorCode::Internal && end.message == "watch ended") {
      // Ended at once: let the Watcher back off rather than spin.
      return StoreError{ErrorCode::Unavailable, "watch " + base + ": the server ended it at once"};
    }
    return end;
  }
  return StoreError{ErrorCode::Internal, "stopped"};
}

}  // namespace calico::datastore::kube
