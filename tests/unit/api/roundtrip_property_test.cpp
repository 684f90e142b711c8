// Property: for every kind, a resource with random values in every field survives
// encode -> decode unchanged, through JSON text and through YAML.
#include <gtest/gtest.h>

#include "api/document.h"
#include "tests/unit/api/random_resource.h"

namespace calico::api {
namespace {

constexpr int kResourcesPerKind = 200;

template <std::size_t I>
void round_trip_kind() {
  using T = std::variant_alternative_t<I, AnyResource>;
  const std::string kind_name(info(T::kKind).name);
  testing::RandomFiller filler(0x5eed0000ULL + I);
  for (int i = 0; i < kResourcesPerKind; ++i) {
    T value{};
    filler.fill(value);
    const AnyResource original(value);

    const std::string json = encode_json_text(original);
    auto from_json = decode_json_text(json);
    ASSERT_TRUE(from_json) << kind_name << " #" << i << ": " << from_json.error().to_string()
                           << "\n"
                           << json;
    ASSERT_EQ(*from_json, original) << kind_name << " #" << i << " JSON:\n" << json;

    const std::string yaml = encode_yaml(original);
    auto from_yaml = decode_yaml(yaml);
    ASSERT_TRUE(from_yaml) << kind_name << " #" << i << ": " << from_yaml.error().to_string()
                           << "\n"
                           << yaml;
    ASSERT_EQ(from_yaml->size(), 1u) << yaml;
    ASSERT_EQ(from_yaml->front(), original) << kind_name << " #" << i << " YAML:\n"
                                            << yaml << "\nJSON:\n"
                                            << json << "\nre-encoded:\n"
                                            << encode_json_text(from_yaml->front());
  }
}

using KindIndices = ::testing::Types<
    std::integral_constant<std::size_t, 0>, std::integral_constant<std::size_t, 1>,
    std::integral_constant<std::size_t, 2>, std::integral_constant<std::size_t, 3>,
    std::integral_constant<std::size_t, 4>, std::integral_constant<std::size_t, 5>,
    std::integral_constant<std::size_t, 6>, std::integral_constant<std::size_t, 7>,
    std::integral_constant<std::size_t, 8>, std::integral_constant<std::size_t, 9>,
    std::integral_constant<std::size_t, 10>, std::integral_constant<std::size_t, 11>,
    std::integral_constant<std::size_t, 12>, std::integral_constant<std::size_t, 13>,
    std::integral_constant<std::size_t, 14>, std::integral_constant<std::size_t, 15>,
    std::integral_constant<std::size_t, 16>, std::integral_constant<std::size_t, 17>,
    std::integral_constant<std::size_t, 18>, std::integral_constant<std::size_t, 19>,
    std::integral_constant<std::size_t, 20>>;
static_assert(std::variant_size_v<AnyResource> == 21, "add the new kind's index to KindIndices");

template <class Index>
class RandomRoundTrip : public ::testing::Test {};

class KindName {
 public:
  template <class Index>
  static std::string GetName(int /*i*/) {
    using T = std::variant_alternative_t<Index::value, AnyResource>;
    return std::string(info(T::kKind).api_version == kK8sNetworkingApiVersion
                           ? "KubernetesNetworkPolicy"
                           : info(T::kKind).name);
  }
};

TYPED_TEST_SUITE(RandomRoundTrip, KindIndices, KindName);

TYPED_TEST(RandomRoundTrip, EncodeDecodeIsIdentityThroughJsonAndYaml) {
  round_trip_kind<TypeParam::value>();
}

// The generator itself must produce variety, or the property proves nothing.
TEST(RandomFiller, SetsFieldsToNonDefaultValues) {
  testing::RandomFiller filler(7);
  int non_default = 0;
  for (int i = 0; i < 20; ++i) {
    GlobalNetworkPolicy p{};
    filler.fill(p);
    non_default += p == GlobalNetworkPolicy{} ? 0 : 1;
  }
  EXPECT_GE(non_default, 19);
}

}  // namespace
}  // namespace calico::api
