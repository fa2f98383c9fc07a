// SPDX-License-Identifier: BSL-1.0
// The files a plain fork trap gives its child, kept for the next fork trap:
// the result file the child writes its record to, the socket it hands
// its capture files over on, and the two files its first two in-memory
// captures write to. Creating them costs more than the rest of the
// parent's side (memfd_create 5 µs, socketpair 10 µs on the benchmark VM),
// and in the child each file it creates is three more system calls and
// code pages first run there: page faults. Emptying them for the next trap
// costs a truncation and a read that finds the socket empty; taking them,
// the size of each capture file (its next trap's output begins there).
#pragma once

#include <sys/types.h>

#include <cstddef>

#include "posix/fd.hpp"

namespace trap::detail {

/// One child's files. All close on exec.
struct ForkKit {
  posix::Fd result;          ///< the child's record (memfd, else a temp file)
  posix::Fd handover;        ///< the parent's end of the handover socket
  posix::Fd handover_child;  ///< the child's end, which the parent keeps for reuse
  /// Capture files (memfds as capture.hpp's PooledFile::memory makes them;
  /// invalid where memfd is missing) for the child's captures, each written
  /// from capture_offset on: the size its last trap left.
  posix::Fd capture[2];
  std::size_t capture_offset[2] = {0, 0};
};

/// A kit of this process's pool, emptied by the trap that gave it back, or
/// new ones; its capture files' offsets are their sizes now (one past
/// PooledFile::kKeep bytes is replaced by a new file). Kits pooled by the
/// process this one was forked from are never taken: that process may be
/// using them.
/// @throws std::system_error when a file or the socket cannot be created.
ForkKit take_fork_kit();

/// Pools @p kit for the next fork trap, emptied, when no process but this
/// one can still write to it: @p group, the process group of the child it
/// was given to, has no process left (a grandchild that kept the files would
/// write into a later trap's); -1 when it was never given to a child.
/// Otherwise, or if it cannot be emptied, closes it. Never throws.
void give_back_fork_kit(ForkKit&& kit, pid_t group) noexcept;

/// How many kits this process's pool holds, with the one the calling thread
/// keeps for its next trap (for tests).
int pooled_fork_kits() noexcept;

}  // namespace trap::detail
