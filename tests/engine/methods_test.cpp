// SPDX-License-Identifier: BSL-1.0
// Test methods: verdicts, names, locations and diagnostics, checked through
// trap::intercept. Ports Test::Trap's t/10-tester.t.
#define BOOST_TEST_MODULE methods
#include <cerrno>
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/trap.hpp>

#include "support/test_support.hpp"

using test_support::diagnostics;
using test_support::events_of;
using test_support::one;

BOOST_AUTO_TEST_SUITE(tester_port)

BOOST_AUTO_TEST_CASE(return_with_warning) {
  auto r = trap::trap([] {
    trap::warn("A warning");
    return 5;
  });
  auto e = one([&] { r.return_is(5, "5 was returned"); });
  BOOST_TEST(e.pass);
  BOOST_TEST(e.name == "5 was returned");
  BOOST_TEST(e.diagnostics.empty());
}

BOOST_AUTO_TEST_CASE(silent_exit_is_not_a_return) {
  auto r = trap::trap([] { std::exit(0); });
  auto e = one([&] { r.return_is(5, "5 was returned"); });
  BOOST_TEST(!e.pass);
  BOOST_TEST(e.name == "5 was returned");
  BOOST_TEST(diagnostics(e) == "    Expecting to return(), but instead exit()ed with 0\n");
}

BOOST_AUTO_TEST_CASE(exception_is_not_a_return) {
  auto r = trap::trap([] { throw std::runtime_error("Argh\n"); });
  auto e = one([&] { r.return_nok("Return with false value"); });
  BOOST_TEST(!e.pass);
  BOOST_TEST(diagnostics(e) == "    Expecting to return(), but instead die()ed with \"Argh\\n\"\n");
}

BOOST_AUTO_TEST_CASE(print_and_exit) {
  auto r = trap::trap([] {
    std::cout << "Hello world";
    std::exit(0);
  });
  auto e = one([&] { r.exit_nok("Exit with false value"); });
  BOOST_TEST(e.pass);
  BOOST_TEST(e.name == "Exit with false value");
  BOOST_TEST(r.out() == "Hello world");
}

BOOST_AUTO_TEST_CASE(quiet_box) {
  auto r = trap::trap([] { return 3; });
  auto e = one([&] { r.quiet(); });
  BOOST_TEST(e.pass);
  BOOST_TEST(e.name == "quiet");
}

BOOST_AUTO_TEST_CASE(quiet_warning_box) {
  auto r = trap::trap([] { trap::warn("Hello!\n"); });
  auto e = one([&] { r.quiet("In denial about STDERR"); });
  BOOST_TEST(!e.pass);
  BOOST_TEST(diagnostics(e) == "Expecting no STDERR, but got \"Hello!\\n\"\n");
}

BOOST_AUTO_TEST_CASE(quiet_printing_box) {
  auto r = trap::trap([] { std::cout << "Hello!\n"; });
  auto e = one([&] { r.quiet("In denial about STDOUT"); });
  BOOST_TEST(!e.pass);
  BOOST_TEST(diagnostics(e) == "Expecting no STDOUT, but got \"Hello!\\n\"\n");
}

BOOST_AUTO_TEST_CASE(quiet_noisy_box) {
  auto r = trap::trap([] {
    trap::warn("world!\n");
    std::cout << "Hello!\n";
  });
  auto e = one([&] { r.quiet("In denial about noise!"); });
  BOOST_TEST(!e.pass);
  BOOST_TEST(diagnostics(e) ==
             "Expecting no STDOUT, but got \"Hello!\\n\"\n"
             "Expecting no STDERR, but got \"world!\\n\"\n");
}

