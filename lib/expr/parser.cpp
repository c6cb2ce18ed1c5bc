#include "expr/parser.h"

#include "expr/lexer.h"
#include "io/error.h"

namespace sp::expr {
namespace {

const char* const kKeywords[] = {"and",  "or",   "not",  "in",   "between", "like", "ilike", "is", "null",
                                 "true", "false", "case", "when", "then",    "else", "end",   "as"};

bool is_keyword(const Token& t) {
  for (const char* kw : kKeywords)
    if (is_word(t, kw)) return true;
  return false;
}

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

class Parser {
 public:
  explicit Parser(std::string_view src) : src_(src), toks_(tokenize(src)) {}

  NodePtr parse_whole() {
    if (peek().kind == Tok::End) fail(0, "empty expression");
    NodePtr e = parse_or();
    expect_end_of_item(false);
    return e;
  }

  std::vector<ParsedItem> parse_select() {
    std::vector<ParsedItem> items;
    if (peek().kind == Tok::End) fail(0, "empty select list");
    for (;;) {
      ParsedItem item;
      item.expr = parse_or();
      if (is_word(peek(), "as")) {
        next();
        const Token& t = peek();
        if (t.kind == Tok::String) {
          item.alias = t.text;
        } else if (t.kind == Tok::Path && t.word) {
          item.alias = t.text;
        } else if (t.kind == Tok::Path && t.text.size() >= 2 && t.text.front() == '`' &&
                   t.text.find('`', 1) == t.text.size() - 1) {
          item.alias = t.text.substr(1, t.text.size() - 2);
        } else {
          fail(t.pos, "expected a name after 'as', found " + describe(t, src_));
        }
        if (item.alias.empty()) fail(t.pos, "empty name after 'as'");
        next();
      }
      items.push_back(std::move(item));
      if (peek().kind == Tok::Comma) {
        next();
        continue;
      }
      expect_end_of_item(true);
      return items;
    }
  }

 private:
  const Token& peek(size_t k = 0) const {
    size_t i = pos_ + k;
    return i < toks_.size() ? toks_[i] : toks_.back();
  }
  const Token& next() {
    const Token& t = toks_[pos_];
    if (pos_ + 1 < toks_.size()) ++pos_;
    last_end_ = t.pos + t.len;
    return t;
  }
  [[noreturn]] void fail(size_t col, const std::string& msg) const {
    throw UsageError(msg, std::string(src_), col);
  }

  void expect_end_of_item(bool in_select) {
    const Token& t = peek();
    if (t.kind == Tok::End) return;
    if (t.kind == Tok::RParen) fail(t.pos, "unmatched ')'");
    if (in_select)
      fail(t.pos, "expected ',' or 'as' after a select item, found " + describe(t, src_));
    fail(t.pos, "unexpected " + describe(t, src_) + " after a complete expression (missing 'and' or 'or'?)");
  }

  NodePtr make(Op op, uint32_t pos, uint32_t begin) {
    auto n = std::make_unique<Node>();
    n->op = op;
    n->pos = pos;
    n->begin = begin;
    return n;
  }
  NodePtr binary(Op op, uint32_t pos, NodePtr a, NodePtr b) {
    auto n = make(op, pos, a->begin);
    n->end = b->end;
    n->kids.push_back(std::move(a));
    n->kids.push_back(std::move(b));
    return n;
  }

  NodePtr parse_or() {
    NodePtr left = parse_and();
    while (is_word(peek(), "or") || peek().kind == Tok::OrOr) {
      uint32_t pos = next().pos;
      left = binary(Op::Or, pos, std::move(left), parse_and());
    }
    return left;
  }

  NodePtr parse_and() {
    NodePtr left = parse_not();
    while (is_word(peek(), "and") || peek().kind == Tok::AndAnd) {
      uint32_t pos = next().pos;
      left = binary(Op::And, pos, std::move(left), parse_not());
    }
    return left;
  }

  NodePtr parse_not() {
    if (is_word(peek(), "not") || peek().kind == Tok::Bang) {
      uint32_t pos = next().pos;
      auto n = make(Op::Not, pos, pos);
      n->kids.push_back(parse_not());
      n->end = n->kids[0]->end;
      return n;
    }
    return parse_cmp();
  }

  bool at_comparison() const {
    const Token& t = peek();
    switch (t.kind) {
      case Tok::Eq: case Tok::Ne: case Tok::Lt: case Tok::Le: case Tok::Gt: case Tok::Ge:
      case Tok::Match: case Tok::NotMatch:
        return true;
      default:
        break;
    }
    const Token& k = is_word(t, "not") ? peek(1) : t;
    return (is_word(k, "is") && &k == &t) || is_word(k, "in") || is_word(k, "between") ||
           is_word(k, "like") || is_word(k, "ilike");
  }

  NodePtr parse_cmp() {
    NodePtr left = parse_sum();
    if (!at_comparison()) return left;
    NodePtr result = parse_cmp_tail(std::move(left));
    if (at_comparison()) fail(peek().pos, "comparisons do not chain: use 'and' to combine them");
    return result;
  }

