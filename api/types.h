// Scalar "num-or-string" types of the projectcalico.org/v3 API (api/pkg/lib/numorstring)
// and of Kubernetes (IntOrString).  Each keeps the form it was written in, so a document
// round-trips unchanged, and exposes the parsed meaning.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "api/codec.h"

namespace calico::api {

// AS number: unsigned 32-bit integer, or "asdot" string "A.B" (A*65536+B), or a plain
// decimal string.  Encodes back in the form it was given.
class ASNumber {
 public:
  ASNumber() = default;
  explicit ASNumber(std::uint32_t v) : value_(v) {}
  static std::optional<ASNumber> parse(const std::string& text);

  std::uint32_t value() const { return value_; }
  std::string to_string() const;  // the given form (asdot if written so), else decimal

  bool decode_json(const Json& j, std::string& why);
  Json encode_json() const;
  bool is_empty() const { return false; }
  bool operator==(const ASNumber&) const = default;

 private:
  std::uint32_t value_ = 0;
  std::string text_;  // non-empty when the value was written as a string
};

// Port: integer 0-65535, "min:max" range, or a named port.
class Port {
 public:
  Port() = default;
  static Port number(std::uint16_t p);
  static Port range(std::uint16_t min, std::uint16_t max);
  static Port named(std::string name);

  bool is_named() const { return !name_.empty(); }
  bool is_range() const { return name_.empty() && min_ != max_; }
  std::uint16_t min() const { return min_; }
  std::uint16_t max() const { return max_; }
  const std::string& name() const { return name_; }
  std::string to_string() const;

  // Semantic check (range order, name syntax); decode only checks shape.
  bool valid(std::string& why) const;

  bool decode_json(const Json& j, std::string& why);
  Json encode_json() const;
  bool is_empty() const { return false; }
  bool operator==(const Port&) const = default;

 private:
  std::uint16_t min_ = 0;
  std::uint16_t max_ = 0;
  std::string name_;
  bool was_string_ = false;
};

// Protocol: name (TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite; lower-case tcp/udp/sctp accepted)
// or number 1-255.
class Protocol {
 public:
  Protocol() = default;
  static Protocol named(std::string name);
  static Protocol number(std::uint8_t n);

  // Protocol number (6 for TCP...); nullopt for an unknown name.
  std::optional<std::uint8_t> number() const;
  bool is_numeric() const { return name_.empty(); }
  const std::string& name() const { return name_; }
  std::string to_string() const;
  // True for TCP, UDP, SCTP (by name or number): protocols that may carry ports.
  bool supports_ports() const;
  bool valid(std::string& why) const;

  bool decode_json(const Json& j, std::string& why);
  Json encode_json() const;
  bool is_empty() const { return name_.empty() && num_ == 0; }
  bool operator==(const Protocol&) const = default;

 private:
  std::string name_;
  std::uint8_t num_ = 0;
};

// Kubernetes intstr.IntOrString.
class IntOrString {
 public:
  IntOrString() = default;
  static IntOrString of(std::int32_t v);
  static IntOrString of(std::string s);
  bool is_int() const { return is_int_; }
  std::int32_t int_value() const { return int_; }
  const std::string& str_value() const { return str_; }
  std::string to_string() const { return is_int_ ? std::to_string(int_) : str_; }

  bool decode_json(const Json& j, std::string& why);
  Json encode_json() const;
  bool is_empty() const { return false; }
  bool operator==(const IntOrString&) const = default;

 private:
  bool is_int_ = true;
  std::int32_t int_ = 0;
  std::string str_;
};

}  // namespace calico::api
