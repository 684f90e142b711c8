// Helpers shared by the nft_*.cpp files of calico::policy (not part of the public model).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "policy/nft_model.h"

namespace calico::policy::nft_detail {

// The prefix of an "name*" interface wildcard range, if lo..hi is one.
std::optional<std::string> ifname_wildcard(const NftValue& v);
// The key types of a match's fields.
std::vector<NftType> field_types(const std::vector<NftField>& fields);
// One match expression in nft syntax.
std::string format_expr(const NftExpr& e);

}  // namespace calico::policy::nft_detail
