// SPDX-License-Identifier: BSL-1.0
// Compile-time row of scripts/bench: Catch2 2's peer of trap_test.cpp, one
// TEST_CASE with one CHECK (main compiled elsewhere). Compiled, never linked
// or run.
#include <catch2/catch.hpp>

TEST_CASE("one check") { CHECK(1 + 1 == 2); }
