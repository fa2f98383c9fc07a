// SPDX-License-Identifier: BSL-1.0
// Links trap::trap from an installed trap and traps one print.
#include <iostream>

#include <trap/trap.hpp>

int main() {
  auto r = trap::trap([] {
    std::cout << "hi";
    return 1;
  });
  return r.out() == "hi" ? 0 : 1;
}
