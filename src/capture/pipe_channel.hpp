// SPDX-License-Identifier: BSL-1.0
// The pipe and tee strategies' shared parts: a capture's channel (its
// pipe and what has been read from it), and the one drainer thread that
// reads every channel of the process while the code runs
// (strategies/pipe_drainer.cpp; the captures are strategies/pipe.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <string>

#include "posix/fd.hpp"

namespace trap::detail {

// One capture's pipe and what has been read from it. The drainer and the
// capture's own thread take turns under `m`. Locks are taken in one order:
// a channel's `m`, then the channel it tees into (older), then the
// drainer's mutex; never the other way.
struct Channel {
  posix::Fd read;        // the read end (reads are sized by FIONREAD)
  int tee_to = -1;       // the original descriptor, for tee
  posix::FileId pipe;    // known once a tee has looked for it
  posix::FileId target;  // what tee_to is, known from the first tee
  bool target_known = false;
  std::uint64_t key = 0;  // its key in the drainer's epoll set
  bool watched = false;   // in the epoll set (under the drainer's mutex)
  int owner_pid = 0;      // the process that registered it
  std::mutex m;
  std::string data;
  std::exception_ptr error;
  bool done = false;   // ended, at end of file or failed: no more reads
  bool grown = false;  // pipe buffer raised (or refused)
  int failures = 0;    // reads failed in a row
  // Out of memory: what came since was read and thrown away, so that the
  // writer never waits for ever on a full pipe; the capture ends in error.
  bool discarding = false;
  std::size_t kept = 0;       // bytes held when memory ran out
  std::size_t discarded = 0;  // bytes thrown away since
};

/// Reads what @p c's pipe holds into c.data, teeing it: one read of what it
/// holds now, or (@p until_empty) until it is empty. Returns how many bytes.
/// Called under c.m.
std::size_t pump(Channel& c, bool until_empty);

/// Registers @p c with the drainer, starting its thread on first use; the
/// pipe is watched from the drainer's next tick.
void drainer_add(const std::shared_ptr<Channel>& c);

/// Stops serving @p c; the drainer may still be reading it (under c.m).
void drainer_withdraw(const Channel& c) noexcept;

/// The active capture other than @p self whose pipe is @p id, if any.
std::shared_ptr<Channel> drainer_find_pipe(const Channel& self, posix::FileId id);

/// Whether the calling thread is the drainer.
bool on_drainer_thread() noexcept;

}  // namespace trap::detail
