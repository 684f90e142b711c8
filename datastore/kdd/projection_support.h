// Internal to the projections (projections.cpp, projections_pod.cpp): reading untrusted
// Kubernetes JSON field by field, and the helpers both halves share.  Not a public API.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/document.h"
#include "common/net/ip.h"
#include "datastore/datastore.h"

namespace calico::datastore::kdd::detail {

using Json = nlohmann::json;
using StringMap = std::map<std::string, std::string>;

// libcalico-go conversion/constants.go and api/pkg/apis/projectcalico/v3 label names.
inline constexpr std::string_view kNamespaceProfilePrefix = "kns.";
inline constexpr std::string_view kServiceAccountProfilePrefix = "ksa.";
inline constexpr std::string_view kNamespaceLabelPrefix = "pcns.";
inline constexpr std::string_view kServiceAccountLabelPrefix = "pcsa.";
inline constexpr std::string_view kNameLabel = "projectcalico.org/name";
inline constexpr std::string_view kNamespaceLabel = "projectcalico.org/namespace";
inline constexpr std::string_view kOrchestratorLabel = "projectcalico.org/orchestrator";
inline constexpr std::string_view kServiceAccountLabel = "projectcalico.org/serviceaccount";
inline constexpr std::string_view kOrchestratorK8s = "k8s";
inline constexpr std::string_view kEndpointEth0 = "eth0";
// Label values are at most 63 characters; Calico adds the SA label only below that.
inline constexpr std::size_t kMaxServiceAccountLabelLength = 63;

inline StoreError invalid(std::string msg) {
  return StoreError{ErrorCode::Invalid, std::move(msg)};
}

// Reads fields of an untrusted Kubernetes object.  Absent and null fields read as empty;
// a field of the wrong JSON type records an error (the first one wins) and reads as empty.
class FieldReader {
 public:
  explicit FieldReader(std::string object) : object_(std::move(object)) {}

  void set_object(std::string object) { object_ = std::move(object); }
  const std::string& object() const { return object_; }

  const Json* object_at(const Json& parent, std::string_view key, std::string_view path) {
    return typed(parent, key, path, Json::value_t::object, "object");
  }
  const Json* array_at(const Json& parent, std::string_view key, std::string_view path) {
    return typed(parent, key, path, Json::value_t::array, "list");
  }
  std::string string_at(const Json& parent, std::string_view key, std::string_view path) {
    const Json* v = typed(parent, key, path, Json::value_t::string, "string");
    return v != nullptr ? v->get<std::string>() : std::string();
  }
  bool bool_at(const Json& parent, std::string_view key, std::string_view path) {
    const Json* v = typed(parent, key, path, Json::value_t::boolean, "boolean");
    return v != nullptr && v->get<bool>();
  }
  std::int64_t int_at(const Json& parent, std::string_view key, std::string_view path) {
    const Json* v = find(parent, key);
    if (v == nullptr) {
      return 0;
    }
    if (!v->is_number_integer()) {
      add_error(path, "expected integer, got " + api::json_type_name(*v));
      return 0;
    }
    return v->is_number_unsigned() ? static_cast<std::int64_t>(v->get<std::uint64_t>())
                                   : v->get<std::int64_t>();
  }
  StringMap string_map_at(const Json& parent, std::string_view key, std::string_view path) {
    StringMap out;
    const Json* m = object_at(parent, key, path);
    if (m == nullptr) {
      return out;
    }
    for (const auto& [k, v] : m->items()) {
      if (!v.is_string()) {
        add_error(std::string(path) + "." + k, "expected string, got " + api::json_type_name(v));
        continue;
      }
      out.emplace(k, v.get<std::string>());
    }
    return out;
  }

  void add_error(std::string_view path, const std::string& why) {
    if (!error_) {
      error_ = invalid(object_ + ": " + std::string(path) + ": " + why);
    }
  }
  bool ok() const { return !error_.has_value(); }
  const StoreError& error() const { return *error_; }

 private:
  static const Json* find(const Json& parent, std::string_view key) {
    if (!parent.is_object()) {
      return nullptr;
    }
    auto it = parent.find(std::string(key));
    if (it == parent.end() || it->is_null()) {
      return nullptr;
    }
    return &*it;
  }
  const Json* typed(const Json& parent, std::string_view key, std::string_view path,
                    Json::value_t type, std::string_view type_name) {
    const Json* v = find(parent, key);
    if (v == nullptr) {
      return nullptr;
    }
    if (v->type() != type) {
      add_error(path, "expected " + std::string(type_name) + ", got " + api::json_type_name(*v));
      return nullptr;
    }
    return v;
  }

  std::string object_;
  std::optional<StoreError> error_;
};

// The identity fields every projection reads.  Fails (Invalid) when the object is not a
// JSON object, or lacks metadata.name (or metadata.namespace for namespaced kinds), and
// names the object in `r` for later errors: "Pod shop/web-1".
struct Identity {
  const Json* meta = nullptr;  // never null on success
  std::string name;
  std::string ns;
  std::string uid;
  std::string creation_timestamp;
  std::string revision;
};

Result<Identity, StoreError> read_identity(FieldReader& r, const Json& obj, const std::string& kind,
                                           bool namespaced);
std::string value_or_empty(const StringMap& m, std::string_view key);
// Validators (libcalico-go lib/validator/v3: ValidateCIDRv4, ValidateIPv4Network...).
std::optional<net::Cidr> cidr_or_ip(std::string_view s);
bool is_cidr_v4(std::string_view s);
bool is_cidr_v6(std::string_view s);
bool is_network_v4(std::string_view s);  // an IP, or a CIDR without host bits
bool is_network_v6(std::string_view s);
bool is_mac(std::string_view s);  // Go's net.ParseMAC
bool is_uuid(std::string_view s);
// Calico's ConvertUID: fails on a uid that is not a UUID; an absent uid stays absent.
bool convert_uid(FieldReader& r, const std::string& uid, std::string& out);
// getAnnotation(): the value when it passes `valid`, else "" (Calico logs and ignores it).
std::string checked_annotation(const StringMap& annotations, std::string_view key,
                               bool (*valid)(std::string_view));
std::string dump(const Json& j);
Json string_map_json(const StringMap& m);
// A JSON object of strings, or nullopt.  "null" reads as an empty map (Go's Unmarshal).
std::optional<StringMap> parse_string_map(const std::string& text);
Object make_object(api::AnyResource value, std::string revision);
std::string service_account_profile_name(std::string ns, const std::string& sa);
api::Rule allow_rule();

}  // namespace calico::datastore::kdd::detail
