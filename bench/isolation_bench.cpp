// SPDX-License-Identifier: BSL-1.0
// What running code in a child process costs: trap's fork layer and trap::run
// against the raw system calls (fork + waitpid, posix_spawn + waitpid) and
// GoogleTest's EXPECT_EXIT, and the floor of a fork trap (its default
// layers' work by raw system calls), each with nothing extra resident (/0) and with
// 200 MiB resident (/200: fork copies the page tables of every resident page,
// vfork and posix_spawn do not); and 256 MiB through trap::run's stdout
// against posix_spawn with a pipe read by the calling thread.
//
// Every benchmark measures wall time (the work is in the child) and checks
// how each child ended. They all run inside one GoogleTest test, because
// EXPECT_EXIT needs a current test. Run through scripts/bench, pinned to one
// CPU; never by ctest.
#include <fcntl.h>
#include <malloc.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include <benchmark/benchmark.h>
#include <gtest/gtest.h>

#include <trap/trap.hpp>
#ifdef TRAP_BENCH_PROCESS
#include <trap/process.hpp>
#endif

#include "fork_floor.hpp"
#include "gtest_death.hpp"

extern char** environ;

namespace {

int checked(int rc, const char* call) {
  if (rc < 0) throw std::system_error(errno, std::generic_category(), call);
  return rc;
}

/// posix_spawn's way of failing: the error is returned, not put in errno.
void spawn_checked(int rc, const char* call) {
  if (rc != 0) throw std::system_error(rc, std::generic_category(), call);
}

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
  // trap::last() keeps the latest trap's record, 256 MiB after a streaming
  // run, and malloc keeps freed heap: drop both, or the benchmarks after
  // this one fork with them resident.
  trap::last() = trap::Trap();
  ::malloc_trim(0);
  state.counters["rss_MiB"] = resident_mib();
}

// ---- resident memory --------------------------------------------------------

/// The memory a /N benchmark keeps resident: N MiB, touched, in 4 KiB pages
/// (transparent huge pages are madvise-only on Debian). Filled before each
/// run of such a benchmark and freed after it, so the /0 runs, interleaved
/// with them, do not carry it.
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

// ---- raw floors -------------------------------------------------------------

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

std::string raw_fork_waitpid() {
  pid_t pid = checked(::fork(), "fork");
  if (pid == 0) ::_exit(0);
  return unless_exited_0(wait_for(pid));
}

pid_t spawn(const char* const argv[], const posix_spawn_file_actions_t* actions) {
  pid_t pid = 0;
  spawn_checked(
      ::posix_spawn(&pid, argv[0], actions, nullptr, const_cast<char* const*>(argv), environ),
      "posix_spawn");
  return pid;
}

const char* const true_argv[] = {"/bin/true", nullptr};

std::string raw_posix_spawn_true() { return unless_exited_0(wait_for(spawn(true_argv, nullptr))); }

/// What @p argv writes to stdout: posix_spawn with stdout on a pipe, read
/// in 64 KiB chunks by this thread until EOF, then waitpid.
std::string raw_spawn_read(const char* const argv[], std::string& out) {
  int fds[2];
  checked(::pipe2(fds, O_CLOEXEC), "pipe2");
  posix_spawn_file_actions_t actions;
  spawn_checked(::posix_spawn_file_actions_init(&actions), "posix_spawn_file_actions_init");
  spawn_checked(::posix_spawn_file_actions_adddup2(&actions, fds[1], 1), "adddup2");
  pid_t pid = spawn(argv, &actions);
  ::posix_spawn_file_actions_destroy(&actions);
  checked(::close(fds[1]), "close");
  char buf[1 << 16];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    checked(static_cast<int>(n), "read");
    out.append(buf, static_cast<std::size_t>(n));
  }
  checked(::close(fds[0]), "close");
  return unless_exited_0(wait_for(pid));
}

// ---- fork: raw, GoogleTest, trap --------------------------------------------

void BM_raw_fork_waitpid(benchmark::State& state) { run_checked(state, raw_fork_waitpid); }
BENCHMARK(BM_raw_fork_waitpid)->Apply(at_each_rss);

