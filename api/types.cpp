#include "api/types.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

namespace calico::api {
namespace {

bool parse_u64(std::string_view s, std::uint64_t& out) {
  if (s.empty() || s.size() > 20) {
    return false;
  }
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

struct ProtoName {
  std::string_view name;
  std::uint8_t number;
};
constexpr std::array<ProtoName, 9> kProtocols{{{"TCP", 6},
                                               {"UDP", 17},
                                               {"ICMP", 1},
                                               {"ICMPv6", 58},
                                               {"SCTP", 132},
                                               {"UDPLite", 136},
                                               {"tcp", 6},
                                               {"udp", 17},
                                               {"sctp", 132}}};

}  // namespace

// ---- ASNumber -------------------------------------------------------------------------

std::optional<ASNumber> ASNumber::parse(const std::string& text) {
  ASNumber out;
  std::string why;
  if (!out.decode_json(Json(text), why)) {
    return std::nullopt;
  }
  return out;
}

std::string ASNumber::to_string() const {
  return text_.empty() ? std::to_string(value_) : text_;
}

bool ASNumber::decode_json(const Json& j, std::string& why) {
  if (j.is_number_unsigned() || j.is_number_integer()) {
    if (j.is_number_integer() && !j.is_number_unsigned() && j.get<std::int64_t>() < 0) {
      why = "AS number " + safe_dump(j) + " is negative";
      return false;
    }
    const auto v = j.get<std::uint64_t>();
    if (v > 0xffffffffULL) {
      why = "AS number " + std::to_string(v) + " is larger than 4294967295";
      return false;
    }
    value_ = static_cast<std::uint32_t>(v);
    text_.clear();
    return true;
  }
  if (!j.is_string()) {
    why = "AS number must be an integer or an \"A.B\" string, got " + json_type_name(j);
    return false;
  }
  const auto s = j.get<std::string>();
  const auto dot = s.find('.');
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;
  if (dot == std::string::npos) {
    if (!parse_u64(s, lo) || lo > 0xffffffffULL) {
      why = "\"" + s + "\" is not a valid AS number";
      return false;
    }
    value_ = static_cast<std::uint32_t>(lo);
  } else {
    if (!parse_u64(std::string_view(s).substr(0, dot), hi) ||
        !parse_u64(std::string_view(s).substr(dot + 1), lo) || hi > 0xffff || lo > 0xffff) {
      why = "\"" + s + "\" is not a valid AS number (asdot parts must be 0-65535)";
      return false;
    }
    value_ = static_cast<std::uint32_t>((hi << 16) | lo);
  }
  text_ = s;
  return true;
}

Json ASNumber::encode_json() const {
  return text_.empty() ? Json(value_) : Json(text_);
}

// ---- Port -----------------------------------------------------------------------------

Port Port::number(std::uint16_t p) {
  Port out;
  out.min_ = out.max_ = p;
  return out;
}

Port Port::range(std::uint16_t min, std::uint16_t max) {
  Port out;
  out.min_ = min;
  out.max_ = max;
  out.was_string_ = true;
  return out;
}

Port Port::named(std::string name) {
  Port out;
  out.name_ = std::move(name);
  out.was_string_ = true;
  return out;
}

std::string Port::to_string() const {
  if (is_named()) {
    return name_;
  }
  if (min_ == max_ && !was_string_) {
    return std::to_string(min_);
  }
  return std::to_string(min_) + ":" + std::to_string(max_);
}

bool Port::valid(std::string& why) const {
  if (is_named()) {
    // Kubernetes IANA_SVC_NAME rules: <= 15 chars, lower-case alnum and '-', a letter.
    const bool ok_chars = std::all_of(name_.begin(), name_.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    });
    const bool has_letter =
        std::any_of(name_.begin(), name_.end(), [](char c) { return c >= 'a' && c <= 'z'; });
    if (name_.size() > 15 || !ok_chars || !has_letter || name_.front() == '-' ||
        name_.back() == '-' || name_.find("--") != std::string::npos) {
      why = "\"" + name_ + "\" is not a valid port name";
      return false;
    }
    return true;
  }
  if (min_ > max_) {
    why = "port range \"" + to_string() + "\" has min > max";
    return false;
  }
  return true;
}

bool Port::decode_json(const Json& j, std::string& why) {
  *this = Port();
  if (j.is_number_integer() || j.is_number_unsigned()) {
    const auto v = j.get<std::int64_t>();
    if (v < 0 || v > 65535) {
      why = "port " + safe_dump(j) + " is out of range 0-65535";
      return false;
    }
    min_ = max_ = static_cast<std::uint16_t>(v);
    return true;
  }
  if (!j.is_string()) {
    why = "port must be a number, a \"min:max\" range or a name, got " + json_type_name(j);
    return false;
  }
  const auto s = j.get<std::string>();
  was_string_ = true;
  if (s.empty()) {
    why = "port must not be empty";
    return false;
  }
  const auto colon = s.find(':');
  if (colon != std::string::npos) {
    std::uint64_t lo = 0;
    std::uint64_t hi = 0;
    if (!parse_u64(std::string_view(s).substr(0, colon), lo) ||
        !parse_u64(std::string_view(s).substr(colon + 1), hi) || lo > 65535 || hi > 65535) {
      why = "\"" + s + "\" is not a valid port range";
      return false;
    }
    min_ = static_cast<std::uint16_t>(lo);
    max_ = static_cast<std::uint16_t>(hi);
    return true;
  }
  std::uint64_t v = 0;
  if (parse_u64(s, v)) {
    if (v > 65535) {
      why = "port " + s + " is out of range 0-65535";
      return false;
    }
    min_ = max_ = static_cast<std::uint16_t>(v);
    return true;
  }
  name_ = s;
  return true;
}

Json Port::encode_json() const {
  if (!was_string_) {
    return Json(min_);
  }
  return Json(to_string());
}

// ---- Protocol -------------------------------------------------------------------------

Protocol Protocol::named(std::string name) {
  Protocol p;
  p.name_ = std::move(name);
  return p;
}

Protocol Protocol::number(std::uint8_t n) {
  Protocol p;
  p.num_ = n;
  return p;
}

std::optional<std::uint8_t> Protocol::number() const {
  if (name_.empty()) {
    return num_;
  }
  for (const auto& p : kProtocols) {
    if (p.name == name_) {
      return p.number;
    }
  }
  return std::nullopt;
}

std::string Protocol::to_string() const {
  return name_.empty() ? std::to_string(num_) : name_;
}

bool Protocol::supports_ports() const {
  const auto n = number();
  return n && (*n == 6 || *n == 17 || *n == 132);
}

bool Protocol::valid(std::string& why) const {
  if (name_.empty()) {
    if (num_ == 0) {
      why = "protocol number must be 1-255";
      return false;
    }
    return true;
  }
  if (!number()) {
    why = "\"" + name_ +
          "\" is not a valid protocol (TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite or 1-255)";
    return false;
  }
  return true;
}

bool Protocol::decode_json(const Json& j, std::string& why) {
  *this = Protocol();
  if (j.is_number_integer() || j.is_number_unsigned()) {
    const auto v = j.get<std::int64_t>();
    if (v < 1 || v > 255) {
      why = "protocol number " + safe_dump(j) + " is out of range 1-255";
      return false;
    }
    num_ = static_cast<std::uint8_t>(v);
    return true;
  }
  if (!j.is_string()) {
    why = "protocol must be a name or a number, got " + json_type_name(j);
    return false;
  }
  name_ = j.get<std::string>();
  return valid(why);
}

Json Protocol::encode_json() const {
  return name_.empty() ? Json(num_) : Json(name_);
}

// ---- IntOrString ----------------------------------------------------------------------

IntOrString IntOrString::of(std::int32_t v) {
  IntOrString out;
  out.int_ = v;
  return out;
}

IntOrString IntOrString::of(std::string s) {
  IntOrString out;
  out.is_int_ = false;
  out.str_ = std::move(s);
  return out;
}

bool IntOrString::decode_json(const Json& j, std::string& why) {
  if (j.is_number_integer() || j.is_number_unsigned()) {
    const auto v = j.get<std::int64_t>();
    if (v < INT32_MIN || v > INT32_MAX) {
      why = safe_dump(j) + " is out of range";
      return false;
    }
    *this = of(static_cast<std::int32_t>(v));
    return true;
  }
  if (j.is_string()) {
    *this = of(j.get<std::string>());
    return true;
  }
  why = "expected integer or string, got " + json_type_name(j);
  return false;
}

Json IntOrString::encode_json() const {
  return is_int_ ? Json(int_) : Json(str_);
}

}  // namespace calico::api
