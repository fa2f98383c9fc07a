// SPDX-License-Identifier: BSL-1.0
// Compile-time row of scripts/bench: a test file with one trap and one test
// method, as a user writes it. Compiled, never linked or run.
#include <iostream>

#include <trap/trap.hpp>

int main() {
  auto r = trap::trap([] { std::cout << "hello\n"; });
  r.stdout_is("hello\n");
  return trap::done_testing();
}
