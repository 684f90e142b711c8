// Selector language: parsing, canonical printing, error positions, evaluation semantics
// and the Kubernetes label-selector conversion.
#include "api/selector.h"

#include <random>

#include <gtest/gtest.h>

namespace calico::api {
namespace {

std::string canon(std::string_view text) {
  auto sel = Selector::parse(text);
  if (!sel) {
    return "ERROR: " + sel.error().to_string();
  }
  return sel->to_string();
}

struct CanonCase {
  const char* input;
  const char* canonical;
};

TEST(Selector, ParsesAndCanonicalisesEveryOperator) {
  const CanonCase cases[] = {
      {"", "all()"},
      {"   ", "all()"},
      {"all()", "all()"},
      {"all( )", "all()"},
      {"global()", "global()"},
      {"has(app)", "has(app)"},
      {"has( app.kubernetes.io/name )", "has(app.kubernetes.io/name)"},
      {"a == 'b'", "a == \"b\""},
      {"a==\"b\"", "a == \"b\""},
      {"a != \"b\"", "a != \"b\""},
      {"a contains 'x'", "a contains \"x\""},
      {"a starts with 'x'", "a starts with \"x\""},
      {"a startswith 'x'", "a starts with \"x\""},
      {"a ends   with 'x'", "a ends with \"x\""},
      {"a endswith\t'x'", "a ends with \"x\""},
      {"a in {'y', \"x\", 'y'}", "a in {\"x\", \"y\"}"},
      {"a in {}", "a in {}"},
      {"a not in {'b'}", "a not in {\"b\"}"},
      {"a notin {'b'}", "a not in {\"b\"}"},
      {"a == 'say \"hi\"'", "a == 'say \"hi\"'"},
      {"a == \"it's\"", "a == \"it's\""},
      {"!has(a)", "!has(a)"},
      {"!!has(a)", "has(a)"},
      {"!!!has(a)", "!has(a)"},
      {"! a == 'x'", "!a == \"x\""},
      {"a == 'x' && b == 'y'", "(a == \"x\" && b == \"y\")"},
      {"a == 'x' && b == 'y' && c == 'z'", "(a == \"x\" && b == \"y\" && c == \"z\")"},
      {"a == 'x' || b == 'y'", "(a == \"x\" || b == \"y\")"},
      // Precedence: ! > && > ||.
      {"a == 'x' || b == 'y' && c == 'z'", "(a == \"x\" || (b == \"y\" && c == \"z\"))"},
      {"!has(a) && has(b) || has(c)", "((!has(a) && has(b)) || has(c))"},
      {"!(has(a) || has(b))", "!(has(a) || has(b))"},
      // Redundant parentheses vanish, meaningful ones stay.
      {"((a == 'x'))", "a == \"x\""},
      {"(a == 'x' || b == 'y') && c == 'z'", "((a == \"x\" || b == \"y\") && c == \"z\")"},
      {"(has(a) && has(b)) && has(c)", "((has(a) && has(b)) && has(c))"},
      {"has(a) && (has(b) && has(c))", "(has(a) && (has(b) && has(c)))"},
      // Keywords are only operators after a label.
      {"in == 'x'", "in == \"x\""},
      {"contains contains 'x'", "contains contains \"x\""},
      {"has == 'x'", "has == \"x\""},
      {"all == 'x'", "all == \"x\""},
      {"projectcalico.org/namespace == 'kube-system'",
       "projectcalico.org/namespace == \"kube-system\""},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(canon(c.input), c.canonical) << "input: " << c.input;
    // The canonical form is a fixed point.
    EXPECT_EQ(canon(canon(c.input)), c.canonical) << "input: " << c.input;
  }
}

TEST(Selector, EquivalentSpellingsShareOneCanonicalForm) {
  EXPECT_EQ(canon("a in {'b','c'}"), canon("a   in{ \"c\" , \"b\" }"));
  EXPECT_EQ(canon("a == 'x'&&b=='y'"), canon("a == \"x\" && b == \"y\""));
  EXPECT_EQ(*Selector::parse("a == 'x'"), *Selector::parse("(a == \"x\")"));
}

TEST(Selector, DoubleNegationCancelsWithOrWithoutParentheses) {
  // Found by the selector fuzzer: !(!x) printed as "!!x", which parses back as x.
  for (const char* text : {"!(!has(a))", "!!has(a)", "!(!(!(!has(a))))"}) {
    auto sel = Selector::parse(text);
    ASSERT_TRUE(sel) << text;
    EXPECT_EQ(*sel, *Selector::parse("has(a)")) << text;
    EXPECT_EQ(*Selector::parse(sel->to_string()), *sel) << text;
  }
  EXPECT_EQ(canon("!(!(!has(a)))"), canon("!has(a)"));
}

struct ErrorCase {
  const char* input;
  std::size_t position;
  const char* message;
};

TEST(Selector, RejectsInvalidInputWithPosition) {
  const ErrorCase cases[] = {
      {"foo ==", 6, "unexpected end of input"},
      {"foo", 3, "expected operator after label"},
      {"foo bar", 4, "expected operator after label"},
      {"foo = 'x'", 4, "expected operator after label"},
      {"a == b", 5, "expected string literal, got label \"b\""},
      {"a == 'x", 5, "unterminated string literal"},
      {"a == 'x' &", 9, "expected '&&'"},
      {"a == 'x' | b == 'y'", 9, "expected '||'"},
      {"a == 'x' b == 'y'", 9, "unexpected label \"b\""},
      {"(a == 'x'", 9, "unexpected end of input"},
      {"a == 'x')", 8, "unexpected ')'"},
      {"a in 'x'", 5, "expected '{', got string literal"},
      {"a in {'x',}", 10, "expected string literal, got '}'"},
      {"a in {'x' 'y'}", 10, "expected ',' or '}', got string literal"},
      {"a in {'x'", 9, "unexpected end of input"},
      {"has()", 4, "expected label inside has()"},
      {"has(a", 5, "expected ')'"},
      {"all(x)", 4, "expected ')'"},
      {"&& has(a)", 0, "expected selector expression, got '&&'"},
      {"has(a) &&", 9, "unexpected end of input"},
      {"!", 1, "unexpected end of input"},
      {"a == 'x'\n", 8, "unexpected character 0x0a"},
      {"a == 'x' # c", 9, "unexpected character '#'"},
      {"a not 'x'", 2, "expected operator after label"},
      {"a inx {'x'}", 2, "expected operator after label"},
  };
  for (const auto& c : cases) {
    auto sel = Selector::parse(c.input);
    ASSERT_FALSE(sel) << "input: " << c.input << " parsed as " << sel->to_string();
    EXPECT_EQ(sel.error().message, c.message) << "input: " << c.input;
    EXPECT_EQ(sel.error().position, c.position) << "input: " << c.input;
  }
  EXPECT_EQ(Selector::parse("foo ==").error().to_string(), "unexpected end of input at position 6");
}

TEST(Selector, LabelLengthLimitIs512) {
  const std::string ok(512, 'a');
  const std::string too_long(513, 'a');
  EXPECT_TRUE(Selector::parse(ok + " == 'x'"));
  EXPECT_TRUE(Selector::parse("has(" + ok + ")"));
  auto bad = Selector::parse("x == 'y' && " + too_long + " == 'x'");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().position, 12u);
  EXPECT_EQ(bad.error().message, "label is longer than 512 characters");
  EXPECT_FALSE(Selector::parse("has(" + too_long + ")"));
}

TEST(Selector, DeepNestingIsAnErrorNotACrash) {
  const std::string deep = std::string(5000, '(') + "has(a)" + std::string(5000, ')');
  auto sel = Selector::parse(deep);
  ASSERT_FALSE(sel);
  EXPECT_EQ(sel.error().message, "selector is nested too deeply");
  EXPECT_TRUE(Selector::parse(std::string(50, '(') + "has(a)" + std::string(50, ')')));
  EXPECT_TRUE(Selector::parse(std::string(5001, '!') + "has(a)"));  // no recursion per '!'
}

struct EvalCase {
  const char* selector;
  bool with_value;  // labels {a: "v1"}
  bool absent;      // labels {}
  bool other;       // labels {a: "other"}
};

TEST(Selector, EvaluationTruthTableIncludingAbsentLabels) {
  const std::map<std::string, std::string> with_value{{"a", "v1"}, {"b", "x"}};
  const std::map<std::string, std::string> absent{{"b", "x"}};
  const std::map<std::string, std::string> other{{"a", "other"}, {"b", "x"}};
  const EvalCase cases[] = {
      {"", true, true, true},
      {"all()", true, true, true},
      {"global()", true, true, true},
      {"has(a)", true, false, true},
      {"!has(a)", false, true, false},
      {"a == 'v1'", true, false, false},
      {"a != 'v1'", false, true, true},  // absent label matches !=
      {"a in {'v1', 'v2'}", true, false, false},
      {"a not in {'v1', 'v2'}", false, true, true},  // absent label matches not in
      {"a in {}", false, false, false},
      {"a not in {}", true, true, true},
      {"a contains '1'", true, false, false},
      {"a contains ''", true, false, true},
      {"a starts with 'v'", true, false, false},
      {"a ends with 'her'", false, false, true},
      {"!a == 'v1'", false, true, true},
      {"a == 'v1' && b == 'x'", true, false, false},
      {"a == 'v1' || b == 'x'", true, true, true},
      {"a == 'v1' || b == 'y'", true, false, false},
      {"!(a == 'v1' || a == 'other')", false, true, false},
      {"has(a) && a != 'other'", true, false, false},
  };
  for (const auto& c : cases) {
    auto sel = Selector::parse(c.selector);
    ASSERT_TRUE(sel) << c.selector << ": " << sel.error().to_string();
    EXPECT_EQ(sel->evaluate(with_value), c.with_value) << c.selector;
    EXPECT_EQ(sel->evaluate(absent), c.absent) << c.selector;
    EXPECT_EQ(sel->evaluate(other), c.other) << c.selector;
  }
  // has() matches an empty value.
  EXPECT_TRUE(Selector::parse("has(a)")->evaluate({{"a", ""}}));
  EXPECT_TRUE(Selector::parse("a == ''")->evaluate({{"a", ""}}));
}

TEST(Selector, ReportsGlobalUse) {
  EXPECT_TRUE(Selector::parse("global()")->uses_global());
  EXPECT_TRUE(Selector::parse("has(a) && !global()")->uses_global());
  EXPECT_FALSE(Selector::parse("global == 'x'")->uses_global());
  EXPECT_FALSE(Selector::parse("all()")->uses_global());
}

TEST(Selector, AstShape) {
  auto sel = Selector::parse("a in {'b', 'a'} || !has(c)");
  ASSERT_TRUE(sel);
  const auto& root = sel->root();
  ASSERT_EQ(root.op, SelectorOp::Or);
  ASSERT_EQ(root.operands.size(), 2u);
  EXPECT_EQ(root.operands[0].op, SelectorOp::In);
  EXPECT_EQ(root.operands[0].label, "a");
  EXPECT_EQ(root.operands[0].values, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(root.operands[1].op, SelectorOp::Not);
  EXPECT_EQ(root.operands[1].operands.at(0).op, SelectorOp::Has);
  EXPECT_EQ(root.operands[1].operands.at(0).label, "c");
}

TEST(Selector, ConvertsKubernetesLabelSelectors) {
  LabelSelector s;
  s.match_labels = {{"role", "db"}, {"app", "web"}};
  s.match_expressions = {{"tier", "In", {"front", "back"}},
                         {"env", "NotIn", {"dev"}},
                         {"team", "Exists", {}},
                         {"legacy", "DoesNotExist", {}}};
  const std::string expected_terms =
      "app == 'web' && role == 'db' && tier in { 'front', 'back' } && env not in { 'dev' } && "
      "has(team) && ! has(legacy)";
  EXPECT_EQ(k8s_selector_to_calico(&s, K8sSelectorRole::Other), expected_terms);
  EXPECT_EQ(k8s_selector_to_calico(&s, K8sSelectorRole::Pod),
            "projectcalico.org/orchestrator == 'k8s' && " + expected_terms);

  const LabelSelector empty;
  EXPECT_EQ(k8s_selector_to_calico(&empty, K8sSelectorRole::Namespace), "all()");
  EXPECT_EQ(k8s_selector_to_calico(nullptr, K8sSelectorRole::Namespace), "");
  EXPECT_EQ(k8s_selector_to_calico(&empty, K8sSelectorRole::Pod),
            "projectcalico.org/orchestrator == 'k8s'");
  EXPECT_EQ(k8s_selector_to_calico(nullptr, K8sSelectorRole::Pod),
            "projectcalico.org/orchestrator == 'k8s'");

  // The output parses, and evaluates with Kubernetes semantics.
  auto sel = Selector::parse(k8s_selector_to_calico(&s, K8sSelectorRole::Other));
  ASSERT_TRUE(sel) << sel.error().to_string();
  std::map<std::string, std::string> labels{
      {"app", "web"}, {"role", "db"}, {"tier", "front"}, {"team", "x"}};
  EXPECT_TRUE(sel->evaluate(labels));  // env absent satisfies NotIn, as in Kubernetes
  labels["env"] = "dev";
  EXPECT_FALSE(sel->evaluate(labels));
  labels.erase("env");
  labels["legacy"] = "";
  EXPECT_FALSE(sel->evaluate(labels));
}

// Random token soup: parsing never crashes, errors point inside the input, and whatever
// parses has a canonical form that re-parses to the same tree.
TEST(Selector, RandomInputsParseConsistently) {
  static const char* kPieces[] = {
      "a",    "b.c/d", " ",        "\t",       "==",          "!=",   "!",     "&&", "||",
      "(",    ")",     "{",        "}",        ",",           "'x'",  "\"y\"", "in", "not in",
      "has(", "all()", "global()", "contains", "starts with", "ends", "'",     "=",  "&"};
  std::mt19937 rng(1234);
  int parsed = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    const int n = static_cast<int>(rng() % 10);
    for (int j = 0; j < n; ++j) {
      text += kPieces[rng() % std::size(kPieces)];
    }
    auto sel = Selector::parse(text);
    if (!sel) {
      EXPECT_LE(sel.error().position, text.size()) << text;
      EXPECT_FALSE(sel.error().message.empty()) << text;
      continue;
    }
    ++parsed;
    const std::string c = sel->to_string();
    auto again = Selector::parse(c);
    ASSERT_TRUE(again) << text << " -> " << c << ": " << again.error().to_string();
    EXPECT_EQ(*again, *sel) << text << " -> " << c;
    EXPECT_EQ(again->to_string(), c);
  }
  EXPECT_GT(parsed, 1000);  // the generator must produce valid selectors too
}

}  // namespace
}  // namespace calico::api
