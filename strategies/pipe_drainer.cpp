// SPDX-License-Identifier: BSL-1.0
// The pipe and tee strategies' drainer thread.
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
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <new>
#include <semaphore>
#include <thread>
#include <vector>

#include "capture/pipe_channel.hpp"
#include "capture/strategies.hpp"
#include "posix/children.hpp"
#include "posix/fd.hpp"

namespace trap::detail {
namespace {

constexpr int kTickMs = 1;
// Ticks without any capture before the drainer sleeps until the next one.
constexpr int kIdleTicks = 200;
// How long a fork waits for the drainer to end its batch of work.
constexpr std::chrono::seconds kForkWait{1};

thread_local bool on_drainer = false;

class Drainer {
 public:
  // Never destroyed: its thread runs until the process ends.
  static Drainer& get() {
    static auto* d = new Drainer;
    return *d;
  }

  // Registers @p c (drainer_add).
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
    std::thread([this, fd = ep.get()] {
      on_drainer = true;
      started_.release();
      run(fd);
    }).detach();
    // A fork from now on finds the thread at work or between two batches
    // (before_fork), not half started, allocating its own state.
    started_.acquire();
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
    posix::EpollReady ready[16];
    for (;;) {
      int n = 0;
      try {
        n = posix::epoll_wait_keys(ep, ready, 16, tick() ? kTickMs : -1);
      } catch (...) {
        return fail_all(std::current_exception());
      }
      if (n == 0) continue;  // a tick without news
      // What follows may allocate and free (a channel's data, its last
      // reference): a fork waits for the end of it (before_fork).
      {
        std::lock_guard lock(mutex_);
        busy_ = true;
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

  // Ends the batch of work (run), and watches every capture not watched
  // yet; false once none has come for kIdleTicks ticks (then only add()
  // wakes the drainer).
  bool tick() noexcept {
    std::lock_guard lock(mutex_);
    if (busy_) {
      busy_ = false;
      idle_.notify_all();
    }
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
  //
  // The fork waits until the drainer is between two batches of work, so
  // that the child inherits no lock the drainer held and no block only its
  // stack points to. The C library's allocator is safe across a fork
  // whatever the other threads do; AddressSanitizer's (clang 14's) is not:
  // a child that allocated or exited then waited for ever on the lock, or
  // its leak check reported the block the drainer was growing.
  //
  // A batch takes microseconds, unless a tee's write waits on a full pipe:
  // then the fork goes ahead after kForkWait (the drainer is in a system
  // call, not in the allocator), so that a fork on the thread that would
  // read that pipe does not wait for ever.
  //
  // The wait is a condition variable's, not a timed mutex's: a timed
  // mutex's timed lock (pthread_mutex_clocklock) is invisible to
  // ThreadSanitizer (clang 14), which then reported its unlock.
  static void before_fork() {
    Drainer& d = get();
    std::unique_lock lock(d.mutex_);
    d.idle_.wait_for(lock, kForkWait, [&] { return !d.busy_; });
    lock.release();  // held across the fork, released after it
  }
  static void after_fork_parent() { get().mutex_.unlock(); }
  static void after_fork_child() {
    Drainer& d = get();
    // Another thread's wait on it (a fork of its own) is gone with that
    // thread, and would stay counted in the condition variable.
    new (&d.idle_) std::condition_variable;
    d.busy_ = false;
    d.ep_.reset();
    d.wake_read_.reset();
    d.wake_write_.reset();
    d.running_ = false;
    alive_ = false;
    d.channels_.clear();
    d.mutex_.unlock();
  }

  std::mutex mutex_;
  // The drainer works on what epoll_wait reported (under mutex_); idle_
  // tells when it ends.
  bool busy_ = false;
  std::condition_variable idle_;
  std::binary_semaphore started_{0};  // the thread has started (start_locked)
  posix::Fd ep_, wake_read_, wake_write_;
  bool running_ = false;
  static inline std::atomic<bool> alive_{false};  // running_, for readers without the lock
  bool ticking_ = false;
  int idle_ticks_ = 0;
  std::uint64_t next_key_ = 1;
  std::vector<std::shared_ptr<Channel>> channels_;
};

}  // namespace

void drainer_add(const std::shared_ptr<Channel>& c) { Drainer::get().add(c); }

void drainer_withdraw(const Channel& c) noexcept { Drainer::get().withdraw(c); }

std::shared_ptr<Channel> drainer_find_pipe(const Channel& self, posix::FileId id) {
  return Drainer::get().find_pipe(self, id);
}

bool on_drainer_thread() noexcept { return on_drainer; }

int pipe_drainer_threads() noexcept { return Drainer::threads(); }

}  // namespace trap::detail
