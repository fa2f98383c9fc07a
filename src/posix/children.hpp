// SPDX-License-Identifier: BSL-1.0
// Process calls: fork, waiting with a deadline, signals, and what a signal
// handler may use. Like fd.hpp, every call retries on EINTR, throws
// std::system_error naming the call, and can be made to fail by
// inject_fault() (see fd.hpp): "fork", "waitpid" (wait_until), "kill",
// "posix_spawn" (spawn). An injected EINTR is retried; EAGAIN from fork or
// posix_spawn (a process limit) is an error like any other. The
// async-signal-safe helpers take no fault.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "posix/fd.hpp"

namespace trap::posix {

/// fork(); 0 in the child. @throws std::system_error "fork"
pid_t fork();

/// For a failed fork(), posix_spawn() or vfork() with @p err: " (the
/// process limit RLIMIT_NPROC N is reached: ulimit -u)" if that is what
/// EAGAIN came of, else "".
std::string process_limit_note(int err);

/// Waits for child @p pid until @p deadline (none: for ever) and reaps it,
/// with @p pidfd (its pidfd) if given, else with one of its own.
/// @returns its wait status, or nothing if the deadline passed first.
std::optional<int> wait_until(pid_t pid,
                              std::optional<std::chrono::steady_clock::time_point> deadline,
                              int pidfd = -1);

/// A descriptor that becomes readable when child @p pid ends (pidfd_open);
/// invalid where the kernel has none.
Fd pidfd(pid_t pid);

/// kill(@p pid, @p sig); a process that is gone already is not an error.
/// Given the child's @p pidfd (see pidfd()), the signal goes through it
/// (pidfd_send_signal): it can never reach a process that took the pid of
/// a child another wait reaped.
void kill(pid_t pid, int sig, int pidfd = -1);

/// Whether this is a child made by vfork (or any fork that ran no atfork
/// handler): its pid differs from the one self_pid() keeps.
bool in_vfork_child() noexcept;

/// Puts the calling process in a process group of its own.
void own_process_group() noexcept;

/// Has the calling process killed (SIGKILL) when the thread that made it
/// ends, and checks that @p parent is still its parent (it may have died
/// before the request was made). Returns false if it is not, or if the
/// request failed.
bool die_with_parent(pid_t parent) noexcept;

/// How many threads this process runs (from /proc; 1 if unknown).
int thread_count() noexcept;

/// How a child ended, read from its wait status.
struct ChildEnd {
  const char* how;  ///< "exit" or "signal": the trap's accessor and leaveby
  int value;        ///< its exit code, or the number of the signal that ended it
};

/// How the child whose wait status is @p wait_status ended; nothing if it
/// neither exited nor was killed by a signal.
std::optional<ChildEnd> child_end(int wait_status) noexcept;

/// Blocks SIGPIPE on the calling thread, so that a write to a pipe whose
/// reader left fails with EPIPE instead of ending the test; restore()
/// undoes it, taking any SIGPIPE held back meanwhile. Not tied to a scope,
/// for owners that release it apart from the stack (see NoSigpipe).
class SigpipeBlock {
 public:
  /// Blocks SIGPIPE on this thread (nothing if it is blocked by this already).
  void block() noexcept;
  /// Puts back the mask block() found; a no-op if block() did nothing.
  void restore() noexcept;

 private:
  sigset_t old_{};
  bool blocked_ = false;
};

/// SIGPIPE blocked on this thread for the life of the object.
class NoSigpipe {
 public:
  NoSigpipe() noexcept { block_.block(); }
  ~NoSigpipe() { block_.restore(); }
  NoSigpipe(const NoSigpipe&) = delete;
  NoSigpipe& operator=(const NoSigpipe&) = delete;

 private:
  SigpipeBlock block_;
};

/// The name of signal @p sig ("SIGSEGV"; a real-time one as bash's `kill -l`
/// names it: "SIGRTMIN", "SIGRTMIN+3", "SIGRTMAX-2"), or "signal N".
std::string signal_name(int sig);

/// No core file for this process (RLIMIT_CORE 0).
void no_core_files() noexcept;

/// Async-signal-safe: copies everything from @p offset to the end of file
/// @p from to @p to, after a header line "KIND NAME LENGTH\n" (a negative
/// @p from gives an empty region). Returns false
/// if a call failed.
bool copy_region_signal_safe(int from, off_t offset, int to, const char* kind,
                             const char* name) noexcept;

/// Async-signal-safe write of all of [data, data+n).
bool write_signal_safe(int fd, const char* data, std::size_t n) noexcept;

/// The real _exit, whatever the program defines: ends the process now.
[[noreturn]] void exit_now(int code) noexcept;

}  // namespace trap::posix

namespace trap::posix {

/// Puts child @p pid in a process group of its own (the parent's side of
/// own_process_group(), so neither waits for the other).
void set_process_group(pid_t pid) noexcept;

/// Last resort after a failed wait: kills @p pid's process group and reaps
/// @p pid, ignoring every error.
void kill_and_reap(pid_t pid) noexcept;

/// Whether process group @p group has a process left (kill with signal 0;
/// true on any error but "no such process").
bool group_has_processes(pid_t group) noexcept;

}  // namespace trap::posix

namespace trap::posix {

/// Where a spawned program's descriptor @p to comes from: descriptor
/// @p from, or /dev/null when @p from is negative.
struct Redirect {
  int from;
  int to;
};

/// posix_spawn(): starts @p path with @p argv and @p env (each "K=V"), with
/// @p redirects applied, an empty signal mask, and in a process group of its
/// own. @throws std::system_error "posix_spawn "PATH""
pid_t spawn(const std::string& path, const std::vector<std::string>& argv,
            const std::vector<std::string>& env, const std::vector<Redirect>& redirects);

}  // namespace trap::posix

namespace trap::posix {

/// A connected pair of datagram sockets (close-on-exec) over which a child
/// hands descriptors to its parent: [parent's end, child's end].
/// @throws std::system_error "socketpair"
std::pair<Fd, Fd> handover_socket();

/// Sends a copy of descriptor @p fd (none if it is negative) with the label
/// @p label (at most 200 bytes) over @p socket, without blocking.
/// Async-signal-safe; false if it could not be sent.
bool hand_over(int socket, int fd, const char* label) noexcept;

/// A descriptor received by take_handed_over() (invalid if none came),
/// with its label.
struct HandedOver {
  std::string label;
  Fd fd;
};

/// Everything queued on @p socket now, without waiting.
std::vector<HandedOver> take_handed_over(int socket);

/// Receives and closes everything queued on @p socket now, without waiting
/// and without allocating (a parent that has just forked: each fresh heap
/// block is a page fault).
void discard_handed_over(int socket);

}  // namespace trap::posix
