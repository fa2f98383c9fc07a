// pipe: a pipe dup2'ed onto the descriptor, drained by a reader thread into
// memory. Captures what dup2 captures, without touching the disk, and any
// amount without deadlock. With `tee`, the reader also copies every chunk to
// the original descriptor as it arrives.
#include <poll.h>
#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <exception>
#include <system_error>
#include <thread>

#include "capture.hpp"
#include "strategies.hpp"

namespace trap::detail {
namespace {

class PipeCapture final : public Capture {
 public:
  PipeCapture(int fd, bool tee) : Capture(fd), tee_(tee) {}
  ~PipeCapture() override { stop_reader(); }

 private:
  bool do_begin() override {
    flush_streams(fd());
    auto [read_end, write_end] = posix::pipe();
    auto [stop_read, stop_write] = posix::pipe();
    read_ = std::move(read_end);
    stop_read_ = std::move(stop_read);
    stop_write_ = std::move(stop_write);
    saved_ = divert(fd(), write_end.get());
    if (!saved_) return false;
    // The reader starts once the stream is diverted (tee writes to saved_);
    // a writer that fills the pipe meanwhile only waits.
    try {
      reader_ = start_reader();
    } catch (...) {
      restore(fd(), saved_.get());
      throw;
    }
    return true;
  }

  std::string do_end() override {
    restore(fd(), saved_.get());
    stop_reader();
    saved_.reset();
    if (error_) std::rethrow_exception(error_);
    return std::move(data_);
  }

  // The reader takes no signal meant for the program, and a tee into a
  // closed pipe gets EPIPE rather than killing the process with SIGPIPE.
  std::thread start_reader() {
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    struct RestoreMask {
      sigset_t* mask;
      ~RestoreMask() { pthread_sigmask(SIG_SETMASK, mask, nullptr); }
    } restore_mask{&old};
    return std::thread([this] { drain(); });
  }

  // Tells the reader to take what is left and stop: a child process that
  // still holds the write end must not keep the trap open.
  void stop_reader() noexcept {
    if (!reader_.joinable()) return;
    try {
      posix::write_all(stop_write_.get(), "x", 1);
    } catch (...) {
      stop_write_.reset();  // the reader sees the stop pipe's end of file
    }
    reader_.join();
  }

  // A read that fails is reported when the capture ends; the reader goes
  // on draining meanwhile, or the code would block on a full pipe. A second
  // failure in a row ends it.
  void drain() noexcept {
    for (int failures = 0;;) {
      try {
        if (drain_once()) return;
        failures = 0;
      } catch (...) {
        if (!error_) error_ = std::current_exception();
        if (++failures > 1) return;
      }
    }
  }

  // Waits for data or the stop and takes it; true when the reader is done.
  bool drain_once() {
    pollfd fds[2] = {{read_.get(), POLLIN, 0}, {stop_read_.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) return false;
      throw std::system_error(errno, std::generic_category(), "poll");
    }
    // 0: end of file, every writer is gone; < 0 (EAGAIN): nothing after
    // all, poll again.
    if (fds[0].revents != 0) return read_chunk() == 0;
    if (fds[1].revents == 0) return false;
    posix::set_nonblocking(read_.get());
    for (;;) {
      long n = read_chunk();
      if (n == 0 || (n < 0 && !readable_now())) return true;
    }
  }

  // Whether the pipe holds something to read: the drain after the stop
  // trusts it rather than an EAGAIN alone.
  bool readable_now() const {
    pollfd p = {read_.get(), POLLIN, 0};
    while (::poll(&p, 1, 0) < 0) {
      if (errno != EINTR) throw std::system_error(errno, std::generic_category(), "poll");
    }
    return (p.revents & POLLIN) != 0;
  }

  // Reads one chunk: its size, 0 at end of file, < 0 if there was nothing
  // to read (EAGAIN).
  long read_chunk() {
    char buf[65536];
    ssize_t n = posix::read_some(read_.get(), buf, sizeof buf);
    if (n <= 0) return n;
    data_.append(buf, static_cast<std::size_t>(n));
    if (tee_) {
      try {
        posix::write_all(saved_.get(), buf, static_cast<std::size_t>(n));
      } catch (const std::system_error&) {
        // The original stream is gone (closed, or a reader that left):
        // keep capturing, as writing there directly would have failed too.
      }
    }
    return n;
  }

  bool tee_;
  posix::Fd read_, stop_read_, stop_write_, saved_;
  std::thread reader_;
  std::string data_;
  std::exception_ptr error_;
};

}  // namespace

StrategyFn pipe_like_strategy(bool tee) { return strategy_of<PipeCapture>(tee); }
StrategyFn pipe_strategy() { return pipe_like_strategy(false); }

}  // namespace trap::detail
