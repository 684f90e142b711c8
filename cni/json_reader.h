// Internal to calico::cni_spec (not a public header): typed access to fields of parsed
// JSON objects that records the first type error, naming the field's path, instead of
// throwing.  Accessors keep going after an error and return defaults, so a decoder reads
// straight through and checks ok() once at the end.
#pragma once

#include <climits>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "cni/spec.h"

namespace calico::cni::detail {

inline std::string in_quotes(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

// Compact JSON text for messages, cut at 64 characters; never throws on invalid UTF-8.
inline std::string compact(const nlohmann::json& j) {
  constexpr std::size_t kMax = 64;
  std::string text = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (text.size() > kMax) {
    text.resize(kMax);
    text += "...";
  }
  return text;
}

// "ipam" + "ipv4_pools" -> "ipam.ipv4_pools"; "" + "name" -> "name".
inline std::string join_path(std::string_view where, std::string_view key) {
  return where.empty() ? std::string(key) : std::string(where) + "." + std::string(key);
}

class FieldReader {
 public:
  // Errors get `code` and the message "<context>: <path>: <what>".
  FieldReader(int code, std::string context) : code_(code), context_(std::move(context)) {}

  // Field `key` of `obj`, or nullptr when obj is no object or the field is absent/null.
  static const nlohmann::json* find(const nlohmann::json& obj, const std::string& key) {
    if (!obj.is_object()) {
      return nullptr;
    }
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) {
      return nullptr;
    }
    return &*it;
  }

  std::optional<std::string> opt_string(const nlohmann::json& obj, const std::string& key,
                                        std::string_view where) {
    const nlohmann::json* v = find(obj, key);
    if (v == nullptr) {
      return std::nullopt;
    }
    if (!v->is_string()) {
      wrong_type(join_path(where, key), "a string", *v);
      return std::nullopt;
    }
    return v->get<std::string>();
  }

  std::string string(const nlohmann::json& obj, const std::string& key, std::string_view where,
                     std::string fallback = {}) {
    return opt_string(obj, key, where).value_or(std::move(fallback));
  }

  // Like string(), but an absent field is an error.
  std::string required_string(const nlohmann::json& obj, const std::string& key,
                              std::string_view where) {
    if (find(obj, key) == nullptr) {
      fail(join_path(where, key), "missing");
      return {};
    }
    return string(obj, key, where);
  }

  std::optional<bool> opt_bool(const nlohmann::json& obj, const std::string& key,
                               std::string_view where) {
    const nlohmann::json* v = find(obj, key);
    if (v == nullptr) {
      return std::nullopt;
    }
    if (!v->is_boolean()) {
      wrong_type(join_path(where, key), "a boolean", *v);
      return std::nullopt;
    }
    return v->get<bool>();
  }

  // A JSON integer in [0, INT_MAX] (the spec's "uint" fields).
  std::optional<int> opt_uint(const nlohmann::json& obj, const std::string& key,
                              std::string_view where) {
    const nlohmann::json* v = find(obj, key);
    if (v == nullptr) {
      return std::nullopt;
    }
    if (v->is_number_unsigned() && v->get<std::uint64_t>() <= std::uint64_t{INT_MAX}) {
      return static_cast<int>(v->get<std::uint64_t>());
    }
    wrong_type(join_path(where, key), "a non-negative integer", *v);
    return std::nullopt;
  }

  std::vector<std::string> string_list(const nlohmann::json& obj, const std::string& key,
                                       std::string_view where) {
    std::vector<std::string> out;
    const nlohmann::json* v = find(obj, key);
    if (v == nullptr) {
      return out;
    }
    if (!v->is_array()) {
      wrong_type(join_path(where, key), "an array of strings", *v);
      return out;
    }
    for (const auto& item : *v) {
      if (!item.is_string()) {
        wrong_type(join_path(where, key), "an array of strings", *v);
        return {};
      }
      out.push_back(item.get<std::string>());
    }
    return out;
  }

  // The field if it is an object (or array); nullptr when absent, null or of another type
  // (the latter recorded as an error).
  const nlohmann::json* object(const nlohmann::json& obj, const std::string& key,
                               std::string_view where) {
    return typed(obj, key, where, nlohmann::json::value_t::object, "an object");
  }
  const nlohmann::json* array(const nlohmann::json& obj, const std::string& key,
                              std::string_view where) {
    return typed(obj, key, where, nlohmann::json::value_t::array, "an array");
  }

  void fail(const std::string& path, const std::string& what) {
    if (!error_) {
      error_ = Error{code_, context_ + ": " + path + ": " + what, {}};
    }
  }
  bool ok() const { return !error_.has_value(); }
  const std::optional<Error>& error() const { return error_; }

 private:
  const nlohmann::json* typed(const nlohmann::json& obj, const std::string& key,
                              std::string_view where, nlohmann::json::value_t type,
                              const char* what) {
    const nlohmann::json* v = find(obj, key);
    if (v != nullptr && v->type() != type) {
      wrong_type(join_path(where, key), what, *v);
      return nullptr;
    }
    return v;
  }

  void wrong_type(const std::string& path, const char* expected, const nlohmann::json& got) {
    fail(path, std::string("must be ") + expected + ", got " + compact(got));
  }

  int code_;
  std::string context_;
  std::optional<Error> error_;
};

}  // namespace calico::cni::detail
