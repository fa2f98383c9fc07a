// SPDX-License-Identifier: BSL-1.0
// Links trap::process from an installed trap: a program run in a trap.
#include <trap/process.hpp>

int main() {
  auto r = trap::run({"sh", "-c", "echo hello; exit 4"});
  bool ok = r.exit_code() == 4 && r.out() == "hello\n";
  r.exit_is(4, "the program's exit code");
  r.stdout_is("hello\n", "its output");
  trap::done_testing();
  return ok ? 0 : 1;
}
