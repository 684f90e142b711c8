#include "api/yaml.h"

#include <charconv>
#include <cstdlib>
#include <regex>

#include <yaml-cpp/yaml.h>

namespace calico::api {
namespace {

// YAML 1.2 core schema resolution of plain scalars.
Json resolve_plain(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") {
    return nullptr;
  }
  if (s == "true" || s == "True" || s == "TRUE") {
    return true;
  }
  if (s == "false" || s == "False" || s == "FALSE") {
    return false;
  }
  static const std::regex kInt("[-+]?[0-9]+");
  static const std::regex kOct("0o[0-7]+");
  static const std::regex kHex("0x[0-9a-fA-F]+");
  static const std::regex kFloat(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  if (std::regex_match(s, kInt)) {
    const char* b = s.data() + (s[0] == '+' ? 1 : 0);
    const char* e = s.data() + s.size();
    if (s[0] == '-') {
      std::int64_t v = 0;
      if (std::from_chars(b, e, v).ec == std::errc()) {
        return v;
      }
    } else {
      std::uint64_t v = 0;
      if (std::from_chars(b, e, v).ec == std::errc()) {
        return v;
      }
    }
    return s;  // out of range: keep text
  }
  if (std::regex_match(s, kOct)) {
    return std::strtoull(s.c_str() + 2, nullptr, 8);
  }
  if (std::regex_match(s, kHex)) {
    return std::strtoull(s.c_str() + 2, nullptr, 16);
  }
  if (std::regex_match(s, kFloat)) {
    return std::strtod(s.c_str(), nullptr);
  }
  return s;
}

Result<Json, YamlError> convert(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return Json(nullptr);
    case YAML::NodeType::Scalar:
      if (node.Tag() == "?") {
        return resolve_plain(node.Scalar());
      }
      return Json(node.Scalar());
    case YAML::NodeType::Sequence: {
      Json arr = Json::array();
      for (const auto& child : node) {
        auto v = convert(child);
        if (!v) {
          return v;
        }
        arr.push_back(std::move(*v));
      }
      return arr;
    }
    case YAML::NodeType::Map: {
      Json obj = Json::object();
      for (const auto& kvp : node) {
        if (!kvp.first.IsScalar()) {
          const auto m = kvp.first.Mark();
          return fail(YamlError{m.line + 1, m.column + 1, "map keys must be scalars"});
        }
        const std::string key = kvp.first.Scalar();
        if (obj.contains(key)) {
          const auto m = kvp.first.Mark();
          return fail(YamlError{m.line + 1, m.column + 1, "duplicate key \"" + key + "\""});
        }
        auto v = convert(kvp.second);
        if (!v) {
          return v;
        }
        obj[key] = std::move(*v);
      }
      return obj;
    }
  }
  return Json(nullptr);
}

// Plain scalars that YAML 1.1 readers (Go's yaml.v2 behind kubectl and calicoctl) resolve
// to a non-string even though the 1.2 core schema keeps them strings: y/n/on/off booleans,
// sexagesimal numbers ("1:20"), ".inf"/".nan", binary, digits with '_' separators, and
// timestamps.
bool ambiguous_in_yaml11(const std::string& s) {
  static const std::regex kBool("y|Y|n|N|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF");
  static const std::regex kNumber(
      R"([-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)|)"
      R"([-+]?0b[01_]+)");
  static const std::regex kTimestamp(R"([0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt \t].*)?)");
  if (std::regex_match(s, kBool) || std::regex_match(s, kNumber) ||
      std::regex_match(s, kTimestamp)) {
    return true;
  }
  if (s.find('_') != std::string::npos) {
    std::string digits;
    for (char c : s) {
      if (c != '_') {
        digits += c;
      }
    }
    return !digits.empty() && !resolve_plain(digits).is_string();
  }
  return false;
}

// Characters a plain scalar must not carry: C0 controls and DEL, and the Unicode line
// breaks NEL (U+0085), LS (U+2028), PS (U+2029) and the BOM (U+FEFF), which readers fold
// or strip.
bool has_special_chars(const std::string& s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return true;
    }
  }
  return s.find("\xc2\x85") != std::string::npos || s.find("\xe2\x80\xa8") != std::string::npos ||
         s.find("\xe2\x80\xa9") != std::string::npos || s.find("\xef\xbb\xbf") != std::string::npos;
}

