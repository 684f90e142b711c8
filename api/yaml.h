// YAML <-> JSON conversion (yaml-cpp), following how Calico reads YAML: every document of
// a multi-document stream becomes one JSON value; plain scalars are resolved with the
// YAML 1.2 core schema (null, true/false, integers, floats), quoted scalars stay strings.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "api/codec.h"
#include "common/result.h"

namespace calico::api {

struct YamlError {
  int line = 0;    // 1-based, 0 if unknown
  int column = 0;  // 1-based
  std::string message;
  std::string to_string() const;
};

// Parses every document; empty documents (only comments/whitespace) are skipped.
Result<std::vector<Json>, YamlError> yaml_to_json_documents(std::string_view text);

// Renders one JSON value as a block-style YAML document (no leading "---").  Strings that
// would read back as another type ("true", "123", "", "null") are quoted.
std::string json_to_yaml(const Json& value);

}  // namespace calico::api
