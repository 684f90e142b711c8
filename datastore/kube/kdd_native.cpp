// KddDatastore: the kinds Calico projects from native Kubernetes objects (see
// kdd/projections.h for the mapping itself).
//   Node                     <- /api/v1/nodes; updates write the Calico annotations through
//                               the node's status subresource, as Calico does; created by
//                               the kubelet, never by us.
//   WorkloadEndpoint         <- /api/v1/pods; create/update record the addresses and the
//                               container id as pod annotations (strategic-merge PATCH of
//                               pods/<name>/status, as Calico's CNI plugin does); delete
//                               blanks them.
//   Profile                  <- /api/v1/namespaces (kns.*) + /api/v1/serviceaccounts
//                               (ksa.*) + the static projectcalico-default-allow; read-only.
//                               Its revision joins the two lists' resourceVersions
//                               ("<ns>/<sa>"), and its watch runs both streams.
//   KubernetesNetworkPolicy  <- /apis/networking.k8s.io/v1/networkpolicies, read and
//                               written natively.
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "api/document.h"
#include "datastore/kdd/projections.h"
#include "datastore/kube/kdd_datastore.h"
#include "datastore/memory_store.h"

namespace calico::datastore::kube {

bool is_native(api::Kind kind) {
  return kind == api::Kind::Node || kind == api::Kind::WorkloadEndpoint ||
         kind == api::Kind::Profile || kind == api::Kind::KubernetesNetworkPolicy;
}

namespace {

using nlohmann::json;
using Mapper = Result<Object, StoreError> (*)(const json&);

constexpr int kRetries = 8;
const std::string kNetpols = "/apis/networking.k8s.io/v1/";

struct Source {
  std::string path;
  Mapper map;
};

std::vector<Source> sources(const ListOptions& opts) {
  switch (opts.kind) {
    case api::Kind::Node:
      return {{"/api/v1/nodes", &kdd::node_from_k8s}};
    case api::Kind::WorkloadEndpoint:
      return {{opts.ns.empty() ? "/api/v1/pods" : "/api/v1/namespaces/" + opts.ns + "/pods",
               &kdd::wep_from_pod}};
    case api::Kind::Profile:
      return {{"/api/v1/namespaces", &kdd::profile_from_namespace},
              {"/api/v1/serviceaccounts", &kdd::profile_from_service_account}};
    case api::Kind::KubernetesNetworkPolicy:
      return {{opts.ns.empty() ? kNetpols + "networkpolicies"
                               : kNetpols + "namespaces/" + opts.ns + "/networkpolicies",
               &kdd::k8s_network_policy_from_k8s}};
    default:
      return {};
  }
}

std::vector<std::string> split_revision(const std::string& rev, std::size_t n) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto slash = rev.find('/', start);
    out.push_back(
        rev.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    start = slash == std::string::npos ? rev.size() : slash + 1;
  }
  return out;
}

std::string join_revision(const std::vector<std::string>& revs) {
  std::string out;
  for (std::size_t i = 0; i < revs.size(); ++i) {
    out += (i == 0 ? "" : "/") + revs[i];
  }
  return out;
}

// "<node>-<orchestrator>-<workload>-<endpoint>" with '-' doubled inside each segment.
std::optional<std::vector<std::string>> parse_wep_name(const std::string& name) {
  std::vector<std::string> segs(1);
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name[i] != '-') {
      segs.back() += name[i];
    } else if (i + 1 < name.size() && name[i + 1] == '-') {
      segs.back() += '-';
      ++i;
    } else {
      segs.emplace_back();
    }
  }
  if (segs.size() != 4) {
    return std::nullopt;
  }
  return segs;
}

StoreError not_found(const Key& key) {
  return StoreError{ErrorCode::NotFound, key.to_string() + " does not exist"};
}

