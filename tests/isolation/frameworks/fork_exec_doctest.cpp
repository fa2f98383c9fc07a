// SPDX-License-Identifier: BSL-1.0
// fork(exec) in a doctest program: each trap re-runs the current test case
// alone in a new process, found by its name and suite (commas escaped), its
// subcases taking the same path as in the first run.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#define TRAP_DOCTEST_MAIN
#include <trap/doctest.hpp>

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

TEST_SUITE("suite, with a comma") {
  TEST_CASE("a name, with a comma") {
    auto r = trap::trap<":fork(exec)">([] { std::exit(5); });
    r.exit_is(5);
  }
}

TEST_SUITE("another suite") {
  TEST_CASE("a name, with a comma") {  // the same name: the suite tells them apart
    auto r = trap::trap<":fork(exec)">([] { std::exit(6); });
    r.exit_is(6);
  }
}

TEST_CASE("subcases") {
  auto first = trap::trap<":fork(exec)">([] { return 1; });
  first.return_is(1);
  SUBCASE("one") {
    auto r = trap::trap<":fork(exec)">([] { std::exit(11); });
    r.exit_is(11);
  }
  SUBCASE("two") {
    auto r = trap::trap<":fork(exec)">([] { std::exit(12); });
    r.exit_is(12);
  }
}
