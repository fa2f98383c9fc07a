// SPDX-License-Identifier: BSL-1.0
// Links trap::gtest from an installed trap: one GoogleTest test.
#include <iostream>

#include <gtest/gtest.h>

#include <trap/gtest.hpp>
#include <trap/trap.hpp>

TEST(Consumer, TrapsStdout) {
  auto r = trap::trap([] { std::cout << "hi"; });
  EXPECT_EQ(r.out(), "hi");
  r.stdout_is("hi", "stdout_is reports as a GoogleTest assertion");
}
