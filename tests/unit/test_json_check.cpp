#include <simdjson.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "json/check.h"

using sp::json::diagnose;
using sp::json::WellFormedChecker;

namespace {

// WellFormedChecker needs SIMDJSON_PADDING readable bytes after the text.
bool checker_accepts(WellFormedChecker& c, const std::string& text) {
  std::string padded = text;
  padded.append(simdjson::SIMDJSON_PADDING, '\0');
  return c.check(padded.data(), text.size());
}

std::string nested(size_t depth, const std::string& inner = "") {
  return std::string(depth, '[') + inner + std::string(depth, ']');
}

struct Bad {
  std::string text;
  size_t byte;
  const char* says;
};

}  // namespace

TEST_CASE("well-formed documents are accepted by diagnose and the checker", "[json][check]") {
  const std::vector<std::string> good = {
      "{}",
      "[]",
      "0",
      "-0",
      "1.5e-3",
      "1E5",
      "0.0e+0",
      "-12.75E-2",
      "\"text\"",
      "true",
      "false",
      "null",
      " \t{ \"a\" :\t1 , \"b\" : [ ] }\r ",
      "{\"a\":[1,{\"b\":null}],\"c\":{\"d\":{\"e\":[true,false,[]]}}}",
      "[[[[[[[[[[\"deep\"]]]]]]]]]]",
      "{\"esc\":\"quote \\\" backslash \\\\ slash \\/ \\b\\f\\n\\r\\t\"}",
      "\"\\u00e9\\u0000\\u001F\\uFFFF\"",
      "\"\\ud83d\\ude00 \\uDBFF\\uDFFF\"",                               // surrogate pairs
      "{\"k\\u00e9y\":\"h\xC3\xA9llo \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80\"}",  // raw UTF-8
      "\"\xF4\x8F\xBF\xBF\"",                                           // U+10FFFF
      "\"\xEF\xBF\xBD\xED\x9F\xBF\xEE\x80\x80\"",                       // U+FFFD U+D7FF U+E000
      "123456789012345678901234567890",                                 // beyond 64 bits
      "-123456789012345678901234567890",
      "{\"big\":18446744073709551616,\"max\":18446744073709551615,\"min\":-9223372036854775808}",
      "1e400",
      "-1e400",
      "[1e400,2,\"x\"]",
      "{\"tiny\":1e-400}",
      nested(1024),
      nested(1000, "{\"a\":1}"),
  };
  WellFormedChecker checker;
  for (const auto& text : good) {
    INFO(text.substr(0, 80));
    auto d = diagnose(text);
    CHECK(d.ok);
    CHECK(d.message.empty());
    CHECK(checker_accepts(checker, text));
  }
}

