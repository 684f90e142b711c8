// Field-visitor codec: one description of a struct's fields drives strict JSON decoding,
// JSON encoding and equality-preserving round trips.
//
// A resource struct lists its fields once:
//
//   struct IPPoolSpec {
//     std::string cidr;
//     int block_size = 0;
//     template <class V> void visit(V& v) {
//       v("cidr", cidr);
//       v("blockSize", block_size);
//     }
//     bool operator==(const IPPoolSpec&) const = default;
//   };
//
// Decoding is strict like Calico's: a key the struct does not list is an error naming the
// field ("spec.cidrr: unknown field"), and a value of the wrong JSON type is an error
// naming the expected type.  Encoding follows Go's `omitempty`: empty strings, false,
// zero numbers, empty lists/maps and unset optionals are left out, unless the field is
// registered with Emit::Always.  Use std::optional<T> where an explicit zero must survive.
// Emit::OmitZero leaves a nested struct out when it equals its default value (Go's
// `omitzero`, e.g. a Rule's source/destination).
//
// Supported field types: std::string, bool, integral types (range-checked), double,
// std::optional<T>, std::vector<T>, std::map<std::string, T>, nested structs with
// visit(), Json (free-form), and scalar types with members
//   bool decode_json(const Json&, std::string& why);  Json encode_json() const;
//   bool is_empty() const;
// (see api/types.h).  Encoders call visit() through a const_cast; visitors never mutate.
#pragma once

#include <concepts>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/error.h"

namespace calico::api {

using Json = nlohmann::ordered_json;

enum class Emit { OmitEmpty, Always, OmitZero };

template <class T>
concept CustomScalar = requires(T& t, const T& ct, const Json& j, std::string& why) {
  { t.decode_json(j, why) } -> std::same_as<bool>;
  { ct.encode_json() } -> std::same_as<Json>;
  { ct.is_empty() } -> std::same_as<bool>;
};

template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};
template <class T>
struct IsVector : std::false_type {};
template <class T>
struct IsVector<std::vector<T>> : std::true_type {};
template <class T>
struct IsStringMap : std::false_type {};
template <class T>
struct IsStringMap<std::map<std::string, T>> : std::true_type {};

std::string json_type_name(const Json& j);
// Serialises without throwing: invalid UTF-8 in strings is replaced with U+FFFD.
std::string safe_dump(const Json& j, int indent = -1);
std::string join_path(std::string_view base, std::string_view key);
std::string index_path(std::string_view base, std::size_t index);

class Decoder;
class Encoder;

// ---- decode ---------------------------------------------------------------------------

template <class T>
void decode_value(const Json& j, T& out, const std::string& path, std::vector<FieldError>& errs);

class Decoder {
 public:
  Decoder(const Json& obj, std::string path, std::vector<FieldError>& errs)
      : obj_(obj), path_(std::move(path)), errs_(errs) {}

  template <class T>
  void operator()(std::string_view key, T& field, Emit /*emit*/ = Emit::OmitEmpty) {
    seen_.emplace_back(key);
    auto it = obj_.find(std::string(key));
    if (it == obj_.end()) {
      return;
    }
    decode_value(*it, field, join_path(path_, key), errs_);
  }

  // Reports every key of the object that no visitor call named.
  void finish() {
    for (auto it = obj_.begin(); it != obj_.end(); ++it) {
      bool known = false;
      for (const auto& k : seen_) {
        if (k == it.key()) {
          known = true;
          break;
        }
      }
      if (!known) {
        errs_.push_back({join_path(path_, it.key()), "unknown field \"" + it.key() + "\""});
      }
    }
  }

 private:
  const Json& obj_;
  std::string path_;
  std::vector<FieldError>& errs_;
  std::vector<std::string_view> seen_;
};

