// SPDX-License-Identifier: BSL-1.0
// Compile-time row of scripts/bench: GoogleTest's peer of trap_test.cpp, one
// TEST with one EXPECT (main from gtest_main). Compiled, never linked or run.
#include <gtest/gtest.h>

TEST(compile, one_expect) { EXPECT_EQ(1 + 1, 2); }
