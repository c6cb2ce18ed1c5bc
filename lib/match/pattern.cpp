#include "match/pattern.h"

#include <algorithm>
#include <cctype>
#include <memory>

#include "io/error.h"

namespace sp::match {
namespace {

constexpr int kUnbounded = -1;
constexpr int kMaxCount = 1000;

struct PatternNode {
  enum Kind : uint8_t { Var, Seq, Alt, Repeat };
  Kind kind = Seq;
  uint16_t var = 0;
  int min = 1, max = 1;  // Repeat
  bool greedy = true;
  size_t column = 0;
  std::vector<std::unique_ptr<PatternNode>> kids;
};
using PatternNodePtr = std::unique_ptr<PatternNode>;

class PatternParser {
 public:
  PatternParser(std::string_view text, Pattern& p) : text_(text), p_(p) {}

  PatternNodePtr parse_all() {
    skip_space();
    if (peek() == '^') {
      p_.anchored = true;
      ++pos_;
    }
    PatternNodePtr root = parse_alt(true);
    skip_space();
    if (pos_ < text_.size()) {
      if (peek() == ')') fail(pos_, "')' without a matching '('");
      fail(pos_, std::string("unexpected '") + peek() + "'");
    }
    return root;
  }

 private:
  [[noreturn]] void fail(size_t column, const std::string& msg) {
    throw UsageError("--pattern: " + msg, std::string(text_), column);
  }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  static bool name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
  static bool name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

  uint16_t variable(size_t at, size_t len) {
    std::string name(text_.substr(at, len));
    int i = p_.variable(name);
    if (i >= 0) return static_cast<uint16_t>(i);
    if (p_.variables.size() >= 64) fail(at, "at most 64 pattern variables");
    p_.variables.push_back(name);
    return static_cast<uint16_t>(p_.variables.size() - 1);
  }

  PatternNodePtr parse_alt(bool top) {
    auto alt = std::make_unique<PatternNode>();
    alt->kind = PatternNode::Alt;
    alt->column = pos_;
    size_t bar = 0;
    for (;;) {
      alt->kids.push_back(parse_seq(top));
      skip_space();
      if (peek() != '|') break;
      bar = pos_++;
    }
    if (alt->kids.size() == 1) return std::move(alt->kids[0]);
    if (top && p_.absent >= 0) fail(bar, "'!X' cannot be combined with a top-level '|' (put the alternatives in parentheses)");
    return alt;
  }

  PatternNodePtr parse_seq(bool top) {
    auto seq = std::make_unique<PatternNode>();
    seq->kind = PatternNode::Seq;
    seq->column = pos_;
    for (;;) {
      skip_space();
      char c = peek();
      if (c == '!') {
        size_t at = pos_++;
        if (!top) fail(at, "'!X' (not followed by X) is allowed only at the end of the whole pattern");
        if (p_.absent >= 0) fail(at, "only one '!X' element is allowed");
        skip_space();
        size_t name_at = pos_;
        while (pos_ < text_.size() && name_char(text_[pos_])) ++pos_;
        if (name_at == pos_ || !name_start(text_[name_at])) fail(name_at, "expected a variable name after '!'");
        if (seq->kids.empty()) fail(at, "'!X' needs something before it that it does not follow");
        p_.absent = variable(name_at, pos_ - name_at);
        skip_space();
        if (pos_ < text_.size() && peek() != '|')
          fail(pos_, "'!X' must be the last element of the pattern");
        return seq;
      }
      if (c == '\0' || c == '|' || c == ')') break;
      PatternNodePtr atom;
      if (c == '(') {
        size_t open = pos_++;
        skip_space();
        if (peek() == ')') fail(open, "empty group '()'");
        if (++depth_ > 100) fail(open, "groups nest more than 100 deep");
        atom = parse_alt(false);
        --depth_;
        skip_space();
        if (peek() != ')') fail(open, "'(' without a matching ')'");
        ++pos_;
      } else if (name_start(c)) {
        size_t at = pos_;
        while (pos_ < text_.size() && name_char(text_[pos_])) ++pos_;
        atom = std::make_unique<PatternNode>();
        atom->kind = PatternNode::Var;
        atom->column = at;
        atom->var = variable(at, pos_ - at);
      } else if (c == '*' || c == '+' || c == '?' || c == '{') {
        fail(pos_, std::string("quantifier '") + c + "' has nothing to repeat");
      } else if (c == '^') {
        fail(pos_, "'^' (start of the key's events) is allowed only at the start of the pattern");
      } else {
        fail(pos_, std::string("unexpected '") + c + "' (expected a variable name, '(' or a quantifier)");
      }
      atom = parse_quantifier(std::move(atom));
      seq->kids.push_back(std::move(atom));
    }
    if (seq->kids.empty()) {
      if (peek() == '\0') fail(pos_, "expected a variable name or '(' (the pattern is empty)");
      fail(pos_, std::string("expected a variable name or '(' before '") + peek() + "'");
    }
    if (seq->kids.size() == 1) return std::move(seq->kids[0]);
    return seq;
  }

