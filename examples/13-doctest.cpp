// SPDX-License-Identifier: BSL-1.0
// 13-doctest: trap inside a doctest program. Including <trap/doctest.hpp>
// turns every test method into a doctest assertion at the caller's line;
// failures carry trap's diagnostics. TRAP_DOCTEST_MAIN gives the program
// doctest's main with doctest's report past trap's captures.
//! [synopsis]
#define TRAP_DOCTEST_MAIN  // instead of DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <cstdlib>
#include <iostream>
#include <stdexcept>

#include <trap/doctest.hpp>  // before <doctest/doctest.h>, which it includes

TEST_CASE("the tool exits with its usage") {
  auto r = trap::trap([] {
    std::cerr << "usage: tool FILE\n";
    std::exit(2);
  });
  r.did_exit();
  r.exit_is(2);
  r.stderr_like("^usage: ");
  CHECK(r.out().empty());  // accessors work with doctest's own macros
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
