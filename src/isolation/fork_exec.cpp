// SPDX-License-Identifier: BSL-1.0
// The fork layer's fork(exec) style: the child re-executes the test
// program, which runs the current test again (through the framework's hook,
// reexec.hpp) up to this trap, and runs only its code. The traps before it
// replay the results they had in the parent (fork_replay.hpp); the re-run
// dies with the process that started it.
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <trap/detail/reexec.hpp>
#include <trap/trap.hpp>

#include "capture/capture.hpp"
#include "engine/state.hpp"
#include "isolation/fork_child.hpp"
#include "isolation/fork_replay.hpp"
#include "posix/children.hpp"
#include "posix/fd.hpp"
#include "report/hub_internals.hpp"

extern char** environ;

namespace trap::detail {
namespace {

// How the framework re-runs the current test, and which fork(exec) trap of
// the test this is.
std::atomic<ReexecArguments> reexec{nullptr};
std::atomic<int> exec_traps{0};

// The descriptors a re-run process finds its result file and hub file on.
constexpr int kExecResultFd = 198;
constexpr int kExecHubFd = 199;
// Where it hands over its capture files (posix::hand_over), as a plain
// fork's child does: read if it ends without a rescue (killed outright).
constexpr int kExecHandoverFd = 196;
constexpr const char* kExecVariable = "TRAP_FORK_EXEC";

// In a process started by a fork(exec) trap: the number of the trap to run
// (0 in any other). Read at start-up, from the variable "NUMBER:PID", PID
// the process that started this one: the re-run dies with it from its
// first moment, takes over the earlier traps' results (there are none, and
// no file of them, for trap 1), and removes the variable, so that no
// program it starts takes itself for a re-run.
int exec_target() {
  static const int target = [] {
    const char* v = std::getenv(kExecVariable);
    if (!v) return 0;
    const int number = std::atoi(v);
    const char* colon = std::strchr(v, ':');
    const auto parent = static_cast<pid_t>(colon ? std::atol(colon + 1) : 0);
    ::unsetenv(kExecVariable);
    if (parent <= 0) return 0;
    if (!posix::die_with_parent(parent)) posix::exit_now(kOrphaned);
    if (number > 1) load_replay();
    return number;
  }();
  return target;
}
[[maybe_unused]] const int exec_target_at_start_up = exec_target();

// Whether the re-run must not see the variable @p entry ("NAME=value")
// sets: this layer's own, and those of test runners' protocols that would
// make the framework in the re-run skip the test (a shard of the tests) or
// write over the run's own files (its XML report, Bazel's marker files).
bool withheld(const char* entry) {
  static constexpr std::string_view names[] = {
      "TRAP_FORK_EXEC",  "GTEST_TOTAL_SHARDS",      "GTEST_SHARD_INDEX", "GTEST_SHARD_STATUS_FILE",
      "GTEST_OUTPUT",    "TEST_TOTAL_SHARDS",       "TEST_SHARD_INDEX",  "TEST_SHARD_STATUS_FILE",
      "XML_OUTPUT_FILE", "TEST_PREMATURE_EXIT_FILE"};
  const std::string_view e(entry);
  const std::string_view name = e.substr(0, e.find('='));
  for (std::string_view n : names)
    if (name == n) return true;
  return false;
}

std::vector<std::string> current_environment(int trap_number) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e)
    if (!withheld(*e)) env.emplace_back(*e);
  env.push_back(std::string(kExecVariable) + "=" + std::to_string(trap_number) + ":" +
                std::to_string(::getpid()));
  return env;
}

// In a re-run, a trap before the one it is for: the result the parent saw.
void replay(Trap& self, int number) {
  ForkResult r;
  bool timed_out = false;
  try {
    const ReplayedTrap& t = replayed_trap(number);
    r = decode_fork_result(t.record);
    timed_out = t.timed_out;
  } catch (const std::exception& e) {
    self.exception(e.what());
  }
  auto deadline = claim_timeout_deadline(self);
  if (timed_out && deadline) deadline->state->mark_passed();  // the timeout layer records it
  apply(self, r, 0, false, std::nullopt);
}

