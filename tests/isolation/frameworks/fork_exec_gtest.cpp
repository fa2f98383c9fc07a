// SPDX-License-Identifier: BSL-1.0
// fork(exec) in a GoogleTest program: each trap re-runs the current test
// alone in a new process, as GoogleTest's "threadsafe" death tests do. Run
// plain, with a filter, and as one shard of several (the re-run must not
// take itself for a shard and skip the test).
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include <gtest/gtest.h>

#include <trap/gtest.hpp>
#include <trap/trap.hpp>

namespace {
const int parent = ::getpid();
}

TEST(ForkExec, DeathInANewProcess) {
  auto r = trap::trap<":fork(exec)">([] {
    std::cout << "pid " << ::getpid();
    std::fprintf(stderr, "fatal\n");
    std::abort();
  });
  r.leaveby_is("signal");
  EXPECT_EQ(r.signal(), SIGABRT);
  EXPECT_NE(r.out(), "pid " + std::to_string(parent));
  EXPECT_EQ(r.out().rfind("pid ", 0), 0u);
  r.stderr_is("fatal\n");
}

TEST(ForkExec, EachTrapRunsItsOwnCode) {
  auto first = trap::trap<":fork(exec)">([] { return 1; });
  auto second = trap::trap<":fork(exec)">([] {
    std::cout << "second";
    std::exit(7);
  });
  first.return_is(1);
  second.exit_is(7);
  second.stdout_is("second");
}

// A second suite, so that the re-run's filter has to name the right one.
TEST(ForkExecAgain, TrapsAreCountedPerTest) {
  auto only = trap::trap<":fork(exec)">([] { std::exit(3); });
  only.exit_is(3);
}
