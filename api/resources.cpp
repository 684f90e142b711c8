#include "api/resources.h"

namespace calico::api {
namespace {

template <std::size_t I = 0>
AnyResource make_by_index(Kind kind) {
  if constexpr (I < std::variant_size_v<AnyResource>) {
    using T = std::variant_alternative_t<I, AnyResource>;
    if (T::kKind == kind) {
      return AnyResource(std::in_place_index<I>);
    }
    return make_by_index<I + 1>(kind);
  } else {
    CALICO_CHECK(false && "kind without a resource type");
    return AnyResource{};
  }
}

}  // namespace

Kind kind_of(const AnyResource& r) {
  return std::visit([](const auto& x) { return std::decay_t<decltype(x)>::kKind; }, r);
}

const ObjectMeta& meta_of(const AnyResource& r) {
  return std::visit([](const auto& x) -> const ObjectMeta& { return x.metadata; }, r);
}

ObjectMeta& meta_of(AnyResource& r) {
  return std::visit([](auto& x) -> ObjectMeta& { return x.metadata; }, r);
}

AnyResource make_resource(Kind kind) {
  return make_by_index(kind);
}

}  // namespace calico::api
