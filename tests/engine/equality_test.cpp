// SPDX-License-Identifier: BSL-1.0
// Equality: every comparison path (Value's ==, is, isnt, is_deeply, array
// elements, values back from a forked child, conversions) passes only on
// values that really are equal, and refuses what cannot be compared.
#define BOOST_TEST_MODULE equality
#include <cstdint>
#include <ostream>
#include <string>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/trap.hpp>

#include "support/test_support.hpp"

using test_support::diagnostics;
using test_support::one;

namespace {

// Every Tagged prints the same: a comparison of printed forms could not
// tell two of them apart.
struct Tagged {
  int id = 0;
  bool operator==(const Tagged&) const = default;
};
std::ostream& operator<<(std::ostream& os, const Tagged&) { return os << "Tagged"; }

struct Other {
  int id = 0;
  bool operator==(const Other&) const = default;
};
std::ostream& operator<<(std::ostream& os, const Other&) { return os << "Tagged"; }

// Printable, but with no operator==.
struct Printable {
  int id = 0;
};
std::ostream& operator<<(std::ostream& os, const Printable&) { return os << "Printable"; }

// Neither printable nor comparable: both would render as "... object".
struct Bare {
  int id = 0;
};

// A type with a codec, so that it comes back from a forked child.
struct Coded {
  int id = 0;
  bool operator==(const Coded&) const = default;
};
std::ostream& operator<<(std::ostream& os, const Coded&) { return os << "Coded"; }

std::string usage_error(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const trap::UsageError& e) {
    return e.what();
  }
  return "(no error)";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

template <>
struct trap::codec<Coded> {
  static std::string encode(const Coded& c) { return std::to_string(c.id); }
  static Coded decode(std::string_view s) { return {std::stoi(std::string(s))}; }
};

using trap::Array;
using trap::Value;

BOOST_AUTO_TEST_SUITE(value_equality)

BOOST_AUTO_TEST_CASE(each_kind_equals_only_its_own_kind) {
  const Value values[] = {Value(),         Value(true),           Value(1), Value(1.0), Value("1"),
                          Value(Array{1}), Value::from(Tagged{1})};
  // Integer 1 and floating 1.0 are the same number; nothing else crosses
  // kinds.
  for (std::size_t i = 0; i < std::size(values); ++i)
    for (std::size_t j = 0; j < std::size(values); ++j) {
      const bool numbers = (i == 2 || i == 3) && (j == 2 || j == 3);
      BOOST_TEST((values[i] == values[j]) == (i == j || numbers), values[i].str()
                                                                      << " == " << values[j].str());
    }
}

BOOST_AUTO_TEST_CASE(within_a_kind_values_compare_exactly) {
  BOOST_TEST(!(Value(true) == Value(false)));
  BOOST_TEST(!(Value(1) == Value(2)));
  BOOST_TEST(!(Value(1) == Value(1.5)));
  BOOST_TEST(!(Value("a") == Value("a ")));
  BOOST_TEST(Value(std::string("a\0b", 3)) == Value(std::string("a\0b", 3)));
  BOOST_TEST(!(Value(Array{1, 2}) == Value(Array{1})));
  // No rounding of a large integer to a double.
  const std::int64_t big = (std::int64_t{1} << 53) + 1;
  BOOST_TEST(!(Value(big) == Value(static_cast<double>(big))));
  BOOST_TEST(Value(big - 1) == Value(static_cast<double>(big - 1)));
  BOOST_TEST(!(Value(INT64_MAX) == Value(0x1p63)));
}

BOOST_AUTO_TEST_CASE(user_types_compare_with_their_own_equality) {
  BOOST_TEST(Value::from(Tagged{1}) == Value::from(Tagged{1}));
  BOOST_TEST(!(Value::from(Tagged{1}) == Value::from(Tagged{2})));  // though both print "Tagged"
  BOOST_TEST(!(Value::from(Tagged{1}) == Value::from(Other{1})));   // another type
  BOOST_TEST(!(Value::from(Tagged{1}) == Value("Tagged")));
}

BOOST_AUTO_TEST_CASE(a_type_without_equality_cannot_be_compared) {
  const auto p = Value::from(Printable{1});
  BOOST_TEST(usage_error([&] { (void)(p == Value::from(Printable{2})); }) ==
             "Cannot compare values of type (anonymous namespace)::Printable: it has no "
             "operator==");
  // Not even with itself: there is no equality to ask.
  BOOST_CHECK_THROW((void)(p == p), trap::UsageError);
  const auto b = Value::from(Bare{1});
  BOOST_TEST(contains(usage_error([&] { (void)(b == Value::from(Bare{1})); }), "Bare"));
  // Against another kind the answer is known without asking.
  BOOST_TEST(!(p == Value("Printable")));
}

BOOST_AUTO_TEST_CASE(same_kind) {
  BOOST_TEST(Value::same_kind(Value(1), Value(2.5)));
  BOOST_TEST(Value::same_kind(Value::from(Tagged{}), Value::from(Tagged{1})));
  BOOST_TEST(!Value::same_kind(Value::from(Tagged{}), Value::from(Other{})));
  BOOST_TEST(!Value::same_kind(Value(true), Value(1)));
  BOOST_TEST(!Value::same_kind(Value("1"), Value(1)));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(test_methods)

BOOST_AUTO_TEST_CASE(return_is_on_a_user_type_is_real_equality) {
  auto r = trap::trap([] { return Tagged{1}; });
  BOOST_TEST(one([&] { r.return_is(Tagged{1}); }).pass);
  auto e = one([&] { r.return_is(Tagged{2}); });
  BOOST_TEST(!e.pass);
  BOOST_TEST(diagnostics(e) == "         got: Tagged\n    expected: Tagged\n");
  BOOST_TEST(one([&] { r.return_isnt(Tagged{2}); }).pass);
  BOOST_TEST(!one([&] { r.return_isnt(Tagged{1}); }).pass);
  // The run-time path agrees.
  BOOST_TEST(one([&] { r.test("return_is", Tagged{1}); }).pass);
  BOOST_TEST(!one([&] { r.test("return_is", Tagged{2}); }).pass);
}

BOOST_AUTO_TEST_CASE(run_time_path_refuses_a_type_without_equality) {
  auto r = trap::trap([] { return Printable{1}; });
  BOOST_TEST(usage_error([&] { r.test("return_is", Printable{1}); }) ==
             "Cannot compare values of type (anonymous namespace)::Printable: it has no "
             "operator==");
  BOOST_CHECK_THROW(r.test("return_isnt", Printable{2}), trap::UsageError);
  BOOST_CHECK_THROW(r.test("return_is_deeply", Printable{2}), trap::UsageError);
  // What does not compare still works.
  BOOST_TEST(one([&] { r.return_ok(); }).pass);
  BOOST_TEST(one([&] { r.return_like("^Printable$"); }).pass);
  BOOST_TEST(r.return_value<Printable>().id == 1);
}

BOOST_AUTO_TEST_CASE(different_types_are_a_usage_error_naming_both) {
  auto r = trap::trap([] { return Tagged{1}; });
  const auto what = usage_error([&] { r.return_is(Other{1}); });
  BOOST_TEST(contains(what, "Tagged Tagged in return()"));
  BOOST_TEST(contains(what, "Other Tagged"));
  BOOST_CHECK_THROW(r.return_isnt(Other{1}), trap::UsageError);
}

BOOST_AUTO_TEST_CASE(mixed_kinds_are_a_usage_error_for_is_and_isnt) {
  auto b = trap::trap([] { return true; });
  BOOST_TEST(one([&] { b.return_is(true); }).pass);
  BOOST_TEST(usage_error([&] { b.return_is("1"); }) ==
             "Cannot compare bool true in return() with string \"1\": values of different "
             "kinds are never equal (a bool compares with a bool, a number with a number, a "
             "string with a string, any other type with the same type)");
  BOOST_CHECK_THROW(b.return_is(1), trap::UsageError);
  BOOST_CHECK_THROW(b.return_isnt(0), trap::UsageError);

  auto n = trap::trap([] { return 42; });
  BOOST_TEST(one([&] { n.return_is(42.0); }).pass);
  BOOST_TEST(!one([&] { n.return_is(42.5); }).pass);
  BOOST_CHECK_THROW(n.return_is("42"), trap::UsageError);
  BOOST_CHECK_THROW(n.return_isnt("41"), trap::UsageError);
  BOOST_CHECK_THROW(n.return_is(true), trap::UsageError);

  auto s = trap::trap([] { std::cout << "42"; });
  BOOST_TEST(one([&] { s.stdout_is("42"); }).pass);
  BOOST_TEST(contains(usage_error([&] { s.stdout_is(42); }),
                      "Cannot compare string \"42\" in stdout() with integer 42"));
  BOOST_CHECK_THROW(s.stdout_isnt(42), trap::UsageError);
}

BOOST_AUTO_TEST_CASE(null_compares_with_anything_and_fails) {
  auto r = trap::trap([] { return 0; });
  auto e = one([&] { r.return_is(nullptr); });
  BOOST_TEST(!e.pass);
  BOOST_TEST(diagnostics(e) == "         got: 0\n    expected: undef\n");
  BOOST_TEST(one([&] { r.return_isnt(nullptr); }).pass);
  auto v = trap::trap([] {});
  BOOST_TEST(one([&] { v.return_is(nullptr); }).pass);  // void returns undef
}

BOOST_AUTO_TEST_CASE(array_elements_follow_the_same_rules) {
  auto r = trap::trap([] { std::clog << "1\n"; });
  BOOST_TEST(one([&] { r.warn_is(0, "1\n"); }).pass);
  BOOST_CHECK_THROW(r.warn_is(0, 1), trap::UsageError);
  BOOST_CHECK_THROW(r.warn_isnt(0, 1), trap::UsageError);
  BOOST_TEST(!one([&] { r.warn_is(1, "1\n"); }).pass);  // no such element: undef
}

BOOST_AUTO_TEST_CASE(is_deeply_compares_each_element_like_with_like) {
  auto r = trap::trap([] { return std::vector<int>{1, 2}; });
  BOOST_TEST(one([&] { r.test("return_is_deeply", std::vector<double>{1.0, 2.0}); }).pass);
  BOOST_TEST(!one([&] { r.test("return_is_deeply", std::vector<int>{1, 3}); }).pass);
  BOOST_TEST(usage_error([&] {
               r.test("return_is_deeply", Array{1, "2"});
             }) ==
             "Cannot compare integer 2 in return()->[1] with string \"2\": values of "
             "different kinds are never equal (a bool compares with a bool, a number with a "
             "number, a string with a string, any other type with the same type)");
  auto t = trap::trap([] { return std::vector<Tagged>{{1}, {2}}; });
  BOOST_TEST(one([&] { t.test("return_is_deeply", std::vector<Tagged>{{1}, {2}}); }).pass);
  BOOST_TEST(!one([&] { t.test("return_is_deeply", std::vector<Tagged>{{1}, {3}}); }).pass);
  // A whole array against a scalar: a failure, as Perl's is_deeply.
  BOOST_TEST(!one([&] { r.test("return_is_deeply", nullptr); }).pass);
}

BOOST_AUTO_TEST_CASE(typed_methods_take_containers_of_comparable_types) {
  auto r = trap::trap([] { return std::vector<Tagged>{{1}}; });
  BOOST_TEST(one([&] { r.return_is(std::vector<Tagged>{{1}}); }).pass);
  BOOST_TEST(!one([&] { r.return_is(std::vector<Tagged>{{2}}); }).pass);
  auto o = trap::trap([] { return std::optional<Tagged>(); });
  BOOST_TEST(one([&] { o.return_is(std::optional<Tagged>()); }).pass);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(from_a_forked_child)

BOOST_AUTO_TEST_CASE(a_value_with_a_codec_compares_with_its_equality) {
  auto r = trap::trap<":fork">([] { return Coded{1}; });
  BOOST_TEST(one([&] { r.return_is(Coded{1}); }).pass);
  BOOST_TEST(!one([&] { r.return_is(Coded{2}); }).pass);  // though both print "Coded"
  auto same = trap::trap<":fork">([] { return Coded{1}; });
  auto other = trap::trap<":fork">([] { return Coded{2}; });
  BOOST_TEST(*r.get("return") == *same.get("return"));  // codec bytes
  BOOST_TEST(!(*r.get("return") == *other.get("return")));
}

BOOST_AUTO_TEST_CASE(a_value_back_as_its_rendering_cannot_be_compared) {
  auto r = trap::trap(":fork", [] { return Tagged{1}; });  // Tagged has no codec
  BOOST_TEST(r.get("return")->str() == "Tagged");
  BOOST_TEST(contains(usage_error([&] { r.return_is(Tagged{1}); }),
                      "came back from a forked child as its rendering only"));
  BOOST_CHECK_THROW(r.return_isnt(Tagged{2}), trap::UsageError);
}

BOOST_AUTO_TEST_CASE(built_in_kinds_keep_their_kind) {
  auto r = trap::trap<":fork">([] { return 7; });
  BOOST_TEST(one([&] { r.return_is(7); }).pass);
  BOOST_CHECK_THROW(r.return_is("7"), trap::UsageError);
  auto b = trap::trap<":fork">([] { return false; });
  BOOST_TEST(one([&] { b.return_is(false); }).pass);
  BOOST_CHECK_THROW(b.return_is(0), trap::UsageError);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(conversions)

BOOST_AUTO_TEST_CASE(numbers_convert_only_when_exact) {
  BOOST_TEST(Value(2.0).as<int>() == 2);
  BOOST_CHECK_THROW(Value(2.5).as<int>(), trap::UsageError);
  BOOST_CHECK_THROW(Value(300).as<std::uint8_t>(), trap::UsageError);
  BOOST_CHECK_THROW(Value(-1).as<unsigned>(), trap::UsageError);
  BOOST_CHECK_THROW(Value(1e300).as<long>(), trap::UsageError);
  BOOST_TEST(Value(INT64_MIN).as<std::int64_t>() == INT64_MIN);
  BOOST_TEST(Value(3).as<double>() == 3.0);
}

BOOST_AUTO_TEST_CASE(bool_converts_only_from_bool) {
  BOOST_TEST(Value(true).as<bool>());
  BOOST_CHECK_THROW(Value(1).as<bool>(), trap::UsageError);
  BOOST_CHECK_THROW(Value("1").as<bool>(), trap::UsageError);
  BOOST_CHECK_THROW(Value(true).as<int>(), trap::UsageError);
}

BOOST_AUTO_TEST_CASE(numeric_strings_convert_to_numbers_as_perl_numifies) {
  BOOST_TEST(Value("42\n").as<int>() == 42);
  BOOST_TEST(Value(" 2.5 ").as<double>() == 2.5);
  BOOST_CHECK_THROW(Value("2.5").as<int>(), trap::UsageError);
  BOOST_CHECK_THROW(Value("42x").as<int>(), trap::UsageError);
  BOOST_CHECK_THROW(Value(42).as<std::string>(), trap::UsageError);
}

BOOST_AUTO_TEST_SUITE_END()
