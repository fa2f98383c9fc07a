// SPDX-License-Identifier: BSL-1.0
// 05-gtest: trap inside a GoogleTest program. Including <trap/gtest.hpp>
// turns every test method into a GoogleTest assertion at the caller's line;
// failures carry trap's diagnostics.
//! [synopsis]
#include <cstdlib>
#include <iostream>
#include <stdexcept>

#include <gtest/gtest.h>

#include <trap/gtest.hpp>

TEST(Tool, ExitsWithUsage) {
  auto r = trap::trap([] {
    std::cerr << "usage: tool FILE\n";
    std::exit(2);
  });
  r.did_exit();
  r.exit_is(2);
  r.stderr_like("^usage: ");
  EXPECT_EQ(r.out(), "");  // accessors work with GoogleTest's own macros
}
//! [synopsis]

TEST(Tool, ThrowsOnBadInput) {
  auto r = trap::trap([] { throw std::invalid_argument("bad input"); });
  r.die_isa<std::logic_error>();
  r.die_is("bad input");
}

TEST(Tool, Subtest) {
  auto r = trap::trap([] { return 42; });
  trap::subtest("return value", [&] {
    r.return_is(42);
    r.return_like("^4");
  });
}
