// Errors produced by decoding and validating resources.
//
// Every error names the resource (kind and name, when known), the field path inside the
// object (JSON-pointer-like, dotted with [index]), and what is wrong, e.g.
//   IPPool "pool-a": spec.cidr: "10.0.0.0/33" is not a valid CIDR
// Callers that read files add the source ("pools.yaml document 2") in `source`.
#pragma once

#include <string>
#include <vector>

namespace calico::api {

struct FieldError {
  std::string path;     // "spec.cidr", "spec.ingress[0].ports[1]"; empty = whole document
  std::string message;  // "\"10.0.0.0/33\" is not a valid CIDR"
  bool operator==(const FieldError&) const = default;
};

struct Error {
  std::string kind;                // "IPPool"; empty if the document had no usable kind
  std::string name;                // metadata.name, possibly empty
  std::string ns;                  // metadata.namespace for namespaced kinds
  std::string source;              // optional: "file.yaml document 2"
  std::vector<FieldError> fields;  // at least one

  // First field error, formatted: [source: ]Kind "ns/name": path: message
  std::string to_string() const;
  // Every field error, one per line.
  std::string to_string_all() const;
};

}  // namespace calico::api
