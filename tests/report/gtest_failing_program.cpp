// SPDX-License-Identifier: BSL-1.0
// A GoogleTest program with deliberate failures: its whole output, pinned
// by golden/gtest.out and .err, shows a failing trap check at the line
// marked "golden: failing_check" with trap's diagnostics, the message of an
// EXPECT_EQ that fails inside a trap (not captured into the trap's stdout),
// and a failing plain assertion (trap::is) as a GoogleTest failure; the
// passing checks pass. A bail-out is a fatal GoogleTest failure.
#include <iostream>

#include <gtest/gtest.h>

#include <trap/gtest.hpp>

TEST(Trap, FailsWithDiagnostics) {
  auto r = trap::trap([] { std::cout << "actual output\n"; });
  r.stdout_is("actual output\n", "passing check");
  r.stdout_is("expected output\n", "deliberately failing check");  // golden: failing_check
}

TEST(Trap, ExpectInsideTrapIsShown) {
  auto r = trap::trap([] {
    std::cout << "code output\n";
    EXPECT_EQ(1, 2) << "a failure inside the trap";  // golden: expect_inside
  });
  r.stdout_is("code output\n", "the failure message is not captured");
}

TEST(Trap, PlainAssertion) {
  trap::is(1, 2, "plain is");  // golden: plain_is
}

TEST(Trap, BailOutIsAFatalFailureAndReturns) {
  trap::bail_out("the database is gone");  // golden: bail_out
  trap::ok(true, "bail_out() returned: GoogleTest ends the run, not trap");
}

TEST(Trap, Passes) {
  auto r = trap::trap([] { std::exit(3); });
  EXPECT_TRUE(r.exit_is(3, "exit code"));
  EXPECT_TRUE(r.did_exit());
}
