// Helpers shared by the nft_*.cpp files of calico::policy (not part of the public model).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/nft_model.h"

namespace calico::policy::nft_detail {

// 64-bit FNV-1a of the bytes (rule fingerprints, set and chain name hashes).
std::uint64_t fnv1a(std::string_view data);
// 16 lower-case hex digits.
std::string hex16(std::uint64_t value);
// The prefix of an "name*" interface wildcard range, if lo..hi is one.
std::optional<std::string> ifname_wildcard(const NftValue& v);
// The key types of a match's fields.
std::vector<NftType> field_types(const std::vector<NftField>& fields);
// One match expression in nft syntax.
std::string format_expr(const NftExpr& e);

}  // namespace calico::policy::nft_detail
