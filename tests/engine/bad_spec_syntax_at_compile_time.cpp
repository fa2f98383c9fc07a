// SPDX-License-Identifier: BSL-1.0
// Must not compile: a compile-time layer spec that the run-time parser
// would refuse (two ':' with only white space between them). Built only by
// the test that expects the compiler's message.
#include <trap/trap.hpp>

int main() {
  auto r = trap::trap<":flow: :stderr">([] { return 1; });
  return r.leaveby() == "return" ? 0 : 1;
}
