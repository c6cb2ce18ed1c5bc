// sp-match's row patterns (the PATTERN of SQL MATCH_RECOGNIZE) and their automaton.
//
//   pattern  := ['^'] sequence ('|' sequence)*        ^: the match starts at the key's first event
//   sequence := element+ ['!' VAR]                     !X: not followed by X (must come last)
//   element  := (VAR | '(' pattern-without-^ ')') [quantifier]
//   quantifier := ('*' | '+' | '?' | '{n}' | '{n,}' | '{n,m}' | '{,m}') ['?']   trailing ?: reluctant
//
// The pattern compiles to a Thompson NFA whose split states list the preferred branch first
// (greedy: one more repetition; reluctant: one fewer; alternation: the left one), so that a
// priority-ordered simulation (Pike VM) finds the match a backtracking matcher would find
// first: the one MATCH_RECOGNIZE reports. Errors throw sp::UsageError with the column.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sp::match {

struct NfaState {
  enum Kind : uint8_t { Var, Split, Match };
  Kind kind = Match;
  uint16_t var = 0;   // Var: the variable an event must satisfy
  uint32_t out = 0;   // Var: next state; Split: the preferred branch
  uint32_t out1 = 0;  // Split: the other branch
};

struct Pattern {
  std::string text;
  std::vector<std::string> variables;  // in order of first appearance (the absent one too)
  std::vector<NfaState> states;
  uint32_t start = 0;
  bool anchored = false;  // ^
  int absent = -1;        // the variable of a trailing !X, or -1
  bool nullable = false;  // the pattern can match no event at all (empty matches are not reported)

  // Parses and compiles; throws sp::UsageError(message, text, column). `max_states` bounds
  // the size of the automaton ({n,m} is expanded into copies).
  static Pattern parse(std::string_view text, size_t max_states = 100000);
  // Adds `!X` (--not-followed-by X); throws when the pattern has one already.
  void add_absent(std::string_view var);
  int variable(std::string_view name) const;  // index or -1
};

// Renders the automaton as text, one state per line (for tests and -v).
std::string describe(const Pattern& p);

}  // namespace sp::match
