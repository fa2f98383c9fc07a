// The exit layer's jump target.
#pragma once

#include <setjmp.h>
#include <sys/types.h>

#include <cstddef>

namespace trap::detail {

/// Where a trapped exit() jumps to: set up by the exit layer.
struct ExitFrame {
  sigjmp_buf env;
  int code = 0;
  pid_t pid = 0;
  std::size_t depth = 0;  // traps springing on this thread when it was set
  bool catches_underscore_exit = false;  // the fork layer's frame in its child
  ExitFrame* prev = nullptr;
};

/// Makes @p frame the target of exit() on this thread.
ExitFrame* push_exit_frame(ExitFrame& frame);
/// Makes the previous frame the target again.
void pop_exit_frame(ExitFrame& frame);
/// The innermost frame of this thread, for UnwindPoint.
ExitFrame* current_exit_frame();
/// Makes @p frame the innermost one again (frames above it were skipped).
void reset_exit_frame(ExitFrame* frame);

}  // namespace trap::detail
