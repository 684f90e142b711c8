// Kubernetes metav1.LabelSelector: the selector type of networking.k8s.io/v1 NetworkPolicy
// (podSelector, namespaceSelector).  Calico converts it to its own selector language with
// k8s_selector_to_calico() (api/selector.h).
//
// Absent and empty differ in Kubernetes: a nil selector in a policy peer means "not
// given", while `{}` selects everything.  Fields that may be absent therefore hold a
// std::optional<LabelSelector>.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "api/codec.h"

namespace calico::api {

struct LabelSelectorRequirement {
  std::string key;
  std::string op;  // "operator": In | NotIn | Exists | DoesNotExist
  std::vector<std::string> values;

  template <class V>
  void visit(V& v) {
    v("key", key, Emit::Always);
    v("operator", op, Emit::Always);
    v("values", values);
  }
  bool operator==(const LabelSelectorRequirement&) const = default;
};

struct LabelSelector {
  std::map<std::string, std::string> match_labels;
  std::vector<LabelSelectorRequirement> match_expressions;

  template <class V>
  void visit(V& v) {
    v("matchLabels", match_labels);
    v("matchExpressions", match_expressions);
  }
  bool empty() const { return match_labels.empty() && match_expressions.empty(); }
  bool operator==(const LabelSelector&) const = default;
};

}  // namespace calico::api
