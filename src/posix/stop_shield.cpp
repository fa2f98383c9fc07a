// SPDX-License-Identifier: BSL-1.0
#include "posix/stop_shield.hpp"

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cstdint>

#include <trap/builder.hpp>

#include "posix/child_path.hpp"

namespace trap::detail {
namespace {

// The registered stop signals, one bit each (signals 1 to 64).
std::atomic<std::uint64_t> stop_bits{0};

thread_local ShieldState shield;
// Whether this thread may receive a stop: others never pay for shields.
thread_local bool stops_here = false;

bool stop_set(sigset_t& set) noexcept {
  const std::uint64_t bits = stop_bits.load(std::memory_order_relaxed);
  if (bits == 0 || !stops_here) return false;
  sigemptyset(&set);
  for (int sig = 1; sig <= 64; ++sig)
    if (bits & (std::uint64_t{1} << (sig - 1))) sigaddset(&set, sig);
  return true;
}

// Blocks the stop signals; true if one of them was not blocked before.
bool block_stops(const sigset_t& set) noexcept {
  sigset_t old;
  ::pthread_sigmask(SIG_BLOCK, &set, &old);
  for (int sig = 1; sig <= 64; ++sig)
    if (sigismember(&set, sig) == 1 && sigismember(&old, sig) == 0) return true;
  return false;
}

// A pending stop is delivered here: its handler may jump.
void unblock_stops() noexcept {
  sigset_t set;
  if (stop_set(set)) ::pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

}  // namespace

TRAP_CHILD_PATH ShieldState shield_state() noexcept { return shield; }

void reset_shield(ShieldState s) noexcept { shield = s; }

void enter_shield() noexcept {
  if (shield.depth++ > 0) return;
  sigset_t set;
  if (stop_set(set)) shield.blocked = block_stops(set);
}

void leave_shield() noexcept {
  if (shield.depth == 0 || --shield.depth > 0 || !shield.blocked) return;
  shield.blocked = false;
  unblock_stops();
}

StopShield::StopShield() noexcept { enter_shield(); }
StopShield::~StopShield() { leave_shield(); }

// Blocked before the gap, by the outer shield or by the program itself (a
// thread that blocks every signal before its trap): the code in the gap
// may be stopped all the same, and they are blocked again after it.
TRAP_CHILD_PATH StopGap::StopGap() noexcept : outer_(shield) {
  shield = {};
  sigset_t set;
  if (!stop_set(set)) return;
  sigset_t old;
  ::pthread_sigmask(SIG_UNBLOCK, &set, &old);
  for (int sig = 1; sig <= 64 && !reblock_; ++sig)
    reblock_ = sigismember(&set, sig) == 1 && sigismember(&old, sig) == 1;
}

TRAP_CHILD_PATH StopGap::~StopGap() {
  sigset_t set;
  if (reblock_ && stop_set(set)) block_stops(set);
  shield = outer_;
}

}  // namespace trap::detail

namespace trap {

void defer_stop_signal(int signo) {
  if (signo < 1 || signo > 64)
    throw UsageError("defer_stop_signal: no such signal " + std::to_string(signo));
  const std::uint64_t bit = std::uint64_t{1} << (signo - 1);
  detail::stop_bits.fetch_or(bit, std::memory_order_relaxed);
  detail::stops_here = true;
  // Registered from inside a critical section (a layer): it is one from now.
  auto& s = detail::shield;
  if (s.depth > 0 && !s.blocked) {
    sigset_t set;
    if (detail::stop_set(set)) s.blocked = detail::block_stops(set);
  }
}

}  // namespace trap
