// SPDX-License-Identifier: BSL-1.0
// 01-synopsis: trap output, exceptions, exit() and return values, and test
// them with the generated test methods. A standalone TAP program: run it
// directly or through `prove`.
#include <cstdlib>
#include <iostream>
#include <stdexcept>

#include <trap/trap.hpp>

namespace {

// Code under test: prints, complains, exits.
int parse_args(int argc) {
  if (argc < 2) {
    std::cerr << "Bad parameters; exiting\n";
    std::exit(1);
  }
  std::cout << "parsed " << argc - 1 << " arguments\n";
  return argc - 1;
}

}  // namespace

int main() {
  auto r = trap::trap([] { return parse_args(1); });
  r.did_exit("too few arguments exits");
  r.exit_is(1, "exits with 1");
  r.stdout_is("", "prints nothing on stdout");
  r.stderr_like(R"(^Bad parameters; exiting\b)", "says why");

  auto ok = trap::trap([] { return parse_args(3); });
  ok.return_is(2, "returns the argument count");
  ok.stdout_is("parsed 2 arguments\n");
  trap::trap([] { return parse_args(2); }).stderr_is("", "no complaint on stderr");

  auto s = trap::trap<":flow:stderr">([] { throw std::runtime_error("boom"); });
  s.die_like("boom", "the exception's message");
  s.die_isa<std::runtime_error>("its type");

  auto q = trap::trap(":flow:stdout(pipe)", [] {
    std::cout << "through a pipe";
    return 42;
  });
  q.return_is(42);
  q.stdout_is("through a pipe");

  trap::note("the first trap exited with " + std::to_string(r.exit_code().value_or(-1)));
  // No done_testing() needed: at exit, trap prints the plan and, if a test
  // failed, sets the exit status to the number of failures (as Test::More).
  return 0;
}
