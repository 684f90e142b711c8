#include "api/selector.h"

#include <algorithm>
#include <cstdio>
#include <optional>

namespace calico::api {
namespace {

// Parentheses / "!" nesting cap: keeps recursion bounded on hostile input.
constexpr int kMaxDepth = 128;

enum class Tok {
  End,
  LParen,
  RParen,
  LBrace,
  RBrace,
  Comma,
  Eq,
  Ne,
  Not,
  And,
  Or,
  String,
  Has,
  All,
  Global,
  Label,
  In,
  NotIn,
  Contains,
  StartsWith,
  EndsWith,
};

struct Token {
  Tok kind = Tok::End;
  std::size_t pos = 0;
  std::string text;  // label name or string contents
};

bool is_ident_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '/' || c == '-';
}

SelectorNode make_node(SelectorOp op, std::string label = {}) {
  SelectorNode n;
  n.op = op;
  n.label = std::move(label);
  return n;
}

std::string describe_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) {
    return std::string("'") + c + "'";
  }
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", u);
  return buf;
}

std::string describe_token(const Token& t) {
  switch (t.kind) {
    case Tok::End:
      return "end of input";
    case Tok::LParen:
      return "'('";
    case Tok::RParen:
      return "')'";
    case Tok::LBrace:
      return "'{'";
    case Tok::RBrace:
      return "'}'";
    case Tok::Comma:
      return "','";
    case Tok::Eq:
      return "'=='";
    case Tok::Ne:
      return "'!='";
    case Tok::Not:
      return "'!'";
    case Tok::And:
      return "'&&'";
    case Tok::Or:
      return "'||'";
    case Tok::String:
      return "string literal";
    case Tok::Has:
      return "has()";
    case Tok::All:
      return "all()";
    case Tok::Global:
      return "global()";
    case Tok::Label:
      return "label \"" + t.text + "\"";
    case Tok::In:
      return "'in'";
    case Tok::NotIn:
      return "'not in'";
    case Tok::Contains:
      return "'contains'";
    case Tok::StartsWith:
      return "'starts with'";
    case Tok::EndsWith:
      return "'ends with'";
  }
  return "token";
}

