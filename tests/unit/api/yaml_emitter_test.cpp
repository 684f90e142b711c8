// The YAML emitter quotes every string another reader could take for something else: YAML
// 1.2 core-schema values, YAML 1.1 forms that Go's yaml.v2 (kubectl, calicoctl) resolves
// (yes/no, 1:20, 1_000, .inf, timestamps), control characters and Unicode line breaks.
#include <gtest/gtest.h>

#include "api/yaml.h"

namespace calico::api {
namespace {

std::string emit_scalar(const std::string& s) {
  std::string out = json_to_yaml(Json(s));
  if (!out.empty() && out.back() == '\n') {
    out.pop_back();
  }
  return out;
}

TEST(YamlEmitter, QuotesAmbiguousScalars) {
  const char* quoted[] = {"",         "true",        "null",       "~",
                          "123",      "1.5",         "0x1F",       "yes",
                          "Off",      "Y",           "1:20",       "80:59",
                          "12:30:00", "1_000",       ".inf",       "-.Inf",
                          ".NaN",     "0b101",       "2024-01-01", "2024-01-01T10:00:00Z",
                          "- a",      "a: b",        "#x",         " lead",
                          "trail ",   "line\nbreak", "cr\rlf",     "tab\t",
                          "\x7f",     "a\u2028b",    "\u0085",     "\ufeffbom"};
  for (const char* s : quoted) {
    const std::string out = emit_scalar(s);
    EXPECT_EQ(out.front(), '"') << "not quoted: " << out;
    auto back = yaml_to_json_documents(out);
    ASSERT_TRUE(back) << out;
    ASSERT_EQ(back->size(), 1u) << out;
    EXPECT_EQ(back->front(), Json(s)) << out;
  }
  // Unicode line separators are escaped, not written raw.
  EXPECT_EQ(emit_scalar("a\u2028b"), "\"a\\u2028b\"");
}

TEST(YamlEmitter, LeavesOrdinaryScalarsPlain) {
  const char* plain[] = {"10.0.0.0/8",  "fd00::/8", "80:90", "role == 'db'",
                         "kns.default", "café",     "a_b",   "v3.32.0"};
  for (const char* s : plain) {
    EXPECT_EQ(emit_scalar(s), s);
  }
}

}  // namespace
}  // namespace calico::api
