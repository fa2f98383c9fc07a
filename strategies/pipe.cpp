// SPDX-License-Identifier: BSL-1.0
// pipe: a pipe dup2'ed onto the descriptor, drained into memory while the
// code runs. Captures what dup2 captures, without touching the disk, and any
// amount without deadlock. With `tee`, every chunk is also copied to the
// original descriptor as it arrives.
//
// One drainer thread serves every pipe capture of the process. It starts
// with the first capture and lives as long as the process: a reader thread
// started and joined per capture cost ~100 µs a trap, thirty times the pipe
// itself. The drainer watches the captures' pipes with epoll and reads what
// arrives, so a writer that fills a pipe does not wait for ever, and tee's
// copies go out as the data comes. At the end a capture restores the
// descriptor, withdraws its pipe and reads the rest itself: ending costs no
// round trip to the drainer.
//
// A capture is watched only from the drainer's next tick, within a
// millisecond: most traps end before that, so their writes wake no thread
// and cost no epoll_ctl; a writer that fills the pipe first waits until the
// tick, and tee's copies of what came before show at the tick (or when the
// capture ends, if that comes first), and as they arrive after it. The
// drainer ticks while captures come and go, and sleeps once none has for a
// while.
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <new>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <vector>

#include "capture/capture.hpp"
#include "capture/strategies.hpp"
#include "posix/children.hpp"

namespace trap::detail {
namespace {

// The pipe buffer a capture gets once it has filled the default one (64
// KiB): fewer wake-ups of writer and drainer per MiB.
constexpr int kBigPipe = 1 << 20;
constexpr std::size_t kFull = 32 * 1024;
constexpr int kTickMs = 1;
// Ticks without any capture before the drainer sleeps until the next one.
constexpr int kIdleTicks = 200;

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

// Switches @p c to discarding: its data is freed, for the program's sake.
void out_of_memory(Channel& c) noexcept {
  c.discarding = true;
  c.kept = c.data.size();
  std::string().swap(c.data);
}

thread_local bool on_drainer = false;

std::size_t pump(Channel& c, bool until_empty);

class Drainer {
 public:
  // Never destroyed: its thread runs until the process ends.
  static Drainer& get() {
    static auto* d = new Drainer;
    return *d;
  }

  // Registers @p c, starting the drainer thread on first use; it is
  // watched from the next tick.
  void add(const std::shared_ptr<Channel>& c) {
    int wake = -1;
    {
      std::lock_guard lock(mutex_);
      if (!running_) start_locked();
      c->key = next_key_++;
      c->owner_pid = posix::self_pid();
      if (!ticking_) {
        ticking_ = true;  // asleep without a timeout: woken to tick
        wake = wake_write_.get();
      }
      channels_.push_back(c);
      idle_ticks_ = 0;
    }
    if (wake < 0) return;
    try {
      posix::write_all(wake, "t", 1);
    } catch (...) {
      std::lock_guard lock(mutex_);
      ticking_ = false;
      withdraw_locked(*c);
      throw;
    }
  }

  // 1 while the drainer thread runs in this process, else 0.
  static int threads() noexcept { return alive_.load() ? 1 : 0; }

  // Stops serving @p c; the drainer may still be reading it (under c.m).
  void withdraw(const Channel& c) noexcept {
    std::lock_guard lock(mutex_);
    withdraw_locked(c);
  }

  // The active capture other than @p self whose pipe is @p id, if any.
  std::shared_ptr<Channel> find_pipe(const Channel& self, posix::FileId id) {
    if (id.ino == 0) return nullptr;
    std::lock_guard lock(mutex_);
    for (auto& c : channels_) {
      if (c.get() == &self) continue;
      if (c->pipe.ino == 0) c->pipe = posix::file_id(c->read.get());
      if (c->pipe == id) return c;
    }
    return nullptr;
  }

 private:
  Drainer() { ::pthread_atfork(&before_fork, &after_fork_parent, &after_fork_child); }

  // The thread takes no signal meant for the program, and its tee writes
  // into a closed pipe fail with EPIPE instead of raising SIGPIPE.
  void start_locked() {
    posix::Fd ep = posix::epoll();
    auto [wake_read, wake_write] = posix::pipe();
    posix::epoll_add(ep.get(), wake_read.get(), 0);
    sigset_t all, old;
    sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &old);
    struct RestoreMask {
      sigset_t* mask;
      ~RestoreMask() { ::pthread_sigmask(SIG_SETMASK, mask, nullptr); }
    } restore_mask{&old};
    std::thread([this, fd = ep.get()] { run(fd); }).detach();
    ep_ = std::move(ep);
    wake_read_ = std::move(wake_read);
    wake_write_ = std::move(wake_write);
    running_ = true;
    alive_ = true;
    ticking_ = false;
  }

