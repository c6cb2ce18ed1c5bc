#include <simdjson.h>

#include <catch2/catch.hpp>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "json/writer.h"

using namespace sp::json;

namespace {

// Parses `json` with simdjson (DOM: full validation) and returns the string it holds.
std::string parsed_string(const std::string& json) {
  simdjson::dom::parser parser;
  std::string_view s;
  auto err = parser.parse(json).get_string().get(s);
  INFO("json: " << json);
  REQUIRE(err == simdjson::SUCCESS);
  return std::string(s);
}

std::string json_string(std::string_view s) {
  std::string out;
  append_string(out, s);
  return out;
}

std::string number(double v) {
  std::string out;
  append_number(out, v);
  return out;
}

std::string base64(std::string_view s) {
  std::string out;
  append_base64(out, s);
  return out;
}

}  // namespace

TEST_CASE("strings are quoted with the short escapes", "[json][writer]") {
  CHECK(json_string("") == "\"\"");
  CHECK(json_string("plain text") == "\"plain text\"");
  CHECK(json_string("a\"b\\c/d") == "\"a\\\"b\\\\c/d\"");
  CHECK(json_string("\n\r\t\b\f") == "\"\\n\\r\\t\\b\\f\"");
  CHECK(json_string("x\x7fy") == "\"x\x7fy\"");  // DEL needs no escape
}

TEST_CASE("other control characters are escaped as \\u00XX", "[json][writer]") {
  CHECK(json_string(std::string("\0", 1)) == "\"\\u0000\"");
  CHECK(json_string("\x01") == "\"\\u0001\"");
  CHECK(json_string("\x0b") == "\"\\u000b\"");
  CHECK(json_string("a\x1f" "b") == "\"a\\u001fb\"");
  // Every byte below 0x20 round-trips through simdjson.
  std::string all;
  for (int c = 0; c < 0x20; ++c) all += static_cast<char>(c);
  all += "end";
  std::string json = json_string(all);
  CHECK(json.find_first_of(std::string("\0\x01\x1f\n", 4)) == std::string::npos);
  CHECK(parsed_string(json) == all);
}

TEST_CASE("valid UTF-8 is copied and invalid bytes become U+FFFD", "[json][writer]") {
  const std::string utf8 = "h\xC3\xA9llo \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF \xEF\xBF\xBD";
  CHECK(json_string(utf8) == "\"" + utf8 + "\"");
  CHECK(parsed_string(json_string(utf8)) == utf8);

  const std::string fffd = "\xEF\xBF\xBD";
  struct Case {
    std::string in, want;
  };
  const std::vector<Case> cases = {
      {"\xFF", fffd},
      {"a\xC3", "a" + fffd},                                              // truncated sequence at the end
      {"\xC3(", fffd + "("},                                              // truncated sequence mid-string
      {"\xC0\x80", fffd + fffd},                                          // overlong
      {"\xED\xA0\x80", fffd + fffd + fffd},                               // surrogate code point
      {"\xF5\x80\x80\x80", fffd + fffd + fffd + fffd},                    // beyond U+10FFFF
      {"\x80", fffd},                                                     // stray continuation byte
      {"\xC3\xA9\xFF\xE6\x97\xA5", "\xC3\xA9" + fffd + "\xE6\x97\xA5"},   // valid parts kept
      {"\"\xFF\\\n\x01", "\"" + fffd + "\\\n\x01"},                       // escapes still apply
  };
  for (const auto& c : cases) {
    INFO("input bytes: " << c.in);
    std::string json = json_string(c.in);
    CHECK(is_valid_utf8(json));
    CHECK(parsed_string(json) == c.want);
  }
}

TEST_CASE("is_valid_utf8 follows RFC 3629", "[json][writer]") {
  CHECK(is_valid_utf8(""));
  CHECK(is_valid_utf8("ascii"));
  CHECK(is_valid_utf8("\xC3\xA9\xF0\x9F\x98\x80"));
  CHECK_FALSE(is_valid_utf8("\xC0\x80"));
  CHECK_FALSE(is_valid_utf8("\xED\xA0\x80"));
  CHECK_FALSE(is_valid_utf8("\xE2\x82"));
  CHECK_FALSE(is_valid_utf8("\xFF"));
}

