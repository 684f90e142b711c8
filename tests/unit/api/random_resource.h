// Test helper: fills any resource struct with random values through its visit() field
// list (api/codec.h), for round-trip property tests.
//
// Every field type the codec supports is covered: strings (including text that looks like
// YAML numbers, booleans or nulls, indicator characters, quotes, control characters and
// non-ASCII UTF-8), booleans, integers over their full range, finite doubles, optionals set
// and unset, lists, maps, free-form Json, and the num-or-string scalars in both forms.
// Values are always decodable (valid protocol names, non-empty named ports...), but not
// necessarily valid by Calico's validation rules.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "api/codec.h"
#include "api/types.h"

namespace calico::api::testing {

class RandomFiller {
 public:
  explicit RandomFiller(std::uint64_t seed) : rng_(seed) {}

  // Visitor entry point: called by T::visit for each field.
  template <class T>
  void operator()(std::string_view /*key*/, T& field, Emit /*emit*/ = Emit::OmitEmpty) {
    fill(field);
  }

  template <class T>
  void fill(T& v) {
    if constexpr (std::is_same_v<T, Json>) {
      v = random_json(0);
    } else if constexpr (IsOptional<T>::value) {
      if (chance(2)) {
        v.reset();
      } else {
        typename T::value_type inner{};
        fill(inner);
        v = std::move(inner);
      }
    } else if constexpr (std::is_same_v<T, std::string>) {
      v = random_string();
    } else if constexpr (std::is_same_v<T, bool>) {
      v = chance(2);
    } else if constexpr (std::is_integral_v<T>) {
      v = random_int<T>();
    } else if constexpr (std::is_floating_point_v<T>) {
      v = static_cast<T>(random_double());
    } else if constexpr (IsVector<T>::value) {
      v.clear();
      const auto n = below(4);
      for (std::size_t i = 0; i < n; ++i) {
        typename T::value_type e{};
        fill(e);
        v.push_back(std::move(e));
      }
    } else if constexpr (IsStringMap<T>::value) {
      v.clear();
      const auto n = below(4);
      for (std::size_t i = 0; i < n; ++i) {
        typename T::mapped_type e{};
        fill(e);
        v.emplace(random_string(), std::move(e));
      }
    } else if constexpr (std::is_same_v<T, ASNumber>) {
      v = random_asn();
    } else if constexpr (std::is_same_v<T, Port>) {
      v = random_port();
    } else if constexpr (std::is_same_v<T, Protocol>) {
      v = random_protocol();
    } else if constexpr (std::is_same_v<T, IntOrString>) {
      v = chance(2) ? IntOrString::of(random_int<std::int32_t>())
                    : IntOrString::of(random_string());
    } else if constexpr (CustomScalar<T>) {
      v = T{};  // unknown scalar type: keep its default (always decodable)
    } else {
      v.visit(*this);
    }
  }

  std::size_t below(std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
  }
  bool chance(std::size_t one_in) { return below(one_in) == 0; }

  std::string random_string() {
    // Text chosen to trip YAML emitters and readers.
    static const std::array<std::string_view, 64> kTricky{{
        "",        "true", "False",    "null",       "~",           "yes",       "NO",
        "on",      "0",    "123",      "-17",        "+1",          "1.5",       ".5",
        "1e5",     "0x1F", "0o17",     "0755",       "1_000",       ".inf",      "-.Inf",
        ".nan",    "1:2",  "12:30:00", "2024-01-01", "-",           "- a",       "?",
        ": x",     "a: b", "a:b",      "#c",         "a #b",        "a#b",       " lead",
        "trail ",  "'",    "\"",       "\\",         "'q'",         "\"dq\"",    "{a}",
        "[x, y]",  "*ref", "&anc",     "!tag",       "%p",          "@at",       "`tick",
        "|",       ">",    "=",        "<<",         "line\nbreak", "tab\there", "cr\rlf",
        "\x01ctl", "é",    "日本語",   "😀 emoji",    "a\u2028b",    "\u0085",    "\ufeffbom",
        "a,b",
    }};
    if (chance(3)) {
      return std::string(kTricky[below(kTricky.size())]);
    }
    static const std::array<std::string_view, 24> kPieces{
        {"a",  "Z",  "0",  "9",  "-", "_", ".",  "/",    ":", " ", "#", "'",
         "\"", "\\", "\n", "\t", "é", "ß", "中", "🙂", "{", "}", "[", ","}};
    std::string out;
    const auto n = 1 + below(12);
    for (std::size_t i = 0; i < n; ++i) {
      out += kPieces[below(kPieces.size())];
    }
    return out;
  }

