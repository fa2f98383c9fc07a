// SPDX-License-Identifier: BSL-1.0
// A standalone program in the Test::More style: TAP on stdout, failure
// diagnostics and comments on stderr, the exit status the number of
// failures. Its whole output is pinned by golden/tap.out and golden/tap.err;
// a line marked "golden: NAME" is where a failure must be reported from.
// With --junit FILE it also writes a JUnit report.
#include <cstring>
#include <iostream>

#include <trap/hub.hpp>
#include <trap/junit.hpp>
#include <trap/trap.hpp>

int main(int argc, char** argv) {
  trap::hub().format(trap::make_tap_formatter());
  if (argc == 3 && std::strcmp(argv[1], "--junit") == 0) trap::junit_report(trap::hub(), argv[2]);
  auto r = trap::trap([] {
    std::cout << "y";
    return 1;
  });
  r.stdout_is("y", "stdout is y");
  r.stdout_is("x", "stdout is x");  // golden: stdout_is_x
  r.did_exit();                     // golden: did_exit
  r.return_is(1, "name with # hash");
  trap::diag("a diagnostic\nover two lines");
  trap::note("a note");
  // A test method inside an active capture still reports to the real stdout.
  auto outer = trap::trap([&] {
    std::cout << "captured";
    r.did_return("inside a capture");
  });
  outer.stdout_is("captured", "the capture saw only its own output");
  return trap::done_testing();
}
