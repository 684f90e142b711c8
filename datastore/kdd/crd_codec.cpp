// v3 resources <-> crd.projectcalico.org/v1 custom resources (see crd_codec.h).
#include "datastore/kdd/crd_codec.h"

#include <openssl/evp.h>

#include <array>
#include <cstdint>

#include "api/document.h"

namespace calico::datastore::kdd {
namespace {

using Json = nlohmann::json;

bool kept_on_crd(const std::string& key) {
  return key.find("projectcalico.org/") != std::string::npos ||
         key.find("operator.tigera.io/") != std::string::npos;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

std::uint8_t reverse_bits(std::uint8_t b) {
  std::uint8_t out = 0;
  for (int i = 0; i < 8; ++i) {
    out = static_cast<std::uint8_t>((out << 1U) | ((b >> i) & 1U));
  }
  return out;
}

StoreError invalid(std::string msg) {
  return StoreError{ErrorCode::Invalid, std::move(msg)};
}

}  // namespace

std::optional<CrdResource> crd_resource(api::Kind kind) {
  const auto names = api::crd_names(kind);
  if (!names) {
    return std::nullopt;
  }
  return CrdResource{std::string(names->kind), std::string(names->plural),
                     api::info(kind).namespaced};
}

std::string crd_path(const CrdResource& r, const std::string& ns, const std::string& name) {
  std::string out = "/apis/" + std::string(kCrdApiVersion) + "/";
  if (r.namespaced && !ns.empty()) {
    out += "namespaces/" + ns + "/";
  }
  out += r.plural;
  if (!name.empty()) {
    out += "/" + name;
  }
  return out;
}

std::string reverse_uid(const std::string& uid) {
  // 8-4-4-4-12 hex digits.
  if (uid.size() != 36 || uid[8] != '-' || uid[13] != '-' || uid[18] != '-' || uid[23] != '-') {
    return uid;
  }
  std::array<std::uint8_t, 16> bytes{};
  std::size_t n = 0;
  for (std::size_t i = 0; i < uid.size(); ++i) {
    if (uid[i] == '-') {
      continue;
    }
    const int hi = hex_value(uid[i]);
    const int lo = i + 1 < uid.size() ? hex_value(uid[i + 1]) : -1;
    if (hi < 0 || lo < 0 || n >= bytes.size()) {
      return uid;
    }
    bytes[n++] = static_cast<std::uint8_t>((hi << 4) | lo);
    ++i;
  }
  if (n != bytes.size()) {
    return uid;
  }
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i != 6 && i != 8) {
      bytes[i] = reverse_bits(bytes[i]);
    }
  }
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      out += '-';
    }
    out += hex[bytes[i] >> 4U];
    out += hex[bytes[i] & 0xfU];
  }
  return out;
}

std::string hostname_hash(std::string_view host) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(host.data(), host.size(), digest, &len, EVP_sha3_256(), nullptr);
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string out;
  unsigned int acc = 0;
  int bits = 0;
  for (unsigned int i = 0; i < len; ++i) {
    acc = (acc << 8U) | digest[i];
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += kAlphabet[(acc >> static_cast<unsigned>(bits)) & 31U];
    }
  }
  if (bits > 0) {
    out += kAlphabet[(acc << static_cast<unsigned>(5 - bits)) & 31U];
  }
  return out;
}

