// Links trap::boost_test from an installed trap: one Boost.Test case.
#define BOOST_TEST_MODULE consumer
#include <boost/test/unit_test.hpp>
#include <iostream>
#include <trap/boost_test.hpp>
#include <trap/trap.hpp>

BOOST_AUTO_TEST_CASE(traps_stdout) {
  auto r = trap::trap([] { std::cout << "hi"; });
  BOOST_TEST(r.out() == "hi");
  r.stdout_is("hi", "stdout_is reports as a Boost.Test check");
}
