// sp-match's pattern parser: the automaton's shape (preferred branches first), and syntax
// errors with their columns (0-based in UsageError::column).
#include <catch2/catch.hpp>

#include "io/error.h"
#include "match/pattern.h"

using sp::match::NfaState;
using sp::match::Pattern;

namespace {

size_t error_column(const std::string& text) {
  try {
    Pattern::parse(text);
  } catch (const sp::UsageError& e) {
    CHECK(e.has_position);
    return e.column;
  }
  FAIL("no error for " << text);
  return 0;
}

// The variables in the order a run can take them from the start (the start closure).
std::string first_vars(const Pattern& p) {
  std::string out;
  std::vector<uint32_t> stack{p.start};
  std::vector<char> seen(p.states.size(), 0);
  while (!stack.empty()) {
    uint32_t s = stack.back();
    stack.pop_back();
    if (seen[s]) continue;
    seen[s] = 1;
    const NfaState& st = p.states[s];
    if (st.kind == NfaState::Split) {
      stack.push_back(st.out1);
      stack.push_back(st.out);
    } else if (st.kind == NfaState::Var) {
      out += p.variables[st.var];
    } else {
      out += '$';
    }
  }
  return out;
}

}  // namespace

TEST_CASE("sp-match: pattern variables are listed in order of appearance", "[match]") {
  Pattern p = Pattern::parse("F{3,} S (F | T)");
  REQUIRE(p.variables == std::vector<std::string>{"F", "S", "T"});
  CHECK_FALSE(p.anchored);
  CHECK(p.absent == -1);
  CHECK_FALSE(p.nullable);
}

TEST_CASE("sp-match: anchors, absence and --not-followed-by", "[match]") {
  Pattern p = Pattern::parse("^ A B+ !C");
  CHECK(p.anchored);
  REQUIRE(p.absent == 2);
  CHECK(p.variables[2] == "C");
  Pattern q = Pattern::parse("A B");
  q.add_absent("B");
  CHECK(q.absent == 1);
  CHECK_THROWS_AS(q.add_absent("C"), sp::UsageError);
  Pattern r = Pattern::parse("A");
  CHECK_THROWS_AS(r.add_absent("1x"), sp::UsageError);
}

TEST_CASE("sp-match: preferred branches come first: greedy, reluctant, alternation", "[match]") {
  CHECK(first_vars(Pattern::parse("A* B")) == "AB");
  CHECK(first_vars(Pattern::parse("A*? B")) == "BA");
  CHECK(first_vars(Pattern::parse("A? B")) == "AB");
  CHECK(first_vars(Pattern::parse("A?? B")) == "BA");
  CHECK(first_vars(Pattern::parse("(B | A) C")) == "BA");
  CHECK(first_vars(Pattern::parse("A*")) == "A$");
  CHECK(first_vars(Pattern::parse("A*?")) == "$A");
  CHECK(Pattern::parse("A*").nullable);
  CHECK(Pattern::parse("(A? B?)").nullable);
  CHECK_FALSE(Pattern::parse("A? B").nullable);
}

TEST_CASE("sp-match: counted repetitions expand into copies", "[match]") {
  auto vars = [](const Pattern& p) {
    size_t n = 0;
    for (const auto& s : p.states) n += s.kind == NfaState::Var;
    return n;
  };
  CHECK(vars(Pattern::parse("A{3}")) == 3);
  CHECK(vars(Pattern::parse("A{2,4}")) == 4);
  CHECK(vars(Pattern::parse("A{2,}")) == 3);  // two copies and a loop
  CHECK(vars(Pattern::parse("A{,2}")) == 2);
  CHECK(vars(Pattern::parse("(A B){2}")) == 4);
  CHECK_THROWS_AS(Pattern::parse("(A{1000}){1000}"), sp::UsageError);
}

TEST_CASE("sp-match: whitespace is optional between elements", "[match]") {
  Pattern p = Pattern::parse("(A|B)C+?D");
  CHECK(p.variables == std::vector<std::string>{"A", "B", "C", "D"});
  CHECK(Pattern::parse("  A   {2 , 3}  ").variables.size() == 1);
}

TEST_CASE("sp-match: pattern syntax errors name the column", "[match]") {
  CHECK(error_column("") == 0);
  CHECK(error_column("A (B") == 2);
  CHECK(error_column("A B)") == 3);
  CHECK(error_column("*A") == 0);
  CHECK(error_column("A{3,1}") == 1);
  CHECK(error_column("A{x}") == 2);
  CHECK(error_column("A{2") == 3);
  CHECK(error_column("A{0}") == 1);
  CHECK(error_column("A++") == 2);
  CHECK(error_column("A ^B") == 2);
  CHECK(error_column("A !B C") == 5);
  CHECK(error_column("(A !B)") == 3);
  CHECK(error_column("A !B !C") == 5);
  CHECK(error_column("!B") == 0);
  CHECK(error_column("A | B !C") == 2);
  CHECK(error_column("A ()") == 2);
  CHECK(error_column("A - B") == 2);
  CHECK(error_column("A{5000}") == 2);
  CHECK(error_column("A |") == 3);
  CHECK(error_column(std::string(200, '(') + "A" + std::string(200, ')')) == 100);
}