  void withdraw_locked(const Channel& c) noexcept {
    auto it = std::find_if(channels_.begin(), channels_.end(),
                           [&](const auto& x) { return x.get() == &c; });
    if (it == channels_.end()) return;
    if (ep_ && c.watched) posix::epoll_remove(ep_.get(), c.read.get());
    channels_.erase(it);
  }

  void run(int ep) noexcept {
    on_drainer = true;
    posix::EpollReady ready[16];
    for (;;) {
      int n = 0;
      try {
        n = posix::epoll_wait_keys(ep, ready, 16, tick() ? kTickMs : -1);
      } catch (...) {
        return fail_all(std::current_exception());
      }
      for (int i = 0; i < n; ++i) {
        if (ready[i].key == 0) {
          char buf[64];
          (void)posix::read_some(wake_read_.get(), buf, sizeof buf);
        } else {
          serve(ready[i].key, ready[i].hangup);
        }
      }
    }
  }

  // Watches every capture not watched yet; false once none has come for
  // kIdleTicks ticks (then only add() wakes the drainer).
  bool tick() noexcept {
    std::lock_guard lock(mutex_);
    if (channels_.empty() && ++idle_ticks_ > kIdleTicks) ticking_ = false;
    for (auto& c : channels_) {
      if (c->watched) continue;
      try {
        posix::epoll_add(ep_.get(), c->read.get(), c->key);
        c->watched = true;
      } catch (...) {
        // Out of kernel memory: tried again at the next tick.
      }
    }
    return ticking_;
  }

  void serve(std::uint64_t key, bool hangup) noexcept {
    std::shared_ptr<Channel> c = find(key);
    if (!c) return;  // withdrawn since epoll_wait reported it
    {
      std::lock_guard lock(c->m);
      if (c->done) return;
      try {
        // Empty and hung up: every writer is gone, nothing more will come.
        if (pump(*c, false) > 0 || !hangup) {
          c->failures = 0;
          return;
        }
      } catch (...) {
        // Reported when the capture ends; meanwhile the pipe is drained
        // on, or the code would block on a full pipe. A second failure in
        // a row ends it.
        if (!c->error) c->error = std::current_exception();
        if (++c->failures < 2) return;
      }
      c->done = true;  // at end of file, or failed
    }
    withdraw(*c);
  }

  std::shared_ptr<Channel> find(std::uint64_t key) {
    std::lock_guard lock(mutex_);
    for (auto& c : channels_)
      if (c->key == key) return c;
    return nullptr;
  }

  // epoll_wait failed (it cannot, short of a kernel bug): every capture
  // reports it, and the next one starts a new drainer.
  void fail_all(std::exception_ptr e) noexcept {
    std::vector<std::shared_ptr<Channel>> served;
    {
      std::lock_guard lock(mutex_);
      served.swap(channels_);
      running_ = false;
      alive_ = false;
      ep_.reset();
      wake_read_.reset();
      wake_write_.reset();
    }
    for (auto& c : served) {
      std::lock_guard lock(c->m);
      if (!c->error) c->error = e;
      c->done = true;
    }
  }

  // A forked child has no drainer thread and shares the parent's epoll set:
  // it forgets both, and its first pipe capture starts its own.
  static void before_fork() { get().mutex_.lock(); }
  static void after_fork_parent() { get().mutex_.unlock(); }
  static void after_fork_child() {
    Drainer& d = get();
    d.ep_.reset();
    d.wake_read_.reset();
    d.wake_write_.reset();
    d.running_ = false;
    alive_ = false;
    d.channels_.clear();
    d.mutex_.unlock();
  }

  std::mutex mutex_;
  posix::Fd ep_, wake_read_, wake_write_;
  bool running_ = false;
  static inline std::atomic<bool> alive_{false};  // running_, for readers without the lock
  bool ticking_ = false;
  int idle_ticks_ = 0;
  std::uint64_t next_key_ = 1;
  std::vector<std::shared_ptr<Channel>> channels_;
};

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
    std::shared_ptr<Channel> into = Drainer::get().find_pipe(c, c.target);
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
    if (on_drainer || !pipe_like) {
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

// Reads what the pipe holds into c.data, teeing it: one read of what it
// holds now, or (@p until_empty) until it is empty; a read that finds
// nothing although FIONREAD saw bytes is asked again. Returns how many
// bytes. Reads are sized by FIONREAD: they never wait, and the read end
// needs no O_NONBLOCK. Each asks for one byte more than FIONREAD saw: one
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
      Drainer::get().add(c);
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
    Drainer::get().withdraw(c);
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

int pipe_drainer_threads() noexcept { return Drainer::threads(); }

StrategyFn pipe_like_strategy(bool tee) { return strategy_of<PipeCapture>(tee); }
StrategyFn pipe_strategy() { return pipe_like_strategy(false); }

}  // namespace trap::detail
