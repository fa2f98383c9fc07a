// SPDX-License-Identifier: BSL-1.0
// A GoogleTest program whose failures come from inside traps and from the
// hub itself: the host-framework test runs each test alone and checks that
// GoogleTest shows and counts every one.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <stdexcept>

#include <gtest/gtest.h>

#include <trap/gtest.hpp>
#include <trap/junit.hpp>
#include <trap/more.hpp>

namespace {
// A child made with fork() (not a trap), that reports a failure.
// With @p wait_on, a pipe, it first waits until the parent closes the pipe.
pid_t raw_child_failing(const char* name, const int* wait_on = nullptr) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    char c;
    if (wait_on) {
      ::close(wait_on[1]);
      (void)!::read(wait_on[0], &c, 1);
    }
    trap::ok(false, name);
    std::_Exit(0);
  }
  return pid;
}
int late_child_pipe[2];
pid_t late_child = -1;
}  // namespace

TEST(Host, ExpectInsideTrapIsShown) {
  auto r = trap::trap([] {
    std::cout << "code output";
    EXPECT_EQ(1, 2) << "a failure inside the trap";
  });
  r.stdout_is("code output", "the failure message was not captured");
}

TEST(Host, ListenerErrorFailsTheTest) {
  auto handle = trap::hub().listen([](trap::Hub&, const trap::Event&, std::size_t) {
    throw std::runtime_error("listener broke");
  });
  auto r = trap::trap([] { return 1; });
  r.did_return("reported while a listener throws");
  trap::hub().unlisten(handle);
}

TEST(Host, JunitUnwritableAtEnd) {
  trap::junit_report(trap::hub(), "/nonexistent-dir/results.xml");
  auto r = trap::trap([] { return 1; });
  r.did_return("passes");
}

// The child's failure counts in the test that made it, not in the next.
TEST(Host, RawForkChildFails) {
  const pid_t pid = raw_child_failing("raw fork child");
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
}

// The child reports only after GoogleTest's run, during exit: a run error.
TEST(Host, RawForkChildFailsAfterTheRun) {
  ASSERT_EQ(::pipe(late_child_pipe), 0);
  late_child = raw_child_failing("late child", late_child_pipe);
  // Runs at exit before trap ends its hub (registered later): lets the
  // child report, and waits for it.
  ::close(late_child_pipe[0]);
  std::atexit([] {
    ::close(late_child_pipe[1]);
    int status = 0;
    ::waitpid(late_child, &status, 0);
  });
}

// A GoogleTest failure inside a fork trap fails the test in the parent.
TEST(Host, ExpectInsideForkTrapFails) {
  auto r = trap::trap<":fork">([] {
    EXPECT_EQ(1, 2) << "a failure in the fork trap's child";
    return 3;
  });
  r.return_is(3, "the child returned");
}

TEST(Host, ExpectInsideForkExecTrapFails) {
  auto r = trap::trap<":fork(exec)">([] {
    EXPECT_EQ(1, 2) << "a failure in the fork(exec) trap's child";
    return 3;
  });
  r.return_is(3, "the child returned");
}

TEST(Host, Passes) {
  auto r = trap::trap([] { std::cout << "x"; });
  r.stdout_is("x", "passes");
}
