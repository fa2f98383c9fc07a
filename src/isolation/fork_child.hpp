// SPDX-License-Identifier: BSL-1.0
// The fork layer's parts that its fork(exec) style (fork_exec.cpp) shares
// with the plain one (fork.cpp): the child's run, the parent's wait.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <cstddef>
#include <optional>

#include <trap/detail/timeout_deadline.hpp>

#include "isolation/fork_kit.hpp"
#include "isolation/fork_record.hpp"
#include "posix/children.hpp"
#include "posix/fd.hpp"

namespace trap {
class Trap;
}  // namespace trap

namespace trap::detail {

using Deadline = TimeoutDeadline;

/// The exit status of a child whose parent died before it could ask to
/// die with it: nobody reads it.
inline constexpr int kOrphaned = 126;

/// The exit status of a child that could not write even the short record
/// that says its record failed.
inline constexpr int kRecordFailed = 125;
/// Said on the handover socket before that exit: the program exec'd in the
/// child may exit with 125 too.
inline constexpr const char* kRecordFailedLabel = "record-failed";

/// The signal the parent sends at a timeout deadline. A real-time signal:
/// no program expects it, and its default action ends the process.
/// Inline: the child's rescue set-up runs it, from trap's child-path code.
inline int rescue_signal() { return SIGRTMIN + 4; }

/// In the child: runs the layers below and the code, writes the record to
/// @p result_fd and ends the process. The captures' files are handed over
/// on @p handover_fd (see posix::hand_over) when it is not -1.
[[noreturn]] void run_child(Trap& self, int result_fd, std::size_t teardowns_before,
                            int handover_fd = -1);

/// Completes @p self from the record @p r, or from the wait @p status.
void apply(Trap& self, ForkResult& r, int status, bool timed_out,
           const std::optional<Deadline>& deadline);

/// What the parent holds while its child runs. On the heap, and dropped by
/// a teardown of the trap: if an outer in-process timeout jumps past the
/// fork layer, the child is still killed and reaped, and these closed.
struct ForkedChild {
  pid_t pid = -1;
  bool reaped = false;
  bool pooled = false;       ///< its files are a ForkKit, given back on release
  posix::Fd result;          ///< the file the child writes its record to
  posix::Fd handover;        ///< where it hands over its capture files (plain fork)
  posix::Fd handover_child;  ///< the child's end of it, while the parent holds it
  posix::Fd exited;          ///< its pidfd (invalid where unsupported or not needed)
  posix::Fd capture[2];      ///< capture files offered to the child (plain fork, pooled)
  std::size_t capture_offset[2] = {0, 0};  ///< where their captures begin

  ForkedChild() = default;
  ForkedChild(const ForkedChild&) = delete;
  ForkedChild& operator=(const ForkedChild&) = delete;
  ~ForkedChild() { release(); }
  /// Kills and reaps the child unless it was reaped; gives its files back
  /// to the pool (fork_kit.hpp) or closes them.
  void release() noexcept {
    if (pid > 0 && !reaped) posix::kill_and_reap(pid);
    reaped = true;
    if (pooled) {
      pooled = false;
      ForkKit kit;
      kit.result = std::move(result);
      kit.handover = std::move(handover);
      kit.handover_child = std::move(handover_child);
      for (int i = 0; i < 2; ++i) {
        kit.capture[i] = std::move(capture[i]);
        kit.capture_offset[i] = capture_offset[i];
      }
      give_back_fork_kit(std::move(kit), pid);
    }
    result.reset();
    handover.reset();
    handover_child.reset();
    exited.reset();
    capture[0].reset();
    capture[1].reset();
  }
};

/// A ForkedChild for @p self, with its result file (and, if @p pooled, its
/// handover socket: a ForkKit of the pool), owned by a teardown of @p self
/// that releases it (registered here: count the child's teardowns after
/// this call).
ForkedChild& forked_child(Trap& self, bool pooled = false);

/// In the parent: waits for child @p c (until @p deadline), reads its
/// record (and, without one, the capture files it handed over) and
/// completes the trap. @p exec_style: the child is a fork(exec) re-run.
void finish_in_parent(Trap& self, ForkedChild& c, const std::optional<Deadline>& deadline,
                      bool exec_style);

/// A plain fork trap; @p warn: warn once if this process runs threads.
void fork_plain(Trap& self, bool warn);

/// The fork(exec) style (fork_exec.cpp).
void fork_exec_layer(Trap& self);

}  // namespace trap::detail
