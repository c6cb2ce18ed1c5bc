// Parser: expression text -> syntax tree (ast.h). Syntax errors throw sp::UsageError with the
// expression text and the 0-based column of the offending token.
//
// Grammar (lowest precedence first; keywords are case-insensitive):
//   expr     := or
//   or       := and  (('or' | '||') and)*
//   and      := not  (('and' | '&&') not)*
//   not      := ('not' | '!') not | cmp
//   cmp      := sum [ ('=' | '==' | '!=' | '<>' | '<' | '<=' | '>' | '>=' | '=~' | '!~') sum
//                   | 'is' ['not'] 'null'
//                   | ['not'] 'in' '(' expr (',' expr)* ')'
//                   | ['not'] 'between' sum 'and' sum
//                   | ['not'] ('like' | 'ilike') sum ]          (comparisons do not chain)
//   sum      := product (('+' | '-') product)*
//   product  := unary (('*' | '/' | '%') unary)*
//   unary    := ('-' | '+') unary | postfix
//   postfix  := primary ('[' expr ']')*
//   primary  := number | duration | string | 'true' | 'false' | 'null' | path
//             | name '(' [ '*' | expr (',' expr)* ] ')' | '(' expr ')'
//             | 'case' [expr] ('when' expr 'then' expr)+ ['else' expr] 'end'
//   select   := item (',' item)*        item := expr ['as' name]
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "expr/ast.h"

namespace sp::expr {

NodePtr parse_expression(std::string_view text);

struct ParsedItem {
  NodePtr expr;
  std::string alias;  // empty when the item has no 'as'
};
std::vector<ParsedItem> parse_select_list(std::string_view text);

}  // namespace sp::expr
