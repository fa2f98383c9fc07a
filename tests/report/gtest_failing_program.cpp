// A GoogleTest program with one deliberately failing trap check: ctest
// checks that GoogleTest reports it at this file's line with trap's
// diagnostics, and that the passing checks pass.
#include <gtest/gtest.h>

#include <iostream>

#include <trap/gtest.hpp>

TEST(Trap, FailsWithDiagnostics) {
  auto r = trap::trap([] { std::cout << "actual output\n"; });
  r.stdout_is("actual output\n", "passing check");
  r.stdout_is("expected output\n", "deliberately failing check");
}

TEST(Trap, Passes) {
  auto r = trap::trap([] { std::exit(3); });
  EXPECT_TRUE(r.exit_is(3, "exit code"));
  EXPECT_TRUE(r.did_exit());
}