  int number(size_t& at) {
    size_t start = pos_;
    long v = 0;
    while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
      v = v * 10 + (text_[pos_] - '0');
      if (v > kMaxCount) fail(start, "repetition counts go up to " + std::to_string(kMaxCount));
      ++pos_;
    }
    at = start;
    return pos_ == start ? -2 : static_cast<int>(v);
  }

  PatternNodePtr parse_quantifier(PatternNodePtr atom) {
    for (;;) {
      skip_space();
      char c = peek();
      int lo, hi;
      size_t qpos = pos_;
      if (c == '*') {
        lo = 0, hi = kUnbounded, ++pos_;
      } else if (c == '+') {
        lo = 1, hi = kUnbounded, ++pos_;
      } else if (c == '?') {
        lo = 0, hi = 1, ++pos_;
      } else if (c == '{') {
        ++pos_;
        skip_space();
        size_t at;
        lo = number(at);
        skip_space();
        if (peek() == ',') {
          ++pos_;
          skip_space();
          hi = number(at);
          if (hi == -2) hi = kUnbounded;
          if (lo == -2) lo = 0;
        } else {
          if (lo == -2) fail(pos_, "expected a number in '{n}', '{n,}', '{n,m}' or '{,m}'");
          hi = lo;
        }
        skip_space();
        if (peek() != '}') fail(pos_, "expected '}' to close the quantifier");
        ++pos_;
        if (hi != kUnbounded && hi < lo) fail(qpos, "in '{n,m}' m must not be less than n");
        if (hi == 0) fail(qpos, "'{0}' matches nothing: leave the element out");
      } else {
        return atom;
      }
      bool greedy = true;
      if (peek() == '?') {
        greedy = false;
        ++pos_;
      }
      if (atom->kind == PatternNode::Repeat)
        fail(qpos, "a quantifier cannot follow another quantifier (use parentheses: (A+)*)");
      auto r = std::make_unique<PatternNode>();
      r->kind = PatternNode::Repeat;
      r->column = qpos;
      r->min = lo;
      r->max = hi;
      r->greedy = greedy;
      r->kids.push_back(std::move(atom));
      atom = std::move(r);
    }
  }

  std::string_view text_;
  Pattern& p_;
  size_t pos_ = 0;
  int depth_ = 0;
};

class NfaBuilder {
 public:
  NfaBuilder(Pattern& p, size_t max_states) : p_(p), max_(max_states) {}

