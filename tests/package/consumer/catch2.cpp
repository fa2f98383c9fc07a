// SPDX-License-Identifier: BSL-1.0
// Links trap::catch2 from an installed trap: one Catch2 v2 test case.
#include <iostream>

#include <trap/catch2.hpp>

TEST_CASE("a trap in a consumer's Catch2 program") {
  auto r = trap::trap([] { std::cout << "hi"; });
  CHECK(r.out() == "hi");
  r.stdout_is("hi", "stdout_is reports as a Catch2 assertion");
}
