// SPDX-License-Identifier: BSL-1.0
// What a test run again in a new process costs: trap's `fork(exec)` trap
// against a raw posix_spawn + waitpid of this same program with the same
// arguments, running the same test, and against GoogleTest's threadsafe
// death test (which also re-runs the program for one test), each with
// nothing extra resident (/0) and with 200 MiB resident (/200).
//
// The three re-run the one GoogleTest test of this program,
// fork_exec_bench.driver, whose body depends on who runs it:
// - in the process scripts/bench started (no --gtest_filter argument), it
//   runs the benchmark loops;
// - in a re-run, it does the one thing the iteration that started it
//   measures, and the process ends: trap's re-run runs the trap's code (an
//   empty function) and reports to the parent; GoogleTest's runs the death
//   test's statement (_exit(0)); the raw baseline's, started with
//   FORK_EXEC_BENCH_RAW in its environment, calls _exit(0) where the others
//   reach their trap or death test.
// So every child loads the same program, initialises GoogleTest and Google
// Benchmark the same way and runs the same test; what is left is what trap
// and GoogleTest add. Each iteration is the first fork(exec) trap and the
// first death test of its test, as in a test with one of them.
//
// Every benchmark measures wall time and checks how each child ended. Run
// through scripts/bench, pinned to one CPU; never by ctest.
#include <fcntl.h>
#include <malloc.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <benchmark/benchmark.h>
#include <gtest/gtest.h>

#include <trap/gtest.hpp>
#include <trap/trap.hpp>

extern char** environ;

namespace {

/// Set by main: whether this process is the one that runs the benchmarks.
bool benchmarking = false;

constexpr const char* kRawVariable = "FORK_EXEC_BENCH_RAW";

/// This process's resident set in MiB, from /proc/self/statm.
double resident_mib() {
  long pages = 0, resident = 0;
  if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)) / (1 << 20);
}

/// Runs @p op once per iteration; op returns "" when the child ended as
/// expected, else what went wrong, which fails the benchmark.
template <class Op>
void run_checked(benchmark::State& state, Op op) {
  try {
    for (auto _ : state) {
      if (std::string why = op(); !why.empty()) {
        state.SkipWithError(why.c_str());
        break;
      }
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
  trap::last() = trap::Trap();
  ::malloc_trim(0);
  state.counters["rss_MiB"] = resident_mib();
}

// ---- resident memory (as isolation_bench) -----------------------------------

std::vector<char> resident;

void fill_resident(const benchmark::State& state) {
  resident.resize(static_cast<std::size_t>(state.range(0)) << 20);
  std::memset(resident.data(), 1, resident.size());
}

void free_resident(const benchmark::State&) { std::vector<char>().swap(resident); }

/// Runs a benchmark at 0 and at 200 MiB resident, timed by the wall clock.
void at_each_rss(benchmark::internal::Benchmark* b) {
  b->Arg(0)->Arg(200)->Setup(fill_resident)->Teardown(free_resident)->UseRealTime();
}

// ---- what a re-run does -----------------------------------------------------

/// GoogleTest's death test, threadsafe style: clone, then exec of this
/// program with --gtest_filter=fork_exec_bench.driver and
/// --gtest_internal_run_death_test, whose child runs the statement.
void death_test() { EXPECT_EXIT(::_exit(0), testing::ExitedWithCode(0), ""); }

/// trap's fork(exec) trap: the default layers (flow, stdout, stderr, warn)
/// in a re-run of this program's current test.
trap::Trap fork_exec_trap() {
  return trap::trap<":fork(exec)">([] {});
}

// GoogleTest numbers the death tests of a test, and its threadsafe child
// runs the one whose number it was given, skipping the earlier ones: each
// iteration resets the count, as a new test would. The count is private;
// an explicit instantiation may name it.
int testing::TestResult::*death_test_count();
template <int testing::TestResult::*Count>
struct DeathTestCount {
  friend int testing::TestResult::*death_test_count() { return Count; }
};
template struct DeathTestCount<&testing::TestResult::death_test_count_>;

void death_tests_counted_from_1() {
  const testing::TestResult* r = testing::UnitTest::GetInstance()->current_test_info()->result();
  const_cast<testing::TestResult*>(r)->*death_test_count() = 0;
}

// ---- raw: posix_spawn of this program, same arguments, same test -------------

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw std::system_error(errno, std::generic_category(), "waitpid");
  return status;
}

std::string unless_exited_0(int status) {
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
  return "child ended with wait status " + std::to_string(status);
}

/// A NULL-terminated array of pointers into @p strings.
std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> p;
  for (auto& s : strings) p.push_back(s.data());
  p.push_back(nullptr);
  return p;
}

