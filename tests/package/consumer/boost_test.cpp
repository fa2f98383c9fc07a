// SPDX-License-Identifier: BSL-1.0
// Links trap::boost_test from an installed trap: one Boost.Test case.
#define BOOST_TEST_MODULE consumer
#include <iostream>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/trap.hpp>

BOOST_AUTO_TEST_CASE(traps_stdout) {
  auto r = trap::trap([] { std::cout << "hi"; });
  BOOST_TEST(r.out() == "hi");
  r.stdout_is("hi", "stdout_is reports as a Boost.Test check");
}

BOOST_AUTO_TEST_CASE(death_test_with_the_fork_layer) {
  auto r = trap::trap<":fork">([] {
    std::cerr << "giving up\n";
    std::abort();
  });
  r.did_signal();
  r.signal_is(6);
  r.stderr_is("giving up\n");
}
