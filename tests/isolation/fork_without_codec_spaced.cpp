// SPDX-License-Identifier: BSL-1.0
// Must not compile: code trapped under a fork layer returns a type with no
// trap::codec, in specs that separate the fork layer by white space rather
// than ':'. Built only by the test that expects the compiler's message twice.
#include <trap/trap.hpp>

struct NoCodec {
  int value = 0;
};

int main() {
  auto spaced = trap::trap<"flow fork">([] { return NoCodec{1}; });
  auto tabbed = trap::trap<" flow\tfork(exec) ">([] { return NoCodec{2}; });
  return spaced.leaveby() == tabbed.leaveby() ? 0 : 1;
}
