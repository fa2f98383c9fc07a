// SPDX-License-Identifier: BSL-1.0
// The JSON equality behind Expectation::with_json_body: a strict RFC 8259
// parser into a canonical value (keys in order, one per key, the last
// winning; numbers exact; strings unescaped), with a nesting limit.
#define BOOST_TEST_MODULE http_json
#include "http/json.hpp"

#include <string>

#include <boost/test/unit_test.hpp>

#include "http/matcher.hpp"

using trap::http::detail::json_equal;
namespace json = trap::http::detail::json;

namespace {

bool valid(std::string_view text) { return json::parse(text).has_value(); }

bool same(std::string_view a, std::string_view b) { return json_equal(a, b) == true; }

bool differ(std::string_view a, std::string_view b) { return json_equal(a, b) == false; }

json::Error error_of(std::string_view text) {
  json::Error error;
  BOOST_TEST(!json::parse(text, &error));
  return error;
}

std::string canonical(std::string_view text) {
  auto value = json::parse(text);
  BOOST_TEST_REQUIRE(value.has_value());
  return json::write(*value);
}

}  // namespace

BOOST_AUTO_TEST_CASE(scalars_and_white_space) {
  for (const char* text : {"null", "true", "false", "0", "-1.5e3", "\"\"", " \t\r\n[ ] ", "{}"})
    BOOST_TEST(valid(text), text);
  for (const char* text : {"", " ", "nul", "tru", "True", "NULL", "'a'", "[1,]", "{\"a\":1,}",
                           "{a:1}", "[1 2]", "\xef\xbb\xbf{}", "/*c*/1", "NaN", "Infinity"})
    BOOST_TEST(!valid(text), text);
}

BOOST_AUTO_TEST_CASE(object_key_order_and_white_space_are_ignored) {
  BOOST_TEST(same(R"({"a": 1, "b": [true, null]})", "{\"b\":[true,null],\n \"a\":1}"));
  BOOST_TEST(differ(R"({"a": 1})", R"({"a": 1, "b": 2})"));
  BOOST_TEST(differ(R"({"a": 1})", R"({"A": 1})"));
  BOOST_TEST(differ("[1, 2]", "[2, 1]"));
  BOOST_TEST(differ("[1]", "[1, 1]"));
}

BOOST_AUTO_TEST_CASE(kinds_never_compare_equal_across) {
  BOOST_TEST(differ("1", "\"1\""));
  BOOST_TEST(differ("null", "false"));
  BOOST_TEST(differ("true", "1"));
  BOOST_TEST(differ("[]", "{}"));
  BOOST_TEST(differ("\"\"", "null"));
}

BOOST_AUTO_TEST_CASE(duplicate_keys_the_last_wins) {
  BOOST_TEST(same(R"({"a": 1, "a": 2})", R"({"a": 2})"));
  BOOST_TEST(differ(R"({"a": 1, "a": 2})", R"({"a": 1})"));
  BOOST_TEST(same(R"({"a": 1, "b": 0, "a": {"x": 1, "x": 3}})", R"({"b": 0, "a": {"x": 3}})"));
  BOOST_TEST(canonical(R"({"b": 1, "a": 2, "b": 3})") == R"({"a":2,"b":3})");
}

BOOST_AUTO_TEST_CASE(numbers_compare_by_value) {
  BOOST_TEST(same("1", "1.0"));
  BOOST_TEST(same("1", "1e0"));
  BOOST_TEST(same("1", "10e-1"));
  BOOST_TEST(same("100", "1E+2"));
  BOOST_TEST(same("-0", "0"));
  BOOST_TEST(same("-0.0e5", "0"));
  BOOST_TEST(same("0.5", "5e-1"));
  BOOST_TEST(differ("1", "2"));
  BOOST_TEST(differ("1", "-1"));
  BOOST_TEST(differ("0.1", "0.2"));
  // Not whole: compared as the nearest doubles, as a client printing
  // doubles with 17 digits writes them.
  BOOST_TEST(same("0.1", "0.10000000000000001"));
  BOOST_TEST(differ("0.1", "0.30000000000000004"));
}

BOOST_AUTO_TEST_CASE(big_integers_compare_exactly) {
  BOOST_TEST(differ("9007199254740993", "9007199254740992"));  // one double
  BOOST_TEST(differ("12345678901234567890123", "12345678901234567890124"));
  BOOST_TEST(same("12345678901234567890123", "1.2345678901234567890123e22"));
  BOOST_TEST(same("1e400", "10e399"));
  BOOST_TEST(differ("1e400", "2e400"));  // beyond a double: exact
  BOOST_TEST(differ("1e-400", "2e-400"));
  BOOST_TEST(same("1e999999999999999", "1e999999999999999"));
  BOOST_TEST(same("1e9999999999999999", "10e9999999999999998"));
  BOOST_TEST(error_of("1e20000000000000000").message == "number out of range");
  BOOST_TEST(error_of("1e-20000000000000000").message == "number out of range");
  BOOST_TEST(error_of("1e100000000000000000").message == "exponent out of range");
}

BOOST_AUTO_TEST_CASE(number_grammar_is_strict) {
  for (const char* text :
       {"01", "-01", "00", "1.", ".5", "+1", "1e", "1e+", "-", "0x10", "1.e3", "- 1", "01.5"})
    BOOST_TEST(!valid(text), text);
  for (const char* text : {"0", "-0", "0.5", "0e0", "10", "1E-0", "-0.0"})
    BOOST_TEST(valid(text), text);
  BOOST_TEST(error_of("01").message == "leading zero in a number");
  BOOST_TEST(error_of("[00]").offset == 2u);
}

