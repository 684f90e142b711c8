#include "api/codec.h"

namespace calico::api {

std::string json_type_name(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "boolean " + safe_dump(j);
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "integer " + safe_dump(j);
    case Json::value_t::number_float:
      return "number " + safe_dump(j);
    case Json::value_t::string:
      return "string " + safe_dump(j);
    case Json::value_t::array:
      return "list";
    case Json::value_t::object:
      return "map";
    default:
      return "unsupported value";
  }
}

std::string safe_dump(const Json& j, int indent) {
  return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

std::string join_path(std::string_view base, std::string_view key) {
  if (base.empty()) {
    return std::string(key);
  }
  std::string out(base);
  out += '.';
  out += key;
  return out;
}

std::string index_path(std::string_view base, std::size_t index) {
  return std::string(base) + "[" + std::to_string(index) + "]";
}

}  // namespace calico::api
