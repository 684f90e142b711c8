// ipam::Block (ipam/block.h).
#include "ipam/block.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace calico::ipam {

namespace {

// The low 32 bits of an address (block ordinals fit: blocks have at most 2^12 addresses).
std::uint32_t low32(const net::IpAddr& ip) {
  const auto& b = ip.bytes();
  const std::size_t off = ip.is_v4() ? 0 : 12;
  return (static_cast<std::uint32_t>(b[off]) << 24U) |
         (static_cast<std::uint32_t>(b[off + 1]) << 16U) |
         (static_cast<std::uint32_t>(b[off + 2]) << 8U) | static_cast<std::uint32_t>(b[off + 3]);
}

}  // namespace

Block Block::create(const net::Cidr& cidr, std::optional<std::string> affinity,
                    std::string claim_time, std::uint64_t sequence) {
  Block b;
  b.cidr_ = cidr.masked();
  b.spec_.cidr = b.cidr_.to_string();
  b.spec_.affinity = std::move(affinity);
  b.spec_.affinity_claim_time = std::move(claim_time);
  const std::size_t n = std::size_t{1}
                        << static_cast<unsigned>(cidr.addr().bits() - cidr.prefix_len());
  b.spec_.allocations.assign(n, std::nullopt);
  b.spec_.unallocated.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    b.spec_.unallocated.push_back(static_cast<int>(i));
  }
  b.spec_.sequence_number = sequence;
  return b;
}

Result<Block, std::string> Block::from_spec(api::IPAMBlockSpec spec) {
  const std::string what = "IPAMBlock " + spec.cidr + ": ";
  auto cidr = net::Cidr::parse(spec.cidr);
  if (!cidr || !cidr->is_masked()) {
    return fail(what + "cidr is not a masked CIDR");
  }
  const int host_bits = cidr->addr().bits() - cidr->prefix_len();
  if (host_bits > 12) {
    return fail(what + "blocks larger than 4096 addresses are not supported");
  }
  const std::size_t n = std::size_t{1} << static_cast<unsigned>(host_bits);
  if (spec.allocations.size() != n) {
    return fail(what + "allocations has " + std::to_string(spec.allocations.size()) +
                " entries, the block has " + std::to_string(n) + " addresses");
  }
  for (std::size_t o = 0; o < n; ++o) {
    const auto& a = spec.allocations[o];
    if (a && (*a < 0 || static_cast<std::size_t>(*a) >= spec.attributes.size())) {
      return fail(what + "allocations[" + std::to_string(o) + "] refers to attribute " +
                  std::to_string(*a) + " of " + std::to_string(spec.attributes.size()));
    }
  }
  std::set<int> seen;
  for (const int o : spec.unallocated) {
    if (o < 0 || static_cast<std::size_t>(o) >= n) {
      return fail(what + "unallocated holds ordinal " + std::to_string(o) + " outside the block");
    }
    if (!seen.insert(o).second) {
      return fail(what + "unallocated holds ordinal " + std::to_string(o) + " twice");
    }
    if (spec.allocations[static_cast<std::size_t>(o)]) {
      return fail(what + "ordinal " + std::to_string(o) + " is both allocated and unallocated");
    }
  }
  for (std::size_t o = 0; o < n; ++o) {
    if (!spec.allocations[o] && seen.count(static_cast<int>(o)) == 0) {
      return fail(what + "ordinal " + std::to_string(o) + " is neither allocated nor unallocated");
    }
  }
  Block b;
  b.cidr_ = *cidr;
  b.spec_ = std::move(spec);
  return b;
}

std::size_t Block::allocated_count() const {
  return static_cast<std::size_t>(std::count_if(spec_.allocations.begin(), spec_.allocations.end(),
                                                [](const auto& a) { return a.has_value(); }));
}

std::size_t Block::free_count(const ReservedFn& reserved) const {
  std::size_t n = 0;
  for (const int o : spec_.unallocated) {
    if (!reserved || !reserved(address(static_cast<std::size_t>(o)))) {
      ++n;
    }
  }
  return n;
}

bool Block::affine_to_host(const std::string& host) const {
  return spec_.affinity && *spec_.affinity == "host:" + host;
}

net::IpAddr Block::address(std::size_t ordinal) const {
  return cidr_.addr().plus(ordinal);
}

std::optional<std::size_t> Block::ordinal(const net::IpAddr& ip) const {
  if (!cidr_.contains(ip)) {
    return std::nullopt;
  }
  return static_cast<std::size_t>(low32(ip) - low32(cidr_.addr()));
}

std::optional<std::string> Block::handle_of(const net::IpAddr& ip) const {
  const auto o = ordinal(ip);
  if (!o || !spec_.allocations[*o]) {
    return std::nullopt;
  }
  const auto& attr = spec_.attributes[static_cast<std::size_t>(*spec_.allocations[*o])];
  return attr.handle_id.value_or("");
}

std::vector<net::IpAddr> Block::addresses_of_handle(const std::string& handle) const {
  std::vector<net::IpAddr> out;
  for (std::size_t o = 0; o < size(); ++o) {
    const auto& a = spec_.allocations[o];
    if (a && spec_.attributes[static_cast<std::size_t>(*a)].handle_id == handle) {
      out.push_back(address(o));
    }
  }
  return out;
}

