// Internal to policy/convert*.cpp: error context and helpers shared by the Calico v3
// converters (convert.cpp) and the Kubernetes NetworkPolicy converter (convert_k8s.cpp).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "api/resources.h"
#include "api/selector.h"
#include "common/result.h"
#include "policy/model.h"

namespace calico::policy::detail {

// What a conversion is about, for error messages: `NetworkPolicy "x/allow-web"`.
struct Ctx {
  std::string resource;
};

Failure<ConvertError> error_at(const Ctx& ctx, std::string field, std::string message);
// `Kind "ns/name"` (or `Kind "name"` without a namespace).
std::string quoted_name(std::string_view kind, std::string_view ns, std::string_view name);
// "path[i]".
std::string at(const std::string& path, std::size_t i);
// Parses `text`; a parse error is reported at `field`.
Result<api::Selector, ConvertError> parse_selector(const Ctx& ctx, const std::string& field,
                                                   std::string_view text);
// A namespaced Calico NetworkPolicy (also the second half of the Kubernetes conversion),
// reported as `ctx` and given `kind`.
Result<Policy, ConvertError> network_policy(const Ctx& ctx, const api::NetworkPolicy& np,
                                            PolicyKind kind);

}  // namespace calico::policy::detail