/// The floor of a fork trap: the raw system calls of its default layers.
void BM_raw_fork_capture(benchmark::State& state) { run_checked(state, bench::raw_fork_capture); }
BENCHMARK(BM_raw_fork_capture)->Apply(at_each_rss);

/// One fast-style death test (fork, with stderr captured to a temp file).
void BM_gtest_expect_exit(benchmark::State& state) {
  run_checked(state, [] {
    EXPECT_EXIT(::_exit(0), testing::ExitedWithCode(0), "");
    return std::string(testing::Test::HasFailure() ? "EXPECT_EXIT failed" : "");
  });
}
BENCHMARK(BM_gtest_expect_exit)->Apply(at_each_rss);

/// One default fork trap: flow, stdout, stderr and warn in the child.
void BM_trap_fork(benchmark::State& state) {
  run_checked(state, [] {
    trap::Trap r = trap::trap<":fork">([] {});
    return r.leaveby() == "return" ? std::string() : "left by " + r.leaveby() + ": " + r.die();
  });
}
BENCHMARK(BM_trap_fork)->Apply(at_each_rss);

// ---- spawn: raw, trap::run --------------------------------------------------

void BM_raw_posix_spawn_true(benchmark::State& state) { run_checked(state, raw_posix_spawn_true); }
BENCHMARK(BM_raw_posix_spawn_true)->Apply(at_each_rss);

#ifdef TRAP_BENCH_PROCESS
/// One trap::run: stdin, stdout and stderr on pipes, own process group.
void BM_trap_run_true(benchmark::State& state) {
  static const std::vector<std::string> argv{"/bin/true"};
  run_checked(state, [] {
    trap::Trap r = trap::run(argv);
    return r.exit_code() == 0 ? std::string() : "left by " + r.leaveby() + ": " + r.die();
  });
}
BENCHMARK(BM_trap_run_true)->Apply(at_each_rss);
#endif

// ---- 256 MiB through stdout -------------------------------------------------

constexpr long stream_bytes = 256L << 20;
const char* const head_argv[] = {"/usr/bin/head", "-c", "268435456", "/dev/zero", nullptr};

std::string unless_size(std::size_t got) {
  if (got == static_cast<std::size_t>(stream_bytes)) return "";
  return "read " + std::to_string(got) + " bytes";
}

/// Runs a 256 MiB benchmark: few iterations, wall clock, bytes/s.
void streaming(benchmark::internal::Benchmark* b) { b->Iterations(2)->UseRealTime(); }

void BM_raw_spawn_pipe_256MiB(benchmark::State& state) {
  run_checked(state, [] {
    std::string out;
    std::string why = raw_spawn_read(head_argv, out);
    return why.empty() ? unless_size(out.size()) : why;
  });
  state.SetBytesProcessed(state.iterations() * stream_bytes);
}
BENCHMARK(BM_raw_spawn_pipe_256MiB)->Apply(streaming);

#ifdef TRAP_BENCH_PROCESS
/// The bytes are read in the trap's record (get("stdout")), as the raw
/// baseline reads them into its string; out() would add a copy of 256 MiB.
void BM_trap_run_256MiB(benchmark::State& state) {
  static const std::vector<std::string> argv(head_argv, head_argv + 4);
  run_checked(state, [] {
    trap::Trap r = trap::run(argv);
    if (r.exit_code() != 0) return "left by " + r.leaveby() + ": " + r.die();
    return unless_size(r.get("stdout")->string().size());
  });
  state.SetBytesProcessed(state.iterations() * stream_bytes);
}
BENCHMARK(BM_trap_run_256MiB)->Apply(streaming);
#endif

/// EXPECT_EXIT needs a current test: every benchmark runs inside this one.
TEST(isolation_bench, all) { benchmark::RunSpecifiedBenchmarks(); }

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  testing::InitGoogleTest(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  bench::set_up_death_tests();  // a failed EXPECT_EXIT fails its benchmark too (JSON report)
  if (RUN_ALL_TESTS() != 0) std::fputs("isolation_bench: an EXPECT_EXIT failed\n", stderr);
  benchmark::Shutdown();
  return 0;
}
