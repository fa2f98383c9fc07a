// SPDX-License-Identifier: BSL-1.0
// Keeps asynchronous stops (a signal handler that jumps, as the in-process
// timeout's) out of trap's own critical sections: while a thread springs or
// tears down a trap, reports to a hub or holds a capture router's lock, the
// stop signals registered with trap::defer_stop_signal() are blocked on it,
// and a stop that comes meanwhile is delivered as the thread leaves.
#pragma once

namespace trap::detail {

/// Where a thread stands, for a jump target to put back after a jump.
struct ShieldState {
  int depth = 0;         // nested shields
  bool blocked = false;  // the outermost shield blocked the stop signals
};

/// This thread's state now.
ShieldState shield_state() noexcept;
/// Puts this thread's state back after a jump to @p s's jump target (whose
/// own sigsetjmp restored the signal mask of that moment).
void reset_shield(ShieldState s) noexcept;

/// Enters (constructor) and leaves (destructor) a critical section. The
/// destructor of the outermost one may deliver a pending stop: it must be
/// the last thing in its section.
class StopShield {
 public:
  StopShield() noexcept;
  ~StopShield();
  StopShield(const StopShield&) = delete;
  StopShield& operator=(const StopShield&) = delete;
};

/// The pair without a scope, for locks taken and released in different
/// functions.
void enter_shield() noexcept;
void leave_shield() noexcept;

/// Lets stops in again while trapped code runs inside a critical section
/// (Trap::run): the code may be stopped; trap's own code around it may not.
/// Also where the thread blocked them itself before the trap: they are
/// blocked again when the gap ends.
class StopGap {
 public:
  StopGap() noexcept;
  ~StopGap();
  StopGap(const StopGap&) = delete;
  StopGap& operator=(const StopGap&) = delete;

 private:
  ShieldState outer_;
  bool reblock_ = false;  // they were blocked as the gap began
};

}  // namespace trap::detail
