// SPDX-License-Identifier: BSL-1.0
// 12-catch2: trap inside a Catch2 (v2) program. Including <trap/catch2.hpp>
// turns every test method into a Catch2 assertion at the caller's line;
// failures carry trap's diagnostics.
//! [synopsis]
#include <cstdlib>
#include <iostream>
#include <stdexcept>

#include <trap/catch2.hpp>  // before, or instead of, <catch2/catch.hpp>

TEST_CASE("the tool exits with its usage") {
  auto r = trap::trap([] {
    std::cerr << "usage: tool FILE\n";
    std::exit(2);
  });
  r.did_exit();
  r.exit_is(2);
  r.stderr_like("^usage: ");
  CHECK(r.out().empty());  // accessors work with Catch2's own macros
}
//! [synopsis]

TEST_CASE("the tool throws on bad input") {
  auto r = trap::trap([] { throw std::invalid_argument("bad input"); });
  r.die_isa<std::logic_error>();
  r.die_is("bad input");
}

TEST_CASE("a subtest groups checks") {
  auto r = trap::trap([] { return 42; });
  trap::subtest("return value", [&] {
    r.return_is(42);
    r.return_like("^4");
  });
}