StoreError read_only(api::Kind kind) {
  return StoreError{ErrorCode::Invalid,
                    std::string(api::info(kind).name) +
                        " is read-only in the Kubernetes datastore (profiles are synthesised from "
                        "Namespaces and ServiceAccounts)"};
}

std::string object_path(const Key& key) {
  switch (key.kind) {
    case api::Kind::Node:
      return "/api/v1/nodes/" + key.name;
    case api::Kind::KubernetesNetworkPolicy:
      return kNetpols + "namespaces/" + key.ns + "/networkpolicies/" + key.name;
    default:
      return "";
  }
}

json preconditions(const json& current) {
  const json& m = current["metadata"];
  return json{{"kind", "DeleteOptions"},
              {"apiVersion", "v1"},
              {"preconditions",
               {{"uid", m.value("uid", std::string())},
                {"resourceVersion", m.value("resourceVersion", std::string())}}}};
}

}  // namespace

Result<Object, StoreError> KddDatastore::native_get(const Key& key) {
  std::string path;
  Mapper map = nullptr;
  switch (key.kind) {
    case api::Kind::Node:
    case api::Kind::KubernetesNetworkPolicy:
      path = object_path(key);
      map = key.kind == api::Kind::Node ? &kdd::node_from_k8s : &kdd::k8s_network_policy_from_k8s;
      break;
    case api::Kind::WorkloadEndpoint: {
      const auto segs = parse_wep_name(key.name);
      if (!segs || (*segs)[1] != "k8s" || key.ns.empty()) {
        return fail(not_found(key));
      }
      path = "/api/v1/namespaces/" + key.ns + "/pods/" + (*segs)[2];
      map = &kdd::wep_from_pod;
      break;
    }
    case api::Kind::Profile:
      if (key.name == kdd::kDefaultAllowProfileName) {
        return kdd::default_allow_profile();
      }
      if (key.name.rfind("kns.", 0) == 0) {
        path = "/api/v1/namespaces/" + key.name.substr(4);
        map = &kdd::profile_from_namespace;
      } else if (key.name.rfind("ksa.", 0) == 0 && key.name.find('.', 4) != std::string::npos) {
        const auto dot = key.name.find('.', 4);
        path = "/api/v1/namespaces/" + key.name.substr(4, dot - 4) + "/serviceaccounts/" +
               key.name.substr(dot + 1);
        map = &kdd::profile_from_service_account;
      } else {
        return fail(not_found(key));
      }
      break;
    default:
      return fail(not_found(key));
  }
  auto r = client_.request("GET", path);
  if (!r) {
    return fail(r.error());
  }
  if (r->status != 200) {
    return fail(error_from_reply(*r, "get " + key.to_string()));
  }
  auto obj = map(r->body);
  if (!obj) {
    return fail(obj.error());
  }
  if (obj->key != key) {
    return fail(not_found(key));
  }
  return obj;
}

Result<ListResult, StoreError> KddDatastore::native_list(const ListOptions& opts) {
  ListResult out;
  std::vector<std::string> revs;
  for (const auto& src : sources(opts)) {
    auto got = list_collection(src.path, "", "list " + std::string(api::info(opts.kind).name));
    if (!got) {
      return fail(got.error());
    }
    revs.push_back(got->second);
    for (const auto& item : got->first) {
      auto obj = src.map(item);
      if (!obj) {
        if (obj.error().code != ErrorCode::NotFound) {  // NotFound: no endpoint for this pod
          out.undecodable.push_back(obj.error());
        }
        continue;
      }
      if (matches(opts, obj->key)) {
        out.items.push_back(std::move(*obj));
      }
    }
  }
  if (opts.kind == api::Kind::Profile) {
    auto allow = kdd::default_allow_profile();
    if (matches(opts, allow.key)) {
      out.items.push_back(std::move(allow));
    }
  }
  out.revision = join_revision(revs);
  std::sort(out.items.begin(), out.items.end(),
            [](const Object& a, const Object& b) { return a.key < b.key; });
  return out;
}

