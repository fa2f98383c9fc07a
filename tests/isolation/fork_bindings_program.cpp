// SPDX-License-Identifier: BSL-1.0
// Run by fork_bindings_test with LD_DEBUG=bindings: a default fork trap,
// whose child writes its pid, which this program prints. Every call the
// child's own code makes (getpid, printf) is made here first, so that any
// symbol the child binds is one of trap's.
#include <unistd.h>

#include <cstdio>
#include <string>

#include <trap/trap.hpp>

int main() {
  std::printf("parent %d\n", static_cast<int>(::getpid()));
  std::fflush(stdout);
  trap::Trap r = trap::trap<":fork">([] {
    std::printf("%d", static_cast<int>(::getpid()));
    std::fflush(stdout);
  });
  if (r.leaveby() != "return") return 1;
  std::printf("child %s\n", r.out().c_str());
  return 0;
}
