// SPDX-License-Identifier: BSL-1.0
// Page faults and CPU time of one default fork trap, in the parent and in
// its child, beside a raw fork whose child calls _exit, the fork trap's
// floor (bench/fork_floor.hpp) and GoogleTest's EXPECT_EXIT ("fast" style):
// counts, and CPU time rather than wall time, so that they move little with
// the machine's load (the CPU's speed still moves the times). From getrusage (the parent's own, and
// its waited-for children's), means over N operations after a warm-up. Run with `setarch -R` (ASLR
// off) for the same layout every time, and pinned to one CPU as the timed benchmarks are;
// scripts/bench does both.
//
// Usage: fork_faults [N]   (default 2000)
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include <gtest/gtest.h>

#include <trap/trap.hpp>

#include "fork_floor.hpp"
#include "gtest_death.hpp"

namespace {

int operations = 2000;

struct Use {
  double parent_faults, child_faults;
  double parent_cpu_us, child_cpu_us;  // user + system
};

double cpu_us(const rusage& u) {
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e6 + u.ru_utime.tv_usec + u.ru_stime.tv_usec;
}

template <class Op>
Use use_of(Op op) {
  for (int i = 0; i < 50; ++i) op();  // warm: pools, kits, bindings
  rusage self0{}, kids0{}, self1{}, kids1{};
  ::getrusage(RUSAGE_SELF, &self0);
  ::getrusage(RUSAGE_CHILDREN, &kids0);
  for (int i = 0; i < operations; ++i) op();
  ::getrusage(RUSAGE_SELF, &self1);
  ::getrusage(RUSAGE_CHILDREN, &kids1);
  const double n = operations;
  return {static_cast<double>(self1.ru_minflt - self0.ru_minflt) / n,
          static_cast<double>(kids1.ru_minflt - kids0.ru_minflt) / n,
          (cpu_us(self1) - cpu_us(self0)) / n, (cpu_us(kids1) - cpu_us(kids0)) / n};
}

void print_row(const char* name, const Use& u, const Use& raw) {
  const double cpu = u.parent_cpu_us + u.child_cpu_us;
  std::printf("| %s | %.1f | %.1f | %.1f | %.1f | %.1f | %.2f |\n", name, u.parent_faults,
              u.child_faults, u.parent_cpu_us, u.child_cpu_us, cpu,
              cpu / (raw.parent_cpu_us + raw.child_cpu_us));
}

// EXPECT_EXIT needs a current test: the measurements run inside this one.
TEST(fork_faults, all) {
  const Use raw = use_of([] {
    const pid_t pid = ::fork();
    if (pid == 0) ::_exit(0);
    int status = 0;
    if (pid < 0 || ::waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) std::abort();
  });
  const Use floor = use_of([] {
    if (!bench::raw_fork_capture().empty()) std::abort();
  });
  const Use gtest = use_of([] {
    EXPECT_EXIT(::_exit(0), testing::ExitedWithCode(0), "");
    if (testing::Test::HasFailure()) std::abort();
  });
  const Use trap = use_of([] {
    if (trap::trap<":fork">([] {}).leaveby() != "return") std::abort();
  });
  std::printf(
      "| per operation (mean of %d) | parent faults | child faults | parent CPU µs "
      "| child CPU µs | CPU µs | / raw |\n",
      operations);
  std::printf("|---|---:|---:|---:|---:|---:|---:|\n");
  print_row("raw fork, child _exit, waitpid", raw, raw);
  print_row("its floor: raw fork, two captures and a record", floor, raw);
  print_row("GoogleTest's EXPECT_EXIT", gtest, raw);
  print_row("default fork trap", trap, raw);
  const double gtest_cpu = gtest.parent_cpu_us + gtest.child_cpu_us;
  const double trap_cpu = trap.parent_cpu_us + trap.child_cpu_us;
  std::printf("\nCPU time of a fork trap, parent and child: %.2fx EXPECT_EXIT's\n",
              trap_cpu / gtest_cpu);
}

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  if (argc > 1) operations = std::atoi(argv[1]);
  if (operations <= 0) {
    std::fprintf(stderr, "usage: fork_faults [N > 0]\n");
    return 2;
  }
  bench::set_up_death_tests();
  return RUN_ALL_TESTS();
}
