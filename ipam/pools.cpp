// Pool selection, block walks, reservations and the block cap (ipam/pools.h).
#include "ipam/pools.h"

#include <algorithm>
#include <string>
#include <vector>

#include "api/selector.h"

namespace calico::ipam {

namespace {

constexpr std::size_t kDefaultBlockCap = 20;

bool selects(const std::string& selector, const std::map<std::string, std::string>& labels) {
  if (selector.empty()) {
    return true;
  }
  auto sel = api::Selector::parse(selector);
  return sel && sel->evaluate(labels);  // an unparseable selector (invalid data) selects nothing
}

bool allows(const api::IPPool& pool, IntendedUse use) {
  const std::string want(to_string(use));
  if (pool.spec.allowed_uses.empty()) {
    return use != IntendedUse::LoadBalancer;  // Calico's default: Workload, Tunnel
  }
  return std::find(pool.spec.allowed_uses.begin(), pool.spec.allowed_uses.end(), want) !=
         pool.spec.allowed_uses.end();
}

std::string family_name(net::Family f) {
  return f == net::Family::V4 ? "IPv4" : "IPv6";
}

}  // namespace

std::string_view to_string(IntendedUse use) {
  switch (use) {
    case IntendedUse::Workload:
      return "Workload";
    case IntendedUse::Tunnel:
      return "Tunnel";
    case IntendedUse::LoadBalancer:
      return "LoadBalancer";
  }
  return "Workload";
}

bool pool_enabled(const api::IPPool& pool) {
  return !pool.spec.disabled && pool.metadata.deletion_timestamp.empty();
}

bool selects_node(const api::IPPool& pool, const std::map<std::string, std::string>& labels) {
  return selects(pool.spec.node_selector, labels);
}

int block_size(const api::IPPool& pool) {
  if (pool.spec.block_size != 0) {
    return pool.spec.block_size;
  }
  auto cidr = net::Cidr::parse(pool.spec.cidr);
  return cidr && cidr->family() == net::Family::V6 ? api::kDefaultBlockSizeV6
                                                   : api::kDefaultBlockSizeV4;
}

Result<std::vector<const api::IPPool*>, std::string> select_pools(
    const std::vector<api::IPPool>& pools, const PoolRequest& request) {
  std::vector<const api::IPPool*> sorted;
  for (const auto& p : pools) {
    auto cidr = net::Cidr::parse(p.spec.cidr);
    if (cidr && cidr->family() == request.family) {
      sorted.push_back(&p);
    }
  }
  std::sort(sorted.begin(), sorted.end(), [](const api::IPPool* a, const api::IPPool* b) {
    return a->metadata.name < b->metadata.name;
  });
  std::vector<const api::IPPool*> out;
  if (!request.requested.empty()) {
    for (const auto& want : request.requested) {
      auto it = std::find_if(sorted.begin(), sorted.end(), [&](const api::IPPool* p) {
        return p->metadata.name == want || p->spec.cidr == want;
      });
      if (it == sorted.end()) {
        return fail("the requested " + family_name(request.family) + " pool " + want +
                    " does not exist");
      }
      if (!pool_enabled(**it)) {
        return fail("the requested pool " + want + " is disabled");
      }
      if (!allows(**it, request.use)) {
        return fail("the requested pool " + want + " does not allow " +
                    std::string(to_string(request.use)) + " addresses");
      }
      out.push_back(*it);
    }
    return out;
  }
  for (const api::IPPool* p : sorted) {
    if (pool_enabled(*p) && p->spec.assignment_mode != "Manual" && allows(*p, request.use) &&
        selects(p->spec.node_selector, request.node_labels) &&
        selects(p->spec.namespace_selector, request.namespace_labels)) {
      out.push_back(p);
    }
  }
  if (out.empty()) {
    return fail("no " + family_name(request.family) + " pools usable by this node for " +
                std::string(to_string(request.use)) + " addresses");
  }
  return out;
}

std::uint32_t fnv1_32(const std::string& data) {
  std::uint32_t h = 2166136261U;
  for (const char c : data) {
    h *= 16777619U;
    h ^= static_cast<std::uint8_t>(c);
  }
  return h;
}

BlockWalk::BlockWalk(const api::IPPool& pool, const std::string& host) {
  auto cidr = net::Cidr::parse(pool.spec.cidr);
  if (!cidr) {
    return;  // count() == 0: nothing to walk
  }
  pool_ = cidr->masked();
  block_size_ = std::max(block_size(pool), pool_.prefix_len());
  const int bits = block_size_ - pool_.prefix_len();
  count_ = bits >= 40 ? (std::size_t{1} << 40U) : (std::size_t{1} << static_cast<unsigned>(bits));
  // Calico seeds a pseudo-random generator with the host name's FNV-1 hash; the start must
  // be well spread, and FNV-1 alone is not: names differing in their last character
  // ("node-11", "node-12") differ only in the hash's low byte, so their walks would start
  // side by side and every claim would run into the neighbours' blocks.  splitmix64's
  // finaliser spreads the seed over the whole range.
  std::uint64_t z = fnv1_32(host) + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
  z ^= z >> 31U;
  start_ = static_cast<std::size_t>(z % count_);
}

net::Cidr BlockWalk::at(std::size_t i) const {
  const std::size_t index = (start_ + i) % count_;
  // Valid block sizes leave at most 12 host bits and count_ is capped at 2^40, so the
  // offset fits in 64 bits.
  const auto host_bits = static_cast<unsigned>(pool_.addr().bits() - block_size_);
  return net::Cidr(pool_.addr().plus(static_cast<std::uint64_t>(index) << host_bits), block_size_);
}

std::size_t BlockWalk::position(const net::Cidr& block) const {
  if (count_ == 0) {
    return 0;
  }
  std::size_t index = 0;
  for (int b = pool_.prefix_len(); b < block_size_; ++b) {
    index = (index << 1U) | (block.addr().bit(b) ? 1U : 0U);
  }
  index %= count_;
  return (index + count_ - start_) % count_;
}

Result<Reservations, std::string> Reservations::from(const std::vector<api::IPReservation>& all) {
  Reservations out;
  for (const auto& r : all) {
    for (const auto& text : r.spec.reserved_cidrs) {
      auto c = net::Cidr::parse_addr_or_cidr(text);
      if (!c) {
        return fail("IPReservation " + r.metadata.name + ": '" + text + "' is not an IP or CIDR");
      }
      out.cidrs_.push_back(c->masked());
    }
  }
  return out;
}

bool Reservations::reserved(const net::IpAddr& ip) const {
  return std::any_of(cidrs_.begin(), cidrs_.end(),
                     [&](const net::Cidr& c) { return c.contains(ip); });
}

bool Reservations::covers(const net::Cidr& block) const {
  return std::any_of(cidrs_.begin(), cidrs_.end(),
                     [&](const net::Cidr& c) { return c.contains(block); });
}

std::size_t block_cap(std::optional<int> request_max, std::optional<int> config_max) {
  const int r = request_max.value_or(0);
  const int c = config_max.value_or(0);
  if (r > 0 && c > 0) {
    return static_cast<std::size_t>(std::min(r, c));
  }
  if (r > 0 || c > 0) {
    return static_cast<std::size_t>(std::max(r, c));
  }
  return kDefaultBlockCap;
}

}  // namespace calico::ipam
