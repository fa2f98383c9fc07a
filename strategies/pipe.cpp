// SPDX-License-Identifier: BSL-1.0
// pipe: a pipe dup2'ed onto the descriptor, drained into memory while the
// code runs. Captures what dup2 captures, without touching the disk, and any
// amount without deadlock. With `tee`, every chunk is also copied to the
// original descriptor as it arrives.
//
// One drainer thread (strategies/pipe_drainer.cpp) serves every pipe
// capture of the process; at the end a capture restores the descriptor,
// withdraws its pipe from the drainer and reads the rest itself.
#include <algorithm>
#include <exception>
#include <memory>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

#include "capture/capture.hpp"
#include "capture/pipe_channel.hpp"
#include "capture/strategies.hpp"
#include "posix/children.hpp"

namespace trap::detail {
namespace {

// The pipe buffer a capture gets once it has filled the default one (64
// KiB): fewer wake-ups of writer and drainer per MiB.
constexpr int kBigPipe = 1 << 20;
constexpr std::size_t kFull = 32 * 1024;

// Switches @p c to discarding: its data is freed, for the program's sake.
void out_of_memory(Channel& c) noexcept {
  c.discarding = true;
  c.kept = c.data.size();
  std::string().swap(c.data);
}

// Copies tee output to the original descriptor. When that is the pipe of
// another capture of this process (a tee inside a tee, or another thread's
// capture), the bytes are handed to that capture directly: the drainer must
// not block writing into a pipe that only it drains.
//
// The original descriptor is looked at once (fstat): a file or a terminal
// can be neither another capture's pipe nor raise SIGPIPE, so a tee there
// costs one write.
void tee_out(Channel& c, const char* data, std::size_t n) {
  if (!c.target_known) {
    c.target = posix::file_id(c.tee_to);
    c.target_known = true;
  }
  // Unknown (fstat failed): taken for a pipe.
  const bool pipe_like = c.target.ino == 0 || c.target.pipe_like;
  for (int tries = 0; pipe_like && tries < 3; ++tries) {
    std::shared_ptr<Channel> into = drainer_find_pipe(c, c.target);
    if (!into) break;
    std::lock_guard lock(into->m);
    if (into->done) continue;  // it ended: the descriptor now points elsewhere
    // What that pipe holds was written before these bytes.
    pump(*into, true);
    if (!into->discarding) {
      try {
        into->data.append(data, n);
      } catch (const std::bad_alloc&) {
        out_of_memory(*into);
      }
    }
    if (into->discarding) into->discarded += n;
    if (into->tee_to >= 0) tee_out(*into, data, n);
    return;
  }
  try {
    if (on_drainer_thread() || !pipe_like) {
      posix::write_all(c.tee_to, data, n);
    } else {
      // SIGPIPE from a tee into a reader that left must not end the test.
      posix::NoSigpipe no_sigpipe;
      posix::write_all(c.tee_to, data, n);
    }
  } catch (const std::system_error&) {
    // The original stream is gone (closed, or a reader that left): keep
    // capturing, as writing there directly would have failed too.
  }
}

// One read of up to @p want bytes into c.data, teed; once memory has run
// out, into a buffer on the stack, thrown away. Returns read_some()'s.
ssize_t take_some(Channel& c, int fd, std::size_t want) {
  const std::size_t old = c.data.size();
  if (!c.discarding) {
    try {
      c.data.resize(old + want);
    } catch (const std::bad_alloc&) {
      out_of_memory(c);
    }
  }
  if (!c.discarding) {
    ssize_t n = -1;
    try {
      n = posix::read_some(fd, c.data.data() + old, want);
    } catch (...) {
      c.data.resize(old);
      throw;
    }
    c.data.resize(old + static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
    if (n > 0 && c.tee_to >= 0) tee_out(c, c.data.data() + old, static_cast<std::size_t>(n));
    return n;
  }
  char buf[64 * 1024];
  ssize_t n = posix::read_some(fd, buf, std::min(want, sizeof buf));
  if (n <= 0) return n;
  c.discarded += static_cast<std::size_t>(n);
  if (c.tee_to >= 0) tee_out(c, buf, static_cast<std::size_t>(n));
  return n;
}

}  // namespace

// A read that finds nothing although FIONREAD saw bytes is asked again.
// Reads are sized by FIONREAD: they never wait, and the read end needs no
// O_NONBLOCK. Each asks for one byte more than FIONREAD saw: one
// that returns exactly what it saw emptied the pipe (no second FIONREAD).
std::size_t pump(Channel& c, bool until_empty) {
  const int fd = c.read.get();
  std::size_t taken = 0;
  for (;;) {
    const std::size_t want = posix::readable_bytes(fd);
    if (want == 0) break;
    if (want >= kFull && !c.grown) {
      c.grown = true;
      posix::set_pipe_size(fd, kBigPipe);  // an optimisation: refusal is fine
    }
    ssize_t n = take_some(c, fd, want + 1);
    if (n < 0) continue;
    if (n == 0) break;
    taken += static_cast<std::size_t>(n);
    if (static_cast<std::size_t>(n) == want || !until_empty) break;  // emptied, or one read
  }
  return taken;
}

namespace {

// Keeps @p n bytes just read into @p buf: appended to c.data (once memory
// has run out, counted and thrown away) and teed.
void keep(Channel& c, const char* buf, std::size_t n) {
  if (!c.discarding) {
    try {
      c.data.append(buf, n);
    } catch (const std::bad_alloc&) {
      out_of_memory(c);
    }
  }
  if (c.discarding) c.discarded += n;
  if (c.tee_to >= 0) tee_out(c, buf, n);
}

// What the pipe holds at the capture's end, on the capture's own thread.
// The usual rest, a few bytes, costs one read that never waits and no
// FIONREAD: a read of less than it asked for emptied the pipe. Otherwise
// (more, none, or a pipe busy or not readable so) pump() asks FIONREAD.
void take_remaining(Channel& c) {
  char buf[16 * 1024];
  const ssize_t n = posix::read_nowait(c.read.get(), buf, sizeof buf);
  if (n == 0) return;  // end of file: every writer is gone
  if (n > 0) keep(c, buf, static_cast<std::size_t>(n));
  if (n < 0 || static_cast<std::size_t>(n) == sizeof buf) pump(c, true);
}

class PipeCapture final : public Capture {
 public:
  PipeCapture(int fd, bool tee) : Capture(fd), tee_(tee) {}
  ~PipeCapture() override {
    if (channel_) close_channel(false);
  }

