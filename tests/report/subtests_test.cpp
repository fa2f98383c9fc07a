// SPDX-License-Identifier: BSL-1.0
// Subtests: a child hub whose results become one result of the parent,
// the filters and listeners a subtest inherits, subtests in TAP, and
// subtests, intercepts and todos left by a jump out of a trap.
#define BOOST_TEST_MODULE subtests
#include <unistd.h>

#include <cstdlib>

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
  BOOST_TEST(events[5].skip == "1");  // Test::Builder's reason for a skip without one
  BOOST_TEST(events[5].name == "skipped");
}

// As Test::More's `plan skip_all => reason` in a subtest: the subtest's
// plan and its result carry the reason.
BOOST_AUTO_TEST_CASE(a_subtest_skipped_with_a_reason_is_a_skip_for_that_reason) {
  auto events = trap::intercept(
      [] { trap::subtest("skipped", [] { trap::current_hub().plan("SKIP", "no database"); }); });
  BOOST_REQUIRE_EQUAL(events.size(), 2u);
  BOOST_TEST(events[1].pass);
  BOOST_TEST(events[1].skip == "no database");
  BOOST_REQUIRE_EQUAL(events[1].subevents.size(), 1u);
  BOOST_TEST(events[1].subevents[0].name == "SKIP no database");
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

BOOST_AUTO_TEST_CASE(a_bail_out_inside_fails_the_subtest) {
  auto events = trap::intercept([] {
    trap::subtest("gives up", [] {
      trap::ok(true, "fine so far");
      trap::bail_out("cannot go on");
      trap::ok(true, "intercept() does not end the program");
    });
  });
  // The subtest's hub hands the bail-out to intercept()'s, which records it.
  BOOST_REQUIRE_EQUAL(events.size(), 3u);
  BOOST_TEST((events[1].kind == trap::Event::Kind::bail));
  BOOST_TEST(events[1].name == "cannot go on");
  BOOST_TEST(events[2].name == "gives up");
  BOOST_TEST(!events[2].pass);
  BOOST_REQUIRE_EQUAL(events[2].subevents.size(), 4u);  // ok, bail, ok, plan
  BOOST_TEST((events[2].subevents[1].kind == trap::Event::Kind::bail));
}

// An exit() or a timeout that a trap catches jumps past the code that ends
// a subtest(), intercept() or todo() inside the trap. Each is ended as it
// would have been: no TODO mark, hub or dead subtest outlives the trap.
BOOST_AUTO_TEST_SUITE(left_by_a_jump)

BOOST_AUTO_TEST_CASE(todo_left_by_exit_marks_nothing_after_the_trap) {
  auto events = trap::intercept([] {
    auto r = trap::trap([] {
      trap::todo("later", [] {
        trap::ok(false, "inside");
        std::exit(2);
      });
    });
    BOOST_TEST(r.exit_code() == 2);
    trap::ok(false, "after");
  });
  BOOST_REQUIRE_EQUAL(events.size(), 2u);
  BOOST_TEST(events[0].todo == "later");
  BOOST_TEST(events[1].name == "after");
  BOOST_TEST(events[1].todo.empty());  // a failure that counts
  BOOST_TEST(!events[1].pass);
}

BOOST_AUTO_TEST_CASE(subtest_left_by_exit_fails_and_the_parent_goes_on) {
  auto events = trap::intercept([] {
    auto r = trap::trap([] {
      trap::subtest("dies", [] {
        trap::ok(true, "inside");
        std::exit(2);
      });
    });
    BOOST_TEST(r.exit_code() == 2);
    trap::ok(true, "after");
  });
  BOOST_REQUIRE_EQUAL(events.size(), 3u);
  BOOST_TEST(events[0].name == "Subtest: dies");
  BOOST_TEST(events[1].name == "dies");
  BOOST_TEST(!events[1].pass);
  BOOST_REQUIRE_EQUAL(events[1].diagnostics.size(), 1u);
  BOOST_TEST(events[1].diagnostics[0] ==
             "    The subtest was left by a jump (an exit() or a timeout that a trap caught) "
             "before it ended");
  BOOST_TEST(events[2].name == "after");  // reported here, not in the dead subtest
  BOOST_TEST(events[2].nesting == 0u);
}

BOOST_AUTO_TEST_CASE(subtest_left_by_a_timeout_fails) {
  auto events = trap::intercept([] {
    auto r = trap::trap(":timeout(50)", [] {
      trap::subtest("slow", [] {
        trap::ok(true, "inside");
        for (;;) ::pause();  // until the timeout's signal jumps out
      });
    });
    BOOST_TEST(r.leaveby() == "timeout");
    trap::ok(true, "after");
  });
  BOOST_REQUIRE_EQUAL(events.size(), 3u);
  BOOST_TEST(events[1].name == "slow");
  BOOST_TEST(!events[1].pass);
  BOOST_TEST(events[2].name == "after");
}

BOOST_AUTO_TEST_CASE(intercept_left_by_exit_gives_the_hub_back) {
  auto outer = trap::intercept([] {
    auto r = trap::trap([] {
      (void)trap::intercept([] {
        trap::ok(true, "kept by the inner intercept");
        std::exit(2);
      });
    });
    BOOST_TEST(r.exit_code() == 2);
    trap::ok(true, "after");
  });
  BOOST_REQUIRE_EQUAL(outer.size(), 1u);
  BOOST_TEST(outer[0].name == "after");
}

BOOST_AUTO_TEST_CASE(nothing_is_left_open) {
  {
    auto warm = trap::intercept([] { trap::ok(true); });
  }
  const int fds = test_support::count_fds();
  for (int i = 0; i < 20; ++i) {
    auto events = trap::intercept([] {
      auto r = trap::trap(
          [] { trap::subtest("s", [] { (void)trap::intercept([] { std::exit(2); }); }); });
    });
  }
  BOOST_TEST(test_support::count_fds() == fds);  // each hub's results file closed
}

BOOST_AUTO_TEST_SUITE_END()
