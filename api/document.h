// Whole-document codecs: apiVersion + kind dispatch, strict decoding, encoding, and the
// entry points that apply Calico's defaults and validation.
//
//   auto docs = decode_yaml(text, "pools.yaml");     // every document, or the first error
//   for (auto& r : *docs) { apply_defaults(r); if (auto v = validate(r); !v) ... }
//   std::string yaml = encode_yaml(r);
//
// Decoding rejects unknown fields, wrong types, unknown kinds and a missing apiVersion,
// and the error names the document, resource and field.  Encoding writes apiVersion and
// kind first, then metadata and spec in the struct's field order; decode(encode(x)) == x.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "api/error.h"
#include "api/resources.h"
#include "common/result.h"

namespace calico::api {

Result<AnyResource, Error> decode_json(const Json& doc);
Result<AnyResource, Error> decode_json_text(std::string_view text);
// Multi-document YAML (or JSON, which is YAML).  A "List" document (kind ending in
// "List" with items) is expanded into its items.  `source` names the input in errors;
// `sources`, when given, receives for each decoded resource where it came from
// ("file.yaml document 2", or just "file.yaml" for a one-document input).
Result<std::vector<AnyResource>, Error> decode_yaml(std::string_view text,
                                                    std::string_view source = "",
                                                    std::vector<std::string>* sources = nullptr);

Json encode_json(const AnyResource& r);
std::string encode_json_text(const AnyResource& r, int indent = 2);
std::string encode_yaml(const AnyResource& r);

// Applies the defaults Calico's client applies on write (blockSize, natOutgoing...).
void apply_defaults(AnyResource& r);
// Checks Calico's validation rules; the error lists every problem found.
Result<void, Error> validate(const AnyResource& r);

}  // namespace calico::api
