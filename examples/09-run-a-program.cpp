// SPDX-License-Identifier: BSL-1.0
// 09-run-a-program: tests a real command-line program, examples/greet,
// through trap::run: its exit code, stdout and stderr, with input on stdin
// and a variable in its environment.
#include <string>

#include <trap/process.hpp>

#ifndef GREET_PATH
#error "GREET_PATH: the path of the greet program"
#endif

int main() {
  const std::string greet = GREET_PATH;

  auto hello = trap::run({greet, "World"});
  hello.exit_is(0, "greet World succeeds");
  hello.stdout_is("Hello, World!\n", "and greets");
  hello.stderr_nok("quietly");

  auto usage = trap::run({greet});
  usage.exit_is(2, "no argument is a usage error");
  usage.stderr_like("^usage: greet", "explained on stderr");
  usage.stdout_is("", "with nothing on stdout");

  auto lines = trap::run({greet, "--stdin"}, {.input = "Ada\nGrace\n"});
  lines.stdout_is("Hello, Ada!\nHello, Grace!\n", "greets each line of its input");

  auto missing = trap::run({"greet-is-not-on-the-path"});
  missing.did_die("a program that cannot start is a die");
  missing.die_like("cannot start \"greet-is-not-on-the-path\"", "naming it");
  return 0;  // the exit status still counts the failures
}
