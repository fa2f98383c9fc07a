// The fork layer's parts that its fork(exec) style (fork_exec.cpp) shares
// with the plain one (fork.cpp): the child's run, the parent's wait.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <optional>

#include "fork.hpp"
#include "fork_record.hpp"
#include "posix/fd.hpp"

namespace trap {
class Trap;
}  // namespace trap

namespace trap::detail {

using Deadline = TimeoutDeadline;

/// The exit status of a child whose parent died before it could ask to
/// die with it: nobody reads it.
inline constexpr int kOrphaned = 126;

/// In the child: runs the layers below and the code, writes the record to
/// @p result_fd and ends the process. The captures' files are handed over
/// on @p handover_fd (see posix::hand_over) when it is not -1.
[[noreturn]] void run_child(Trap& self, int result_fd, std::size_t teardowns_before,
                            int handover_fd = -1);

/// Completes @p self from the record @p r, or from the wait @p status.
void apply(Trap& self, ForkResult& r, int status, bool timed_out,
           const std::optional<Deadline>& deadline);

/// In the parent: waits for child @p pid (until @p deadline), reads its
/// record from @p result (and, without one, the capture files it handed
/// over on @p handover) and completes the trap. @p exec_style: the child
/// is a fork(exec) re-run.
void finish_in_parent(Trap& self, pid_t pid, posix::Fd& result,
                      const std::optional<Deadline>& deadline, bool exec_style,
                      int handover = -1);

/// A new file for a child's record (memfd, else a temp file).
posix::Fd result_file(Trap& self);

/// A plain fork trap; @p warn: warn once if this process runs threads.
void fork_plain(Trap& self, bool warn);

/// The fork(exec) style (fork_exec.cpp).
void fork_exec_layer(Trap& self);

}  // namespace trap::detail
