#include "datastore/etcd/etcd_layout.h"

#include <cctype>

#include "api/document.h"
#include "api/ipam_names.h"
#include "common/net/ip.h"

namespace calico::datastore::etcd {
namespace {

using Json = api::Json;

StoreError invalid(std::string msg) {
  return StoreError{ErrorCode::Invalid, std::move(msg)};
}

bool has_prefix(const std::string& s, std::string_view p) {
  return s.compare(0, p.size(), p) == 0;
}

std::string family_dir(const std::string& cidr) {
  return cidr.find(':') == std::string::npos ? "ipv4" : "ipv6";
}

std::string dash_cidr(std::string cidr) {
  const auto slash = cidr.rfind('/');
  if (slash != std::string::npos) {
    cidr[slash] = '-';
  }
  return cidr;
}

std::optional<std::string> undash_cidr(std::string s) {
  const auto dash = s.rfind('-');
  if (dash == std::string::npos) {
    return std::nullopt;
  }
  s[dash] = '/';
  if (!net::Cidr::parse(s)) {
    return std::nullopt;
  }
  return s;
}

std::string plural_dir(api::Kind kind) {
  if (api::info(kind).storage == api::Storage::Kubernetes) {
    return "kubernetesnetworkpolicies";
  }
  return std::string(api::info(kind).plural);
}

bool simple_segment(const std::string& s) {
  return !s.empty() && s.find('/') == std::string::npos;
}

// Affinity name = "<host>-<mangled cidr>"; returns the CIDR.
std::optional<std::string> affinity_cidr(const Key& key) {
  if (key.ns.empty() || !has_prefix(key.name, key.ns + "-")) {
    return std::nullopt;
  }
  return api::block_cidr_from_name(key.name.substr(key.ns.size() + 1));
}

Json parse_json(const std::string& bytes, bool& ok) {
  Json j = Json::parse(bytes, nullptr, false);
  ok = !j.is_discarded();
  return j;
}

Json envelope(api::Kind kind, const std::string& name, Json spec) {
  Json doc = Json::object();
  doc["apiVersion"] = std::string(api::kCalicoApiVersion);
  doc["kind"] = std::string(api::info(kind).name);
  doc["metadata"] = Json{{"name", name}};
  doc["spec"] = std::move(spec);
  return doc;
}

void rename_key(Json& obj, const char* from, const char* to) {
  if (obj.is_object() && obj.contains(from)) {
    obj[to] = obj[from];
    obj.erase(from);
  }
}

}  // namespace

Result<std::string, StoreError> etcd_key(const Key& key) {
  const auto& ki = api::info(key.kind);
  if (!simple_segment(key.name)) {
    return fail(invalid(key.to_string() + ": name must be non-empty and contain no '/'"));
  }
  switch (ki.storage) {
    case api::Storage::V3Resource:
    case api::Storage::Kubernetes: {
      std::string k = std::string(kResourcePrefix) + plural_dir(key.kind) + "/";
      if (ki.namespaced) {
        if (!simple_segment(key.ns)) {
          return fail(invalid(key.to_string() + ": namespace is required"));
        }
        k += key.ns + "/";
      }
      return k + key.name;
    }
    case api::Storage::IpamBlock: {
      const auto cidr = api::block_cidr_from_name(key.name);
      if (!cidr) {
        return fail(invalid(key.to_string() + ": name is not a mangled block CIDR"));
      }
      return std::string(kIpamPrefix) + "assignment/" + family_dir(*cidr) + "/block/" +
             dash_cidr(*cidr);
    }
    case api::Storage::IpamAffinity: {
      const auto cidr = affinity_cidr(key);
      if (!simple_segment(key.ns) || !cidr) {
        return fail(invalid(key.to_string() + ": a block affinity key needs the host in ns and a "
                                              "\"<host>-<mangled cidr>\" name"));
      }
      return std::string(kIpamPrefix) + "host/" + key.ns + "/" + family_dir(*cidr) + "/block/" +
             dash_cidr(*cidr);
    }
    case api::Storage::IpamHandle:
      return std::string(kIpamPrefix) + "handle/" + key.name;
    case api::Storage::IpamConfig:
      if (key.name != "default") {
        return fail(invalid(key.to_string() + ": the IPAM configuration is named \"default\""));
      }
      return std::string(kIpamPrefix) + "config";
  }
  return fail(invalid("unknown storage class"));
}

std::string list_prefix(const ListOptions& opts) {
  const auto& ki = api::info(opts.kind);
  switch (ki.storage) {
    case api::Storage::V3Resource:
    case api::Storage::Kubernetes: {
      std::string k = std::string(kResourcePrefix) + plural_dir(opts.kind) + "/";
      if (ki.namespaced) {
        if (!opts.ns.empty()) {
          k += opts.ns + "/" + opts.name_prefix;
        }
      } else {
        k += opts.name_prefix;
      }
      return k;
    }
    case api::Storage::IpamBlock:
      return std::string(kIpamPrefix) + "assignment/";
    case api::Storage::IpamAffinity:
      return std::string(kIpamPrefix) + "host/" + (opts.ns.empty() ? "" : opts.ns + "/");
    case api::Storage::IpamHandle:
      return std::string(kIpamPrefix) + "handle/" + opts.name_prefix;
    case api::Storage::IpamConfig:
      return std::string(kIpamPrefix) + "config";
  }
  return std::string(kResourcePrefix);
}

std::optional<Key> key_from_etcd(api::Kind kind, const std::string& k) {
  const auto& ki = api::info(kind);
  switch (ki.storage) {
    case api::Storage::V3Resource:
    case api::Storage::Kubernetes: {
      const std::string base = std::string(kResourcePrefix) + plural_dir(kind) + "/";
      if (!has_prefix(k, base)) {
        return std::nullopt;
      }
      const std::string rest = k.substr(base.size());
      const auto slash = rest.find('/');
      if (ki.namespaced) {
        if (slash == std::string::npos || rest.find('/', slash + 1) != std::string::npos) {
          return std::nullopt;
        }
        return Key{kind, rest.substr(0, slash), rest.substr(slash + 1)};
      }
      if (slash != std::string::npos || rest.empty()) {
        return std::nullopt;
      }
      return Key{kind, "", rest};
    }
    case api::Storage::IpamBlock: {
      const std::string base = std::string(kIpamPrefix) + "assignment/";
      if (!has_prefix(k, base)) {
        return std::nullopt;
      }
      const std::string rest = k.substr(base.size());  // ipv4/block/10.0.0.0-26
      if (!(has_prefix(rest, "ipv4/block/") || has_prefix(rest, "ipv6/block/"))) {
        return std::nullopt;
      }
      const auto cidr = undash_cidr(rest.substr(11));
      if (!cidr) {
        return std::nullopt;
      }
      return Key{kind, "", api::block_name(*cidr)};
    }
    case api::Storage::IpamAffinity: {
      const std::string base = std::string(kIpamPrefix) + "host/";
      if (!has_prefix(k, base)) {
        return std::nullopt;
      }
      const std::string rest = k.substr(base.size());  // host/ipv4/block/cidr
      const auto slash = rest.find('/');
      if (slash == std::string::npos) {
        return std::nullopt;
      }
      const std::string host = rest.substr(0, slash);
      const std::string tail = rest.substr(slash + 1);
      if (!(has_prefix(tail, "ipv4/block/") || has_prefix(tail, "ipv6/block/"))) {
        return std::nullopt;
      }
      const auto cidr = undash_cidr(tail.substr(11));
      if (!cidr || host.empty()) {
        return std::nullopt;
      }
      return Key{kind, host, host + "-" + api::block_name(*cidr)};
    }
    case api::Storage::IpamHandle: {
      const std::string base = std::string(kIpamPrefix) + "handle/";
      if (!has_prefix(k, base) || !simple_segment(k.substr(base.size()))) {
        return std::nullopt;
      }
      return Key{kind, "", k.substr(base.size())};
    }
    case api::Storage::IpamConfig:
      if (k != std::string(kIpamPrefix) + "config") {
        return std::nullopt;
      }
      return Key{kind, "", "default"};
  }
  return std::nullopt;
}

bool stores_metadata(api::Kind kind) {
  const auto storage = api::info(kind).storage;
  return storage == api::Storage::V3Resource || storage == api::Storage::Kubernetes;
}

Result<std::string, StoreError> encode_value(const api::AnyResource& value) {
  Json doc = api::encode_json(value);
  if (doc.contains("metadata")) {
    doc["metadata"].erase("resourceVersion");
  }
  const api::Kind kind = api::kind_of(value);
  Json spec = doc.contains("spec") ? doc["spec"] : Json::object();
  switch (api::info(kind).storage) {
    case api::Storage::V3Resource:
    case api::Storage::Kubernetes:
      return api::safe_dump(doc);
    case api::Storage::IpamBlock: {
      rename_key(spec, "affinityClaimTime", "affinity_claim_time");
      if (!spec.contains("affinity")) {
        spec["affinity"] = nullptr;
      }
      return api::safe_dump(spec);
    }
    case api::Storage::IpamAffinity: {
      Json out = Json::object();
      out["state"] = spec.value("state", std::string());
      out["deleted"] = spec.value("deleted", std::string()) == "true";
      return api::safe_dump(out);
    }
    case api::Storage::IpamHandle: {
      Json out = Json::object();
      out["block"] = spec.contains("block") ? spec["block"] : Json::object();
      out["deleted"] = spec.value("deleted", false);
      return api::safe_dump(out);
    }
    case api::Storage::IpamConfig: {
      Json out = spec;
      rename_key(out, "strictAffinity", "strict_affinity");
      rename_key(out, "autoAllocateBlocks", "auto_allocate_blocks");
      if (!out.contains("auto_allocate_blocks")) {
        out["auto_allocate_blocks"] = true;
      }
      if (!out.contains("strict_affinity")) {
        out["strict_affinity"] = false;
      }
      return api::safe_dump(out);
    }
  }
  return fail(invalid("unknown storage class"));
}

Result<Object, StoreError> decode_value(const Key& key, const std::string& bytes,
                                        std::int64_t mod_revision) {
  const auto where = [&] { return "value of " + key.to_string(); };
  bool ok = true;
  Json doc;
  switch (api::info(key.kind).storage) {
    case api::Storage::V3Resource:
    case api::Storage::Kubernetes:
      doc = parse_json(bytes, ok);
      break;
    case api::Storage::IpamBlock: {
      Json spec = parse_json(bytes, ok);
      if (ok && spec.is_object()) {
        rename_key(spec, "affinity_claim_time", "affinityClaimTime");
        if (spec.contains("hostAffinity")) {  // very old data: hostAffinity: <node>
          if (!spec.contains("affinity") || spec["affinity"].is_null()) {
            spec["affinity"] = "host:" + spec["hostAffinity"].get<std::string>();
          }
          spec.erase("hostAffinity");
        }
        if (spec.contains("affinity") && spec["affinity"].is_null()) {
          spec.erase("affinity");
        }
      }
      doc = envelope(key.kind, key.name, std::move(spec));
      break;
    }
    case api::Storage::IpamAffinity: {
      Json stored = bytes.empty() ? Json::object() : parse_json(bytes, ok);
      const auto cidr = affinity_cidr(key);
      if (ok && stored.is_object() && cidr) {
        Json spec = Json::object();
        std::string state = stored.value("state", std::string());
        spec["state"] = state.empty() ? "confirmed" : state;  // "" from old releases = confirmed
        spec["node"] = key.ns;
        spec["type"] = "host";
        spec["cidr"] = *cidr;
        spec["deleted"] = stored.value("deleted", false) ? "true" : "false";
        doc = envelope(key.kind, key.name, std::move(spec));
      } else {
        ok = false;
      }
      break;
    }
    case api::Storage::IpamHandle: {
      Json stored = parse_json(bytes, ok);
      if (ok && stored.is_object()) {
        Json spec = Json::object();
        spec["handleID"] = key.name;
        spec["block"] = stored.contains("block") ? stored["block"] : Json::object();
        if (stored.value("deleted", false)) {
          spec["deleted"] = true;
        }
        doc = envelope(key.kind, key.name, std::move(spec));
      } else {
        ok = false;
      }
      break;
    }
    case api::Storage::IpamConfig: {
      Json spec = parse_json(bytes, ok);
      if (ok && spec.is_object()) {
        rename_key(spec, "strict_affinity", "strictAffinity");
        rename_key(spec, "auto_allocate_blocks", "autoAllocateBlocks");
        doc = envelope(key.kind, key.name, std::move(spec));
      } else {
        ok = false;
      }
      break;
    }
  }
  if (!ok) {
    return fail(invalid(where() + " is not valid JSON in Calico's format"));
  }
  auto r = api::decode_json(doc);
  if (!r) {
    return fail(invalid(where() + ": " + r.error().to_string_all()));
  }
  if (api::kind_of(*r) != key.kind) {
    return fail(invalid(where() + " holds a " + std::string(api::info(api::kind_of(*r)).name)));
  }
  Object obj{key, std::move(*r), std::to_string(mod_revision)};
  auto& meta = api::meta_of(obj.value);
  meta.resource_version = obj.revision;
  if (meta.name.empty()) {
    meta.name = key.name;
  }
  if (api::info(key.kind).namespaced && meta.ns.empty()) {
    meta.ns = key.ns;
  }
  return obj;
}

}  // namespace calico::datastore::etcd
