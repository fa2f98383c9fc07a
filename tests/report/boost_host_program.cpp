// SPDX-License-Identifier: BSL-1.0
// A Boost.Test program whose failures come from the hub itself: the
// host-framework test runs each case alone and checks that Boost.Test
// counts every one, or that the exit status shows it.
#define BOOST_TEST_MODULE boost_host
#include <stdexcept>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/hub.hpp>
#include <trap/junit.hpp>

BOOST_AUTO_TEST_CASE(listener_error_fails_the_case) {
  auto handle = trap::hub().listen([](trap::Hub&, const trap::Event&, std::size_t) {
    throw std::runtime_error("listener broke");
  });
  auto r = trap::trap([] { return 1; });
  r.did_return("reported while a listener throws");
  trap::hub().unlisten(handle);
}

BOOST_AUTO_TEST_CASE(junit_unwritable_at_end) {
  trap::junit_report(trap::hub(), "/nonexistent-dir/results.xml");
  auto r = trap::trap([] { return 1; });
  r.did_return("passes");
}

BOOST_AUTO_TEST_CASE(passes) {
  auto r = trap::trap([] { return 1; });
  r.did_return("passes");
}

BOOST_AUTO_TEST_CASE(check_inside_a_fork_trap_fails) {
  auto r = trap::trap<":fork">([] {
    BOOST_CHECK_EQUAL(1, 2);
    return 3;
  });
  r.return_is(3, "the child returned");
}