// In a re-run, the trap it is for: runs here and ends the process.
[[noreturn]] void run_exec_target(Trap& self) {
  // A timeout layer above this trap was applied again in this process, and
  // armed a timer of its own. The parent keeps the deadline (it stops this
  // process at it): this one must not jump out of the code first and go on
  // with the rest of the test, which would end the re-run without a record.
  (void)claim_timeout_deadline(self);
  // Programs the code starts inherit nothing of it.
  posix::set_cloexec(kExecResultFd);
  posix::set_cloexec(kExecHubFd);
  posix::set_cloexec(kExecHandoverFd);
  HubInternals::forward_to_parent(kExecHubFd);
  run_child(self, kExecResultFd, Registry::state(self)->teardowns.size(), kExecHandoverFd);
}

// The file of what the test's fork(exec) traps before trap @p number
// returned, for its re-run to replay; none for the first (the common case of
// one fork(exec) trap in a test), whose re-run reads none.
posix::Fd earlier_results(Trap& self, int number) {
  posix::Fd earlier;
  if (number == 1) return earlier;
  try {
    earlier = posix::memfd("trap-replay");
    if (!earlier) earlier = posix::temp_file(temp_dir());
    const std::string bytes = replay_before(number);
    posix::write_all(earlier.get(), bytes.data(), bytes.size());
  } catch (const std::exception& e) {
    self.exception(std::string("fork(exec): ") + e.what());
  }
  return earlier;
}

}  // namespace

void fork_exec_layer(Trap& self) {
  const int number = ++exec_traps;
  if (int target = exec_target()) {
    // This process runs the test again for trap number `target`. The
    // traps before it return what they returned in the parent, so that the
    // test takes the same path without running their code again; inside
    // it, fork(exec) does not nest, and runs as a plain fork.
    if (number < target) return replay(self, number);
    if (number > target) return fork_plain(self, false);
    run_exec_target(self);
  }
  std::optional<Deadline> deadline;
  KeepForReplay keep(self, number, [&deadline] {
    return deadline && deadline->state->get() == DeadlineState::passed;
  });
  ReexecArguments arguments = reexec.load();
  if (!arguments)
    self.exception(
        "fork(exec): no test framework can run this test again in a new process; "
        "include trap's header for the program's framework (<trap/boost_test.hpp>, "
        "<trap/gtest.hpp>, <trap/catch2.hpp> or <trap/doctest.hpp>)");
  flush_streams(1);
  flush_streams(2);
  ForkedChild& c = forked_child(self);
  try {
    std::tie(c.handover, c.handover_child) = posix::handover_socket();
  } catch (const std::exception& e) {
    self.exception(std::string("fork(exec): ") + e.what());
  }
  posix::Fd earlier = earlier_results(self, number);
  deadline = claim_timeout_deadline(self);
  pid_t pid = -1;
  {
    // Gone before the wait below, which an outer timeout may jump out of.
    std::vector<std::string> argv{"/proc/self/exe"};
    for (auto& a : arguments()) argv.push_back(std::move(a));
    std::vector<posix::Redirect> redirects{{-1, 0}, {-1, 1}, {-1, 2}};
    if (earlier) redirects.push_back({earlier.get(), kExecReplayFd});
    redirects.push_back({c.result.get(), kExecResultFd});
    redirects.push_back({c.handover_child.get(), kExecHandoverFd});
    if (int hub_fd = HubInternals::ipc_fd(current_hub()); hub_fd >= 0)
      redirects.push_back({hub_fd, kExecHubFd});
    try {
      pid = posix::spawn("/proc/self/exe", argv, current_environment(number), redirects);
    } catch (const std::exception& e) {
      if (deadline) deadline->state->give_back();
      self.exception(std::string("fork(exec): ") + e.what());
    }
  }
  c.pid = pid;
  c.exited = posix::pidfd(pid);
  c.handover_child.reset();
  earlier.reset();
  finish_in_parent(self, c, deadline, true);
}

void set_reexec_arguments(ReexecArguments fn) noexcept { reexec.store(fn); }

std::vector<std::string> program_arguments() {
  // Read once: they do not change, and every fork(exec) trap asks.
  static const std::vector<std::string> arguments = [] {
    std::vector<std::string> args;
    std::ifstream cmdline("/proc/self/cmdline", std::ios::binary);
    for (std::string arg; std::getline(cmdline, arg, '\0');) args.push_back(std::move(arg));
    if (!args.empty()) args.erase(args.begin());
    return args;
  }();
  return arguments;
}

void new_test_started() noexcept {
  exec_traps.store(0);
  forget_exec_traps();
}

}  // namespace trap::detail
