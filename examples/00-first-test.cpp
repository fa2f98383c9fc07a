// SPDX-License-Identifier: BSL-1.0
// 00-first-test: a first test in a standalone program, no test framework:
// trap code that prints and exits, test what happened; the results are TAP
// (run it directly or through `prove`).
//! [synopsis]
#include <cstdlib>
#include <iostream>

#include <trap/trap.hpp>

int main() {
  auto r = trap::trap([] {
    std::cerr << "usage: tool FILE\n";
    std::exit(2);
  });
  r.did_exit();                  // ok 1 - did_exit
  r.exit_is(2, "exits with 2");  // ok 2 - exits with 2
  r.stderr_like("^usage: ");     // ok 3 - stderr_like(/^usage: /)
  r.stdout_is("");               // ok 4 - stdout_is("")
  trap::is(r.out(), "", "Test::More's plain assertions work too");
  return trap::done_testing();  // 1..5, and the exit status Test::More would give
}
//! [synopsis]