 private:
  template <class T>
  T random_int() {
    using Wide = std::conditional_t<std::is_signed_v<T>, std::int64_t, std::uint64_t>;
    switch (below(4)) {
      case 0:
        return std::numeric_limits<T>::min();
      case 1:
        return std::numeric_limits<T>::max();
      case 2:
        return static_cast<T>(below(100));
      default:
        return static_cast<T>(std::uniform_int_distribution<Wide>(
            static_cast<Wide>(std::numeric_limits<T>::min()),
            static_cast<Wide>(std::numeric_limits<T>::max()))(rng_));
    }
  }

  double random_double() {
    switch (below(5)) {
      case 0:
        return static_cast<double>(below(2000)) - 1000.0;  // integral values
      case 1:
        return std::uniform_real_distribution<double>(-1e6, 1e6)(rng_);
      case 2:
        return std::numeric_limits<double>::max() * (chance(2) ? 1 : -1);
      case 3:
        return std::numeric_limits<double>::denorm_min();
      default:
        return std::uniform_real_distribution<double>(0, 1)(rng_) * 1e-300;
    }
  }

  ASNumber random_asn() {
    switch (below(3)) {
      case 0:
        return ASNumber(random_int<std::uint32_t>());
      case 1:
        return *ASNumber::parse(std::to_string(below(65536)) + "." + std::to_string(below(65536)));
      default:
        return *ASNumber::parse(std::to_string(random_int<std::uint32_t>()));
    }
  }

  Port random_port() {
    switch (below(3)) {
      case 0:
        return Port::number(random_int<std::uint16_t>());
      case 1:
        return Port::range(random_int<std::uint16_t>(), random_int<std::uint16_t>());
      default: {
        static const std::array<std::string_view, 5> kNames{
            {"http", "dns-tcp", "metrics", "x", "a1"}};
        return Port::named(std::string(kNames[below(kNames.size())]));
      }
    }
  }

  Protocol random_protocol() {
    static const std::array<std::string_view, 9> kNames{
        {"TCP", "UDP", "ICMP", "ICMPv6", "SCTP", "UDPLite", "tcp", "udp", "sctp"}};
    if (chance(2)) {
      return Protocol::number(static_cast<std::uint8_t>(1 + below(255)));
    }
    return Protocol::named(std::string(kNames[below(kNames.size())]));
  }

  Json random_json(int depth) {
    const std::size_t kinds = depth >= 3 ? 6 : 8;
    switch (below(kinds)) {
      case 0:
        return nullptr;
      case 1:
        return chance(2);
      case 2:
        return random_int<std::int64_t>();
      case 3:
        return random_int<std::uint64_t>();
      case 4:
        return random_double();
      case 5:
        return random_string();
      case 6: {
        Json arr = Json::array();
        for (std::size_t i = 0, n = below(4); i < n; ++i) {
          arr.push_back(random_json(depth + 1));
        }
        return arr;
      }
      default: {
        Json obj = Json::object();
        for (std::size_t i = 0, n = below(4); i < n; ++i) {
          obj[random_string()] = random_json(depth + 1);
        }
        return obj;
      }
    }
  }

  std::mt19937_64 rng_;
};

}  // namespace calico::api::testing
