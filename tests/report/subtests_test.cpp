// SPDX-License-Identifier: BSL-1.0
// Subtests: a child hub whose results become one result of the parent,
// the filters and listeners a subtest inherits, and subtests in TAP.
#define BOOST_TEST_MODULE subtests
#include <boost/test/unit_test.hpp>

#include <trap/boost_test.hpp>
#include <trap/hub.hpp>
#include <trap/trap.hpp>

#include "support/test_support.hpp"

BOOST_AUTO_TEST_CASE(parent_gets_one_result_with_the_subevents) {
  auto r = trap::trap([] { return 1; });
  auto events = trap::intercept([&] {
    bool passed = trap::subtest("inner", [&] {
      r.return_is(1, "one");
      r.did_return("returned");
    });
    BOOST_TEST(passed);
    trap::subtest("failing", [&] { r.return_is(2, "two"); });
  });
  // A note opens each subtest, then its result.
  BOOST_REQUIRE_EQUAL(events.size(), 4u);
  BOOST_TEST(events[0].name == "Subtest: inner");
  BOOST_TEST(events[1].name == "inner");
  BOOST_TEST(events[1].pass);
  BOOST_TEST(events[1].number == 1u);
  BOOST_REQUIRE_EQUAL(events[1].subevents.size(), 3u);  // two results and the plan
  BOOST_TEST(events[1].subevents[1].name == "returned");
  BOOST_TEST((events[1].subevents[2].kind == trap::Event::Kind::plan));
  BOOST_TEST(!events[3].pass);
  BOOST_TEST(events[3].number == 2u);
}

BOOST_AUTO_TEST_CASE(empty_or_throwing_subtests_fail) {
  auto events = trap::intercept([] {
    trap::subtest("empty", [] {});
    trap::subtest("throws", [] {
      trap::trap([] {}).did_return();
      throw std::runtime_error("oops");
    });
    trap::subtest("skipped", [] { trap::current_hub().plan("SKIP"); });
  });
  BOOST_REQUIRE_EQUAL(events.size(), 6u);
  BOOST_TEST(!events[1].pass);
  BOOST_TEST(test_support::diagnostics(events[1]) == "    No tests run for subtest \"empty\"\n");
  BOOST_TEST(!events[3].pass);
  BOOST_TEST(test_support::diagnostics(events[3]) == "    The subtest threw: oops\n");
  BOOST_TEST(events[5].pass);
}

BOOST_AUTO_TEST_CASE(inherited_filters_and_listeners_reach_subtests) {
  int inherited = 0, local = 0;
  auto r = trap::trap([] {});
  auto events = trap::intercept([&] {
    trap::Hub& h = trap::current_hub();
    h.listen([&](trap::Hub&, const trap::Event&, std::size_t) { ++inherited; }, true);
    h.listen([&](trap::Hub&, const trap::Event&, std::size_t) { ++local; });
    h.filter(
        [](trap::Hub&, trap::Event e) -> std::optional<trap::Event> {
          if (e.name == "hidden") return std::nullopt;
          return e;
        },
        true);
    trap::subtest("sub", [&] {
      r.did_return("seen");
      r.did_return("hidden");
    });
  });
  BOOST_REQUIRE_EQUAL(events.size(), 2u);
  BOOST_TEST(events[1].pass);
  BOOST_REQUIRE_EQUAL(events[1].subevents.size(), 2u);  // "seen" and the plan
  BOOST_TEST(events[1].subevents[1].count == 1u);
  BOOST_TEST(local == 2);      // the parent's note and result
  BOOST_TEST(inherited == 4);  // those, and the subtest's result and plan
}

BOOST_AUTO_TEST_CASE(tap_shows_subtests_indented) {
  auto child = test_support::in_child([] {
    trap::hub().format(trap::make_tap_formatter());
    auto r = trap::trap([] { return 1; });
    r.did_return("top");
    trap::subtest("outer", [&] {
      r.return_is(1, "in outer");
      trap::subtest("inner", [&] { r.return_is(2, "in inner"); });
    });
    std::exit(trap::done_testing());
  });
  BOOST_TEST(child.exited(1));
  BOOST_TEST(child.out ==
             "ok 1 - top\n"
             "# Subtest: outer\n"
             "    ok 1 - in outer\n"
             "    # Subtest: inner\n"
             "        not ok 1 - in inner\n"
             "        1..1\n"
             "    not ok 2 - inner\n"
             "    1..2\n"
             "not ok 2 - outer\n"
             "1..2\n");
}