Result<Json, StoreError> to_crd(const api::AnyResource& value) {
  const api::Kind kind = api::kind_of(value);
  const auto res = crd_resource(kind);
  if (!res) {
    return fail(invalid(std::string(api::info(kind).name) +
                        " is not stored as a custom resource in the Kubernetes datastore"));
  }
  Json v3 = api::encode_json(value);
  Json meta = v3.contains("metadata") ? v3["metadata"] : Json::object();
  Json crd_meta = Json::object();
  for (const char* k : {"name", "namespace", "resourceVersion"}) {
    if (meta.contains(k)) {
      crd_meta[k] = meta[k];
    }
  }
  if (meta.contains("uid") && meta["uid"].is_string()) {
    crd_meta["uid"] = reverse_uid(meta["uid"].get<std::string>());
  }
  // The CRD's own labels/annotations: only Calico/operator keys.
  for (const char* k : {"labels", "annotations"}) {
    if (meta.contains(k) && meta[k].is_object()) {
      for (const auto& [key, val] : meta[k].items()) {
        if (kept_on_crd(key)) {
          crd_meta[k][key] = val;
        }
      }
    }
  }
  // Everything but the identity fields goes into the metadata annotation.
  Json annotated = meta;
  for (const char* k : {"name", "namespace", "resourceVersion", "uid"}) {
    annotated.erase(k);
  }
  if (!annotated.empty()) {
    crd_meta["annotations"][std::string(kMetadataAnnotation)] = api::safe_dump(annotated);
  }
  if (const auto* aff = std::get_if<api::BlockAffinity>(&value)) {
    crd_meta["labels"][std::string(kHostnameHashLabel)] = hostname_hash(aff->spec.node);
    crd_meta["labels"][std::string(kAffinityTypeLabel)] =
        aff->spec.type.empty() ? std::string("host") : aff->spec.type;
    crd_meta["labels"][std::string(kIpVersionLabel)] =
        aff->spec.cidr.find(':') != std::string::npos ? "6" : "4";
  }
  Json out = Json::object();
  out["apiVersion"] = std::string(kCrdApiVersion);
  out["kind"] = res->kind;
  out["metadata"] = std::move(crd_meta);
  if (v3.contains("spec")) {
    out["spec"] = v3["spec"];
  }
  if (v3.contains("status")) {
    out["status"] = v3["status"];
  }
  return out;
}

Result<Object, StoreError> from_crd(api::Kind kind, const Json& crd) {
  if (!crd.is_object() || !crd.contains("metadata") || !crd["metadata"].is_object()) {
    return fail(invalid("custom resource without metadata"));
  }
  const Json& cm = crd["metadata"];
  const std::string name = cm.value("name", std::string());
  Json meta = Json::object();
  // The annotation first, then the CRD's own fields on top.
  if (cm.contains("annotations") && cm["annotations"].is_object() &&
      cm["annotations"].contains(std::string(kMetadataAnnotation))) {
    const Json& a = cm["annotations"][std::string(kMetadataAnnotation)];
    Json parsed = a.is_string() ? Json::parse(a.get<std::string>(), nullptr, false) : Json();
    if (!parsed.is_object()) {
      return fail(invalid(std::string(api::info(kind).name) + " " + name + ": annotation " +
                          std::string(kMetadataAnnotation) + " is not a JSON object"));
    }
    meta = std::move(parsed);
  }
  for (const char* k : {"labels", "annotations"}) {
    if (cm.contains(k) && cm[k].is_object()) {
      for (const auto& [key, val] : cm[k].items()) {
        if (key != kMetadataAnnotation) {
          meta[k][key] = val;
        }
      }
    }
  }
  for (const char* k : {"name", "namespace", "resourceVersion"}) {
    if (cm.contains(k)) {
      meta[k] = cm[k];
    }
  }
  if (cm.contains("uid") && cm["uid"].is_string()) {
    meta["uid"] = reverse_uid(cm["uid"].get<std::string>());
  }
  if (!meta.contains("creationTimestamp") && cm.contains("creationTimestamp")) {
    meta["creationTimestamp"] = cm["creationTimestamp"];
  }
  Json v3 = Json::object();
  v3["apiVersion"] = std::string(api::info(kind).api_version);
  v3["kind"] = std::string(api::info(kind).name);
  v3["metadata"] = std::move(meta);
  if (crd.contains("spec")) {
    v3["spec"] = crd["spec"];
  }
  if (crd.contains("status")) {
    v3["status"] = crd["status"];
  }
  auto decoded = api::decode_json(v3);
  if (!decoded) {
    return fail(invalid(std::string(api::info(kind).name) + " " + name + ": " +
                        decoded.error().to_string_all()));
  }
  Object obj;
  obj.value = std::move(*decoded);
  obj.key = key_of(obj.value);
  obj.revision = cm.value("resourceVersion", std::string());
  return obj;
}

}  // namespace calico::datastore::kdd