  // Builds `n` so that it continues at `next`; returns its entry state.
  uint32_t build(const PatternNode& n, uint32_t next) {
    switch (n.kind) {
      case PatternNode::Var: {
        NfaState s;
        s.kind = NfaState::Var;
        s.var = n.var;
        s.out = next;
        return add(s, n.column);
      }
      case PatternNode::Seq:
        for (size_t i = n.kids.size(); i-- > 0;) next = build(*n.kids[i], next);
        return next;
      case PatternNode::Alt: {
        uint32_t entry = build(*n.kids.back(), next);
        for (size_t i = n.kids.size() - 1; i-- > 0;) {
          uint32_t e = build(*n.kids[i], next);
          entry = split(e, entry, n.column);
        }
        return entry;
      }
      case PatternNode::Repeat: {
        const PatternNode& body = *n.kids[0];
        uint32_t tail = next;
        if (n.max == kUnbounded) {
          uint32_t loop = split(0, 0, n.column);
          uint32_t b = build(body, loop);
          link(loop, b, next, n.greedy);
          tail = loop;
        } else {
          for (int i = n.min; i < n.max; ++i) {
            uint32_t b = build(body, tail);
            uint32_t s = split(0, 0, n.column);
            link(s, b, next, n.greedy);
            tail = s;
          }
        }
        for (int i = 0; i < n.min; ++i) tail = build(body, tail);
        return tail;
      }
    }
    return next;
  }

  uint32_t add(const NfaState& s, size_t column) {
    if (p_.states.size() >= max_)
      throw UsageError("--pattern: the automaton would have more than " + std::to_string(max_) +
                           " states (lower the repetition counts)",
                       p_.text, column);
    p_.states.push_back(s);
    return static_cast<uint32_t>(p_.states.size() - 1);
  }

 private:
  uint32_t split(uint32_t a, uint32_t b, size_t column) {
    NfaState s;
    s.kind = NfaState::Split;
    s.out = a;
    s.out1 = b;
    return add(s, column);
  }
  void link(uint32_t s, uint32_t body, uint32_t exit, bool greedy) {
    p_.states[s].out = greedy ? body : exit;
    p_.states[s].out1 = greedy ? exit : body;
  }
  Pattern& p_;
  size_t max_;
};

bool reaches_match(const Pattern& p, uint32_t s, std::vector<char>& seen) {
  if (seen[s]) return false;
  seen[s] = 1;
  const NfaState& st = p.states[s];
  if (st.kind == NfaState::Match) return true;
  if (st.kind == NfaState::Split) return reaches_match(p, st.out, seen) || reaches_match(p, st.out1, seen);
  return false;
}

}  // namespace

int Pattern::variable(std::string_view name) const {
  for (size_t i = 0; i < variables.size(); ++i)
    if (variables[i] == name) return static_cast<int>(i);
  return -1;
}

Pattern Pattern::parse(std::string_view text, size_t max_states) {
  Pattern p;
  p.text = std::string(text);
  PatternParser parser(text, p);
  PatternNodePtr root = parser.parse_all();
  NfaBuilder b(p, max_states);
  NfaState match;
  match.kind = NfaState::Match;
  uint32_t m = b.add(match, 0);
  p.start = b.build(*root, m);
  std::vector<char> seen(p.states.size(), 0);
  p.nullable = reaches_match(p, p.start, seen);
  return p;
}

void Pattern::add_absent(std::string_view var) {
  if (absent >= 0) throw UsageError("--not-followed-by: the pattern has a '!X' element already");
  bool ok = !var.empty() && (std::isalpha(static_cast<unsigned char>(var[0])) || var[0] == '_') &&
            std::all_of(var.begin(), var.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
  if (!ok) throw UsageError("--not-followed-by: expected a variable name", std::string(var), 0);
  int i = variable(var);
  if (i < 0) {
    if (variables.size() >= 64) throw UsageError("--not-followed-by: at most 64 pattern variables");
    variables.emplace_back(var);
    i = static_cast<int>(variables.size() - 1);
  }
  absent = i;
}

std::string describe(const Pattern& p) {
  std::string out;
  for (size_t i = 0; i < p.states.size(); ++i) {
    const NfaState& s = p.states[i];
    out += std::to_string(i) + (i == p.start ? "*" : "") + ": ";
    if (s.kind == NfaState::Var)
      out += p.variables[s.var] + " -> " + std::to_string(s.out);
    else if (s.kind == NfaState::Split)
      out += "split " + std::to_string(s.out) + " " + std::to_string(s.out1);
    else
      out += "match";
    out += '\n';
  }
  return out;
}

}  // namespace sp::match
