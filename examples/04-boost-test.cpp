// SPDX-License-Identifier: BSL-1.0
// 04-boost-test: trap inside a Boost.Test program. Including
// <trap/boost_test.hpp> turns every test method into a Boost.Test check at
// the caller's line; failures carry trap's diagnostics.
//! [synopsis]
#define BOOST_TEST_MODULE trap_example
#include <iostream>
#include <stdexcept>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>

BOOST_AUTO_TEST_CASE(output_and_exit) {
  auto r = trap::trap([] {
    std::cout << "working\n";
    std::exit(0);
  });
  r.did_exit();
  r.exit_is(0);
  r.stdout_is("working\n");
}
//! [synopsis]

BOOST_AUTO_TEST_CASE(exceptions) {
  auto r = trap::trap([] { throw std::out_of_range("index 7"); });
  r.die_isa<std::logic_error>("out_of_range is a logic_error");
  r.die_like(R"(index \d+)");
  BOOST_TEST(r.die_type() == "std::out_of_range");
}
