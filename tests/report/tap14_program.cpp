// SPDX-License-Identifier: BSL-1.0
// A standalone TAP 14 program: prove must accept it; with --fail it adds one
// deliberately failing check; with --junit FILE it also writes a JUnit
// report. With --fail --junit, golden/tap14.out and golden/junit.xml pin
// what it writes (the YAML blocks and the report name the marked lines).
#include <cstring>
#include <iostream>

#include <trap/hub.hpp>
#include <trap/junit.hpp>
#include <trap/trap.hpp>

int main(int argc, char** argv) {
  trap::hub().format(trap::make_tap14_formatter());
  bool fail = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--fail") == 0) fail = true;
    if (std::strcmp(argv[i], "--junit") == 0 && i + 1 < argc)
      trap::junit_report(trap::hub(), argv[++i]);
  }
  auto r = trap::trap([] {
    std::cout << "actual output\n";
    return 1;
  });
  r.stdout_is("actual output\n", "stdout");
  trap::subtest("a subtest", [&] {
    r.did_return("returned");
    r.return_is(1, "one");
  });
  trap::todo("later", [&] { r.return_is(2, "not yet"); });  // golden: todo
  trap::skip("not on this machine");
  if (fail) {
    r.stdout_is("expected output\n", "deliberately failing check");  // golden: failing_check
  }
  return trap::done_testing();
}
