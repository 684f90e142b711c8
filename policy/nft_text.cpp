// nft text for plans (`nft -f` files) and batches (nft commands).  Deterministic: objects
// by name, set elements in canonical order.  See policy/nft_model.h.
#include <string>

#include "policy/nft_model.h"

namespace calico::policy {
namespace {

std::string type_list(const std::vector<NftType>& key) {
  std::string s;
  for (std::size_t i = 0; i < key.size(); ++i) {
    s += i > 0 ? " . " : "";
    s += nft_type_name(key[i]);
  }
  return s;
}

std::string base_spec(const NftBaseChain& b) {
  return "type " + std::string(nft_chain_type_name(b.type)) + " hook " +
         std::string(nft_hook_name(b.hook)) + " priority " + std::to_string(b.priority) +
         "; policy " + (b.policy_drop ? "drop" : "accept") + ";";
}

std::string set_spec(const NftSet& set) {
  std::string s = "type " + type_list(set.key) + ";";
  if (set.interval) {
    s += " flags interval;";
  }
  return s;
}

std::string map_spec(const NftMap& map) {
  return "type " + type_list(map.key) + " : verdict;";
}

template <class Range, class Fn>
std::string braced(const Range& items, Fn&& format) {
  std::string s = "{ ";
  bool first = true;
  for (const auto& item : items) {
    s += first ? "" : ", ";
    s += format(item);
    first = false;
  }
  return s + " }";
}

std::string map_element(const std::vector<NftType>& key,
                        const std::pair<NftKey, NftVerdict>& element) {
  return format_key(key, element.first) + " : " + format_verdict(element.second);
}

}  // namespace

std::string to_nft_text(const NftPlan& plan) {
  std::string out = "table inet " + plan.table + " {\n";
  bool first = true;
  auto separate = [&] {
    if (!first) {
      out += "\n";
    }
    first = false;
  };
  for (const auto& entry : plan.sets) {
    const NftSet& set = entry.second;
    separate();
    out += "\tset " + entry.first + " {\n\t\ttype " + type_list(set.key) + "\n";
    if (set.interval) {
      out += "\t\tflags interval\n";
    }
    const std::set<NftKey> elements = canonical_elements(set);
    if (!elements.empty()) {
      out += "\t\telements = " +
             braced(elements, [&](const NftKey& k) { return format_key(set.key, k); }) + "\n";
    }
    out += "\t}\n";
  }
  for (const auto& entry : plan.maps) {
    const NftMap& map = entry.second;
    separate();
    out += "\tmap " + entry.first + " {\n\t\ttype " + type_list(map.key) + " : verdict\n";
    if (!map.elements.empty()) {
      out += "\t\telements = " +
             braced(map.elements, [&](const auto& e) { return map_element(map.key, e); }) + "\n";
    }
    out += "\t}\n";
  }
  for (const auto& [name, chain] : plan.chains) {
    separate();
    out += "\tchain " + name + " {\n";
    if (chain.base) {
      out += "\t\t" + base_spec(*chain.base) + "\n";
    }
    for (const auto& rule : chain.rules) {
      out += "\t\t" + format_rule(rule) + "\n";
    }
    out += "\t}\n";
  }
  return out + "}\n";
}

std::string format_op(const std::string& table, const NftOp& op) {
  const std::string t = "inet " + table;
  struct Printer {
    const std::string& t;
    std::string operator()(const NftAddTable&) const { return "add table " + t; }
    std::string operator()(const NftDeleteTable&) const { return "delete table " + t; }
    std::string operator()(const NftAddSet& o) const {
      return "add set " + t + " " + o.set.name + " { " + set_spec(o.set) + " }";
    }
    std::string operator()(const NftAddMap& o) const {
      return "add map " + t + " " + o.map.name + " { " + map_spec(o.map) + " }";
    }
    std::string operator()(const NftDeleteSet& o) const { return "delete set " + t + " " + o.name; }
    std::string operator()(const NftDeleteMap& o) const { return "delete map " + t + " " + o.name; }
    std::string operator()(const NftSetElements& o) const {
      return std::string(o.add ? "add" : "delete") + " element " + t + " " + o.set + " " +
             braced(o.elements, [&](const NftKey& k) { return format_key(o.key, k); });
    }
    std::string operator()(const NftMapElements& o) const {
      if (o.add) {
        return "add element " + t + " " + o.map + " " +
               braced(o.elements, [&](const auto& e) { return map_element(o.key, e); });
      }
      return "delete element " + t + " " + o.map + " " +
             braced(o.elements, [&](const auto& e) { return format_key(o.key, e.first); });
    }
    std::string operator()(const NftAddChain& o) const {
      std::string s = "add chain " + t + " " + o.name;
      if (o.base) {
        s += " { " + base_spec(*o.base) + " }";
      }
      return s;
    }
    std::string operator()(const NftFlushChain& o) const {
      return "flush chain " + t + " " + o.name;
    }
    std::string operator()(const NftAddRule& o) const {
      return "add rule " + t + " " + o.chain + " " + format_rule(o.rule);
    }
    std::string operator()(const NftDeleteChain& o) const {
      return "delete chain " + t + " " + o.name;
    }
  };
  return std::visit(Printer{t}, op);
}

std::string to_nft_text(const NftBatch& batch) {
  std::string out;
  for (const auto& op : batch.ops) {
    out += format_op(batch.table, op) + "\n";
  }
  return out;
}

}  // namespace calico::policy
