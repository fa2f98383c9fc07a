// SPDX-License-Identifier: BSL-1.0
// A Catch2 program with deliberate failures: its whole output, pinned by
// golden/catch2.out and .err, shows a failing trap check and a CHECK that
// fails inside a trap at the lines marked "golden: NAME", trap's
// diagnostics, the passing checks counted as assertions, and an error of
// trap's hub failing the test case.
#include <cstdlib>
#include <iostream>
#include <stdexcept>

#include <trap/catch2.hpp>
#include <trap/hub.hpp>

TEST_CASE("fails with diagnostics") {
  auto r = trap::trap([] { std::cout << "actual output\n"; });
  r.stdout_is("actual output\n", "passing check");                 // golden: passing_check
  r.stdout_is("expected output\n", "deliberately failing check");  // golden: failing_check
}

TEST_CASE("fails inside a trap") {
  // Catch2's report goes past the capture: this failure is shown, and the
  // trap's stdout holds only what the code printed.
  auto r = trap::trap([] {
    std::cout << "code output";
    CHECK(1 == 2);  // golden: failing_catch2_check
  });
  r.stdout_is("code output", "the report did not land in the capture");
}

TEST_CASE("passes") {
  auto r = trap::trap([] { std::exit(3); });
  CHECK(r.exit_is(3, "exit code"));
  r.did_exit();
}

TEST_CASE("subtests, todo, skip and diag") {
  auto r = trap::trap([] { return 3; });
  trap::subtest("a subtest", [&] {  // golden: subtest
    r.return_is(3, "nested passing check");
    r.return_is(4, "nested failing check");  // golden: nested_failing_check
  });
  trap::todo("not done yet", [&] { r.return_is(5, "todo check"); });  // golden: todo
  trap::skip("no network here");                                      // golden: skip
  trap::diag("a diagnostic message");                                 // golden: diag
}

TEST_CASE("an error of the hub fails the test case") {
  auto handle = trap::hub().listen([](trap::Hub&, const trap::Event&, std::size_t) {
    throw std::runtime_error("listener broke");
  });
  auto r = trap::trap([] { return 1; });
  r.did_return("reported while a listener throws");
  trap::hub().unlisten(handle);
}

// With TRAP_TEST_REPORT_OUTSIDE set, a test result is reported before Catch2
// runs, outside any test case: a hub error, printed and making the exit
// status 255.
namespace {
struct ReportOutside {
  ReportOutside() {
    if (std::getenv("TRAP_TEST_REPORT_OUTSIDE"))
      trap::trap([] { return 1; }).did_return("reported outside a test case");
  }
} report_outside;
}  // namespace

// Hidden, run by name: a CHECK that fails in a fork trap's child fails the
// test case in the parent.
TEST_CASE("a CHECK in a fork trap", "[.]") {
  auto r = trap::trap<":fork">([] {
    CHECK(1 == 2);
    return 3;
  });
  r.return_is(3, "the child returned");
}
