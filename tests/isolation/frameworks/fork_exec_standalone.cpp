// SPDX-License-Identifier: BSL-1.0
// fork(exec) in a program without a framework adapter: nothing can run the
// test again, and the trap says so and which headers would.
#include <cstdlib>
#include <iostream>

#include <trap/trap.hpp>

int main() {
  try {
    auto r = trap::trap<":fork(exec)">([] { std::exit(1); });
    std::cout << "trapped: " << r.leaveby() << "\n";
  } catch (const trap::TrapError& e) {
    std::cout << "TrapError: " << e.what() << "\n";
  }
  trap::pass("the program goes on");
}
