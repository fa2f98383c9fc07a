// SPDX-License-Identifier: BSL-1.0
// Compile-time row of scripts/bench: trap_test.cpp without <iostream>, its
// trapped code writing with std::puts (as doctest's and Catch2's files
// include no <iostream>). Compiled, never linked or run.
#include <cstdio>

#include <trap/trap.hpp>

int main() {
  auto r = trap::trap([] { std::puts("hello"); });
  r.stdout_is("hello\n");
  return trap::done_testing();
}
