// SPDX-License-Identifier: BSL-1.0
// The test servers' public calls against in-process stops (the timeout
// layer's jump out of the code, from a signal handler): a call that holds
// a server's lock, or waits on its condition variable, when the stop comes
// would leave the lock held (glibc takes a condition variable's mutex back
// on a jump out of its wait), and every later call, the server's own
// thread and its shutdown wait for ever. Such a call is a critical section
// (posix/stop_shield.hpp); a long wait is one slice at a time, so that the
// stop still comes promptly, between two slices, with nothing held.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include <trap/errors.hpp>

#include "posix/fd.hpp"
#include "posix/stop_shield.hpp"

namespace trap::net::detail {

using SteadyClock = std::chrono::steady_clock;

/// @p timeout from now, or the far future for a timeout beyond it
/// (milliseconds::max(): as long as it takes), never an overflow into the
/// past.
inline SteadyClock::time_point deadline_after(std::chrono::milliseconds timeout) {
  const auto now = SteadyClock::now();
  const auto room =
      std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::time_point::max() - now);
  return timeout >= room ? SteadyClock::time_point::max() : now + timeout;
}

/// @throws UsageError naming @p who when called in a process other than
/// @p owner, the one that made the server: a fork trap's child has a copy
/// of the server without its thread, where a call would wait for ever for
/// the thread's answer, or change the copy only.
inline void check_owner(int owner, std::string_view who) {
  const int here = posix::self_pid();
  if (here == owner) return;
  throw UsageError(std::string(who) + ": called in process " + std::to_string(here) +
                   ", a forked child of process " + std::to_string(owner) +
                   ", which made the server and alone runs its thread; call it there, or "
                   "make the server in the child");
}

/// In a forked child of @p owner (a fork trap's, where a server made
/// before the trap is destroyed), lets @p impl go without closing or
/// joining anything (the child has a copy of the server without its
/// thread, which a join would wait for for ever) and returns true.
template <class Ptr>
bool left_in_child(Ptr& impl, int owner) {
  if (!impl || posix::self_pid() == owner) return false;
  new Ptr(std::move(impl));  // kept until the child ends
  return true;
}

/// A public call's hold of a server's lock: also a critical section for
/// in-process stops. A stop that comes meanwhile is delivered as the call
/// leaves, after the lock is released.
class Held {
 public:
  explicit Held(std::mutex& m) : lock_(m) {}
  std::unique_lock<std::mutex>& lock() { return lock_; }

 private:
  trap::detail::StopShield shield_;  // first in, last out
  std::unique_lock<std::mutex> lock_;
};

/// How late a stop that comes during wait_stoppable() is delivered, at most.
inline constexpr std::chrono::milliseconds kStopSlice{20};

/// The end of the slice of a wait until @p until to take now, inside a
/// Held: on a thread that in-process stops may reach (the Held's shield
/// blocked them), kStopSlice from now at most; else @p until.
inline SteadyClock::time_point slice_end(SteadyClock::time_point until) {
  return trap::detail::shield_state().blocked ? std::min(until, SteadyClock::now() + kStopSlice)
                                              : until;
}

/// Waits on @p cv with @p m held until @p ready() or @p until, then returns
/// @p result(), both called with @p m held: slice by slice (slice_end()),
/// each its own critical section, so that a stop is delivered between two.
template <class Ready, class Result>
auto wait_stoppable(std::mutex& m, std::condition_variable& cv, SteadyClock::time_point until,
                    Ready ready, Result result) {
  for (;;) {
    Held held(m);
    const auto slice = slice_end(until);
    if (cv.wait_until(held.lock(), slice, ready) || slice == until) return result();
  }
}

}  // namespace trap::net::detail
