// SPDX-License-Identifier: BSL-1.0
// Links trap::trap from an installed trap: traps one print and tests it with
// a regex (Boost.Regex is built into trap: the consumer needs no Boost).
#include <iostream>

#include <trap/trap.hpp>

int main() {
  auto r = trap::trap([] {
    std::cout << "hi";
    return 1;
  });
  bool ok = r.out() == "hi";
  ok = r.stdout_like("^h", "a regex test") && ok;
  trap::done_testing();
  return ok ? 0 : 1;
}
