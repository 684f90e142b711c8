#include "api/error.h"

namespace calico::api {
namespace {

std::string prefix(const Error& e) {
  std::string out;
  if (!e.source.empty()) {
    out += e.source + ": ";
  }
  if (!e.kind.empty()) {
    out += e.kind;
    if (!e.name.empty()) {
      out += " \"";
      if (!e.ns.empty()) {
        out += e.ns + "/";
      }
      out += e.name + "\"";
    }
    out += ": ";
  }
  return out;
}

std::string format_field(const FieldError& f) {
  return f.path.empty() ? f.message : f.path + ": " + f.message;
}

}  // namespace

std::string Error::to_string() const {
  return prefix(*this) + (fields.empty() ? std::string("invalid") : format_field(fields.front()));
}

std::string Error::to_string_all() const {
  std::string out;
  for (const auto& f : fields) {
    if (!out.empty()) {
      out += '\n';
    }
    out += prefix(*this) + format_field(f);
  }
  return out.empty() ? prefix(*this) + "invalid" : out;
}

}  // namespace calico::api