TEST_CASE("malformed documents are rejected with the byte and the reason", "[json][check]") {
  const std::vector<Bad> bad = {
      // truncated
      {"{\"a\":1", 7, "end of line inside an object"},
      {"[1,2", 5, "end of line inside an array"},
      {"{\"a\"", 5, "end of line after an object key"},
      {"{\"a\":", 6, "end of line inside an object"},
      {"{\"a\":\"abc", 6, "unterminated string"},
      {"\"abc\\", 1, "unterminated string"},
      {"[", 2, "end of line inside an array"},
      // structure
      {"{\"a\" 1}", 6, "expected ':' after an object key, got '1'"},
      {"{\"a\":1,}", 8, "trailing ',' before '}'"},
      {"[1,]", 4, "trailing ',' before ']'"},
      {"[1,2,]", 6, "trailing ',' before ']'"},
      {"{\"a\":}", 6, "unexpected '}', expected a JSON value"},
      {"{1:2}", 2, "expected a quoted object key, got '1'"},
      {"{'a':1}", 2, "expected a quoted object key, got '''"},
      {"[1 2]", 4, "expected ',' or ']' after an array element, got '2'"},
      {"{\"a\":1 \"b\":2}", 8, "expected ',' or '}' after an object member, got '\"'"},
      {"[1}", 3, "expected ',' or ']'"},
      {"]", 1, "unexpected ']'"},
      // literals and numbers
      {"{\"a\":tru}", 6, "invalid literal, expected 'true'"},
      {"nul", 1, "invalid literal, expected 'null'"},
      {"[falsey]", 7, "expected ',' or ']'"},
      {"NaN", 1, "unexpected 'N'"},
      {"[01]", 2, "leading zero"},
      {"-01", 1, "leading zero"},
      {"-", 1, "expected a digit after '-'"},
      {"[-x]", 2, "expected a digit after '-'"},
      {"1.", 1, "expected a digit after '.'"},
      {"1.e5", 1, "expected a digit after '.'"},
      {"1e+", 1, "expected a digit in the exponent"},
      {"+1", 1, "unexpected '+'"},
      {".5", 1, "unexpected '.'"},
      // strings: escapes
      {"\"\\x\"", 2, "invalid escape '\\x'"},
      {"{\"a\":\"\\'\"}", 7, "invalid escape '\\''"},
      {"\"\\u12G4\"", 6, "expected 4 hex digits"},
      {"\"\\u12\"", 6, "expected 4 hex digits"},
      {"\"\\uD800\"", 2, "unpaired surrogate"},
      {"\"ab\\uDC00\"", 4, "unpaired surrogate"},
      {"\"\\uD800\\u0041\"", 2, "unpaired surrogate"},
      {"\"\\uD83D\\uD83D\"", 2, "unpaired surrogate"},
      // strings: raw bytes
      {"\"a\x01" "b\"", 3, "control character U+0001 must be escaped"},
      {std::string("\"a\0b\"", 5), 3, "control character U+0000"},
      {"{\"k\":\"tab\there\"}", 10, "control character U+0009"},
      {"\"line\nbreak\"", 6, "control character U+000A"},
      {"\"\xC0\x80\"", 2, "invalid UTF-8"},                  // overlong NUL
      {"\"\xE0\x80\xAF\"", 2, "invalid UTF-8"},              // overlong '/'
      {"\"\xED\xA0\x80\"", 2, "invalid UTF-8"},              // surrogate code point U+D800
      {"\"ab\xE2\x82\"", 4, "invalid UTF-8"},                // truncated sequence
      {"\"ab\xE2\x82", 4, "invalid UTF-8"},                  // truncated at the end of the line
      {"\"\x80\"", 2, "invalid UTF-8"},                      // stray continuation byte
      {"\"\xF5\x80\x80\x80\"", 2, "invalid UTF-8"},          // beyond U+10FFFF
      {"\"\xFF\"", 2, "invalid UTF-8"},
      {"{\"k\xC3\":1}", 4, "invalid UTF-8"},                 // in a key
      {"\xEF\xBB\xBF{}", 1, "unexpected byte 0xEF"},         // a byte-order mark is not JSON
      // after the value
      {"{\"a\":1} x", 9, "unexpected 'x' after the JSON value"},
      {"{} {}", 4, "unexpected '{' after the JSON value"},
      {"1 2", 3, "after the JSON value"},
      {std::string("{}\0", 3), 3, "unexpected byte 0x00 after the JSON value"},
      {"[1e400,tru]", 8, "invalid literal"},                  // fallback path, still checked
      {"[123456789012345678901234567890,x]", 33, "unexpected 'x'"},
      // nothing
      {"", 1, "empty line"},
      {"   ", 4, "empty line"},
      // nesting
      {nested(1025), 1025, "nesting deeper than 1024 levels"},
      {std::string(3000, '['), 1025, "nesting deeper than 1024 levels"},
      {"{\"a\":" + nested(1024) + "}", 1029, "nesting deeper than 1024 levels"},
  };
  WellFormedChecker checker;
  for (const auto& b : bad) {
    INFO("text: " << b.text.substr(0, 60));
    auto d = diagnose(b.text);
    CHECK_FALSE(d.ok);
    CHECK(d.byte == b.byte);
    CHECK_THAT(d.message, Catch::Contains(b.says));
    CHECK_THAT(d.message, Catch::EndsWith("(byte " + std::to_string(b.byte) + ")"));
    CHECK_FALSE(checker_accepts(checker, b.text));
    CHECK(checker.error() == d.message);
    CHECK_FALSE(checker.has_document());
  }
}

