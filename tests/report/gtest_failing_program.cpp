// SPDX-License-Identifier: BSL-1.0
// A GoogleTest program with one deliberately failing trap check: its whole
// output, pinned by golden/gtest.out and .err, shows the failure at the
// line marked "golden: failing_check" with trap's diagnostics, and the
// passing checks pass.
#include <iostream>

#include <gtest/gtest.h>

#include <trap/gtest.hpp>

TEST(Trap, FailsWithDiagnostics) {
  auto r = trap::trap([] { std::cout << "actual output\n"; });
  r.stdout_is("actual output\n", "passing check");
  r.stdout_is("expected output\n", "deliberately failing check");  // golden: failing_check
}

TEST(Trap, Passes) {
  auto r = trap::trap([] { std::exit(3); });
  EXPECT_TRUE(r.exit_is(3, "exit code"));
  EXPECT_TRUE(r.did_exit());
}