TEST_CASE("numbers print the shortest text that reads back exactly", "[json][writer]") {
  CHECK(number(0) == "0");
  CHECK(number(3) == "3");
  CHECK(number(-42) == "-42");
  CHECK(number(1e15) == "1000000000000000");
  CHECK(number(9007199254740991.0) == "9007199254740991");
  CHECK(number(0.1) == "0.1");
  CHECK(number(-2.5) == "-2.5");
  CHECK(number(123456789.125) == "123456789.125");
  CHECK(number(1e21) == "1e+21");
  CHECK(number(5e-324) == "5e-324");
  CHECK(number(-0.0) == "-0");
  CHECK(number(9007199254740994.0) == "9007199254740994");  // 2^53 + 2: still an int64 to readers
  // Beyond 64-bit integers, an exponent keeps the text a double for readers (simdjson
  // rejects integers it cannot hold).
  CHECK(number(18446744073709551616.0) == "1.8446744073709552e+19");
  CHECK(number(-9223372036854775808.0) == "-9.223372036854776e+18");

  const std::vector<double> values = {0.0,
                                      -0.0,
                                      1.0,
                                      -1.0,
                                      0.1,
                                      0.2 + 0.1,
                                      1.0 / 3.0,
                                      2.0 / 3.0,
                                      M_PI,
                                      1e-7,
                                      1.5e-300,
                                      1e300,
                                      DBL_MAX,
                                      -DBL_MAX,
                                      DBL_MIN,
                                      DBL_TRUE_MIN,
                                      DBL_EPSILON,
                                      9007199254740992.0,   // 2^53
                                      9007199254740994.0,   // 2^53 + 2
                                      -9007199254740992.0,
                                      18446744073709551616.0,  // 2^64
                                      -9223372036854775808.0,  // -2^63
                                      9223372036854775808.0,   // 2^63
                                      9223372036854774784.0,   // the largest double below 2^63
                                      12345678901234567e3,
                                      1e23,
                                      123456.789e-3,
                                      4.35,
                                      0.30000000000000004};
  simdjson::dom::parser parser;
  for (double v : values) {
    std::string text = number(v);
    INFO("value " << v << " printed as " << text);
    char* end = nullptr;
    double back = std::strtod(text.c_str(), &end);
    CHECK(*end == '\0');
    CHECK(back == v);
    CHECK(std::signbit(back) == std::signbit(v));
    if (v == std::floor(v) && std::fabs(v) < 9007199254740992.0) CHECK(text.find_first_of(".eE") == std::string::npos);
    // Valid JSON, and simdjson reads the same value.
    std::string doc = "[" + text + "]";
    simdjson::dom::element e;
    REQUIRE(parser.parse(doc).at(0).get(e) == simdjson::SUCCESS);
    double got = 0;
    if (e.is_int64()) got = static_cast<double>(int64_t(e));
    else if (e.is_uint64()) got = static_cast<double>(uint64_t(e));
    else got = double(e);
    CHECK(got == v);
  }
}

TEST_CASE("NaN and infinities print as null", "[json][writer]") {
  CHECK(number(std::numeric_limits<double>::quiet_NaN()) == "null");
  CHECK(number(-std::numeric_limits<double>::quiet_NaN()) == "null");
  CHECK(number(std::numeric_limits<double>::infinity()) == "null");
  CHECK(number(-std::numeric_limits<double>::infinity()) == "null");
}

TEST_CASE("integers print exactly at their limits", "[json][writer]") {
  std::string out;
  append_int(out, 0);
  out += ',';
  append_int(out, -1);
  out += ',';
  append_int(out, std::numeric_limits<int64_t>::min());
  out += ',';
  append_int(out, std::numeric_limits<int64_t>::max());
  out += ',';
  append_uint(out, std::numeric_limits<uint64_t>::max());
  CHECK(out == "0,-1,-9223372036854775808,9223372036854775807,18446744073709551615");
  simdjson::dom::parser parser;
  simdjson::dom::array arr;
  REQUIRE(parser.parse("[" + out + "]").get(arr) == simdjson::SUCCESS);
  CHECK(int64_t(arr.at(2)) == std::numeric_limits<int64_t>::min());
  CHECK(uint64_t(arr.at(4)) == std::numeric_limits<uint64_t>::max());
}

TEST_CASE("base64 follows the RFC 4648 test vectors", "[json][writer]") {
  CHECK(base64("") == "\"\"");
  CHECK(base64("f") == "\"Zg==\"");
  CHECK(base64("fo") == "\"Zm8=\"");
  CHECK(base64("foo") == "\"Zm9v\"");
  CHECK(base64("foob") == "\"Zm9vYg==\"");
  CHECK(base64("fooba") == "\"Zm9vYmE=\"");
  CHECK(base64("foobar") == "\"Zm9vYmFy\"");
  // The standard alphabet's last two characters, and bytes with the high bit set.
  CHECK(base64("\xfb\xff") == "\"+/8=\"");
  CHECK(base64(std::string("\xff\xfe\x00", 3)) == "\"//4A\"");
  CHECK(base64(std::string("\x00\x00\x00\x00", 4)) == "\"AAAAAA==\"");
  CHECK(parsed_string(base64("\x80\x81\x82\x83")) == "gIGCgw==");
}

TEST_CASE("ObjectWriter builds objects that parse back", "[json][writer]") {
  std::string out = "prefix:";  // appends to what is there
  {
    ObjectWriter w(out);
    w.str("name", "sp-\"x\"")
        .num("ratio", 0.25)
        .num("nan", std::nan(""))
        .integer("delta", -3)
        .uinteger("count", 18446744073709551615ull)
        .boolean("ok", true)
        .boolean("bad", false)
        .null("none")
        .raw("list", "[1,{\"a\":2}]");
    w.key("k\ney");  // a key, then a value written by hand
    out += "7";
    w.close();
  }
  const std::string want =
      "prefix:{\"name\":\"sp-\\\"x\\\"\",\"ratio\":0.25,\"nan\":null,\"delta\":-3,\"count\":18446744073709551615,"
      "\"ok\":true,\"bad\":false,\"none\":null,\"list\":[1,{\"a\":2}],\"k\\ney\":7}";
  CHECK(out == want);

  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  REQUIRE(parser.parse(out.substr(7)).get(obj) == simdjson::SUCCESS);
  CHECK(std::string_view(obj["name"]) == "sp-\"x\"");
  CHECK(double(obj["ratio"]) == 0.25);
  CHECK(obj["nan"].is_null());
  CHECK(int64_t(obj["delta"]) == -3);
  CHECK(uint64_t(obj["count"]) == 18446744073709551615ull);
  CHECK(bool(obj["ok"]));
  CHECK_FALSE(bool(obj["bad"]));
  CHECK(int64_t(obj["list"].at(1)["a"]) == 2);
  CHECK(int64_t(obj["k\ney"]) == 7);

  std::string empty;
  ObjectWriter(empty).close();
  CHECK(empty == "{}");
}