Result<Object, StoreError> KddDatastore::native_write(const api::AnyResource& value, bool create) {
  const api::Kind kind = api::kind_of(value);
  if (kind == api::Kind::Profile) {
    return fail(read_only(kind));
  }
  if (auto v = api::validate(value); !v) {
    return fail(StoreError{ErrorCode::Invalid, v.error().to_string_all()});
  }
  const Key key = key_of(value);
  const std::string what = (create ? "create " : "update ") + key.to_string();
  const std::string& revision = api::meta_of(value).resource_version;

  if (kind == api::Kind::Node) {
    if (create) {
      return fail(StoreError{ErrorCode::Invalid,
                             what + ": Nodes are registered by the kubelet; the Kubernetes "
                                    "datastore only updates their Calico fields"});
    }
    for (int attempt = 0; attempt < kRetries; ++attempt) {
      auto cur = client_.request("GET", object_path(key));
      if (!cur) {
        return fail(cur.error());
      }
      if (cur->status != 200) {
        return fail(error_from_reply(*cur, what));
      }
      auto body = kdd::node_to_k8s(std::get<api::Node>(value), cur->body);
      if (!body) {
        return fail(body.error());
      }
      auto r = client_.request("PUT", object_path(key) + "/status", *body);
      if (!r) {
        return fail(r.error());
      }
      if (r->status == 200) {
        return kdd::node_from_k8s(r->body);
      }
      auto err = error_from_reply(*r, what);
      if (err.code == ErrorCode::Conflict && revision.empty()) {
        continue;
      }
      return fail(err);
    }
    return fail(StoreError{ErrorCode::Conflict, what + ": still conflicting after retries"});
  }

  if (kind == api::Kind::WorkloadEndpoint) {
    const auto& wep = std::get<api::WorkloadEndpoint>(value);
    if (wep.spec.orchestrator != "k8s" || wep.spec.pod.empty()) {
      return fail(StoreError{ErrorCode::Invalid,
                             what + ": only Kubernetes pods' endpoints (orchestrator k8s, "
                                    "spec.pod set) can be stored in the Kubernetes datastore"});
    }
    std::string ips;
    for (const auto& n : wep.spec.ip_networks) {
      ips += (ips.empty() ? "" : ",") + n;
    }
    json meta = {{"annotations",
                  {{std::string(kdd::kPodIPAnnotation),
                    wep.spec.ip_networks.empty() ? std::string() : wep.spec.ip_networks[0]},
                   {std::string(kdd::kPodIPsAnnotation), ips},
                   {std::string(kdd::kContainerIDAnnotation), wep.spec.container_id}}}};
    if (!revision.empty()) {
      meta["resourceVersion"] = revision;  // a patch carrying resourceVersion is a CAS
    }
    auto r = client_.request("PATCH",
                             "/api/v1/namespaces/" + key.ns + "/pods/" + wep.spec.pod + "/status",
                             json{{"metadata", meta}}, "application/strategic-merge-patch+json");
    if (!r) {
      return fail(r.error());
    }
    if (r->status != 200) {
      return fail(error_from_reply(*r, what));
    }
    auto obj = kdd::wep_from_pod(r->body);
    if (obj && obj->key != key) {
      return fail(StoreError{ErrorCode::Invalid, what + ": the pod's endpoint is named " +
                                                     obj->key.name + ", not " + key.name});
    }
    return obj;
  }

  // KubernetesNetworkPolicy: the networking.k8s.io object itself.
  json body = api::encode_json(value);
  body["metadata"].erase("resourceVersion");
  if (create) {
    auto r = client_.request("POST", kNetpols + "namespaces/" + key.ns + "/networkpolicies", body);
    if (!r) {
      return fail(r.error());
    }
    if (r->status != 201 && r->status != 200) {
      return fail(error_from_reply(*r, what));
    }
    return kdd::k8s_network_policy_from_k8s(r->body);
  }
  for (int attempt = 0; attempt < kRetries; ++attempt) {
    std::string rv = revision;
    if (rv.empty()) {
      auto cur = client_.request("GET", object_path(key));
      if (!cur) {
        return fail(cur.error());
      }
      if (cur->status != 200) {
        return fail(error_from_reply(*cur, what));
      }
      rv = cur->body["metadata"].value("resourceVersion", std::string());
    }
    body["metadata"]["resourceVersion"] = rv;
    auto r = client_.request("PUT", object_path(key), body);
    if (!r) {
      return fail(r.error());
    }
    if (r->status == 200) {
      return kdd::k8s_network_policy_from_k8s(r->body);
    }
    auto err = error_from_reply(*r, what);
    if (err.code == ErrorCode::Conflict && revision.empty()) {
      continue;
    }
    return fail(err);
  }
  return fail(StoreError{ErrorCode::Conflict, what + ": still conflicting after retries"});
}