BOOST_AUTO_TEST_CASE(trailing_garbage_is_invalid) {
  for (const char* text : {"{} x", "1 2", "[1]]", "\"a\"\"b\"", "null,", "{}{}"})
    BOOST_TEST(!valid(text), text);
  BOOST_TEST(!valid(std::string_view("1\0", 2)));
  json::Error e = error_of("[1] x");
  BOOST_TEST(e.message == "unexpected text after the value");
  BOOST_TEST(e.offset == 4u);
}

BOOST_AUTO_TEST_CASE(escapes_unescape_before_comparing) {
  BOOST_TEST(same(R"("\u00e9")", "\"\xc3\xa9\""));
  BOOST_TEST(same(R"("\u00E9")", R"("\u00e9")"));
  BOOST_TEST(same(R"("a\/b")", R"("a/b")"));
  BOOST_TEST(same(R"("\"\\")", R"("\u0022\u005c")"));
  BOOST_TEST(same(R"("\b\f\n\r\t")", R"("\u0008\u000c\u000a\u000d\u0009")"));
  BOOST_TEST(same(R"({"\u0061": 1})", R"({"a": 1})"));
  BOOST_TEST(differ(R"("\u00e9")", R"("e")"));
  for (const char* text :
       {R"("\x41")", R"("\u12G4")", R"("\u12")", R"("\')", "\"a\nb\"", "\"a\tb\"", "\"abc"})
    BOOST_TEST(!valid(text), text);
}

BOOST_AUTO_TEST_CASE(surrogate_pairs_make_one_code_point) {
  BOOST_TEST(same(R"("\ud83d\ude00")", "\"\xf0\x9f\x98\x80\""));
  BOOST_TEST(same(R"("\uD834\uDD1E")", "\"\xf0\x9d\x84\x9e\""));
  BOOST_TEST(error_of(R"("\ud83d")").message == "lone high surrogate in a string");
  BOOST_TEST(error_of(R"("\ud83dx")").message == "lone high surrogate in a string");
  BOOST_TEST(error_of(R"("\ud83d\u0041")").message == "lone high surrogate in a string");
  BOOST_TEST(error_of(R"("\ud83d\ud83d")").message == "lone high surrogate in a string");
  BOOST_TEST(error_of(R"("\ude00")").message == "lone low surrogate in a string");
  BOOST_TEST(error_of(R"("\ude00\ud83d")").message == "lone low surrogate in a string");
}

BOOST_AUTO_TEST_CASE(strings_must_be_utf8) {
  BOOST_TEST(valid("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\""));  // é € 😀
  for (const char* text :
       {"\"\xff\"", "\"\xc3\"", "\"\x80\"", "\"\xc0\xaf\"", "\"\xe0\x80\xaf\"", "\"\xed\xa0\x80\"",
        "\"\xf4\x90\x80\x80\"", "\"\xf5\x80\x80\x80\"", "\"\xe2\x82\""})
    BOOST_TEST(!valid(text), text);
}

BOOST_AUTO_TEST_CASE(nesting_deeper_than_the_limit_is_invalid) {
  auto nested = [](std::size_t depth, char open, char close) {
    return std::string(depth, open) + std::string(depth, close);
  };
  BOOST_TEST(valid(nested(json::kMaxDepth, '[', ']')));
  BOOST_TEST(same(nested(json::kMaxDepth, '[', ']'), nested(json::kMaxDepth, '[', ']')));
  json::Error e = error_of(nested(json::kMaxDepth + 1, '[', ']'));
  BOOST_TEST(e.message == "nesting deeper than 512 levels");
  BOOST_TEST(e.offset == json::kMaxDepth);
  // Far deeper than any stack: refused at the limit, not a crash.
  BOOST_TEST(!valid(std::string(1'000'000, '[')));
  std::string objects;
  for (std::size_t i = 0; i <= json::kMaxDepth; ++i) objects += "{\"a\":";
  objects += "1" + std::string(json::kMaxDepth + 1, '}');
  BOOST_TEST(!valid(objects));
}

BOOST_AUTO_TEST_CASE(errors_say_what_and_where) {
  json::Error e = error_of(R"({"a" 1})");
  BOOST_TEST(e.message == "expected ':' after an object key");
  BOOST_TEST(e.offset == 5u);
  e = error_of("[1,]");
  BOOST_TEST(e.message == "expected a value");
  BOOST_TEST(e.offset == 3u);
  e = error_of("");
  BOOST_TEST(e.message == "expected a value");
  BOOST_TEST(e.offset == 0u);
}

BOOST_AUTO_TEST_CASE(json_equal_is_nothing_when_either_is_invalid) {
  BOOST_TEST(!json_equal("{", "{}").has_value());
  BOOST_TEST(!json_equal("{}", "{").has_value());
  BOOST_TEST(!json_equal("", "").has_value());
  BOOST_TEST(json_equal("{}", "{}").has_value());
}

BOOST_AUTO_TEST_CASE(write_gives_a_compact_canonical_text_that_parses_back) {
  BOOST_TEST(canonical(" { \"b\" : 1 , \"a\" : [ 1.50 , \"x\\n\\u0001\" ] } ") ==
             R"({"a":[1.5,"x\u000a\u0001"],"b":1})");
  BOOST_TEST(canonical("1500") == "1500");
  BOOST_TEST(canonical("15e-3") == "0.015");
  BOOST_TEST(canonical("-1.5e-10") == "-1.5e-10");
  BOOST_TEST(canonical("1e40") == "1e40");
  BOOST_TEST(canonical("12.5e40") == "1.25e41");
  BOOST_TEST(canonical("-0.0") == "0");
  for (const char* text : {"1e-7", "0.000001", "123.456", "1e21", "1e20", "\"\\\"\\\\\""})
    BOOST_TEST(same(canonical(text), text), text);
}
