// The Calico selector language: parser, canonical printer and evaluator.
//
//   auto sel = Selector::parse("app == 'web' && !has(canary)");
//   if (!sel) { report(sel.error().to_string()); }     // "... at position 12"
//   sel->evaluate({{"app", "web"}});                    // true
//   sel->to_string();                                   // (app == "web" && !has(canary))
//
// Grammar (lowest to highest precedence):
//   selector  := <empty> | or_expr            (empty means all())
//   or_expr   := and_expr { "||" and_expr }
//   and_expr  := operation { "&&" operation }
//   operation := { "!" } primary              (an even number of "!" cancels out)
//   primary   := has(label) | all() | global() | "(" or_expr ")"
//              | label ("==" | "!=" | "contains" | "starts with" | "ends with") string
//              | label ("in" | "not in") "{" [ string { "," string } ] "}"
// Labels are [a-zA-Z0-9_./-]+ (at most 512 characters); strings are quoted with " or '
// and have no escapes; only space and tab separate tokens.  Multi-word operators may be
// written without the space ("notin", "startswith").
//
// The canonical form follows Calico's: every && / || node is parenthesised, redundant
// parentheses vanish, set members are sorted and de-duplicated, strings are double-quoted
// unless they contain '"'.  Selectors that differ only in spacing, quoting or set order
// print identically (Calico hashes this text into IP set ids).
//
// Pure value types; no shared state; safe to use from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "api/resources/label_selector.h"
#include "common/result.h"

namespace calico::api {

inline constexpr std::size_t kMaxSelectorLabelLength = 512;
// CRD schema cap on selector fields (kubebuilder MaxLength=1024).
inline constexpr std::size_t kMaxSelectorLength = 1024;

struct SelectorError {
  std::size_t position = 0;  // 0-based character offset; input length for "end of input"
  std::string message;       // "unexpected end of input"
  // "<message> at position <n>"
  std::string to_string() const;
  bool operator==(const SelectorError&) const = default;
};

enum class SelectorOp : std::uint8_t {
  All,         // all() or the empty selector
  Global,      // global(): non-namespaced resources (only in a rule's namespaceSelector)
  Has,         // has(label)
  Equal,       // label == value
  NotEqual,    // label != value (true when the label is absent)
  In,          // label in {values}
  NotIn,       // label not in {values} (true when the label is absent)
  Contains,    // label contains value
  StartsWith,  // label starts with value
  EndsWith,    // label ends with value
  Not,         // !operands[0]
  And,         // operands[0] && operands[1] && ... (at least two)
  Or,          // operands[0] || operands[1] || ... (at least two)
};

// One node of the syntax tree.  Which members are meaningful depends on `op`.
struct SelectorNode {
  SelectorOp op = SelectorOp::All;
  std::string label;                   // comparison and has() nodes
  std::string value;                   // ==, !=, contains, starts with, ends with
  std::vector<std::string> values;     // in / not in: sorted, unique
  std::vector<SelectorNode> operands;  // Not (one), And / Or (two or more)

  bool operator==(const SelectorNode&) const = default;
};

class Selector {
 public:
  Selector() = default;  // all()

  // Parses `text`; the error carries the offset of the offending character.
  static Result<Selector, SelectorError> parse(std::string_view text);

  const SelectorNode& root() const { return root_; }
  // Canonical text (see the file comment).  parse(to_string()) yields an equal tree.
  std::string to_string() const;
  // Calico semantics; global() evaluates to true (its meaning comes from a rewrite).
  bool evaluate(const std::map<std::string, std::string>& labels) const;
  // True when global() appears anywhere in the expression.
  bool uses_global() const;

  bool operator==(const Selector&) const = default;

 private:
  explicit Selector(SelectorNode root) : root_(std::move(root)) {}
  SelectorNode root_;
};

std::string to_string(const SelectorNode& node);
bool evaluate(const SelectorNode& node, const std::map<std::string, std::string>& labels);

// What a Kubernetes label selector selects; decides the extra clauses Calico adds.
enum class K8sSelectorRole {
  Pod,        // prefixed with projectcalico.org/orchestrator == 'k8s'
  Namespace,  // `{}` (no terms) becomes all(): every namespace
  Other,      // plain conversion
};

// Converts a Kubernetes LabelSelector into Calico selector text the way Calico's policy
// converter does: matchLabels (keys sorted) as `k == 'v'`, then matchExpressions in order
// (`k in { 'a', 'b' }`, `k not in { ... }`, `has(k)`, `! has(k)`), joined with " && ".
// `selector` may be null (absent): Pod gives only the orchestrator clause, others "".
std::string k8s_selector_to_calico(const LabelSelector* selector, K8sSelectorRole role);

}  // namespace calico::api