int Block::attribute_index(const std::string& handle, const Attrs& attrs) {
  api::AllocationAttribute want;
  want.handle_id = handle;
  want.secondary = attrs;
  for (std::size_t i = 0; i < spec_.attributes.size(); ++i) {
    if (spec_.attributes[i] == want) {
      return static_cast<int>(i);
    }
  }
  spec_.attributes.push_back(std::move(want));
  return static_cast<int>(spec_.attributes.size() - 1);
}

void Block::take(std::size_t ordinal, int attr) {
  spec_.allocations[ordinal] = attr;
  spec_.sequence_number_for_allocation[std::to_string(ordinal)] = spec_.sequence_number;
}

std::vector<net::IpAddr> Block::assign(std::size_t n, const std::string& handle, const Attrs& attrs,
                                       const ReservedFn& reserved) {
  std::vector<net::IpAddr> out;
  if (n == 0) {
    return out;
  }
  std::vector<int> keep;  // reserved ordinals stay in the queue, in place
  std::size_t i = 0;
  std::optional<int> attr;
  for (; i < spec_.unallocated.size() && out.size() < n; ++i) {
    const int o = spec_.unallocated[i];
    const net::IpAddr ip = address(static_cast<std::size_t>(o));
    if (reserved && reserved(ip)) {
      keep.push_back(o);
      continue;
    }
    if (!attr) {
      attr = attribute_index(handle, attrs);
    }
    take(static_cast<std::size_t>(o), *attr);
    out.push_back(ip);
  }
  if (out.empty()) {
    return out;
  }
  keep.insert(keep.end(), spec_.unallocated.begin() + static_cast<std::ptrdiff_t>(i),
              spec_.unallocated.end());
  spec_.unallocated = std::move(keep);
  ++spec_.sequence_number;
  return out;
}

Result<void, std::string> Block::assign_ip(const net::IpAddr& ip, const std::string& handle,
                                           const Attrs& attrs) {
  const auto o = ordinal(ip);
  if (!o) {
    return fail("address " + ip.to_string() + " is not in block " + spec_.cidr);
  }
  if (spec_.allocations[*o]) {
    return fail("address " + ip.to_string() + " is already allocated (handle " +
                handle_of(ip).value_or("") + ")");
  }
  const int attr = attribute_index(handle, attrs);
  take(*o, attr);
  auto& u = spec_.unallocated;
  u.erase(std::remove(u.begin(), u.end(), static_cast<int>(*o)), u.end());
  ++spec_.sequence_number;
  return {};
}

void Block::compact_attributes() {
  std::vector<int> remap(spec_.attributes.size(), -1);
  std::vector<api::AllocationAttribute> kept;
  for (auto& a : spec_.allocations) {
    if (!a) {
      continue;
    }
    auto& slot = remap[static_cast<std::size_t>(*a)];
    if (slot < 0) {
      slot = static_cast<int>(kept.size());
      kept.push_back(spec_.attributes[static_cast<std::size_t>(*a)]);
    }
    a = slot;
  }
  spec_.attributes = std::move(kept);
}

Result<ReleaseResult, std::string> Block::release(const std::vector<ReleaseRequest>& requests) {
  ReleaseResult out;
  std::vector<std::size_t> ordinals;
  std::set<std::size_t> seen;
  for (const auto& r : requests) {
    const auto o = ordinal(r.ip);
    if (!o) {
      return fail("address " + r.ip.to_string() + " is not in block " + spec_.cidr);
    }
    if (!seen.insert(*o).second) {
      continue;
    }
    const auto& a = spec_.allocations[*o];
    if (!a) {
      out.not_allocated.push_back(r.ip);
      continue;
    }
    const auto& holder = spec_.attributes[static_cast<std::size_t>(*a)].handle_id;
    if (r.handle && holder != r.handle) {
      return fail("address " + r.ip.to_string() + " is held by handle " + holder.value_or("") +
                  ", not " + *r.handle);
    }
    if (r.sequence_number) {
      auto it = spec_.sequence_number_for_allocation.find(std::to_string(*o));
      if (it == spec_.sequence_number_for_allocation.end() || it->second != *r.sequence_number) {
        return fail("address " + r.ip.to_string() + " was reallocated (sequence number " +
                    std::to_string(*r.sequence_number) + " does not match)");
      }
    }
    ordinals.push_back(*o);
  }
  if (ordinals.empty()) {
    return out;
  }
  for (const std::size_t o : ordinals) {
    const auto& attr = spec_.attributes[static_cast<std::size_t>(*spec_.allocations[o])];
    ++out.per_handle[attr.handle_id.value_or("")];
    out.released.push_back(address(o));
    spec_.allocations[o] = std::nullopt;
    spec_.unallocated.push_back(static_cast<int>(o));
    spec_.sequence_number_for_allocation.erase(std::to_string(o));
  }
  compact_attributes();
  ++spec_.sequence_number;
  return out;
}

std::size_t Block::release_handle(const std::string& handle) {
  std::vector<ReleaseRequest> requests;
  for (const auto& ip : addresses_of_handle(handle)) {
    requests.push_back({ip, std::nullopt, std::nullopt});
  }
  auto r = release(requests);
  return r ? r->released.size() : 0;
}

}  // namespace calico::ipam
