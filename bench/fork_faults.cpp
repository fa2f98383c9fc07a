// SPDX-License-Identifier: BSL-1.0
// Page faults of one default fork trap, in the parent and in its child,
// beside a raw fork whose child calls _exit: counts, not times, so they do
// not move with the machine's load. From getrusage (the parent's own, and
// its waited-for children's), means over N operations after a warm-up.
// Run with `setarch -R` (ASLR off) for the same layout every time; scripts/
// bench does.
//
// Usage: fork_faults [N]   (default 2000)
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include <trap/trap.hpp>

namespace {

struct Faults {
  double parent;
  double child;
};

template <class Op>
Faults faults_of(int n, Op op) {
  for (int i = 0; i < 50; ++i) op();  // warm: pools, kits, bindings
  rusage self0{}, kids0{}, self1{}, kids1{};
  ::getrusage(RUSAGE_SELF, &self0);
  ::getrusage(RUSAGE_CHILDREN, &kids0);
  for (int i = 0; i < n; ++i) op();
  ::getrusage(RUSAGE_SELF, &self1);
  ::getrusage(RUSAGE_CHILDREN, &kids1);
  return {static_cast<double>(self1.ru_minflt - self0.ru_minflt) / n,
          static_cast<double>(kids1.ru_minflt - kids0.ru_minflt) / n};
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 2000;
  if (n <= 0) {
    std::fprintf(stderr, "usage: fork_faults [N > 0]\n");
    return 2;
  }
  const Faults raw = faults_of(n, [] {
    const pid_t pid = ::fork();
    if (pid == 0) ::_exit(0);
    int status = 0;
    if (pid < 0 || ::waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) std::abort();
  });
  const Faults trap = faults_of(n, [] {
    if (trap::trap<":fork">([] {}).leaveby() != "return") std::abort();
  });
  std::printf("| page faults per operation (mean of %d) | parent | child |\n", n);
  std::printf("|---|---:|---:|\n");
  std::printf("| raw fork, child _exit, waitpid | %.1f | %.1f |\n", raw.parent, raw.child);
  std::printf("| default fork trap | %.1f | %.1f |\n", trap.parent, trap.child);
  return 0;
}
