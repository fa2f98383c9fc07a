// SPDX-License-Identifier: BSL-1.0
// Must not compile: a compile-time layer spec gives the fork layer an
// argument it does not take. Built only by the test that expects the
// compiler's message.
#include <trap/trap.hpp>

int main() {
  auto r = trap::trap<":fork(blah)">([] { return 1; });
  return r.leaveby() == "return" ? 0 : 1;
}
