// SPDX-License-Identifier: BSL-1.0
// The I/O thread of a Boost.Asio test server (trap::http, trap::smtp): an
// io_context run by one thread, a call that runs a function on it and
// waits, and the thread's end. Private to src/: it brings Boost.Asio in.
#pragma once

#include <chrono>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "net/stoppable_wait.hpp"

namespace trap::net::detail {

/// How long a server's shutdown() waits for a handler that still runs, at
/// least, before it says so (beyond its deadline if that is longer).
inline constexpr std::chrono::milliseconds kHandlerNoticeAfter{1000};

/// A server's I/O thread. Its `finished` flag is kept under the owner's
/// mutex, so that the owner's waits can stop on it with their own state.
class IoThread {
 public:
  /// @p m: the owner's mutex, which must outlive every call but the
  /// destructor's (run() takes it; finish() is called under it).
  /// @p who names the server in a UsageError (see run_noting()).
  /// The io_context's reactor is made at once, kept off a closed 0, 1 or 2
  /// (see standard_fds.hpp).
  IoThread(std::mutex& m, std::string who);
  /// stop(), which does nothing once the owner's destructor called it.
  ~IoThread() { stop(); }
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;

  /// The context the thread runs, for the server's sockets and timers.
  boost::asio::io_context& context() { return *ctx_; }

  /// Starts the thread, which runs the context until finish() and the
  /// end of what is queued then. @throws std::system_error if it cannot.
  void start();
  /// Whether the calling thread is this one.
  bool on_thread() const;
  /// Whether finish() was called: under the owner's mutex, or on the thread.
  bool finished() const { return finished_; }
  /// Under the owner's mutex: no task is posted after this, and once what
  /// is queued has run (every socket and timer closed), the thread ends.
  void finish() {
    finished_ = true;
    work_.reset();
  }
  /// Waits for the thread's end (after finish()), then runs @p then (frees
  /// what the thread used), one caller at a time; on the thread itself
  /// nothing (the owner's destructor then detaches it).
  template <class F>
  void join(F&& then) {
    if (on_thread()) return;
    std::lock_guard lock(join_m_);
    if (thread_.joinable()) thread_.join();
    then();
  }
  /// From join()'s @p then, once everything made on the context is gone:
  /// destroys the context (its epoll, eventfd and timerfd), so that a
  /// server shut down holds no descriptor; context() may not be called
  /// after it.
  void release_context() { ctx_.reset(); }
  /// For the owner's destructor, before its sockets go: finishes, stops the
  /// context at once and joins; on the thread itself, detaches it.
  void stop();

  /// @throws UsageError in a forked child of the process that made this
  /// (check_owner()): the thread does not run there.
  void check_process() const { check_owner(pid_, who_); }
  /// The process whose thread this is.
  int owner() const { return pid_; }

  /// Runs @p f on the thread (at once if this is it) and waits for it,
  /// rethrowing what it threw; false, without running it, once finished.
  /// @throws UsageError in a forked child (check_process()).
  /// The work guard goes only under the owner's mutex with `finished`
  /// set: a task posted before that runs before the thread ends.
  template <class F>
  bool run(F&& f) {
    return run_noting(std::forward<F>(f), std::chrono::milliseconds::max(), [] {});
  }

  /// As run(), but if @p f has not run within @p after (the thread is
  /// busy: a handler of the program's still runs), calls @p late on this
  /// thread, then waits on.
  template <class F, class Late>
  bool run_noting(F&& f, std::chrono::milliseconds after, Late&& late) {
    if (on_thread()) {
      if (finished_) return false;
      f();
      return true;
    }
    check_process();
    // The task refers to this frame: an in-process stop waits for its end.
    trap::detail::StopShield shield;
    std::unique_lock lock(m_);
    if (finished_) return false;
    std::packaged_task<void()> task(std::forward<F>(f));
    auto done = task.get_future();
    boost::asio::post(*ctx_, [&task] { task(); });
    lock.unlock();
    if (after != std::chrono::milliseconds::max() &&
        done.wait_for(after) == std::future_status::timeout)
      late();
    done.get();
    return true;
  }

 private:
  std::mutex& m_;
  std::string who_;
  int pid_ = posix::self_pid();  // the process whose thread this is
  std::optional<boost::asio::io_context> ctx_{std::in_place, 1};  // until release_context()
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
  std::mutex join_m_;      // one thread joins, and frees what follows
  bool finished_ = false;  // under m_
};

}  // namespace trap::net::detail