// Splits the input into tokens.  Operators after a label are recognised only there, so a
// label may itself be called "in" or "contains".
class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  Result<std::vector<Token>, SelectorError> run() {
    std::vector<Token> out;
    bool after_label = false;
    for (;;) {
      skip_ws();
      const std::size_t start = i_;
      if (after_label) {
        after_label = false;
        auto op = lex_operator();
        if (!op) {
          return fail(SelectorError{start, "expected operator after label"});
        }
        out.push_back({*op, start, {}});
        continue;
      }
      if (i_ >= s_.size()) {
        out.push_back({Tok::End, s_.size(), {}});
        return out;
      }
      const char c = s_[i_];
      const auto single = [&](Tok t) {
        out.push_back({t, start, {}});
        ++i_;
      };
      const auto pair = [&](char second, Tok t, const char* what) -> std::optional<SelectorError> {
        if (i_ + 1 < s_.size() && s_[i_ + 1] == second) {
          out.push_back({t, start, {}});
          i_ += 2;
          return std::nullopt;
        }
        return SelectorError{start, std::string("expected '") + what + "'"};
      };
      std::optional<SelectorError> err;
      switch (c) {
        case '(':
          single(Tok::LParen);
          break;
        case ')':
          single(Tok::RParen);
          break;
        case '{':
          single(Tok::LBrace);
          break;
        case '}':
          single(Tok::RBrace);
          break;
        case ',':
          single(Tok::Comma);
          break;
        case '=':
          err = pair('=', Tok::Eq, "==");
          break;
        case '&':
          err = pair('&', Tok::And, "&&");
          break;
        case '|':
          err = pair('|', Tok::Or, "||");
          break;
        case '!':
          if (i_ + 1 < s_.size() && s_[i_ + 1] == '=') {
            err = pair('=', Tok::Ne, "!=");
          } else {
            single(Tok::Not);
          }
          break;
        case '"':
        case '\'': {
          auto str = lex_string();
          if (!str) {
            return fail(std::move(str).error());
          }
          out.push_back(std::move(*str));
          break;
        }
        default: {
          if (auto call = lex_call(out)) {
            if (!call->message.empty()) {
              return fail(std::move(*call));
            }
            break;
          }
          if (!is_ident_char(c)) {
            return fail(SelectorError{start, "unexpected character " + describe_char(c)});
          }
          std::string label = lex_ident();
          if (label.size() > kMaxSelectorLabelLength) {
            return fail(SelectorError{start, "label is longer than 512 characters"});
          }
          // A label right after a comparison operator is a misplaced value: leave it to
          // the parser, which reports "expected string literal".
          const bool is_value_position =
              !out.empty() &&
              (out.back().kind == Tok::Eq || out.back().kind == Tok::Ne ||
               out.back().kind == Tok::Contains || out.back().kind == Tok::StartsWith ||
               out.back().kind == Tok::EndsWith);
          out.push_back({Tok::Label, start, std::move(label)});
          after_label = !is_value_position;
        }
      }
      if (err) {
        return fail(std::move(*err));
      }
    }
  }

 private:
  void skip_ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t')) {
      ++i_;
    }
  }

  std::string lex_ident() {
    const std::size_t start = i_;
    while (i_ < s_.size() && is_ident_char(s_[i_])) {
      ++i_;
    }
    return std::string(s_.substr(start, i_ - start));
  }

  // Matches `word` at the cursor when it ends at a word boundary; advances on success.
  bool word(std::string_view w) {
    if (s_.substr(i_, w.size()) != w) {
      return false;
    }
    const std::size_t end = i_ + w.size();
    if (end < s_.size() && is_ident_char(s_[end])) {
      return false;
    }
    i_ = end;
    return true;
  }

  // Matches "first" [spaces] "second" (e.g. "not in", "notin").
  bool two_words(std::string_view first, std::string_view second) {
    const std::size_t save = i_;
    if (s_.substr(i_, first.size()) != first) {
      return false;
    }
    i_ += first.size();
    skip_ws();
    if (word(second)) {
      return true;
    }
    i_ = save;
    return false;
  }

  std::optional<Tok> lex_operator() {
    if (s_.substr(i_, 2) == "==") {
      i_ += 2;
      return Tok::Eq;
    }
    if (s_.substr(i_, 2) == "!=") {
      i_ += 2;
      return Tok::Ne;
    }
    if (word("in")) {
      return Tok::In;
    }
    if (two_words("not", "in")) {
      return Tok::NotIn;
    }
    if (word("contains")) {
      return Tok::Contains;
    }
    if (two_words("starts", "with")) {
      return Tok::StartsWith;
    }
    if (two_words("ends", "with")) {
      return Tok::EndsWith;
    }
    return std::nullopt;
  }

  Result<Token, SelectorError> lex_string() {
    const std::size_t start = i_;
    const char quote = s_[i_];
    const auto close = s_.find(quote, i_ + 1);
    if (close == std::string_view::npos) {
      return fail(SelectorError{start, "unterminated string literal"});
    }
    i_ = close + 1;
    return Token{Tok::String, start, std::string(s_.substr(start + 1, close - start - 1))};
  }

  // has(label), all(), global(): one token each, spaces allowed inside the parentheses.
  // Returns nullopt when the cursor is not at one of them; an error with a message when
  // it is but the call is malformed; an empty error when a token was pushed.
  std::optional<SelectorError> lex_call(std::vector<Token>& out) {
    const std::size_t start = i_;
    Tok kind{};
    if (s_.substr(i_, 4) == "has(") {
      kind = Tok::Has;
      i_ += 4;
    } else if (s_.substr(i_, 4) == "all(") {
      kind = Tok::All;
      i_ += 4;
    } else if (s_.substr(i_, 7) == "global(") {
      kind = Tok::Global;
      i_ += 7;
    } else {
      return std::nullopt;
    }
    skip_ws();
    std::string label;
    if (kind == Tok::Has) {
      const std::size_t label_pos = i_;
      label = lex_ident();
      if (label.empty()) {
        return SelectorError{label_pos, "expected label inside has()"};
      }
      if (label.size() > kMaxSelectorLabelLength) {
        return SelectorError{label_pos, "label is longer than 512 characters"};
      }
      skip_ws();
    }
    if (i_ >= s_.size() || s_[i_] != ')') {
      return SelectorError{i_, "expected ')'"};
    }
    ++i_;
    out.push_back({kind, start, std::move(label)});
    return SelectorError{};
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : t_(std::move(tokens)) {}

  Result<SelectorNode, SelectorError> run() {
    if (peek().kind == Tok::End) {
      return SelectorNode{};  // empty selector == all()
    }
    SelectorNode root = parse_or(0);
    if (!err_ && peek().kind != Tok::End) {
      error_here("unexpected " + describe_token(peek()));
    }
    if (err_) {
      return fail(std::move(*err_));
    }
    return root;
  }

 private:
  const Token& peek() const { return t_[i_]; }
  const Token& next() { return t_[i_ < t_.size() - 1 ? i_++ : i_]; }
  void error_here(std::string message) {
    if (!err_) {
      err_ = SelectorError{peek().pos, std::move(message)};
    }
  }
  void error_expected(const std::string& what) {
    if (peek().kind == Tok::End) {
      error_here("unexpected end of input");
    } else {
      error_here("expected " + what + ", got " + describe_token(peek()));
    }
  }

  SelectorNode parse_or(int depth) {
    SelectorNode first = parse_and(depth);
    if (err_ || peek().kind != Tok::Or) {
      return first;
    }
    SelectorNode node = make_node(SelectorOp::Or);
    node.operands.push_back(std::move(first));
    while (!err_ && peek().kind == Tok::Or) {
      next();
      node.operands.push_back(parse_and(depth));
    }
    return node;
  }

  SelectorNode parse_and(int depth) {
    SelectorNode first = parse_operation(depth);
    if (err_ || peek().kind != Tok::And) {
      return first;
    }
    SelectorNode node = make_node(SelectorOp::And);
    node.operands.push_back(std::move(first));
    while (!err_ && peek().kind == Tok::And) {
      next();
      node.operands.push_back(parse_operation(depth));
    }
    return node;
  }

  SelectorNode parse_operation(int depth) {
    bool negated = false;
    while (peek().kind == Tok::Not) {
      negated = !negated;
      next();
    }
    SelectorNode inner = parse_primary(depth);
    if (!negated || err_) {
      return inner;
    }
    if (inner.op == SelectorOp::Not) {
      // !(!x) is x, as !!x is: the tree (and so the canonical text) does not depend on
      // the parentheses.
      SelectorNode x = std::move(inner.operands.front());
      return x;
    }
    SelectorNode node = make_node(SelectorOp::Not);
    node.operands.push_back(std::move(inner));
    return node;
  }

  SelectorNode parse_primary(int depth) {
    if (depth >= kMaxDepth) {
      error_here("selector is nested too deeply");
      return {};
    }
    const Token& t = peek();
    switch (t.kind) {
      case Tok::Has:
        return make_node(SelectorOp::Has, next().text);
      case Tok::All:
        next();
        return make_node(SelectorOp::All);
      case Tok::Global:
        next();
        return make_node(SelectorOp::Global);
      case Tok::LParen: {
        next();
        SelectorNode inner = parse_or(depth + 1);
        if (!err_ && peek().kind != Tok::RParen) {
          error_expected("')'");
        }
        next();
        return inner;
      }
      case Tok::Label:
        return parse_comparison();
      default:
        error_expected("selector expression");
        return {};
    }
  }

  SelectorNode parse_comparison() {
    SelectorNode node = make_node(SelectorOp::All, next().text);
    const Tok op = next().kind;  // the lexer guarantees an operator follows a label
    switch (op) {
      case Tok::Eq:
        node.op = SelectorOp::Equal;
        break;
      case Tok::Ne:
        node.op = SelectorOp::NotEqual;
        break;
      case Tok::Contains:
        node.op = SelectorOp::Contains;
        break;
      case Tok::StartsWith:
        node.op = SelectorOp::StartsWith;
        break;
      case Tok::EndsWith:
        node.op = SelectorOp::EndsWith;
        break;
      case Tok::In:
      case Tok::NotIn:
        node.op = op == Tok::In ? SelectorOp::In : SelectorOp::NotIn;
        parse_set(node.values);
        return node;
      default:
        error_here("expected operator after label");
        return node;
    }
    if (peek().kind != Tok::String) {
      error_expected("string literal");
      return node;
    }
    node.value = next().text;
    return node;
  }

  void parse_set(std::vector<std::string>& values) {
    if (peek().kind != Tok::LBrace) {
      error_expected("'{'");
      return;
    }
    next();
    if (peek().kind != Tok::RBrace) {
      for (;;) {
        if (peek().kind != Tok::String) {
          error_expected("string literal");
          return;
        }
        values.push_back(next().text);
        if (peek().kind == Tok::RBrace) {
          break;
        }
        if (peek().kind != Tok::Comma) {
          error_expected("',' or '}'");
          return;
        }
        next();
      }
    }
    next();
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
  }

  std::vector<Token> t_;
  std::size_t i_ = 0;
  std::optional<SelectorError> err_;
};

