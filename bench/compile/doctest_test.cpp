// SPDX-License-Identifier: BSL-1.0
// Compile-time row of scripts/bench: doctest's peer of trap_test.cpp, one
// TEST_CASE with one CHECK (the runner's implementation is compiled
// elsewhere). Compiled, never linked or run.
#include <doctest/doctest.h>

TEST_CASE("one check") { CHECK(1 + 1 == 2); }
