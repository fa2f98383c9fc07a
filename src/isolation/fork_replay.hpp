// SPDX-License-Identifier: BSL-1.0
// fork(exec) replay: the re-run for a test's Nth fork(exec) trap must take
// the same path as the test did, without running the code of the traps
// before it again (side effects twice, cost quadratic in the number of
// traps, a hang on a lock another thread held). The parent keeps each
// trap's result as it saw it and hands the earlier ones to the re-run on a
// descriptor; there, those traps return the results without running code.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "isolation/fork_record.hpp"

namespace trap {
class Trap;
}  // namespace trap

namespace trap::detail {

/// The state of trap @p self as a fork record: leaveby, exception type,
/// the errors added since there were @p exceptions_before, every value.
ForkResult state_record(const Trap& self, std::size_t exceptions_before);

/// The descriptor a re-run finds the earlier traps' results on.
inline constexpr int kExecReplayFd = 197;

/// In the parent: keeps @p trap as the result of the current test's
/// fork(exec) trap number @p number (from 1).
void keep_exec_trap(int number, ReplayedTrap trap) noexcept;

/// In the parent: keeps the trap's result as a fork(exec) layer leaves it,
/// however it leaves (keep_exec_trap() when the guard ends).
class KeepForReplay {
 public:
  /// For trap @p self, the test's fork(exec) trap number @p number;
  /// @p timed_out says whether an outer timeout layer's deadline passed.
  KeepForReplay(const Trap& self, int number, std::function<bool()> timed_out);
  ~KeepForReplay();
  KeepForReplay(const KeepForReplay&) = delete;
  KeepForReplay& operator=(const KeepForReplay&) = delete;

 private:
  const Trap& self_;
  int number_;
  std::function<bool()> timed_out_;
  std::size_t exceptions_before_;
};

/// In the parent: the bytes to hand the re-run for trap @p number, the
/// results of the current test's traps before it.
std::string replay_before(int number);

/// A test begins: the kept results are forgotten.
void forget_exec_traps() noexcept;

/// In a re-run, at start-up: reads and closes kExecReplayFd.
void load_replay() noexcept;

/// In a re-run: the result its parent saw for trap @p number, which comes
/// before the one the re-run is for.
/// @throws TrapError if the parent handed over none for it (the test took
/// another path) or the list could not be read.
const ReplayedTrap& replayed_trap(int number);

}  // namespace trap::detail