BOOST_AUTO_TEST_CASE(did_methods) {
  auto noisy = trap::trap([] { std::cout << "x"; });
  BOOST_TEST(one([&] { noisy.did_return("Should return"); }).pass);
  auto exiting = trap::trap([] { std::exit(0); });
  BOOST_TEST(one([&] { exiting.did_exit("Should exit"); }).pass);
  auto e = one([&] { exiting.did_die("In denial about death"); });
  BOOST_TEST(!e.pass);
  BOOST_TEST(e.name == "In denial about death");
  BOOST_TEST(diagnostics(e) == "    Expecting to die(), but instead exit()ed with 0\n");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(matrix)

BOOST_AUTO_TEST_CASE(scalar_accessor_tests_pass_and_fail) {
  auto r = trap::trap([] {
    std::cout << "out\n";
    std::cerr << "err";
    return 42;
  });
  BOOST_TEST(one([&] { r.stdout_ok(); }).pass);
  BOOST_TEST(!one([&] { r.stdout_nok(); }).pass);
  BOOST_TEST(one([&] { r.stdout_is("out\n"); }).pass);
  BOOST_TEST(!one([&] { r.stdout_isnt("out\n"); }).pass);
  BOOST_TEST(one([&] { r.stdout_like(R"(^out$)"); }).pass);
  BOOST_TEST(one([&] { r.stdout_unlike("^err"); }).pass);
  BOOST_TEST(one([&] { r.stderr_is("err"); }).pass);
  BOOST_TEST(one([&] { r.stderr_like("e.r"); }).pass);
  BOOST_TEST(one([&] { r.return_is(42); }).pass);
  BOOST_TEST(one([&] { r.return_is(42.0); }).pass);
  // Not Perl's eq: a string is not a number, for is and isnt alike.
  BOOST_CHECK_THROW(r.return_is("42"), trap::UsageError);
  BOOST_CHECK_THROW(r.return_isnt("42"), trap::UsageError);
  BOOST_TEST(one([&] { r.return_isnt(41); }).pass);
  BOOST_TEST(one([&] { r.return_ok(); }).pass);
  BOOST_TEST(one([&] { r.return_like("^4\\d$"); }).pass);
  BOOST_TEST(one([&] { r.leaveby_is("return"); }).pass);
  BOOST_TEST(one([&] { r.leaveby_unlike("die"); }).pass);
  BOOST_TEST(!one([&] { r.leaveby_isnt("return"); }).pass);
}

BOOST_AUTO_TEST_CASE(is_failure_shows_got_and_expected_escaped) {
  auto r = trap::trap([] { std::cout << "a\tb\x01"; });
  auto e = one([&] { r.stdout_is("a b", "tabs"); });
  BOOST_TEST(!e.pass);
  BOOST_TEST(diagnostics(e) ==
             "         got: \"a\\tb\\x01\"\n"
             "    expected: \"a b\"\n");
}

BOOST_AUTO_TEST_CASE(multi_line_is_shows_a_unified_diff) {
  auto r = trap::trap([] { std::cout << "one\ntwo\nthree\nfour\nfive\nsix\nseven\n"; });
  auto e = one([&] { r.stdout_is("one\ntwo\nTHREE\nfour\nfive\nsix\nseven\n"); });
  BOOST_TEST(!e.pass);
  BOOST_TEST(diagnostics(e) ==
             "         got: \"one\\ntwo\\nthree\\nfour\\nfive\\nsix\\nseven\\n\"\n"
             "    expected: \"one\\ntwo\\nTHREE\\nfour\\nfive\\nsix\\nseven\\n\"\n"
             "    --- expected\n"
             "    +++ got\n"
             "    @@ -1,6 +1,6 @@\n"
             "     one\\n\n"
             "     two\\n\n"
             "    -THREE\\n\n"
             "    +three\\n\n"
             "     four\\n\n"
             "     five\\n\n"
             "     six\\n\n");
}

BOOST_AUTO_TEST_CASE(long_line_is_shows_the_first_difference) {
  const std::string base(100, 'x');
  auto r = trap::trap([&] { std::cout << base << "A" << base; });
  auto e = one([&] { r.stdout_is(base + "B" + base); });
  BOOST_TEST(!e.pass);
  const std::string around = std::string(30, 'x');
  BOOST_TEST(test_support::diagnostics(e).find("    first difference at offset 100:\n"
                                               "         got: ...\"" +
                                               around + "A" + std::string(29, 'x') +
                                               "\"...\n"
                                               "    expected: ...\"" +
                                               around + "B" + std::string(29, 'x') + "\"...\n") !=
                 std::string::npos,
             test_support::diagnostics(e));
}

BOOST_AUTO_TEST_CASE(isnt_and_like_diagnostics) {
  auto r = trap::trap([] { std::cout << "abc"; });
  BOOST_TEST(diagnostics(one([&] { r.stdout_isnt("abc"); })) ==
             "         got: \"abc\"\n    expected: anything else\n");
  BOOST_TEST(diagnostics(one([&] { r.stdout_like("x"); })) ==
             "                  \"abc\"\n    doesn't match /x/\n");
  BOOST_TEST(diagnostics(one([&] { r.stdout_unlike("b"); })) ==
             "                  \"abc\"\n          matches /b/\n");
}

BOOST_AUTO_TEST_CASE(ok_and_nok_diagnostics_name_the_accessor) {
  auto r = trap::trap([] { std::clog << "w\n"; });
  BOOST_TEST(diagnostics(one([&] { r.stdout_ok(); })) ==
             "    Expecting true value in stdout(), but got \"\" instead\n");
  BOOST_TEST(diagnostics(one([&] { r.warn_nok(0); })) ==
             "    Expecting false value in warn(0), but got \"w\\n\" instead\n");
}

BOOST_AUTO_TEST_CASE(like_is_perl_syntax_searched_like_match_operator) {
  auto r = trap::trap([] { std::cout << "first\nsecond\n"; });
  BOOST_TEST(one([&] { r.stdout_like("second"); }).pass);         // searched, not anchored
  BOOST_TEST(!one([&] { r.stdout_like("^second"); }).pass);       // ^ is the start (no /m)
  BOOST_TEST(one([&] { r.stdout_like("(?m)^second$"); }).pass);   // unless asked
  BOOST_TEST(one([&] { r.stdout_like("second$"); }).pass);        // $ before a final newline
  BOOST_TEST(!one([&] { r.stdout_like("first.second"); }).pass);  // . is not a newline
  BOOST_TEST(one([&] { r.stdout_like("(?i)FIRST\\b"); }).pass);
  BOOST_TEST(one([&] { r.stdout_like(R"(\Afirst\nsecond\n\z)"); }).pass);
}

BOOST_AUTO_TEST_CASE(bad_regex_is_a_usage_error) {
  auto r = trap::trap([] {});
  BOOST_CHECK_THROW(r.stdout_like("(unclosed"), trap::UsageError);
}

BOOST_AUTO_TEST_CASE(array_accessor_tests_take_an_index) {
  auto r = trap::trap([] {
    std::clog << "first\n";
    trap::warn("second\n");
  });
  BOOST_TEST(one([&] { r.warn_is(0, "first\n"); }).pass);
  BOOST_TEST(one([&] { r.warn_is(1, "second\n"); }).pass);
  BOOST_TEST(one([&] { r.warn_like(1, "^sec"); }).pass);
  BOOST_TEST(one([&] { r.warn_nok(2); }).pass);  // no such element: undef
  BOOST_TEST(one([&] { r.warn_isnt(0, "second\n"); }).pass);
  BOOST_TEST(one([&] { r.warn_is_deeply({"first\n", "second\n"}); }).pass);
  auto e = one([&] { r.warn_is_deeply({"first\n", "other\n"}, "deeply"); });
  BOOST_TEST(!e.pass);
  BOOST_TEST(diagnostics(e) ==
             "    Structures begin differing at:\n"
             "         $got->[1] = \"second\\n\"\n"
             "    $expected->[1] = \"other\\n\"\n");
}

BOOST_AUTO_TEST_CASE(array_indices_follow_perl) {
  // t/09-array-accessor.t: a missing element is undef, a negative index
  // counts from the end.
  auto r = trap::trap([] {
    std::clog << "10\n"
              << "20\n"
              << "30\n";
  });
  BOOST_TEST(one([&] { r.test("warn_is", -1, "30\n"); }).pass);
  BOOST_TEST(one([&] { r.test("warn_is", -3, "10\n"); }).pass);
  BOOST_TEST(one([&] { r.test("warn_is", 7, nullptr); }).pass);
  BOOST_TEST(one([&] { r.test("warn_ok", -4); }).pass == false);
  BOOST_TEST(diagnostics(one([&] { r.warn_is(5, "x"); })) ==
             "         got: undef\n    expected: \"x\"\n");
}

BOOST_AUTO_TEST_CASE(array_test_without_index_is_a_usage_error) {
  auto r = trap::trap([] { std::clog << "w\n"; });
  BOOST_CHECK_THROW(r.test("warn_is", "w\n"), trap::UsageError);
  BOOST_CHECK_THROW(r.test("warn_ok"), trap::UsageError);
  BOOST_TEST(one([&] { r.test("warn_is", 0, "w\n"); }).pass);
}

BOOST_AUTO_TEST_CASE(too_many_arguments_is_a_usage_error) {
  auto r = trap::trap([] {});
  BOOST_CHECK_THROW(r.test("stdout_is", "", "name", "extra"), trap::UsageError);
}

BOOST_AUTO_TEST_CASE(unknown_method_lists_the_trappers_methods) {
  auto r = trap::trap([] {});
  try {
    r.test("stdout_iz", "x");
    BOOST_FAIL("no error");
  } catch (const trap::UsageError& e) {
    std::string what = e.what();
    BOOST_TEST(what.find("\"stdout_iz\"") != std::string::npos);
    BOOST_TEST(what.find("stdout_is, ") != std::string::npos);
    BOOST_TEST(what.find("did_exit") != std::string::npos);
    BOOST_TEST(what.find("quiet") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(die_isa_checks_the_dynamic_type) {
  auto r = trap::trap([] { throw std::out_of_range("range"); });
  BOOST_TEST(one([&] { r.die_isa<std::out_of_range>(); }).pass);
  BOOST_TEST(one([&] { r.die_isa<std::logic_error>(); }).pass);
  auto e = one([&] { r.die_isa<std::runtime_error>("runtime"); });
  BOOST_TEST(!e.pass);
  BOOST_TEST(diagnostics(e) ==
             "    The exception isn't a 'std::runtime_error'; it is a 'std::out_of_range': "
             "\"range\"\n");
  auto q = trap::trap([] { return 1; });
  BOOST_TEST(diagnostics(one([&] { q.die_isa<std::exception>(); })) ==
             "    Expecting to die(), but instead return()ed with 1\n");
}

BOOST_AUTO_TEST_CASE(events_carry_the_callers_location) {
  auto r = trap::trap([] {});
  const int line = __LINE__ + 1;
  auto e = one([&] { r.stdout_is(""); });
  BOOST_TEST(e.where.line() == static_cast<unsigned>(line));
  BOOST_TEST(std::string(e.where.file_name()).find("methods_test.cpp") != std::string::npos);
  const int line2 = __LINE__ + 1;
  auto e2 = one([&] { r.test("stdout_is", ""); });
  BOOST_TEST(e2.where.line() == static_cast<unsigned>(line2));
}

BOOST_AUTO_TEST_CASE(test_methods_return_their_verdict) {
  auto r = trap::trap([] { return 1; });
  bool pass = true, fail = true;
  trap::intercept([&] {
    pass = r.return_is(1);
    fail = r.return_is(2);
  });
  BOOST_TEST(pass);
  BOOST_TEST(!fail);
}

BOOST_AUTO_TEST_CASE(traps_and_tests_leave_errno_alone) {
  errno = EDOM;
  auto r = trap::trap([] {
    errno = EACCES;
    std::cout << "x";
  });
  BOOST_TEST(errno == EDOM);
  errno = ERANGE;
  trap::intercept([&] {
    r.stdout_is("y");
    r.stdout_like("x");
    r.did_die();
  });
  BOOST_TEST(errno == ERANGE);
}

BOOST_AUTO_TEST_CASE(diag_all_dumps_the_trap) {
  auto r = trap::trap([] {
    std::cout << "hi";
    std::clog << "w\n";
    return 42;
  });
  auto e = one([&] { r.diag_all(); });
  BOOST_TEST((e.kind == trap::Event::Kind::diag));
  BOOST_TEST(e.name ==
             "bless({\n"
             "  \"layers\"  => [\"default\"],\n"
             "  \"leaveby\" => \"return\",\n"
             "  \"return\"  => 42,\n"
             "  \"stderr\"  => \"w\\n\",\n"
             "  \"stdout\"  => \"hi\",\n"
             "  \"warn\"    => [\"w\\n\"],\n"
             "}, \"trap::standard\")");
  auto x = trap::trap(":flow:stdout(pipe)", [] { std::exit(3); });
  auto dump = one([&] { x.diag_all(); }).name;
  BOOST_TEST(dump.find("  \"exit\"    => 3,\n") != std::string::npos, dump);
  BOOST_TEST(dump.find("  \"layers\"  => [\"default\", \"flow\", \"stdout(pipe)\"],\n") !=
                 std::string::npos,
             dump);
}

BOOST_AUTO_TEST_CASE(diag_all_once_says_as_above_the_second_time) {
  auto r = trap::trap([] {});
  auto events = events_of([&] {
    r.diag_all_once();
    r.diag_all_once();
  });
  BOOST_REQUIRE_EQUAL(events.size(), 2u);
  BOOST_TEST(events[0].name.starts_with("bless({"));
  BOOST_TEST(events[1].name == "(as above)");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(boost_test_formatter_reports_passing_methods) {
  // Reported straight to Boost.Test: these count as assertions of this case.
  auto r = trap::trap([] {
    std::cout << "reported";
    return 7;
  });
  BOOST_TEST(r.stdout_is("reported", "stdout through Boost.Test"));
  BOOST_TEST(r.return_is(7));
  BOOST_TEST(r.did_return());
}

// A test method called without a name is named after the call, so that a
// report says which check failed (Test::Trap leaves it nameless).
BOOST_AUTO_TEST_CASE(default_names_describe_the_call) {
  auto r = trap::trap([] {
    std::cout << "usage: prog\n";
    trap::warn("deprecated\n");
    std::exit(1);
  });
  auto events = trap::intercept([&] {
    r.exit_is(1);
    r.stdout_like("^usage");
    r.did_exit();
    r.did_die();
    r.return_is(42);
    r.warn_like(0, "deprec");
    r.stdout_is("usage: prog\n");
    r.exit_ok();
    r.die_isa<std::runtime_error>();
    r.stdout_is(std::string(100, 'x'));
    r.stdout_like("a\nb");
  });
  std::vector<std::string> names;
  for (const auto& e : events) names.push_back(e.name);
  const std::vector<std::string> want{
      "exit_is(1)",
      "stdout_like(/^usage/)",
      "did_exit",
      "did_die",
      "return_is(42)",
      "warn_like(0, /deprec/)",
      "stdout_is(\"usage: prog\\n\")",
      "exit_ok",
      "die_isa(std::runtime_error)",
      "stdout_is(\"" + std::string(36, 'x') + "...)",
      "stdout_like(/a\\nb/)",
  };
  BOOST_TEST(names == want, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_given_name_is_kept) {
  auto r = trap::trap([] { return 1; });
  BOOST_TEST(one([&] { r.return_is(1, "mine"); }).name == "mine");
  BOOST_TEST(one([&] { r.did_return("mine too"); }).name == "mine too");
  BOOST_TEST(one([&] { r.test("return_is", 1, "by name"); }).name == "by name");
  BOOST_TEST(one([&] { r.test("return_is", 1); }).name == "return_is(1)");
}
