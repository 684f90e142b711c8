// libFuzzer target for the selector language (api/selector.h).
//
// Each input is parsed as selector text.  A rejected input must come with a message and a
// position inside the input.  An accepted one must satisfy the canonical-form contract:
//   - to_string() parses again, to an equal tree, and printing that tree gives the same
//     text (the canonical form is a fixed point; Calico hashes it into IP set names);
//   - the reparsed selector evaluates like the original on fixed label maps and on maps
//     built from the labels and values the selector mentions (so that comparisons are
//     exercised on both outcomes), and api::evaluate(root()) agrees with evaluate();
//   - uses_global() survives the round trip.
// Violations abort (CALICO_CHECK), which libFuzzer reports as a crash.
//
// Built as `selector_fuzz` with -fsanitize=fuzzer (Clang, CALICO_FUZZ=ON) and always as
// `selector_fuzz_replay` (replay_main.cpp) so that every build runs the seed corpus.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "api/selector.h"
#include "common/result.h"

namespace {

using calico::api::Selector;
using calico::api::SelectorNode;
using Labels = std::map<std::string, std::string>;

const std::vector<Labels>& fixed_label_maps() {
  static const std::vector<Labels> maps = {
      {},
      {{"a", "b"}},
      {{"a", ""}, {"b", "a"}},
      {{"app", "web"}, {"tier", "frontend"}, {"env", "prod"}},
      {{"projectcalico.org/namespace", "default"}, {"pcns.name", "default"}, {"x", "x\"y"}},
  };
  return maps;
}

// Every label the tree mentions mapped to the first value it is compared with (`hit`), or
// to a value it is never compared with (`miss`).
void mentioned(const SelectorNode& n, Labels& hit, Labels& miss) {
  if (!n.label.empty()) {
    std::string v = n.value;
    if (v.empty() && !n.values.empty()) {
      v = n.values.front();
    }
    hit.emplace(n.label, v);
    miss.emplace(n.label, v + "~");
  }
  for (const auto& o : n.operands) {
    mentioned(o, hit, miss);
  }
}

void check_same_meaning(const Selector& a, const Selector& b, const Labels& labels) {
  const bool result = a.evaluate(labels);
  CALICO_CHECK(result == b.evaluate(labels));
  CALICO_CHECK(result == calico::api::evaluate(a.root(), labels));
}

void check_accepted(const Selector& sel) {
  const std::string text = sel.to_string();
  CALICO_CHECK(!text.empty());
  const auto again = Selector::parse(text);
  CALICO_CHECK(again.has_value());
  CALICO_CHECK(again->root() == sel.root());
  CALICO_CHECK(again->to_string() == text);
  CALICO_CHECK(again->uses_global() == sel.uses_global());

  for (const auto& labels : fixed_label_maps()) {
    check_same_meaning(sel, *again, labels);
  }
  Labels hit;
  Labels miss;
  mentioned(sel.root(), hit, miss);
  check_same_meaning(sel, *again, hit);
  check_same_meaning(sel, *again, miss);
  // Each mentioned label alone, to reach the branches where the others are absent.
  for (const auto& [k, v] : hit) {
    check_same_meaning(sel, *again, Labels{{k, v}});
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(  // NOLINT(readability-identifier-naming): libFuzzer API
    const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto sel = Selector::parse(text);
  if (!sel) {
    CALICO_CHECK(!sel.error().message.empty());
    CALICO_CHECK(sel.error().position <= size);
    CALICO_CHECK(!sel.error().to_string().empty());
    return 0;
  }
  check_accepted(*sel);
  return 0;
}
