// SPDX-License-Identifier: BSL-1.0
// A Boost.Test program with trap subtests: trap's selection variables
// leave it alone (Boost.Test's own options choose its cases), and
// trap_discover_tests(... BOOST_TEST) registers its cases one by one.
#define BOOST_TEST_MODULE selection_boost
#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>

BOOST_AUTO_TEST_SUITE(suite)

BOOST_AUTO_TEST_CASE(first) {
  trap::subtest("first subtest", [] {
    auto r = trap::trap([] { return 1; });
    r.did_return("first returns");
  });
}

BOOST_AUTO_TEST_CASE(second) {
  trap::subtest("second subtest", [] {
    auto r = trap::trap([] { return 2; });
    r.did_return("second returns");
  });
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(top_case) {
  auto r = trap::trap([] { return 3; });
  r.did_return("top returns");
}
