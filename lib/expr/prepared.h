// Compile-time data for IN lists of constants.
#pragma once
#include <algorithm>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "expr/ast.h"

namespace sp::expr {

// `x in ('a', 'b', ...)` or `x in (1, 2, ...)` with every element a non-null literal of one type:
// a hash set of strings (views into the literal nodes) or a sorted vector of numbers.
struct InSet : Prepared {
  Type type = Type::Null;
  std::unordered_set<std::string_view> strings;
  std::vector<double> numbers;  // sorted
  bool contains(const Value& v) const {
    if (v.type == Type::String) return strings.count(v.text) != 0;
    return std::binary_search(numbers.begin(), numbers.end(), v.number);
  }
};

}  // namespace sp::expr
