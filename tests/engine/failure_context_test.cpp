// SPDX-License-Identifier: BSL-1.0
// Trap::failure_context(): lines every failing test method on a trap adds
// to its diagnostics (trap::run's command line and stderr go this way).
#define BOOST_TEST_MODULE engine_failure_context
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/trap.hpp>

using Lines = std::vector<std::string>;

namespace {

trap::Trap returning_42() {
  auto r = trap::trap([] { return 42; });
  r.failure_context(
      [](const trap::Trap& t) { return Lines{"    context of a trap left by " + t.leaveby()}; });
  return r;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_failing_test_ends_with_the_context) {
  auto r = returning_42();
  auto events = trap::intercept([&] { r.return_is(41); });
  BOOST_REQUIRE_EQUAL(events.size(), 1u);
  BOOST_TEST(events[0].diagnostics == (Lines{"         got: 42", "    expected: 41",
                                             "    context of a trap left by return"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(every_way_of_failing_carries_it) {
  auto r = returning_42();
  auto events = trap::intercept([&] {
    r.did_die();       // a did_ test
    r.exit_is(0);      // a flow accessor's wrong-leaveby failure
    r.die_isa<int>();  // die_isa
    r.test("leaveby_like", "^die");
  });
  BOOST_REQUIRE_EQUAL(events.size(), 4u);
  for (auto& e : events) {
    BOOST_TEST(!e.pass);
    BOOST_TEST(e.diagnostics.back() == "    context of a trap left by return");
  }
}

BOOST_AUTO_TEST_CASE(quiet_carries_it) {
  auto r = trap::trap([] { std::cout << "noise\n"; });
  r.failure_context([](const trap::Trap&) { return Lines{"ctx"}; });
  auto events = trap::intercept([&] { r.quiet(); });
  BOOST_REQUIRE_EQUAL(events.size(), 1u);
  BOOST_REQUIRE(!events[0].pass);
  BOOST_TEST(events[0].diagnostics.back() == "ctx");
}

BOOST_AUTO_TEST_CASE(passing_tests_never_call_it) {
  auto r = trap::trap([] { return 42; });
  int calls = 0;
  r.failure_context([&](const trap::Trap&) {
    ++calls;
    return Lines{"ctx"};
  });
  auto events = trap::intercept([&] {
    r.return_is(42);
    r.did_return();
  });
  BOOST_TEST(calls == 0);
  for (auto& e : events) BOOST_TEST(e.diagnostics.empty());
}

BOOST_AUTO_TEST_CASE(an_empty_function_removes_it_and_copies_share_it) {
  auto r = returning_42();
  trap::Trap copy = r;
  copy.failure_context({});
  auto events = trap::intercept([&] { r.return_is(1); });
  BOOST_TEST(events.at(0).diagnostics == (Lines{"         got: 42", "    expected: 1"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(it_comes_before_the_on_fail_method) {
  auto r = trap::trap(":on_fail(diag_all)", [] { return 42; });
  r.failure_context([](const trap::Trap&) { return Lines{"ctx"}; });
  auto events = trap::intercept([&] { r.return_is(1); });
  BOOST_REQUIRE_EQUAL(events.size(), 2u);
  BOOST_TEST(events[0].diagnostics.back() == "ctx");
  BOOST_TEST((events[1].kind == trap::Event::Kind::diag));
}

BOOST_AUTO_TEST_CASE(an_exception_from_it_leaves_the_test_method) {
  auto r = trap::trap([] { return 42; });
  r.failure_context([](const trap::Trap&) -> Lines { throw std::runtime_error("no context"); });
  BOOST_CHECK_THROW(trap::intercept([&] { r.return_is(1); }), std::runtime_error);
}