  NodePtr parse_cmp_tail(NodePtr left) {
    const Token& t = peek();
    Op op;
    switch (t.kind) {
      case Tok::Eq: op = Op::Eq; break;
      case Tok::Ne: op = Op::Ne; break;
      case Tok::Lt: op = Op::Lt; break;
      case Tok::Le: op = Op::Le; break;
      case Tok::Gt: op = Op::Gt; break;
      case Tok::Ge: op = Op::Ge; break;
      case Tok::Match: op = Op::Match; break;
      case Tok::NotMatch: op = Op::NotMatch; break;
      default: return parse_keyword_cmp(std::move(left));
    }
    uint32_t pos = next().pos;
    return binary(op, pos, std::move(left), parse_sum());
  }

  NodePtr parse_keyword_cmp(NodePtr left) {
    bool negated = false;
    uint32_t pos = peek().pos;
    if (is_word(peek(), "not") &&
        (is_word(peek(1), "in") || is_word(peek(1), "between") || is_word(peek(1), "like") ||
         is_word(peek(1), "ilike"))) {
      next();
      negated = true;
    }
    const Token& t = peek();
    if (is_word(t, "is")) {
      pos = next().pos;
      bool is_not = false;
      if (is_word(peek(), "not")) {
        next();
        is_not = true;
      }
      if (!is_word(peek(), "null"))
        fail(peek().pos, std::string("expected 'null' after '") + (is_not ? "is not" : "is") + "', found " +
                             describe(peek(), src_));
      next();
      auto n = make(is_not ? Op::IsNotNull : Op::IsNull, pos, left->begin);
      n->end = last_end_;
      n->kids.push_back(std::move(left));
        return n;
    }
    if (is_word(t, "in")) {
      uint32_t in_pos = next().pos;
      if (peek().kind != Tok::LParen)
        fail(peek().pos, "expected '(' after 'in', found " + describe(peek(), src_));
      uint32_t open = next().pos;
      auto n = make(negated ? Op::NotIn : Op::In, negated ? pos : in_pos, left->begin);
      n->kids.push_back(std::move(left));
      if (peek().kind == Tok::RParen) fail(peek().pos, "empty list after 'in'");
      for (;;) {
        n->kids.push_back(parse_or());
        if (peek().kind == Tok::Comma) {
          next();
          continue;
        }
        if (peek().kind != Tok::RParen)
          fail(peek().pos, "expected ')' to close '(' opened at column " + std::to_string(open + 1));
        next();
        break;
      }
      n->end = last_end_;
        return n;
    }
    if (is_word(t, "between")) {
      uint32_t bpos = next().pos;
      auto n = make(negated ? Op::NotBetween : Op::Between, negated ? pos : bpos, left->begin);
      n->kids.push_back(std::move(left));
      n->kids.push_back(parse_sum());
      if (!is_word(peek(), "and"))
        fail(peek().pos, "expected 'and' in 'between' (at column " + std::to_string(bpos + 1) + "), found " +
                             describe(peek(), src_));
      next();
      n->kids.push_back(parse_sum());
      n->end = n->kids.back()->end;
        return n;
    }
    if (is_word(t, "like") || is_word(t, "ilike")) {
      bool ci = is_word(t, "ilike");
      uint32_t lpos = next().pos;
      Op op = ci ? (negated ? Op::NotILike : Op::ILike) : (negated ? Op::NotLike : Op::Like);
        return binary(op, negated ? pos : lpos, std::move(left), parse_sum());
    }
    return left;
  }

  NodePtr parse_sum() {
    NodePtr left = parse_product();
    for (;;) {
      Tok k = peek().kind;
      if (k != Tok::Plus && k != Tok::Minus) return left;
      uint32_t pos = next().pos;
      left = binary(k == Tok::Plus ? Op::Add : Op::Sub, pos, std::move(left), parse_product());
    }
  }

  NodePtr parse_product() {
    NodePtr left = parse_unary();
    for (;;) {
      Tok k = peek().kind;
      Op op;
      if (k == Tok::Star) op = Op::Mul;
      else if (k == Tok::Slash) op = Op::Div;
      else if (k == Tok::Percent) op = Op::Mod;
      else return left;
      uint32_t pos = next().pos;
      left = binary(op, pos, std::move(left), parse_unary());
    }
  }

  NodePtr parse_unary() {
    Tok k = peek().kind;
    if (k == Tok::Minus || k == Tok::Plus) {
      uint32_t pos = next().pos;
      NodePtr operand = parse_unary();
      if (k == Tok::Plus) {
        operand->begin = pos;
        return operand;
      }
      auto n = make(Op::Neg, pos, pos);
      n->end = operand->end;
      n->kids.push_back(std::move(operand));
      return n;
    }
    return parse_postfix();
  }

