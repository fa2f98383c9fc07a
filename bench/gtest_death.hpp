// SPDX-License-Identifier: BSL-1.0
// GoogleTest as the benchmarks run its EXPECT_EXIT beside a fork trap.
#pragma once

#include <gtest/gtest.h>

namespace bench {

/// Death tests in the "fast" style (the child runs the statement straight
/// after fork, as a fork trap's child does), and no result printer:
/// GoogleTest's own report would only say that its one test ran; a failed
/// EXPECT_EXIT shows in RUN_ALL_TESTS()'s result. Call after
/// testing::InitGoogleTest().
inline void set_up_death_tests() {
  GTEST_FLAG_SET(death_test_style, "fast");
  testing::TestEventListeners& listeners = testing::UnitTest::GetInstance()->listeners();
  delete listeners.Release(listeners.default_result_printer());
}

}  // namespace bench