/// posix_spawn of /proc/self/exe with the arguments trap's re-run gets
/// (GTestForkExec::arguments(), built once) and stdin, stdout and stderr on
/// /dev/null as in trap's re-run; the environment marks it as the raw one.
struct RawSpawn {
  std::vector<std::string> argv, env;
  std::vector<char*> argv_p, env_p;
  posix_spawn_file_actions_t actions;

  RawSpawn() {
    argv.emplace_back("/proc/self/exe");
    for (auto& a : trap::detail::GTestForkExec::arguments()) argv.push_back(std::move(a));
    for (char** e = environ; *e; ++e) env.emplace_back(*e);
    env.push_back(std::string(kRawVariable) + "=1");
    argv_p = pointers(argv);
    env_p = pointers(env);
    ::posix_spawn_file_actions_init(&actions);
    for (int fd = 0; fd < 3; ++fd)
      ::posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_RDWR, 0);
  }
  ~RawSpawn() { ::posix_spawn_file_actions_destroy(&actions); }
  RawSpawn(const RawSpawn&) = delete;
  RawSpawn& operator=(const RawSpawn&) = delete;

  std::string operator()() {
    pid_t pid = 0;
    if (int rc =
            ::posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, argv_p.data(), env_p.data()))
      throw std::system_error(rc, std::generic_category(), "posix_spawn");
    return unless_exited_0(wait_for(pid));
  }
};

// ---- the benchmarks -----------------------------------------------------------

void BM_raw_spawn_self(benchmark::State& state) {
  RawSpawn spawn;
  run_checked(state, [&spawn] { return spawn(); });
}
BENCHMARK(BM_raw_spawn_self)->Apply(at_each_rss);

void BM_gtest_threadsafe_death(benchmark::State& state) {
  run_checked(state, [] {
    death_tests_counted_from_1();
    death_test();
    return std::string(testing::Test::HasFailure() ? "EXPECT_EXIT failed" : "");
  });
}
BENCHMARK(BM_gtest_threadsafe_death)->Apply(at_each_rss);

void BM_trap_fork_exec(benchmark::State& state) {
  run_checked(state, [] {
    trap::detail::new_test_started();  // what GTestForkExec does when a test starts
    trap::Trap r = fork_exec_trap();
    return r.leaveby() == "return" ? std::string() : "left by " + r.leaveby() + ": " + r.die();
  });
}
BENCHMARK(BM_trap_fork_exec)->Apply(at_each_rss);

/// The one test: the benchmarks in the process scripts/bench started, one
/// re-run's work in the others.
TEST(fork_exec_bench, driver) {
  if (benchmarking) {
    benchmark::RunSpecifiedBenchmarks();
    return;
  }
  if (std::getenv(kRawVariable)) ::_exit(0);
  if (!GTEST_FLAG_GET(internal_run_death_test).empty()) {
    death_test();  // ends the process, when the flag names this death test
    return;
  }
  // trap's re-run ends in the trap; anywhere else it runs as a trap would.
  trap::Trap r = fork_exec_trap();
  if (r.leaveby() != "return") ADD_FAILURE() << "left by " << r.leaveby() << ": " << r.die();
}

}  // namespace

int main(int argc, char** argv) {
  // Started without a --gtest_filter argument: the benchmarking process.
  // Its re-runs get --gtest_filter=fork_exec_bench.driver.
  benchmarking = std::none_of(argv + 1, argv + argc, [](const char* a) {
    return std::string_view(a).starts_with("--gtest_filter=");
  });
  benchmark::Initialize(&argc, argv);
  testing::InitGoogleTest(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  // GoogleTest's own report would only say that the one test ran; a failed
  // trap or EXPECT_EXIT fails its benchmark, which the JSON report shows.
  testing::TestEventListeners& listeners = testing::UnitTest::GetInstance()->listeners();
  delete listeners.Release(listeners.default_result_printer());
  const int failed = RUN_ALL_TESTS();
  if (!benchmarking) return failed;
  if (failed) std::fputs("fork_exec_bench: a trap or an EXPECT_EXIT failed\n", stderr);
  benchmark::Shutdown();
  return 0;
}