template <class T>
void decode_value(const Json& j, T& out, const std::string& path, std::vector<FieldError>& errs) {
  auto type_error = [&](std::string_view expected) {
    errs.push_back({path, "expected " + std::string(expected) + ", got " + json_type_name(j)});
  };
  if constexpr (std::is_same_v<T, Json>) {
    out = j;
  } else if constexpr (IsOptional<T>::value) {
    if (j.is_null()) {
      out.reset();
      return;
    }
    typename T::value_type v{};
    decode_value(j, v, path, errs);
    out = std::move(v);
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (j.is_string()) {
      out = j.template get<std::string>();
    } else if (j.is_null()) {
      out.clear();
    } else {
      type_error("string");
    }
  } else if constexpr (std::is_same_v<T, bool>) {
    if (j.is_boolean()) {
      out = j.template get<bool>();
    } else if (j.is_null()) {
      out = false;
    } else {
      type_error("boolean");
    }
  } else if constexpr (std::is_integral_v<T>) {
    if (j.is_number_unsigned()) {
      const auto v = j.template get<std::uint64_t>();
      if (v > static_cast<std::uint64_t>(std::numeric_limits<T>::max())) {
        errs.push_back({path, std::to_string(v) + " is out of range"});
        return;
      }
      out = static_cast<T>(v);
    } else if (j.is_number_integer()) {
      const auto v = j.template get<std::int64_t>();
      if (v < static_cast<std::int64_t>(std::numeric_limits<T>::min()) ||
          (v > 0 && static_cast<std::uint64_t>(v) >
                        static_cast<std::uint64_t>(std::numeric_limits<T>::max()))) {
        errs.push_back({path, std::to_string(v) + " is out of range"});
        return;
      }
      out = static_cast<T>(v);
    } else if (j.is_number_float()) {
      const double d = j.template get<double>();
      if (d != static_cast<double>(static_cast<std::int64_t>(d))) {
        errs.push_back({path, "expected integer, got " + j.dump()});
        return;
      }
      decode_value(Json(static_cast<std::int64_t>(d)), out, path, errs);
    } else if (j.is_null()) {
      out = 0;
    } else {
      type_error("integer");
    }
  } else if constexpr (std::is_floating_point_v<T>) {
    if (j.is_number()) {
      out = j.template get<T>();
    } else {
      type_error("number");
    }
  } else if constexpr (IsVector<T>::value) {
    out.clear();
    if (j.is_null()) {
      return;
    }
    if (!j.is_array()) {
      type_error("list");
      return;
    }
    out.reserve(j.size());
    for (std::size_t i = 0; i < j.size(); ++i) {
      typename T::value_type v{};
      decode_value(j[i], v, index_path(path, i), errs);
      out.push_back(std::move(v));
    }
  } else if constexpr (IsStringMap<T>::value) {
    out.clear();
    if (j.is_null()) {
      return;
    }
    if (!j.is_object()) {
      type_error("map");
      return;
    }
    for (auto it = j.begin(); it != j.end(); ++it) {
      typename T::mapped_type v{};
      decode_value(it.value(), v, join_path(path, it.key()), errs);
      out.emplace(it.key(), std::move(v));
    }
  } else if constexpr (CustomScalar<T>) {
    std::string why;
    if (!out.decode_json(j, why)) {
      errs.push_back({path, why});
    }
  } else {
    if (j.is_null()) {
      out = T{};
      return;
    }
    if (!j.is_object()) {
      type_error("object");
      return;
    }
    Decoder d(j, path, errs);
    out.visit(d);
    d.finish();
  }
}

// ---- encode ---------------------------------------------------------------------------

template <class T>
bool is_empty_value(const T& v) {
  if constexpr (std::is_same_v<T, Json>) {
    return v.is_null();
  } else if constexpr (IsOptional<T>::value) {
    return !v.has_value();
  } else if constexpr (std::is_same_v<T, std::string>) {
    return v.empty();
  } else if constexpr (std::is_same_v<T, bool>) {
    return !v;
  } else if constexpr (std::is_arithmetic_v<T>) {
    return v == T{};
  } else if constexpr (IsVector<T>::value || IsStringMap<T>::value) {
    return v.empty();
  } else if constexpr (CustomScalar<T>) {
    return v.is_empty();
  } else {
    return false;  // nested structs are emitted when present (Go omits only nil pointers)
  }
}

template <class T>
Json encode_value(const T& v);

class Encoder {
 public:
  explicit Encoder(Json& out) : out_(out) {}

  template <class T>
  void operator()(std::string_view key, const T& field, Emit emit = Emit::OmitEmpty) {
    if (emit == Emit::OmitEmpty && is_empty_value(field)) {
      return;
    }
    if constexpr (std::equality_comparable<T>) {
      if (emit == Emit::OmitZero && field == T{}) {
        return;
      }
    }
    out_[std::string(key)] = encode_value(field);
  }

 private:
  Json& out_;
};

template <class T>
Json encode_value(const T& v) {
  if constexpr (std::is_same_v<T, Json>) {
    return v;
  } else if constexpr (IsOptional<T>::value) {
    return v ? encode_value(*v) : Json(nullptr);
  } else if constexpr (std::is_same_v<T, std::string> || std::is_arithmetic_v<T>) {
    return Json(v);
  } else if constexpr (IsVector<T>::value) {
    Json arr = Json::array();
    for (const auto& e : v) {
      arr.push_back(encode_value(e));
    }
    return arr;
  } else if constexpr (IsStringMap<T>::value) {
    Json obj = Json::object();
    for (const auto& [k, e] : v) {
      obj[k] = encode_value(e);
    }
    return obj;
  } else if constexpr (CustomScalar<T>) {
    return v.encode_json();
  } else {
    Json obj = Json::object();
    Encoder e(obj);
    const_cast<T&>(v).visit(e);  // NOLINT(cppcoreguidelines-pro-type-const-cast): read-only
    return obj;
  }
}

// Decodes a whole struct from a JSON object (strict) and returns the field errors.
template <class T>
std::vector<FieldError> decode_struct(const Json& j, T& out, const std::string& path = "") {
  std::vector<FieldError> errs;
  decode_value(j, out, path, errs);
  return errs;
}

}  // namespace calico::api
