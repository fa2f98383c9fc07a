// SPDX-License-Identifier: BSL-1.0
// A Boost.Test program using trap: each test case is one ctest test, only
// the case that fails on purpose fails, and the disabled one does not run.
#define BOOST_TEST_MODULE cases
#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>

BOOST_AUTO_TEST_SUITE(suite)

BOOST_AUTO_TEST_CASE(passes) {
  auto r = trap::trap([] { return 1; });
  r.return_is(1, "returns 1");
}

BOOST_AUTO_TEST_CASE(fails) {
  auto r = trap::trap([] { return 1; });
  r.return_is(2, "returns 2 (it does not, on purpose)");
}

// Disabled in Boost.Test: registered with ctest's DISABLED property.
BOOST_AUTO_TEST_CASE(disabled, *boost::unit_test::disabled()) { BOOST_TEST(false); }

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(top_level) {
  auto r = trap::trap([] { return 3; });
  r.did_return("returns");
}
