// SPDX-License-Identifier: BSL-1.0
// trap::run's side of a running program: its input, its two outputs and
// its end, followed with poll() (no Asio state on the stack, which an outer
// in-process timeout's jump would leave dangling).
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>

#include "posix/children.hpp"
#include "posix/fd.hpp"

namespace trap::detail {

/// The program's pipes and pidfd, and this thread's SIGPIPE mask: owned
/// apart from the stack, so that a teardown releases them if an outer
/// timeout jumps past trap::run.
class ProgramPipes {
 public:
  posix::Fd in, out, err;  ///< the program's stdin (ours to write), stdout, stderr
  posix::Fd exited;        ///< readable when it ends (pidfd; invalid if unsupported)

  ProgramPipes() = default;
  ~ProgramPipes() { allow_sigpipe(); }
  ProgramPipes(const ProgramPipes&) = delete;
  ProgramPipes& operator=(const ProgramPipes&) = delete;

  /// Blocks SIGPIPE on this thread: writing to a program that does not
  /// read its input must not end the test.
  void block_sigpipe() noexcept { sigpipe_.block(); }
  /// Undoes block_sigpipe(), taking any SIGPIPE it held back.
  void allow_sigpipe() noexcept { sigpipe_.restore(); }

 private:
  posix::SigpipeBlock sigpipe_;
};

/// What the program wrote, and whether the deadline stopped it.
struct ProgramOutput {
  std::string out, err;
  bool timed_out = false;
};

/// Feeds the program @p pid its @p input and reads its output until it
/// exits, or until @p deadline, when its process group and it are killed;
/// then takes what is already buffered and returns, closing every pipe: a
/// background child holding the pipes open does not delay the call.
/// @throws std::system_error "poll"
ProgramOutput follow_program(ProgramPipes& pipes, pid_t pid, const std::string& input,
                             std::optional<std::chrono::steady_clock::time_point> deadline);

}  // namespace trap::detail
