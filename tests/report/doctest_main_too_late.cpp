// SPDX-License-Identifier: BSL-1.0
// Does not compile: TRAP_DOCTEST_MAIN must come before <doctest/doctest.h>
// to give the program doctest's implementation; the error says so.
#include <doctest/doctest.h>

#define TRAP_DOCTEST_MAIN
#include <trap/doctest.hpp>