bool needs_quotes(const std::string& s) {
  if (s.empty()) {
    return true;
  }
  const Json resolved = resolve_plain(s);
  if (!resolved.is_string()) {
    return true;
  }
  // Leading/trailing spaces, indicators and ": " / " #" sequences need quoting.
  if (s.front() == ' ' || s.back() == ' ') {
    return true;
  }
  static const std::string kIndicators = "-?:,[]{}#&*!|>'\"%@`";
  if (kIndicators.find(s.front()) != std::string::npos) {
    return true;
  }
  if (s.find(": ") != std::string::npos || s.find(" #") != std::string::npos || s.back() == ':' ||
      has_special_chars(s)) {
    return true;
  }
  return ambiguous_in_yaml11(s);
}

// Double-quoted output; yaml-cpp writes LS / PS raw unless non-ASCII escaping is on, so it
// is switched on for strings carrying them.
void emit_quoted(YAML::Emitter& out, const std::string& s) {
  const bool escape =
      s.find("\xe2\x80\xa8") != std::string::npos || s.find("\xe2\x80\xa9") != std::string::npos;
  if (escape) {
    out.SetOutputCharset(YAML::EscapeNonAscii);
  }
  out << YAML::DoubleQuoted << s;
  if (escape) {
    out.SetOutputCharset(YAML::EmitNonAscii);
  }
}

void emit(YAML::Emitter& out, const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      out << YAML::Null;
      break;
    case Json::value_t::boolean:
      out << (v.get<bool>() ? "true" : "false");
      break;
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      out << v.dump();
      break;
    case Json::value_t::string: {
      const auto s = v.get<std::string>();
      if (needs_quotes(s)) {
        emit_quoted(out, s);
      } else {
        out << s;
      }
      break;
    }
    case Json::value_t::array:
      if (v.empty()) {
        out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
        break;
      }
      out << YAML::BeginSeq;
      for (const auto& e : v) {
        emit(out, e);
      }
      out << YAML::EndSeq;
      break;
    case Json::value_t::object:
      if (v.empty()) {
        out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
        break;
      }
      out << YAML::BeginMap;
      for (auto it = v.begin(); it != v.end(); ++it) {
        out << YAML::Key;
        if (needs_quotes(it.key())) {
          emit_quoted(out, it.key());
        } else {
          out << it.key();
        }
        out << YAML::Value;
        emit(out, it.value());
      }
      out << YAML::EndMap;
      break;
    default:
      out << YAML::Null;
  }
}

}  // namespace

std::string YamlError::to_string() const {
  if (line > 0) {
    return "YAML error at line " + std::to_string(line) + ", column " + std::to_string(column) +
           ": " + message;
  }
  return "YAML error: " + message;
}

Result<std::vector<Json>, YamlError> yaml_to_json_documents(std::string_view text) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    return fail(YamlError{e.mark.line + 1, e.mark.column + 1, e.msg});
  }
  std::vector<Json> out;
  for (const auto& d : docs) {
    if (d.IsNull() || !d.IsDefined()) {
      continue;
    }
    auto j = convert(d);
    if (!j) {
      return fail(j.error());
    }
    out.push_back(std::move(*j));
  }
  return out;
}

std::string json_to_yaml(const Json& value) {
  YAML::Emitter out;
  out.SetIndent(2);
  out.SetSeqFormat(YAML::Block);
  emit(out, value);
  std::string s = out.c_str();
  if (s.empty() || s.back() != '\n') {
    s += '\n';
  }
  return s;
}

}  // namespace calico::api
