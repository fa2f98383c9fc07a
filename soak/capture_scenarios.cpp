// SPDX-License-Identifier: BSL-1.0
// Scenarios on the core: many traps with each capture strategy, many fork
// traps, many trap::run calls. Every item checks the whole of what was
// trapped, so one lost or stray byte fails the scenario.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <trap/process.hpp>
#include <trap/trap.hpp>

#include "soak.hpp"

namespace soak {
namespace {

using std::chrono::microseconds;

/// A large write every this many traps, the first one included (so the
/// warm-up has one): more than a pipe holds (64 KiB), so the pipe and tee
/// reader threads must drain while the code writes.
constexpr long kLargeEvery = 1000;
constexpr std::size_t kLargeBytes = 256 * 1024;

std::string large_block(long i) {
  std::string s(kLargeBytes, ' ');
  for (std::size_t k = 0; k < s.size(); ++k)
    s[k] = static_cast<char>('a' + (k + static_cast<std::size_t>(i)) % 26);
  s.back() = '\n';
  return s;
}

void expect(bool ok, long i, const std::string& what) {
  if (!ok) throw Failure("item " + std::to_string(i) + ": " + what);
}

void expect_text(const std::string& got, const std::string& want, long i, const char* what) {
  if (got != want)
    expect(false, i, std::string(what) + " was " + quoted(got) + ", expected " + quoted(want));
}

/// The trap for strategy @p name: the default stack, or flow with stdout
/// and stderr through that strategy only (flow's `raw` cuts off default).
trap::Trap trap_with(const std::string& name, const std::string& spec, long i) {
  // memory sees iostreams only; the others are given C stdio as well,
  // interleaved (cout is synchronised with stdio).
  const bool stdio = name != "memory";
  auto code = [i, stdio] {
    std::cout << "out " << i << '\n';
    std::cerr << "err " << i << '\n';
    if (stdio) {
      std::printf("printf %ld\n", i);
      std::fprintf(stderr, "fprintf %ld\n", i);
    }
    if (i % kLargeEvery == 0) std::cout << large_block(i);
  };
  if (name == "default") return trap::trap(code);
  return trap::trap(spec, code);
}

void run_strategy(const std::string& name, long n, const Deadline& deadline) {
  const std::string spec = ":flow:stdout(" + name + "):stderr(" + name + ")";
  const bool stdio = name != "memory";
  for (long i = 0; i < n; ++i) {
    deadline.check(i, n);
    trap::Trap r = trap_with(name, spec, i);
    std::string out = "out " + std::to_string(i) + "\n";
    std::string err = "err " + std::to_string(i) + "\n";
    if (stdio) {
      out += "printf " + std::to_string(i) + "\n";
      err += "fprintf " + std::to_string(i) + "\n";
    }
    if (i % kLargeEvery == 0) out += large_block(i);
    expect_text(r.leaveby(), "return", i, "leaveby");
    expect_text(r.out(), out, i, "stdout");
    expect_text(r.err(), err, i, "stderr");
  }
}

Scenario strategy(const std::string& name, microseconds budget) {
  Scenario s;
  s.name = "strategy/" + name;
  s.unit = "traps";
  s.count = 100'000;
  s.warmup = 1'000;
  s.budget = budget;
  s.quiet_stdio = name == "tee";
  s.run = [name](long n, long, const Deadline& d) { run_strategy(name, n, d); };
  return s;
}

/// Each child exits with a code and output of its own: a trap that got
/// another child's result, or none, fails.
void run_fork(long n, long, const Deadline& deadline) {
  for (long i = 0; i < n; ++i) {
    deadline.check(i, n);
    const int code = static_cast<int>(i % 200) + 1;
    trap::Trap r = trap::trap(":fork", [i, code] {
      std::cout << "child " << i << '\n';
      std::cerr << "code " << code << '\n';
      std::exit(code);
    });
    expect_text(r.leaveby(), "exit", i, "leaveby");
    auto got = r.exit_code();
    expect(got && *got == code, i,
           "exit code " + (got ? std::to_string(*got) : std::string("none")) + ", expected " +
               std::to_string(code));
    expect_text(r.out(), "child " + std::to_string(i) + "\n", i, "stdout");
    expect_text(r.err(), "code " + std::to_string(code) + "\n", i, "stderr");
  }
}

/// /bin/echo with the item's number, and every tenth time /bin/sh writing
/// to both streams and exiting with a code of its own.
void run_run(long n, long, const Deadline& deadline) {
  for (long i = 0; i < n; ++i) {
    deadline.check(i, n);
    const std::string num = std::to_string(i);
    if (i % 10 == 9) {
      const int code = static_cast<int>(i % 100) + 1;
      trap::Trap r = trap::run(
          {"/bin/sh", "-c", "echo out $0; echo err $0 >&2; exit $1", num, std::to_string(code)});
      expect_text(r.leaveby(), "exit", i, "leaveby");
      auto got = r.exit_code();
      expect(got && *got == code, i,
             "exit code " + (got ? std::to_string(*got) : std::string("none")) + ", expected " +
                 std::to_string(code));
      expect_text(r.out(), "out " + num + "\n", i, "stdout");
      expect_text(r.err(), "err " + num + "\n", i, "stderr");
      continue;
    }
    trap::Trap r = trap::run({"/bin/echo", num});
    expect_text(r.leaveby(), "exit", i, "leaveby");
    auto got = r.exit_code();
    expect(got && *got == 0, i,
           "exit code " + (got ? std::to_string(*got) : std::string("none")) + ", expected 0");
    expect_text(r.out(), num + "\n", i, "stdout");
    expect_text(r.err(), "", i, "stderr");
  }
}

}  // namespace

std::vector<Scenario> capture_scenarios() {
  std::vector<Scenario> v;
  // Budgets: a few microseconds per trap measured unloaded (bench/RESULTS.md),
  // the reader-thread strategies tens; allowed a hundred times that.
  v.push_back(strategy("default", microseconds(500)));
  v.push_back(strategy("dup2", microseconds(500)));
  v.push_back(strategy("tempfile", microseconds(1000)));
  v.push_back(strategy("pipe", microseconds(2000)));
  v.push_back(strategy("memory", microseconds(500)));
  v.push_back(strategy("tee", microseconds(2000)));

  Scenario fork;
  fork.name = "fork";
  fork.unit = "forks";
  fork.count = 10'000;
  fork.warmup = 100;
  fork.budget = microseconds(20'000);
  fork.run = run_fork;
  v.push_back(fork);

  Scenario run;
  run.name = "run";
  run.unit = "runs";
  run.count = 10'000;
  run.warmup = 100;
  run.budget = microseconds(40'000);
  run.run = run_run;
  v.push_back(run);
  return v;
}

}  // namespace soak
