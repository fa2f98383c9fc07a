// SPDX-License-Identifier: BSL-1.0
// A deliberately failing TAP program of tests on trap::run traps: each
// failure shows the command line, how the program ended and the tail of
// its stderr, whatever bytes that holds. Its output is pinned by a golden
// file, and check_reports.py feeds it to prove (every diagnostic line
// stays a "# " line), TAP::Parser, PyYAML (TAP 14) and xmllint (JUnit).
//
// Usage: process_diagnostics_program [--tap14] [--junit FILE]
#include <chrono>
#include <cstring>
#include <string>

#include <trap/hub.hpp>
#include <trap/junit.hpp>
#include <trap/process.hpp>

using namespace std::chrono_literals;

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--tap14") == 0) trap::hub().format(trap::make_tap14_formatter());
    if (std::strcmp(argv[i], "--junit") == 0 && i + 1 < argc)
      trap::junit_report(trap::hub(), argv[++i]);
  }
  // One call a line: compilers differ on the line of a call that spans several.
  auto exit3 = trap::run({"sh", "-c", "seq 1 30 | sed 's/^/stderr line /' >&2; exit 3"});
  exit3.exit_is(0);                                                            // golden: exit3
  trap::run({"sh", "-c", "echo about to die >&2; kill -KILL $$"}).did_exit();  // golden: killed
  trap::run({"trap-no-such-program", "--flag"}).exit_is(0);                    // golden: missing
  trap::run({"sleep", "30"}, {.timeout = 100ms}).exit_is(0);                   // golden: timeout
  auto binary = trap::run(
      {"sh", "-c", "printf 'bin \\377\\376 \\033[31mred\\033[0m\\r\\n# not ok 9\\nlast' >&2"});
  binary.stderr_is("");  // golden: binary
  auto quoting = trap::run({"printf", "%s", "arg with space", "it's", "new\nline"});
  quoting.exit_is(1, "quoting");  // golden: quoting
  trap::run({"true"}).exit_is(0, "a passing test prints nothing more");
  return trap::done_testing();
}
