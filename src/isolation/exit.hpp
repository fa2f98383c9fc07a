// SPDX-License-Identifier: BSL-1.0
// The exit layer's jump target.
#pragma once

#include <setjmp.h>
#include <sys/types.h>

#include <cstddef>

#include "posix/stop_shield.hpp"

namespace trap::detail {

/// Where a trapped exit() jumps to: set up by the exit layer.
struct ExitFrame {
  sigjmp_buf env;
  int code = 0;
  pid_t pid = 0;
  std::size_t depth = 0;                 // traps springing on this thread when it was set
  bool catches_underscore_exit = false;  // the fork layer's frame in its child
  ExitFrame* prev = nullptr;
  ShieldState shield;          // this thread's stop shield when it was set
  void* caught = nullptr;      // the exception being handled then, if any
  unsigned int uncaught = 0;   // std::uncaught_exceptions() then
  std::size_t hub_scopes = 0;  // subtest(), intercept() and todo() calls then
};

/// Makes @p frame the target of exit() on this thread.
ExitFrame* push_exit_frame(ExitFrame& frame);
/// Ends the `catch` blocks entered, and forgets the exceptions thrown, since
/// @p caught was the exception being handled and @p uncaught the number of
/// exceptions in flight: a jump leaves them behind, and
/// std::current_exception() would go on naming a skipped handler's one.
void end_catches_since(void* caught, unsigned int uncaught) noexcept;
/// The exception being handled on this thread (its ABI record), or nullptr.
void* caught_exception() noexcept;
/// The number of exceptions in flight on this thread.
unsigned int uncaught_count() noexcept;
/// Makes the previous frame the target again.
void pop_exit_frame(ExitFrame& frame);
/// The innermost frame of this thread, for UnwindPoint.
ExitFrame* current_exit_frame();
/// Makes @p frame the innermost one again (frames above it were skipped).
void reset_exit_frame(ExitFrame* frame);

}  // namespace trap::detail
