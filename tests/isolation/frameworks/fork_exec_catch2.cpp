// SPDX-License-Identifier: BSL-1.0
// fork(exec) in a Catch2 program: each trap re-runs the current test case
// alone in a new process, found by its name (special characters escaped),
// its sections taking the same path as in the first run.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include <trap/catch2.hpp>

namespace {
const int parent = ::getpid();
}

TEST_CASE("death in a new process") {
  auto r = trap::trap<":fork(exec)">([] {
    std::cout << "pid " << ::getpid();
    std::fprintf(stderr, "fatal\n");
    std::abort();
  });
  r.leaveby_is("signal");
  CHECK(r.signal() == SIGABRT);
  CHECK(r.out() != "pid " + std::to_string(parent));
  CHECK(r.out().rfind("pid ", 0) == 0u);
  r.stderr_is("fatal\n");
}

TEST_CASE("a name with, [brackets] \"quotes\" and * \\ ~ in it") {
  auto r = trap::trap<":fork(exec)">([] { std::exit(5); });
  r.exit_is(5);
}

TEST_CASE("a name with") {  // a prefix of the one above: must not be run for it
  auto r = trap::trap<":fork(exec)">([] { std::exit(6); });
  r.exit_is(6);
}

TEST_CASE("sections") {
  auto first = trap::trap<":fork(exec)">([] { return 1; });
  first.return_is(1);
  SECTION("one") {
    auto r = trap::trap<":fork(exec)">([] { std::exit(11); });
    r.exit_is(11);
  }
  SECTION("two") {
    auto r = trap::trap<":fork(exec)">([] { std::exit(12); });
    r.exit_is(12);
  }
}
