// SPDX-License-Identifier: BSL-1.0
// Must not compile: a typed test method compares with a type that has no
// operator== (printable, so a comparison of printed forms would have
// "worked"). Built only by the test that expects the compiler's message.
#include <ostream>

#include <trap/trap.hpp>

struct PrintableWithoutEquality {
  int value = 0;
};

std::ostream& operator<<(std::ostream& os, const PrintableWithoutEquality&) { return os << "P"; }

int main() {
  auto r = trap::trap([] { return PrintableWithoutEquality{1}; });
  return r.return_is(PrintableWithoutEquality{2}) ? 0 : 1;
}
