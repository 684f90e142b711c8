// Defaults and validation of the IPAM storage kinds and IPAMConfiguration.
#include <optional>
#include <regex>
#include <set>

#include "api/validation.h"
#include "common/net/ip.h"

namespace calico::api {
namespace {

// Blocks come from IPPools, whose blockSize is 20-32 (IPv4) or 116-128 (IPv6): at most
// 4096 addresses, so a block never needs more than 12 host bits.
constexpr int kMinBlockPrefixV4 = 20;
constexpr int kMinBlockPrefixV6 = 116;

// Parses a sequenceNumberForAllocation key: a decimal ordinal without sign or padding.
std::optional<std::size_t> parse_ordinal(const std::string& key) {
  if (key.empty() || key.size() > 6 || (key.size() > 1 && key[0] == '0')) {
    return std::nullopt;
  }
  std::size_t v = 0;
  for (char ch : key) {
    if (ch < '0' || ch > '9') {
      return std::nullopt;
    }
    v = v * 10 + static_cast<std::size_t>(ch - '0');
  }
  return v;
}

}  // namespace

void apply_defaults_to(IPAMBlock& /*r*/) {}

void validate_into(const IPAMBlock& r, std::vector<FieldError>& errs) {
  validate_metadata(IPAMBlock::kKind, r.metadata, errs);
  Checker c(errs);
  const auto& s = r.spec;
  if (s.cidr.empty()) {
    c.add("spec.cidr", "is required");
    return;
  }
  if (!c.masked_cidr("spec.cidr", s.cidr)) {
    return;
  }
  const auto cidr = *net::Cidr::parse(s.cidr);
  const int host_bits = cidr.addr().bits() - cidr.prefix_len();
  const int min_prefix = cidr.addr().bits() == 32 ? kMinBlockPrefixV4 : kMinBlockPrefixV6;
  if (s.affinity) {
    static const std::regex kAffinity("(host|virtual):[a-zA-Z0-9._-]+");
    if (!std::regex_match(*s.affinity, kAffinity)) {
      c.add("spec.affinity",
            "\"" + *s.affinity + "\" must be \"host:<node>\" or \"virtual:<name>\"");
    }
  }
  if (cidr.prefix_len() < min_prefix) {
    c.add("spec.cidr", "block /" + std::to_string(cidr.prefix_len()) +
                           " is larger than any IPPool blockSize allows (/" +
                           std::to_string(min_prefix) + " or smaller)");
    return;
  }
  const std::size_t size = std::size_t{1} << host_bits;
  if (s.allocations.size() != size) {
    c.add("spec.allocations", "has " + std::to_string(s.allocations.size()) + " entries; a /" +
                                  std::to_string(cidr.prefix_len()) + " block needs " +
                                  std::to_string(size));
  }
  for (std::size_t i = 0; i < s.allocations.size() && i < size; ++i) {
    const auto& a = s.allocations[i];
    if (a && (*a < 0 || static_cast<std::size_t>(*a) >= s.attributes.size())) {
      c.add("spec.allocations[" + std::to_string(i) + "]",
            "attribute index " + std::to_string(*a) + " is out of range (" +
                std::to_string(s.attributes.size()) + " attributes)");
    }
  }
  std::set<int> seen;
  for (std::size_t i = 0; i < s.unallocated.size(); ++i) {
    const int o = s.unallocated[i];
    const std::string path = "spec.unallocated[" + std::to_string(i) + "]";
    if (o < 0 || static_cast<std::size_t>(o) >= size) {
      c.add(path, "ordinal " + std::to_string(o) + " is outside the block");
    } else if (!seen.insert(o).second) {
      c.add(path, "ordinal " + std::to_string(o) + " is listed twice");
    } else if (static_cast<std::size_t>(o) < s.allocations.size() &&
               s.allocations[static_cast<std::size_t>(o)]) {
      c.add(path, "ordinal " + std::to_string(o) + " is free and allocated at once");
    }
  }
  for (const auto& [key, seq] : s.sequence_number_for_allocation) {
    const auto ord = parse_ordinal(key);
    if (!ord || *ord >= size) {
      c.add("spec.sequenceNumberForAllocation." + key,
            "\"" + key + "\" is not an ordinal of the block");
    }
  }
}

void apply_defaults_to(BlockAffinity& r) {
  if (r.spec.deleted.empty()) {
    r.spec.deleted = "false";
  }
}

void validate_into(const BlockAffinity& r, std::vector<FieldError>& errs) {
  validate_metadata(BlockAffinity::kKind, r.metadata, errs);
  Checker c(errs);
  const auto& s = r.spec;
  c.one_of("spec.state", s.state, {"pending", "confirmed", "pendingDeletion"});
  if (s.node.empty()) {
    c.add("spec.node", "is required");
  }
  c.one_of("spec.type", s.type, {"host", "virtual"});
  if (s.cidr.empty()) {
    c.add("spec.cidr", "is required");
  } else {
    c.masked_cidr("spec.cidr", s.cidr);
  }
  c.one_of("spec.deleted", s.deleted, {"true", "false"});
}

void apply_defaults_to(IPAMHandle& /*r*/) {}

void validate_into(const IPAMHandle& r, std::vector<FieldError>& errs) {
  validate_metadata(IPAMHandle::kKind, r.metadata, errs);
  Checker c(errs);
  if (r.spec.handle_id.empty()) {
    c.add("spec.handleID", "is required");
  }
  for (const auto& [cidr, count] : r.spec.block) {
    const std::string path = "spec.block." + cidr;
    c.masked_cidr(path, cidr);
    // Entries that drop to zero are removed (the handle is deleted when none are left).
    if (count <= 0) {
      c.add(path, "count " + std::to_string(count) + " must be positive");
    }
  }
}

void apply_defaults_to(IPAMConfiguration& r) {
  if (!r.spec.auto_allocate_blocks) {
    r.spec.auto_allocate_blocks = true;
  }
}

void validate_into(const IPAMConfiguration& r, std::vector<FieldError>& errs) {
  validate_metadata(IPAMConfiguration::kKind, r.metadata, errs);
  Checker c(errs);
  const auto& s = r.spec;
  if (!r.metadata.name.empty() && r.metadata.name != "default") {
    c.add("metadata.name", "the IPAM configuration must be named \"default\"");
  }
  if (s.max_blocks_per_host < 0 || s.max_blocks_per_host > 1000000) {
    c.add("spec.maxBlocksPerHost",
          std::to_string(s.max_blocks_per_host) + " is out of range 0-1000000");
  }
  if (s.ip_cooldown_seconds < 0 || s.ip_cooldown_seconds > 1200) {
    c.add("spec.ipCooldownSeconds",
          std::to_string(s.ip_cooldown_seconds) + " is out of range 0-1200");
  }
  c.one_of("spec.kubeVirtVMAddressPersistence", s.kube_virt_vm_address_persistence,
           {"Enabled", "Disabled"});
  if (s.max_blocks_per_host > 0 && !s.strict_affinity) {
    c.add("spec.maxBlocksPerHost", "requires strictAffinity: true");
  }
  if (!s.strict_affinity && s.auto_allocate_blocks && !*s.auto_allocate_blocks) {
    c.add("spec.autoAllocateBlocks",
          "cannot be false while strictAffinity is false (no way to get addresses)");
  }
}

}  // namespace calico::api
