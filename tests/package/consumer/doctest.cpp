// SPDX-License-Identifier: BSL-1.0
// Links trap::doctest from an installed trap: one doctest test case, with
// the main trap::doctest provides.
#include <iostream>

#define TRAP_DOCTEST_MAIN
#include <trap/doctest.hpp>

TEST_CASE("a trap in a consumer's doctest program") {
  auto r = trap::trap([] { std::cout << "hi"; });
  CHECK(r.out() == "hi");
  r.stdout_is("hi", "stdout_is reports as a doctest assertion");
}
