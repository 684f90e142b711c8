#include "api/kind.h"

#include <cctype>
#include <string>

#include "common/result.h"

namespace calico::api {
namespace {

std::string lower(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

}  // namespace

const KindInfo& info(Kind kind) {
  for (const auto& k : kKinds) {
    if (k.kind == kind) {
      return k;
    }
  }
  CALICO_CHECK(false && "kind missing from kKinds");
  return kKinds[0];
}

std::optional<CrdNames> crd_names(Kind kind) {
  switch (kind) {
    case Kind::Node:
    case Kind::WorkloadEndpoint:
    case Kind::Profile:
    case Kind::KubernetesNetworkPolicy:
      return std::nullopt;
    case Kind::IPAMConfiguration:
      return CrdNames{"IPAMConfig", "ipamconfigs"};
    default: {
      const auto& i = info(kind);
      return CrdNames{i.name, i.plural};
    }
  }
}

std::optional<Kind> kind_from_document(std::string_view api_version, std::string_view kind) {
  if (api_version == kK8sNetworkingApiVersion) {
    if (kind == "NetworkPolicy") {
      return Kind::KubernetesNetworkPolicy;
    }
    return std::nullopt;
  }
  if (api_version != kCalicoApiVersion && api_version != kCrdApiVersion) {
    return std::nullopt;
  }
  if (kind == "IPAMConfig") {
    return Kind::IPAMConfiguration;
  }
  for (const auto& k : kKinds) {
    if (k.api_version == kCalicoApiVersion && k.name == kind) {
      return k.kind;
    }
  }
  return std::nullopt;
}

std::optional<Kind> kind_from_cli_name(std::string_view name) {
  const std::string want = lower(name);
  for (const auto& k : kKinds) {
    if (k.api_version != kCalicoApiVersion) {
      continue;
    }
    if (lower(k.name) == want || k.plural == want) {
      return k.kind;
    }
    std::string_view rest = k.short_names;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      if (rest.substr(0, comma) == want) {
        return k.kind;
      }
      if (comma == std::string_view::npos) {
        break;
      }
      rest.remove_prefix(comma + 1);
    }
  }
  return std::nullopt;
}

}  // namespace calico::api
