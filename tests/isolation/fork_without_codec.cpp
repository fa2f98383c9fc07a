// SPDX-License-Identifier: BSL-1.0
// Must not compile: code trapped under a fork layer returns a type with no
// trap::codec. Built only by the test that expects the compiler's message.
#include <trap/trap.hpp>

struct NoCodec {
  int value = 0;
};

int main() {
  auto r = trap::trap<":fork">([] { return NoCodec{1}; });
  return r.leaveby() == "return" ? 0 : 1;
}
