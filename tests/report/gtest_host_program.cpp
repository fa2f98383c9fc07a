// SPDX-License-Identifier: BSL-1.0
// A GoogleTest program whose failures come from inside traps and from the
// hub itself: the host-framework test runs each test alone and checks that
// GoogleTest shows and counts every one.
#include <iostream>
#include <stdexcept>

#include <gtest/gtest.h>

#include <trap/gtest.hpp>
#include <trap/junit.hpp>

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

TEST(Host, Passes) {
  auto r = trap::trap([] { std::cout << "x"; });
  r.stdout_is("x", "passes");
}
