// SPDX-License-Identifier: BSL-1.0
// A Boost.Test program with deliberately failing trap checks: its whole
// output, pinned by golden/boost_test.out and .err, shows each failure at
// the line marked "golden: NAME" with trap's diagnostics (a plain
// assertion's, trap::like, too), and the passing checks counted as
// assertions.
#define BOOST_TEST_MODULE boost_failing
#include <iostream>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>

BOOST_AUTO_TEST_CASE(fails_with_diagnostics) {
  auto r = trap::trap([] { std::cout << "actual output\n"; });
  r.stdout_is("actual output\n", "passing check");
  r.stdout_is("expected output\n", "deliberately failing check");  // golden: failing_check
}

BOOST_AUTO_TEST_CASE(fails_inside_a_trap) {
  // Boost.Test's own log goes past the capture: this failure is shown,
  // and the trap's stdout holds only what the code printed.
  auto r = trap::trap([] {
    std::cout << "code output";
    BOOST_TEST(1 == 2);  // golden: failing_boost_test
  });
  r.stdout_is("code output", "the log did not land in the capture");
}

BOOST_AUTO_TEST_CASE(plain_assertion_is_a_check) {
  trap::like("abc", "^z", "plain like");  // golden: plain_like
}

BOOST_AUTO_TEST_CASE(subtest_reports_nested_checks) {
  auto r = trap::trap([] { return 3; });
  trap::subtest("a subtest", [&] {  // golden: subtest
    r.return_is(3, "nested passing check");
    r.return_is(4, "nested failing check");  // golden: nested_failing_check
  });
}