  NodePtr parse_postfix() {
    NodePtr e = parse_primary();
    while (peek().kind == Tok::LBracket) {
      uint32_t open = next().pos;
      auto n = make(Op::Index, open, e->begin);
      n->kids.push_back(std::move(e));
      n->kids.push_back(parse_or());
      if (peek().kind != Tok::RBracket)
        fail(peek().pos, "expected ']' to close '[' opened at column " + std::to_string(open + 1));
      next();
      n->end = last_end_;
      e = std::move(n);
    }
    return e;
  }

  NodePtr literal(const Token& t, const Value& v) {
    auto n = make(Op::Literal, t.pos, t.pos);
    n->set_literal(v);
    n->end = t.pos + t.len;
    return n;
  }

  NodePtr parse_primary() {
    const Token& t = peek();
    switch (t.kind) {
      case Tok::Number: next(); return literal(t, Value::of_number(t.number));
      case Tok::Duration: next(); return literal(t, Value::of_duration(t.nanos));
      case Tok::String: next(); return literal(t, Value::of_string(t.text));
      case Tok::LParen: {
        uint32_t open = next().pos;
        NodePtr e = parse_or();
        if (peek().kind != Tok::RParen)
          fail(peek().pos, "expected ')' to close '(' opened at column " + std::to_string(open + 1));
        next();
        e->begin = open;
        e->end = last_end_;
        return e;
      }
      case Tok::Path: return parse_name();
      case Tok::End: fail(t.pos, "expected an expression, found the end of the expression");
      default: fail(t.pos, "expected an expression, found " + describe(t, src_));
    }
  }

  NodePtr parse_name() {
    const Token& t = peek();
    if (t.word) {
      if (is_word(t, "true") || is_word(t, "false")) {
        next();
        return literal(t, Value::of_bool(is_word(t, "true")));
      }
      if (is_word(t, "null")) {
        next();
        return literal(t, Value::null());
      }
      if (is_word(t, "case")) return parse_case();
      if (peek(1).kind == Tok::LParen) return parse_call();
      if (is_word(t, "not"))
        fail(t.pos, "put 'not ...' in parentheses here");
      if (is_keyword(t))
        fail(t.pos, "expected an expression, found the keyword " + describe(t, src_) +
                        " (write `" + t.text + "` for a field of that name)");
    }
    next();
    auto n = make(Op::Field, t.pos, t.pos);
    n->end = t.pos + t.len;
    n->name = t.text;
    n->starts_plain = t.starts_plain;
    try {
      n->path = json::FieldPath::parse(t.text);
    } catch (const UsageError& e) {
      throw UsageError(e.what(), std::string(src_), t.pos + (e.has_position ? e.column : 0));
    }
    return n;
  }

  NodePtr parse_call() {
    const Token& name = next();
    uint32_t open = next().pos;
    auto n = make(Op::Call, name.pos, name.pos);
    n->name = lower(name.text);
    if (peek().kind == Tok::Star && peek(1).kind == Tok::RParen) {
      const Token& star = next();
      auto s = make(Op::Star, star.pos, star.pos);
      s->end = star.pos + 1;
      n->kids.push_back(std::move(s));
    } else if (peek().kind != Tok::RParen) {
      for (;;) {
        n->kids.push_back(parse_or());
        if (peek().kind == Tok::Comma) {
          next();
          continue;
        }
        break;
      }
    }
    if (peek().kind != Tok::RParen)
      fail(peek().pos, "expected ')' to close '(' opened at column " + std::to_string(open + 1));
    next();
    n->end = last_end_;
    return n;
  }

  NodePtr parse_case() {
    uint32_t case_pos = next().pos;
    auto n = make(Op::Case, case_pos, case_pos);
    if (!is_word(peek(), "when")) {
      n->has_subject = true;
      n->kids.push_back(parse_or());
      if (!is_word(peek(), "when"))
        fail(peek().pos, "expected 'when' in 'case' (at column " + std::to_string(case_pos + 1) + "), found " +
                             describe(peek(), src_));
    }
    while (is_word(peek(), "when")) {
      uint32_t when_pos = next().pos;
      n->kids.push_back(parse_or());
      if (!is_word(peek(), "then"))
        fail(peek().pos, "expected 'then' after the 'when' at column " + std::to_string(when_pos + 1) + ", found " +
                             describe(peek(), src_));
      next();
      n->kids.push_back(parse_or());
    }
    if (is_word(peek(), "else")) {
      next();
      n->has_else = true;
      n->kids.push_back(parse_or());
    }
    if (!is_word(peek(), "end"))
      fail(peek().pos, "expected 'end' to close 'case' opened at column " + std::to_string(case_pos + 1) +
                           ", found " + describe(peek(), src_));
    next();
    n->end = last_end_;
    return n;
  }

  std::string_view src_;
  std::vector<Token> toks_;
  size_t pos_ = 0;
  uint32_t last_end_ = 0;
};

}  // namespace

NodePtr parse_expression(std::string_view text) { return Parser(text).parse_whole(); }

std::vector<ParsedItem> parse_select_list(std::string_view text) { return Parser(text).parse_select(); }

}  // namespace sp::expr