std::string quote(const std::string& s) {
  const char q = s.find('"') == std::string::npos ? '"' : '\'';
  return q + s + q;
}

void print(const SelectorNode& n, std::string& out) {
  const auto comparison = [&](const char* op) {
    out += n.label;
    out += op;
    out += quote(n.value);
  };
  const auto set = [&](const char* op) {
    out += n.label;
    out += op;
    out += '{';
    for (std::size_t i = 0; i < n.values.size(); ++i) {
      out += i == 0 ? "" : ", ";
      out += quote(n.values[i]);
    }
    out += '}';
  };
  const auto group = [&](const char* op) {
    out += '(';
    for (std::size_t i = 0; i < n.operands.size(); ++i) {
      out += i == 0 ? "" : op;
      print(n.operands[i], out);
    }
    out += ')';
  };
  switch (n.op) {
    case SelectorOp::All:
      out += "all()";
      break;
    case SelectorOp::Global:
      out += "global()";
      break;
    case SelectorOp::Has:
      out += "has(" + n.label + ")";
      break;
    case SelectorOp::Equal:
      comparison(" == ");
      break;
    case SelectorOp::NotEqual:
      comparison(" != ");
      break;
    case SelectorOp::Contains:
      comparison(" contains ");
      break;
    case SelectorOp::StartsWith:
      comparison(" starts with ");
      break;
    case SelectorOp::EndsWith:
      comparison(" ends with ");
      break;
    case SelectorOp::In:
      set(" in ");
      break;
    case SelectorOp::NotIn:
      set(" not in ");
      break;
    case SelectorOp::Not:
      out += '!';
      if (!n.operands.empty()) {
        print(n.operands.front(), out);
      }
      break;
    case SelectorOp::And:
      group(" && ");
      break;
    case SelectorOp::Or:
      group(" || ");
      break;
  }
}