Result<Object, StoreError> KddDatastore::native_remove(const Key& key,
                                                       const std::string& revision) {
  if (key.kind == api::Kind::Profile) {
    return fail(read_only(key.kind));
  }
  const std::string what = "delete " + key.to_string();
  for (int attempt = 0; attempt < kRetries; ++attempt) {
    auto before = native_get(key);
    if (!before) {
      return fail(before.error());
    }
    if (!revision.empty() && before->revision != revision) {
      return fail(StoreError{ErrorCode::Conflict, what + ": revision " + revision +
                                                      " is stale (now " + before->revision + ")"});
    }
    Result<KubeResponse, StoreError> r = fail(StoreError{});
    if (key.kind == api::Kind::WorkloadEndpoint) {
      // The endpoint goes away with its addresses: blank the CNI annotations (CAS).
      const auto& wep = std::get<api::WorkloadEndpoint>(before->value);
      json patch = {{"metadata",
                     {{"resourceVersion", before->revision},
                      {"annotations",
                       {{std::string(kdd::kPodIPAnnotation), ""},
                        {std::string(kdd::kPodIPsAnnotation), ""}}}}}};
      r = client_.request("PATCH",
                          "/api/v1/namespaces/" + key.ns + "/pods/" + wep.spec.pod + "/status",
                          patch, "application/strategic-merge-patch+json");
    } else {
      json cur = {
          {"metadata",
           {{"uid", api::meta_of(before->value).uid}, {"resourceVersion", before->revision}}}};
      r = client_.request("DELETE", object_path(key), preconditions(cur));
    }
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

StoreError KddDatastore::native_stream(const ListOptions& opts, const std::string& after_revision,
                                       const std::function<void()>& on_ready,
                                       const std::function<bool(const SourceEvent&)>& sink,
                                       std::stop_token stop) {
  const std::vector<Source> srcs = sources(opts);
  if (srcs.empty()) {
    return StoreError{ErrorCode::Invalid,
                      "no Kubernetes source for " + std::string(api::info(opts.kind).name)};
  }
  std::vector<std::string> revs = split_revision(after_revision, srcs.size());

  // One thread per source streams into a queue; this thread delivers in arrival order,
  // with the joined revision, so a reconnect resumes every source where it was.
  struct Item {
    std::size_t source = 0;
    std::optional<SourceEvent> event;  // else: the source ended with `end`
    StoreError end;
    bool ready = false;
  };
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Item> queue;
  std::stop_source inner;
  std::stop_callback link(stop, [&] {
    {
      const std::lock_guard<std::mutex> l(mu);
      inner.request_stop();
    }
    cv.notify_all();
  });
  auto push = [&](Item it) {
    {
      const std::lock_guard<std::mutex> l(mu);
      queue.push_back(std::move(it));
    }
    cv.notify_one();
  };

  std::vector<std::jthread> threads;
  for (std::size_t i = 0; i < srcs.size(); ++i) {
    threads.emplace_back([&, i] {
      const auto inner_stop = inner.get_token();
      std::string rv = revs[i];
      bool ready = false;
      for (;;) {
        StoreError failed{ErrorCode::Internal, ""};
        bool failed_set = false;
        const auto pass_start = std::chrono::steady_clock::now();
        const std::string q = srcs[i].path + "?watch=1&allowWatchBookmarks=true&timeoutSeconds=" +
                              std::to_string(opts_.watch_timeout.count()) +
                              "&resourceVersion=" + url_encode(rv);
        StoreError end = client_.watch(
            q,
            [&] {
              if (!ready) {
                ready = true;
                Item it;
                it.source = i;
                it.ready = true;
                push(std::move(it));
              }
            },
            [&](const json& ev) {
              const std::string type = ev.value("type", std::string());
              const json& obj = ev.contains("object") ? ev["object"] : json::object();
              if (type == "ERROR") {
                const int code = obj.value("code", 0);
                failed = StoreError{code == 410 ? ErrorCode::Gone : ErrorCode::Unavailable,
                                    "watch " + srcs[i].path + ": " +
                                        obj.value("message", std::string("watch error"))};
                failed_set = true;
                return false;
              }
              SourceEvent se;
              const std::string obj_rv =
                  obj.contains("metadata") ? obj["metadata"].value("resourceVersion", rv) : rv;
              rv = obj_rv;
              se.revision = obj_rv;
              if (type == "BOOKMARK") {
                se.bookmark = true;
              } else {
                auto mapped = srcs[i].map(obj);
                if (!mapped || !matches(opts, mapped->key)) {
                  if (!mapped && mapped.error().code != ErrorCode::NotFound) {
                    log_.warn("skipping undecodable watch event",
                              {kv("error", mapped.error().message)});
                  }
                  se.bookmark = true;
                } else {
                  se.event.object = std::move(*mapped);
                  se.event.type = type == "ADDED"     ? EventType::Added
                                  : type == "DELETED" ? EventType::Deleted
                                                      : EventType::Modified;
                }
              }
              Item it;
              it.source = i;
              it.event = std::move(se);
              push(std::move(it));
              return !inner_stop.stop_requested();
            },
            inner_stop, opts_.watch_idle_timeout);
        if (inner_stop.stop_requested()) {
          return;
        }
        if (!failed_set && end.code == ErrorCode::Internal && end.message == "watch ended" &&
            ready && std::chrono::steady_clock::now() - pass_start > std::chrono::seconds(1)) {
          continue;  // server-side timeout: resume from rv
        }
        Item it;
        it.source = i;
        it.end =
            failed_set ? failed
            : (end.code == ErrorCode::Internal && end.message == "watch ended")
                ? StoreError{ErrorCode::Unavailable, "watch " + srcs[i].path + " ended at once"}
                : end;
        push(std::move(it));
        return;
      }
    });
  }

  std::size_t ready_count = 0;
  StoreError result{ErrorCode::Internal, "stopped"};
  for (;;) {
    Item it;
    {
      std::unique_lock<std::mutex> l(mu);
      cv.wait(l, [&] { return !queue.empty() || inner.stop_requested(); });
      if (queue.empty()) {
        break;  // stopped
      }
      it = std::move(queue.front());
      queue.pop_front();
    }
    if (it.ready) {
      if (++ready_count == srcs.size()) {
        on_ready();
      }
      continue;
    }
    if (!it.event) {
      result = it.end;
      break;
    }
    revs[it.source] = it.event->revision;
    SourceEvent se = std::move(*it.event);
    se.revision = join_revision(revs);
    if (!sink(se)) {
      break;
    }
  }
  inner.request_stop();
  threads.clear();  // joins
  return result;
}

}  // namespace calico::datastore::kube
