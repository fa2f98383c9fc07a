// SPDX-License-Identifier: BSL-1.0
// 03-trap-own-exit: a command-line program whose main logic calls exit()
// and prints; its own self-test traps every path in process, without a
// second process: exit() returns to the trap, atexit handlers do not run.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include <trap/trap.hpp>

namespace {

// The program's real entry point, as it would be in a CLI tool.
int tool_main(int argc, const char* const* argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0) {
    std::printf("usage: %s NAME\n", argv[0]);
    std::exit(argc < 2 ? 2 : 0);
  }
  if (std::string(argv[1]).empty()) {
    std::fprintf(stderr, "error: empty name\n");
    std::exit(1);
  }
  std::clog << "warning: greeting " << argv[1] << "\n";
  std::cout << "Hello, " << argv[1] << "!\n";
  return 0;
}

}  // namespace

int main() {
  std::atexit([] { std::puts("# atexit runs once, at the real end"); });

  auto usage = trap::trap([] {
    const char* argv[] = {"greet"};
    return tool_main(1, argv);
  });
  usage.exit_is(2, "no argument: exit 2");
  usage.stdout_like("^usage: greet NAME$", "prints usage");

  auto help = trap::trap([] {
    const char* argv[] = {"greet", "--help"};
    return tool_main(2, argv);
  });
  help.exit_is(0, "--help: exit 0");

  auto empty = trap::trap([] {
    const char* argv[] = {"greet", ""};
    return tool_main(2, argv);
  });
  empty.exit_is(1, "empty name: exit 1");
  empty.stderr_is("error: empty name\n");
  empty.stdout_is("");

  auto hello = trap::trap([] {
    const char* argv[] = {"greet", "world"};
    return tool_main(2, argv);
  });
  hello.did_return("a name: returns");
  hello.return_is(0);
  hello.stdout_is("Hello, world!\n");
  hello.warn_is(0, "warning: greeting world\n", "the warning is trapped");
  hello.stderr_is("warning: greeting world\n", "... and teed to stderr");

  // A real exit, outside any trap: the plan is printed then, and the status
  // becomes the number of failed tests if any failed.
  std::exit(0);
}