bool any_global(const SelectorNode& n) {
  if (n.op == SelectorOp::Global) {
    return true;
  }
  return std::any_of(n.operands.begin(), n.operands.end(), any_global);
}

}  // namespace

std::string SelectorError::to_string() const {
  return message + " at position " + std::to_string(position);
}

Result<Selector, SelectorError> Selector::parse(std::string_view text) {
  auto tokens = Lexer(text).run();
  if (!tokens) {
    return fail(std::move(tokens).error());
  }
  auto root = Parser(std::move(*tokens)).run();
  if (!root) {
    return fail(std::move(root).error());
  }
  return Selector(std::move(*root));
}

std::string Selector::to_string() const {
  return api::to_string(root_);
}

bool Selector::evaluate(const std::map<std::string, std::string>& labels) const {
  return api::evaluate(root_, labels);
}

bool Selector::uses_global() const {
  return any_global(root_);
}

std::string to_string(const SelectorNode& node) {
  std::string out;
  print(node, out);
  return out;
}

bool evaluate(const SelectorNode& n, const std::map<std::string, std::string>& labels) {
  const auto it = labels.find(n.label);
  const bool present = it != labels.end();
  switch (n.op) {
    case SelectorOp::All:
    case SelectorOp::Global:
      return true;
    case SelectorOp::Has:
      return present;
    case SelectorOp::Equal:
      return present && it->second == n.value;
    case SelectorOp::NotEqual:
      return !present || it->second != n.value;
    case SelectorOp::In:
      return present && std::binary_search(n.values.begin(), n.values.end(), it->second);
    case SelectorOp::NotIn:
      return !present || !std::binary_search(n.values.begin(), n.values.end(), it->second);
    case SelectorOp::Contains:
      return present && it->second.find(n.value) != std::string::npos;
    case SelectorOp::StartsWith:
      return present && it->second.starts_with(n.value);
    case SelectorOp::EndsWith:
      return present && it->second.ends_with(n.value);
    case SelectorOp::Not:
      return n.operands.empty() || !evaluate(n.operands.front(), labels);
    case SelectorOp::And:
      return std::all_of(n.operands.begin(), n.operands.end(),
                         [&](const SelectorNode& o) { return evaluate(o, labels); });
    case SelectorOp::Or:
      return std::any_of(n.operands.begin(), n.operands.end(),
                         [&](const SelectorNode& o) { return evaluate(o, labels); });
  }
  return false;
}

std::string k8s_selector_to_calico(const LabelSelector* selector, K8sSelectorRole role) {
  std::vector<std::string> terms;
  if (role == K8sSelectorRole::Pod) {
    terms.emplace_back("projectcalico.org/orchestrator == 'k8s'");
  }
  if (selector != nullptr) {
    if (role == K8sSelectorRole::Namespace && selector->empty()) {
      return "all()";
    }
    // std::map iterates keys in sorted order, as Calico sorts them.
    for (const auto& [k, v] : selector->match_labels) {
      terms.push_back(k + " == '" + v + "'");
    }
    for (const auto& e : selector->match_expressions) {
      std::string set = "{";
      for (std::size_t i = 0; i < e.values.size(); ++i) {
        set += (i == 0 ? " '" : ", '") + e.values[i] + "'";
      }
      set += e.values.empty() ? "}" : " }";
      if (e.op == "In") {
        terms.push_back(e.key + " in " + set);
      } else if (e.op == "NotIn") {
        terms.push_back(e.key + " not in " + set);
      } else if (e.op == "Exists") {
        terms.push_back("has(" + e.key + ")");
      } else if (e.op == "DoesNotExist") {
        terms.push_back("! has(" + e.key + ")");
      }
      // Unknown operators are rejected by validation; the converter skips them as Calico does.
    }
  }
  std::string out;
  for (const auto& t : terms) {
    out += out.empty() ? "" : " && ";
    out += t;
  }
  return out;
}

}  // namespace calico::api