TEST_CASE("diagnose honours a smaller nesting limit", "[json][check]") {
  CHECK(diagnose(nested(3), 3).ok);
  auto d = diagnose("{\"a\":[[1]]}", 2);
  CHECK_FALSE(d.ok);
  CHECK(d.byte == 7);
  CHECK(d.message == "nesting deeper than 2 levels (byte 7)");
}

TEST_CASE("the checker keeps the document of a line simdjson parsed", "[json][check]") {
  WellFormedChecker checker;
  REQUIRE(checker_accepts(checker, "{\"id\":42,\"tags\":[\"a\",\"b\"]}"));
  REQUIRE(checker.has_document());
  int64_t id = 0;
  REQUIRE(checker.document()["id"].get_int64().get(id) == simdjson::SUCCESS);
  CHECK(id == 42);

  // Valid JSON that simdjson cannot hold: accepted through the fallback, without a document.
  CHECK(checker_accepts(checker, "{\"n\":1e400}"));
  CHECK_FALSE(checker.has_document());

  // A failure, then success again with the same checker.
  CHECK_FALSE(checker_accepts(checker, "{\"a\":"));
  CHECK_FALSE(checker.error().empty());
  CHECK(checker_accepts(checker, "[1,2,3]"));
  CHECK(checker.has_document());
  CHECK(checker.document().is_array());
}

TEST_CASE("diagnose and the checker agree on every prefix of valid documents", "[json][check]") {
  // Every proper prefix of these is invalid; the whole is valid. Both parsers must agree on
  // each, whatever bytes the cut leaves.
  const std::vector<std::string> docs = {
      "{\"a\":[1,-2.5e+3,true,false,null,{\"b\":\"\\u00e9\\ud83d\\ude00\\n\"}],\"c\":\"\xE6\x97\xA5\"}",
      "[\"\xF0\x9F\x98\x80\",12345678901234567890123,{}]",
  };
  WellFormedChecker checker;
  for (const auto& doc : docs) {
    for (size_t n = 0; n <= doc.size(); ++n) {
      std::string cut = doc.substr(0, n);
      INFO("prefix of " << n << " bytes: " << cut);
      bool whole = n == doc.size();
      // A bare number prefix such as "1" or "-2" is valid on its own; none occurs at the top here.
      CHECK(diagnose(cut).ok == whole);
      CHECK(checker_accepts(checker, cut) == whole);
    }
  }
}

TEST_CASE("diagnose and the checker agree on mutated documents", "[json][check]") {
  // Deterministic mutations (replace, insert, delete a byte) of a document that exercises
  // every construct; simdjson and the scanner must reach the same verdict on each.
  const std::string doc =
      "{\"a\":[1,-2.5e+3,0,true,false,null,{\"b\":\"\\u00e9\\ud83d\\ude00\\n\\\"\"}],\"c\":\"\xE6\x97\xA5\xF0\x9F\x98\x80\","
      "\"d\":{},\"e\":[],\"f\":12345678901234567890123,\"g\":1e400}";
  const char alphabet[] = "{}[]\",:0123456789-+.eE \\u\"tfnrlsa\x01\x80\xC3\xED\xF0\xFF";
  WellFormedChecker checker;
  uint32_t x = 2463534242u;
  auto rnd = [&] {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return x;
  };
  size_t disagreements = 0, valid = 0;
  std::string first;
  for (int i = 0; i < 20000; ++i) {
    std::string m = doc;
    for (uint32_t k = rnd() % 3 + 1; k > 0; --k) {
      size_t at = rnd() % m.size();
      char c = alphabet[rnd() % (sizeof alphabet - 1)];
      switch (rnd() % 3) {
        case 0: m[at] = c; break;
        case 1: m.insert(m.begin() + static_cast<long>(at), c); break;
        default: m.erase(at, 1); break;
      }
    }
    bool a = diagnose(m).ok, b = checker_accepts(checker, m);
    valid += a;
    if (a != b && disagreements++ == 0) first = m;
  }
  INFO("first disagreement: " << first);
  CHECK(disagreements == 0);
  CHECK(valid > 100);  // the mutations do not only produce garbage
}
