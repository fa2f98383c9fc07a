// SPDX-License-Identifier: BSL-1.0
// A doctest CHECK that fails in a fork trap's child fails the test case in
// the parent (report_doctest_check_in_a_fork_trap_fails).
#define TRAP_DOCTEST_MAIN
#include <trap/doctest.hpp>

TEST_CASE("a CHECK in a fork trap") {
  auto r = trap::trap<":fork">([] {
    CHECK(1 == 2);
    return 3;
  });
  r.return_is(3, "the child returned");
}

TEST_CASE("passes") { CHECK(true); }
