// SPDX-License-Identifier: BSL-1.0
// Test::More's plain assertions (trap/more.hpp): verdicts, the caller's
// line, return values, errno kept, and the callers' mistakes. Their
// diagnostics are compared with Test::More's own by
// engine_more_matches_test_more.
#define BOOST_TEST_MODULE more
#include <cerrno>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/trap.hpp>

#include "support/test_support.hpp"

using test_support::diagnostics;
using test_support::one;

BOOST_AUTO_TEST_CASE(each_reports_one_result_at_the_callers_line) {
  bool returned = true;
  const auto line = __LINE__ + 1;
  auto e = one([&] { returned = trap::is(std::string("x"), "y", "named"); });
  BOOST_TEST(!returned);
  BOOST_TEST(!e.pass);
  BOOST_TEST(e.name == "named");
  BOOST_TEST(e.where.line() == line);
  BOOST_TEST(std::string(e.where.file_name()).ends_with("more_test.cpp"));
  BOOST_TEST(diagnostics(e) == "         got: 'x'\n    expected: 'y'\n");
}

BOOST_AUTO_TEST_CASE(passing_ones_return_true_without_diagnostics) {
  std::vector<bool> results;
  auto events = trap::intercept([&] {
    results.push_back(trap::ok(true, "ok"));
    results.push_back(trap::is(42, 42.0, "is"));
    results.push_back(trap::isnt("a", "b", "isnt"));
    results.push_back(trap::like("usage: x\n", "^usage: x$", "like"));
    results.push_back(trap::unlike("abc", "z", "unlike"));
    results.push_back(trap::is_deeply(std::vector<int>{1, 2}, trap::Array{1, 2}, "is_deeply"));
    results.push_back(trap::cmp_ok(std::size_t{3}, "<", 4, "cmp_ok"));
    results.push_back(trap::cmp_ok("42\n", "==", 42, "cmp_ok numifies"));
    results.push_back(trap::pass("pass"));
  });
  BOOST_TEST(results == std::vector<bool>(9, true));
  BOOST_REQUIRE(events.size() == 9u);
  for (const auto& e : events) {
    BOOST_TEST(e.pass, e.name);
    BOOST_TEST(e.diagnostics.empty(), e.name);
  }
}

BOOST_AUTO_TEST_CASE(fail_fails_without_diagnostics) {
  bool returned = true;
  auto e = one([&] { returned = trap::fail("no"); });
  BOOST_TEST(!returned);
  BOOST_TEST(!e.pass);
  BOOST_TEST(e.diagnostics.empty());
}

BOOST_AUTO_TEST_CASE(errno_is_kept) {
  trap::intercept([] {
    errno = EDOM;
    trap::is(1, 2);
    BOOST_TEST(errno == EDOM);
  });
}

BOOST_AUTO_TEST_CASE(unknown_operator_is_a_usage_error_naming_it) {
  BOOST_CHECK_EXCEPTION(trap::intercept([] { trap::cmp_ok(1, "=~", 2); }), trap::UsageError,
                        [](const trap::UsageError& e) {
                          return std::string(e.what()).find("unknown operator \"=~\"") !=
                                 std::string::npos;
                        });
  auto events = trap::intercept([] {
    try {
      trap::cmp_ok(1, "<>", 2);
    } catch (const trap::UsageError&) {
    }
  });
  BOOST_TEST(events.empty());
}

BOOST_AUTO_TEST_CASE(numeric_operator_on_text_is_a_usage_error) {
  BOOST_CHECK_EXCEPTION(trap::intercept([] { trap::cmp_ok("abc", "<", 2); }), trap::UsageError,
                        [](const trap::UsageError& e) {
                          return std::string(e.what()) ==
                                 "cmp_ok: < compares numbers, and \"abc\" is not one";
                        });
}

BOOST_AUTO_TEST_CASE(different_kinds_are_a_usage_error) {
  BOOST_CHECK_THROW(trap::intercept([] { trap::is("1", 1); }), trap::UsageError);
  BOOST_CHECK_THROW(trap::intercept([] { trap::isnt(true, 1); }), trap::UsageError);
  BOOST_CHECK_THROW(trap::intercept([] { trap::is_deeply(trap::Array{1}, trap::Array{"1"}); }),
                    trap::UsageError);
}

BOOST_AUTO_TEST_CASE(invalid_regex_is_a_usage_error) {
  BOOST_CHECK_THROW(trap::intercept([] { trap::like("x", "("); }), trap::UsageError);
}

BOOST_AUTO_TEST_CASE(text_comparison_is_bytewise) {
  auto events = trap::intercept([] {
    trap::cmp_ok(10, "lt", 9, "\"10\" lt \"9\"");
    trap::cmp_ok(10, "<", 9, "10 < 9");
  });
  BOOST_REQUIRE(events.size() == 2u);
  BOOST_TEST(events[0].pass);
  BOOST_TEST(!events[1].pass);
  BOOST_TEST(diagnostics(events[1]) == "    '10'\n        <\n    '9'\n");
}

BOOST_AUTO_TEST_CASE(large_integers_compare_exactly) {
  const std::int64_t big = (std::int64_t{1} << 53) + 1;
  auto e = one([&] { trap::cmp_ok(big, ">", std::int64_t{1} << 53); });
  BOOST_TEST(e.pass);
}

// Under the Boost.Test adapter, a plain assertion is one Boost.Test check:
// this passing one is counted by Boost.Test (and a failing one would fail
// this test case).
BOOST_AUTO_TEST_CASE(under_boost_test_they_are_checks) { BOOST_TEST(trap::ok(true, "a check")); }
