// SPDX-License-Identifier: BSL-1.0
// tempfile: C stdio (stdout/stderr) and the iostreams (std::cout/std::cerr)
// write to an unlinked temp file in $TMPDIR; descriptors 1 and 2 are left
// alone, so raw write(2) calls and child processes are not captured.
// Perl's Test::Trap::Builder::TempFile.
#include <cerrno>
#include <cstdio>
#include <mutex>
#include <ostream>
#include <system_error>
#include <vector>

#include <ext/stdio_sync_filebuf.h>

#include "capture/capture.hpp"
#include "capture/file_capture.hpp"
#include "capture/strategies.hpp"
#include "posix/fork_safe_mutex.hpp"

namespace trap::detail {
namespace {

// The FILE* and the iostream buffer that stand for stdout or stderr during
// a capture, writing to a descriptor of their own. Never freed: another
// thread may have read `stdout` or std::cout's buffer just before the
// capture ended and still be writing through them. Between captures they
// wait in a pool, their descriptor pointing where the stream went.
struct Sink {
  explicit Sink(std::FILE* f) : stream(f), buf(f) {}
  std::FILE* stream;
  __gnu_cxx::stdio_sync_filebuf<char> buf;
};

class SinkPool {
 public:
  static SinkPool& get() {
    static auto* pool = new SinkPool;  // never destroyed, like its sinks
    return *pool;
  }
  // A sink writing to @p fd.
  Sink* take(int fd) {
    if (Sink* s = pop()) {
      // A late writer's bytes still buffered go where they were going.
      ::flockfile(s->stream);
      std::fflush(s->stream);
      std::clearerr(s->stream);
      try {
        point(s, fd);
      } catch (...) {
        ::funlockfile(s->stream);
        give(s);
        throw;
      }
      ::funlockfile(s->stream);
      return s;
    }
    posix::Fd writer = posix::dup(fd);
    std::FILE* f = ::fdopen(writer.get(), "w");
    if (!f) throw std::system_error(errno, std::generic_category(), "fdopen");
    writer.release();
    return new Sink(f);
  }
  void give(Sink* s) {
    std::lock_guard lock(mutex_);
    free_.push_back(s);
  }
  // Points the sink's descriptor at @p fd (dup2 does not keep O_CLOEXEC).
  static void point(Sink* s, int fd) {
    posix::dup2(fd, ::fileno(s->stream));
    posix::set_cloexec(::fileno(s->stream));
  }

 private:
  Sink* pop() {
    std::lock_guard lock(mutex_);
    if (free_.empty()) return nullptr;
    Sink* s = free_.back();
    free_.pop_back();
    return s;
  }
  // Fork-safe: a fork trap's child takes a sink for its tempfile capture.
  posix::ForkSafeMutex& mutex_ = posix::ForkSafeMutex::make();
  std::vector<Sink*> free_;
};

class TempfileCapture final : public FileCapture {
 public:
  using FileCapture::FileCapture;

 private:
  std::FILE*& c_stream() { return fd() == 1 ? stdout : stderr; }

  bool do_begin() override {
    std::ostream& os = stream_for(fd(), "tempfile");
    if (!fd_open()) return false;
    flush_streams(fd());
    open_file(&PooledFile::in_temp_dir);
    // One FILE* for both: printf and std::cout stay in the order written.
    sink_ = SinkPool::get().take(file_.fd());
    file_chain(fd()).enter(
        &saved_stream_, sink_->stream, [&] { return c_stream(); },
        [&](std::FILE* f) { c_stream() = f; });
    buffer_chain(fd()).enter(
        &saved_buf_, static_cast<std::streambuf*>(&sink_->buf), [&] { return os.rdbuf(); },
        [&](std::streambuf* b) { swap_buffer(os, b); });
    return true;
  }

  std::string do_end() override {
    std::ostream& os = stream_for(fd(), "tempfile");
    flush_buffer(os, buffer_of(os));
    buffer_chain(fd()).leave(&saved_buf_, [&](std::streambuf* b) { swap_buffer(os, b); });
    file_chain(fd()).leave(&saved_stream_, [&](std::FILE* f) { c_stream() = f; });
    park_sink();
    return take_file();
  }

  // Takes what threads wrote through the sink until now, then points it
  // where the stream goes, for a late writer. The lock waits for a write
  // in progress.
  void park_sink() {
    Sink* s = std::exchange(sink_, nullptr);
    ::flockfile(s->stream);
    std::fflush(s->stream);
    try {
      try {
        SinkPool::point(s, fd());
      } catch (const std::system_error&) {
        SinkPool::point(s, fd());  // one more try: a sink left here is lost
      }
    } catch (...) {
      // Still writing into the capture file: neither may be reused.
      ::funlockfile(s->stream);
      lose(s, std::move(file_));
      throw;
    }
    ::funlockfile(s->stream);
    SinkPool::get().give(s);
  }

  // Keeps @p sink and @p file out of their pools for good.
  static void lose(Sink* sink, PooledFile file) {
    static posix::ForkSafeMutex& mutex = posix::ForkSafeMutex::make();
    static auto* lost = new std::vector<std::pair<Sink*, PooledFile>>;  // never destroyed
    std::lock_guard lock(mutex);
    lost->emplace_back(sink, std::move(file));
  }

  Sink* sink_ = nullptr;
  std::FILE* saved_stream_ = nullptr;
  std::streambuf* saved_buf_ = nullptr;
};

}  // namespace

StrategyFn tempfile_strategy() { return strategy_of<TempfileCapture>(); }

}  // namespace trap::detail
