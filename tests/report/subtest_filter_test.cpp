// SPDX-License-Identifier: BSL-1.0
// Subtest filters in GoogleTest's syntax with backslash escapes, and the
// temp directory Bazel's TEST_TMPDIR chooses.
#define BOOST_TEST_MODULE subtest_filter
#include <stdlib.h>

#include <string>

#include <boost/test/unit_test.hpp>

#include <trap/errors.hpp>

#include "capture/capture.hpp"
#include "report/selection.hpp"

using trap::detail::escape_for_filter;
using trap::detail::SubtestFilter;

namespace {
bool matches(const std::string& filter, const std::string& name) {
  return SubtestFilter(filter, "TRAP_FILTER").matches(name);
}
}  // namespace

BOOST_AUTO_TEST_CASE(globs_match_the_whole_name) {
  BOOST_TEST(matches("alpha", "alpha"));
  BOOST_TEST(!matches("alpha", "alphabet"));
  BOOST_TEST(!matches("alpha", "an alpha"));
  BOOST_TEST(matches("al*", "alphabet"));
  BOOST_TEST(matches("*bet", "alphabet"));
  BOOST_TEST(matches("a*h*t", "alphabet"));
  BOOST_TEST(!matches("a*h*x", "alphabet"));
  BOOST_TEST(matches("?lpha", "alpha"));
  BOOST_TEST(!matches("?alpha", "alpha"));
  BOOST_TEST(matches("*", ""));
  BOOST_TEST(matches("a**b", "ab"));
  BOOST_TEST(matches("*a*a*a*a*a*b", std::string(40, 'a') + "b"));
  BOOST_TEST(!matches("*a*a*a*a*a*b", std::string(40, 'a')));
}

BOOST_AUTO_TEST_CASE(colons_separate_patterns_and_the_first_dash_starts_the_negatives) {
  BOOST_TEST(matches("x:alpha", "alpha"));
  BOOST_TEST(matches("x::alpha:", "alpha"));
  BOOST_TEST(!matches("x:y", "alpha"));
  BOOST_TEST(matches("-beta", "alpha"));
  BOOST_TEST(!matches("-beta", "beta"));
  BOOST_TEST(!matches("a*-*z:*y", "a y"));  // negatives a list too
  BOOST_TEST(!matches("a*-*z:*y", "a z"));
  BOOST_TEST(matches("a*-*z:*y", "a x"));
  BOOST_TEST(!matches("round-trip", "round-trip"));  // GoogleTest's reading: "round" minus "trip"
  BOOST_TEST(matches("round\\-trip", "round-trip"));
  BOOST_TEST(matches("", "anything"));
}

BOOST_AUTO_TEST_CASE(a_backslash_makes_the_next_character_plain) {
  BOOST_TEST(matches("a\\*", "a*"));
  BOOST_TEST(!matches("a\\*", "ab"));
  BOOST_TEST(matches("a\\?", "a?"));
  BOOST_TEST(!matches("a\\?", "ab"));
  BOOST_TEST(matches("a\\:b", "a:b"));
  BOOST_TEST(matches("a\\\\b", "a\\b"));
  BOOST_TEST(matches("\\x", "x"));
}

BOOST_AUTO_TEST_CASE(escape_for_filter_selects_exactly_the_name) {
  for (std::string name : {"plain", "a:b", "a*b", "w?x", "round-trip", "back\\slash", "-lead",
                           "all*of:them-?\\", "spaces and ; semicolons"}) {
    SubtestFilter f(escape_for_filter(name), "TRAP_FILTER");
    BOOST_TEST(f.matches(name), name);
    BOOST_TEST(!f.matches(name + "x"), name);
    BOOST_TEST(!f.matches("x" + name), name);
  }
  // The empty name cannot be selected alone: an empty filter selects all.
  BOOST_TEST(SubtestFilter(escape_for_filter(""), "TRAP_FILTER").matches("x"));
  BOOST_TEST(escape_for_filter("a-b:c*d?e\\f") == "a\\-b\\:c\\*d\\?e\\\\f");
}

BOOST_AUTO_TEST_CASE(a_trailing_backslash_is_refused_naming_the_source) {
  BOOST_CHECK_EXCEPTION(SubtestFilter("abc\\", "--filter"), trap::UsageError,
                        [](const trap::UsageError& e) {
                          return std::string(e.what()) ==
                                 "--filter=\"abc\\\" ends with a lone backslash (write \\\\ for "
                                 "one)";
                        });
}

BOOST_AUTO_TEST_CASE(temp_files_go_to_test_tmpdir_then_tmpdir_then_tmp) {
  ::setenv("TEST_TMPDIR", "/bazel/tmp", 1);
  ::setenv("TMPDIR", "/plain/tmp", 1);
  BOOST_TEST(trap::detail::temp_dir() == "/bazel/tmp");
  ::setenv("TEST_TMPDIR", "", 1);
  BOOST_TEST(trap::detail::temp_dir() == "/plain/tmp");
  ::unsetenv("TEST_TMPDIR");
  BOOST_TEST(trap::detail::temp_dir() == "/plain/tmp");
  ::unsetenv("TMPDIR");
  BOOST_TEST(trap::detail::temp_dir() == "/tmp");
}
