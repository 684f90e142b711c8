// Untrusted input never crashes or throws: random mutations of valid documents, invalid
// UTF-8 and deeply nested input all come back as Result errors (or valid resources).
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "api/document.h"

namespace calico::api {
namespace {

constexpr const char* kSeed = R"(apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: allow-frontend
  namespace: shop
  labels: {team: web}
spec:
  order: 100
  selector: app == 'backend' && tier in {'a', 'b'}
  types: [Ingress, Egress]
  ingress:
    - action: Allow
      protocol: TCP
      source:
        selector: app == 'frontend'
        nets: [10.0.0.0/8]
      destination:
        ports: [8080, "9000:9010", http]
  egress:
    - action: Deny
      protocol: ICMP
      icmp: {type: 8, code: 0}
)";

TEST(Robustness, InvalidUtf8IsReportedNotThrown) {
  std::string doc =
      "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: p}\nspec:\n  blockSize: "
      "\"\xff\xfe\"\n  cidr: 10.0.0.0/8\n";
  auto r = decode_yaml(doc);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().to_string().find("spec.blockSize"), std::string::npos)
      << r.error().to_string();
}

TEST(Robustness, EncodingInvalidUtf8DoesNotThrow) {
  IPPool pool;
  pool.metadata.name = "p";
  pool.metadata.labels["k"] = "\xc3\x28";
  pool.spec.cidr = "10.0.0.0/8";
  const std::string text = encode_json_text(AnyResource(pool));
  EXPECT_NE(text.find("10.0.0.0/8"), std::string::npos);
}

TEST(Robustness, DeepNestingIsAnError) {
  std::string doc = "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: p}\nspec: ";
  doc += std::string(5000, '[') + std::string(5000, ']') + "\n";
  auto r = decode_yaml(doc);
  EXPECT_FALSE(r);
}

TEST(Robustness, RandomMutationsNeverCrash) {
  std::mt19937 rng(12345);
  const std::string seed = kSeed;
  ASSERT_TRUE(decode_yaml(seed)) << decode_yaml(seed).error().to_string();
  int decoded = 0;
  int rejected = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string s = seed;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const std::size_t pos = rng() % s.size();
      switch (rng() % 4) {
        case 0:
          s[pos] = static_cast<char>(rng() % 256);
          break;
        case 1:
          s.erase(pos, 1 + rng() % 8);
          break;
        case 2:
          s.insert(pos, 1, "{}[]:,'\"-# \n!&*|>%@`"[rng() % 21]);
          break;
        default:
          s.insert(pos, s.substr(rng() % s.size(), rng() % 16));
          break;
      }
    }
    auto r = decode_yaml(s, "mutant");
    if (r) {
      ++decoded;
      for (auto& res : *r) {
        apply_defaults(res);
        (void)validate(res);
        const std::string y = encode_yaml(res);
        auto again = decode_yaml(y);
        ASSERT_TRUE(again) << again.error().to_string() << "\n" << y;
        EXPECT_EQ(again->at(0), res);
      }
    } else {
      ++rejected;
      EXPECT_FALSE(r.error().to_string().empty());
    }
  }
  EXPECT_GT(rejected, 0);
  EXPECT_GT(decoded, 0);
}

}  // namespace
}  // namespace calico::api