 private:
  bool do_begin() override {
    flush_streams(fd());
    auto [read_end, write_end] = posix::pipe();
    auto c = std::make_shared<Channel>();
    c->read = std::move(read_end);
    saved_ = divert(fd(), write_end.get());
    if (!saved_) return false;
    if (tee_) c->tee_to = saved_.get();
    // Registered once the stream is diverted (tee writes to saved_); a
    // writer that fills the pipe meanwhile only waits.
    try {
      drainer_add(c);
    } catch (...) {
      restore(fd(), saved_.get());
      throw;
    }
    channel_ = std::move(c);
    return true;
  }

  std::string do_end() override {
    restore(fd(), saved_.get());
    std::exception_ptr error = close_channel(true);
    saved_.reset();
    const std::shared_ptr<Channel> closed = std::move(channel_);  // the destructor's done
    Channel& c = *closed;
    if (error) std::rethrow_exception(error);
    if (c.discarding)
      throw std::runtime_error("pipe capture of fd " + std::to_string(fd()) +
                               " ran out of memory after " + std::to_string(c.kept) +
                               " bytes: the " + std::to_string(c.discarded) +
                               " bytes written after them were read and discarded");
    return std::move(c.data);
  }

  // Withdraws the pipe from the drainer, takes what is left in it (with
  // @p take_rest) and closes it, here and now: the drainer may still hold
  // the channel, but not the descriptor, whose number the program may reuse.
  // @returns the error, taken out under the lock so the drainer never frees it.
  std::exception_ptr close_channel(bool take_rest) noexcept {
    Channel& c = *channel_;
    drainer_withdraw(c);
    // A forked child has no drainer: the lock, maybe held at the fork, is not taken.
    std::unique_lock lock(c.m, std::defer_lock);
    if (c.owner_pid == posix::self_pid()) lock.lock();
    // What the pipe holds now; a child process that still holds the write
    // end does not keep the trap open.
    if (take_rest && !c.done && !c.error) {
      try {
        take_remaining(c);
      } catch (...) {
        c.error = std::current_exception();
      }
    }
    c.done = true;
    c.read.reset();
    return std::exchange(c.error, nullptr);
  }

  bool tee_;
  posix::Fd saved_;
  std::shared_ptr<Channel> channel_;
};

}  // namespace

StrategyFn pipe_like_strategy(bool tee) { return strategy_of<PipeCapture>(tee); }
StrategyFn pipe_strategy() { return pipe_like_strategy(false); }

}  // namespace trap::detail
