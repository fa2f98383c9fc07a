// SPDX-License-Identifier: BSL-1.0
#include "isolation/fork_replay.hpp"

#include <unistd.h>

#include <algorithm>
#include <mutex>
#include <vector>

#include <trap/errors.hpp>

#include "engine/state.hpp"
#include "posix/fd.hpp"

namespace trap::detail {
namespace {

std::mutex kept_mutex;
std::vector<ReplayedTrap> kept;  // the parent's, for the running test

// A re-run's, read once at start-up (from another file's initialiser:
// hence a function-local static).
struct Loaded {
  std::vector<ReplayedTrap> traps;
  std::string error;
};
Loaded& loaded() {
  static Loaded l;
  return l;
}

}  // namespace

ForkResult state_record(const Trap& self, std::size_t exceptions_before) {
  auto* st = Registry::state(self);
  ForkResult r;
  r.leaveby = st->leaveby;
  r.die_type = st->die_type;
  if (st->exceptions.size() > exceptions_before)
    r.exceptions.assign(st->exceptions.begin() + static_cast<std::ptrdiff_t>(exceptions_before),
                        st->exceptions.end());
  r.values = st->values;
  return r;
}

KeepForReplay::KeepForReplay(const Trap& self, int number, std::function<bool()> timed_out)
    : self_(self),
      number_(number),
      timed_out_(std::move(timed_out)),
      exceptions_before_(Registry::state(self)->exceptions.size()) {}

KeepForReplay::~KeepForReplay() {
  try {
    keep_exec_trap(number_,
                   {timed_out_(), encode_fork_result(state_record(self_, exceptions_before_))});
  } catch (...) {
    // Not kept: a later trap's re-run says that it is missing.
  }
}

void keep_exec_trap(int number, ReplayedTrap trap) noexcept {
  try {
    std::lock_guard lock(kept_mutex);
    const auto at = static_cast<std::size_t>(number - 1);
    if (kept.size() <= at) kept.resize(at + 1);
    kept[at] = std::move(trap);
  } catch (...) {
    // No memory: the re-run of a later trap reports the missing result.
  }
}

std::string replay_before(int number) {
  std::lock_guard lock(kept_mutex);
  const auto n = std::min(kept.size(), static_cast<std::size_t>(number - 1));
  return encode_replay(std::vector<ReplayedTrap>(kept.begin(), kept.begin() + n));
}

void forget_exec_traps() noexcept {
  std::lock_guard lock(kept_mutex);
  kept.clear();
}

void load_replay() noexcept {
  try {
    std::string bytes;
    posix::read_from(kExecReplayFd, 0, bytes);
    loaded().traps = decode_replay(bytes);
  } catch (const std::exception& e) {
    loaded().error = e.what();
  }
  ::close(kExecReplayFd);
}

const ReplayedTrap& replayed_trap(int number) {
  const Loaded& l = loaded();
  if (!l.error.empty()) throw TrapError(l.error);
  const auto at = static_cast<std::size_t>(number - 1);
  if (at >= l.traps.size())
    throw TrapError("fork(exec): the test, run again in a new process, made fork(exec) trap " +
                    std::to_string(number) + " before the one it was run for, but the first " +
                    "run had made only " + std::to_string(l.traps.size()) +
                    " before it: the code before the trap must take the same path each time");
  return l.traps[at];
}

}  // namespace trap::detail
