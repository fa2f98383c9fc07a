// SPDX-License-Identifier: BSL-1.0
#include "capture/capture.hpp"

#include <cxxabi.h>
#include <pthread.h>
#include <stdio_ext.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <mutex>
#include <new>
#include <system_error>
#include <thread>
#include <typeinfo>
#include <vector>

#ifdef __GLIBCXX__
#include <ext/stdio_sync_filebuf.h>
#endif

#include "posix/child_path.hpp"
#include "posix/fork_safe_mutex.hpp"

namespace trap::detail {
namespace {

struct Diversion {
  int fd;
  int saved;
};

// Never destroyed: formatters read them while the program exits.
// Fork-safe: a fork trap's child diverts its descriptors too, and may have
// been forked while another thread held it.
posix::ForkSafeMutex& diversions_mutex() {
  static posix::ForkSafeMutex& m = posix::ForkSafeMutex::make();
  return m;
}
// Made when the program starts: a child never finds it half made.
[[maybe_unused]] posix::ForkSafeMutex& diversions_mutex_at_start = diversions_mutex();
// A fork trap's child diverts too: the list and its first storage are on
// the page the child writes anyway.
using DiversionList = std::vector<Diversion, posix::ChildPageAllocator<Diversion>>;
DiversionList& diversions() {
  static auto* d = new (posix::child_page_storage(sizeof(DiversionList))) DiversionList;
  return *d;
}

}  // namespace

std::string temp_dir() { return posix::temp_dir(); }

// Whether flushing a buffer could pass anything on. libstdc++'s standard
// streams, synchronised with stdio, hold nothing themselves: their flush
// is the FILE's, which flush_streams() makes only when it holds output.
// Any other buffer may hold some in ways not seen from outside, but for
// the warn layer's router while this thread's warnings go to its warn
// layer: flushing it would only run stream code (in a fork trap's child,
// each page of it a page fault).
// Named on whichever thread first makes the router, read on any: the
// buffer is stored last with release, and a reader that finds it (acquire)
// finds the predicate stored before it.
namespace {
std::atomic<const std::streambuf*> pass_through_buf{nullptr};
std::atomic<bool (*)()> pass_through_holds_nothing{nullptr};

// basic_ios's protected member, which writes the buffer pointer and
// nothing else (and is defined inline).
struct BufferAccess : std::ostream {
  static void set(std::ostream& os, std::streambuf* b) { (os.*&BufferAccess::set_rdbuf)(b); }
};
}  // namespace

void set_pass_through_streambuf(const std::streambuf* buf, bool (*holds_nothing)()) {
  pass_through_holds_nothing.store(holds_nothing, std::memory_order_relaxed);
  pass_through_buf.store(buf, std::memory_order_release);
}

TRAP_CHILD_PATH bool may_hold_output(const std::streambuf* b) {
  if (!b) return false;
  if (b == pass_through_buf.load(std::memory_order_acquire) &&
      pass_through_holds_nothing.load(std::memory_order_relaxed)())
    return false;
#ifdef __GLIBCXX__
  if (typeid(*b) == typeid(__gnu_cxx::stdio_sync_filebuf<char>)) return false;
#endif
  return true;
}

TRAP_CHILD_PATH posix::ForkSafeMutex& clog_mutex() {
  static posix::ForkSafeMutex& m = posix::ForkSafeMutex::make();
  return m;
}
namespace {
// Made when the program starts: a child never finds it half made.
[[maybe_unused]] posix::ForkSafeMutex& clog_mutex_at_start = clog_mutex();
}  // namespace

TRAP_CHILD_PATH std::streambuf* buffer_of(std::ostream& os) {
  std::lock_guard lock(&os == &std::clog ? clog_mutex() : stream_mutex(&os == &std::cout ? 1 : 2));
  return os.rdbuf();
}

namespace {
// Whether @p f holds output not yet written (__fpending(f) > 0). With
// glibc, read from the FILE's own fields, the ones __fpending reads for a
// byte-oriented stream: a fork trap's child that calls __fpending pages in
// a stretch of libc's code for it (a page fault, 10 to 20 µs on a VM).
TRAP_CHILD_PATH bool stdio_pending(std::FILE* f) {
#ifdef __GLIBC__
  if (f->_mode <= 0) return f->_IO_write_ptr > f->_IO_write_base;
#endif
  return __fpending(f) > 0;
}

// Whether @p f's error indicator is set (std::ferror(f)), read the same way.
TRAP_CHILD_PATH bool stdio_failed(std::FILE* f) {
#ifdef __GLIBC__
  return (f->_flags & _IO_ERR_SEEN) != 0;
#else
  return std::ferror(f) != 0;
#endif
}

// Where `stdout` (fd 1) or `stderr` is. Read through a volatile pointer:
// the compiler may turn `fd == 1 ? stdout : stderr`, or a read through a
// plain pointer chosen so, into loads of both and a pick, a read of the
// other outside its lock (ThreadSanitizer saw it under clang).
std::FILE* volatile* file_slot(int fd) { return fd == 1 ? &stdout : &stderr; }
// std::cout (fd 1) or std::cerr, through a volatile pointer for the same
// reason: reading the buffer of the one chosen must not read the other's.
std::ostream& standard_stream(int fd) {
  std::ostream* volatile os = fd == 1 ? &std::cout : &std::cerr;
  return *os;
}
}  // namespace

TRAP_CHILD_PATH std::FILE* file_of(int fd) {
  std::FILE* volatile* slot = file_slot(fd);
  std::lock_guard lock(stream_mutex(fd));
  return *slot;
}

// The state is written only when it changes: a good stream's state is read
// by other threads' captures (streams_good()) outside this lock.
std::streambuf* swap_buffer(std::ostream& os, std::streambuf* b) {
  std::streambuf* old = os.rdbuf();
  BufferAccess::set(os, b);
  if (!b || !os.good()) os.clear();
  return old;
}

TRAP_CHILD_PATH void set_buffer(std::ostream& os, std::streambuf* b) noexcept {
  BufferAccess::set(os, b);
}

// As libstdc++'s ostream::flush: a failed or throwing sync sets badbit,
// and the exception goes on only if the stream's mask asks for one.
void flush_buffer(std::ostream& os, std::streambuf* b) {
  if (!b || !os.good()) return;
  try {
    if (b->pubsync() != -1) return;
  } catch (const abi::__forced_unwind&) {
    throw;
  } catch (...) {
    if (!(os.exceptions() & std::ios_base::badbit)) {
      os.setstate(std::ios_base::badbit);
      return;
    }
    try {
      os.setstate(std::ios_base::badbit);
    } catch (const std::ios_base::failure&) {
      // the state is set; the buffer's own exception goes on
    }
    throw;
  }
  os.setstate(std::ios_base::badbit);
}

TRAP_CHILD_PATH void flush_streams(int fd) {
  if (fd != 1 && fd != 2) return;
  // The stream's buffer and the FILE* under their one lock; flushed after
  // it (a router's flush takes it).
  std::ostream& os = standard_stream(fd);
  std::FILE* volatile* slot = file_slot(fd);
  std::streambuf* b;
  std::FILE* f;
  {
    std::lock_guard lock(stream_mutex(fd));
    b = os.rdbuf();
    f = *slot;
  }
  // The common case costs no call into the streams: nothing is pending.
  if (may_hold_output(b)) flush_buffer(os, b);
  if (fd == 2) {
    std::streambuf* c = buffer_of(std::clog);
    if (may_hold_output(c)) flush_buffer(std::clog, c);
  }
  if (stdio_pending(f)) std::fflush(f);
}

TRAP_CHILD_PATH void flush_clog() {
  std::streambuf* b = buffer_of(std::clog);
  if (may_hold_output(b)) {
    flush_buffer(std::clog, b);
  } else {
    std::FILE* f = file_of(2);
    if (stdio_pending(f)) std::fflush(f);
  }
}

int original_fd(int fd) {
  std::lock_guard lock(diversions_mutex());
  for (auto& d : diversions())
    if (d.fd == fd) return d.saved;
  return fd;
}

TRAP_CHILD_PATH posix::Fd divert(int fd, int target) {
  std::lock_guard lock(diversions_mutex());
  posix::Fd saved = posix::dup_if_open(fd);
  if (!saved) return saved;
  posix::dup2(target, fd);
  diversions().push_back({fd, saved.get()});
  return saved;
}

TRAP_CHILD_PATH void restore(int fd, int saved) {
  flush_streams(fd);
  std::lock_guard lock(diversions_mutex());
  auto& d = diversions();
  auto mine = std::find_if(d.begin(), d.end(),
                           [&](const Diversion& x) { return x.fd == fd && x.saved == saved; });
  auto later = mine == d.end() ? d.end()
                               : std::find_if(std::next(mine), d.end(),
                                              [&](const Diversion& x) { return x.fd == fd; });
  // A later diversion still active owns the descriptor now: it will restore
  // what we saved when it ends.
  const int target = later != d.end() ? later->saved : fd;
  if (mine != d.end()) d.erase(mine);
  try {
    posix::dup2(saved, target);
  } catch (const std::system_error&) {
    // A stream left diverted would swallow everything after it: one more
    // try before giving up (dup2 retries EINTR and EBUSY by itself).
    posix::dup2(saved, target);
  }
}

TRAP_CHILD_PATH posix::ForkSafeMutex& stream_mutex(int fd) {
  static posix::ForkSafeMutex* const mutexes[2] = {&posix::ForkSafeMutex::make(),
                                                   &posix::ForkSafeMutex::make()};
  return *mutexes[fd == 2 ? 1 : 0];
}

// Never destroyed: used on exit paths.
SwapChain<std::streambuf*>& buffer_chain(int fd) {
  static auto* const chains = new SwapChain<std::streambuf*>[2] {
    SwapChain<std::streambuf*>(stream_mutex(1)), SwapChain<std::streambuf*>(stream_mutex(2))
  };
  return chains[fd == 2 ? 1 : 0];
}

SwapChain<std::FILE*>& file_chain(int fd) {
  static auto* const chains = new SwapChain<std::FILE*>[2] {
    SwapChain<std::FILE*>(stream_mutex(1)), SwapChain<std::FILE*>(stream_mutex(2))
  };
  return chains[fd == 2 ? 1 : 0];
}

namespace {

// The owner and depth of the process-wide capture lock. A condition
// variable rather than a recursive mutex: the fork child must be able to
// take it over (see after_fork_in_child), and POSIX's, so that the child
// builds it afresh with no call into the C++ library.
struct CaptureLock {
  std::mutex mutex;
  pthread_cond_t free = PTHREAD_COND_INITIALIZER;
  std::thread::id owner;
  int depth = 0;
};

// Never destroyed: exit paths may still end captures. On the page a fork
// trap's child writes anyway. Set once, before fork() can call
// after_fork_in_child.
CaptureLock* capture_lock_at = nullptr;

// In the child of a fork only the forking thread exists: a lock another
// thread held is free there, and one the forking thread held stays its own.
// Its mutex may have been held mid-update by another thread: the child
// builds the lock afresh in place (nothing to free: the old one owns no
// memory).
TRAP_CHILD_PATH void after_fork_in_child() {
  CaptureLock* old = capture_lock_at;
  const std::thread::id owner = old->owner;
  const int depth = old->depth;
  auto* fresh = new (old) CaptureLock;
  if (owner == std::this_thread::get_id()) {
    fresh->owner = owner;
    fresh->depth = depth;
  }
}

TRAP_CHILD_PATH CaptureLock& capture_lock() {
  static CaptureLock* const lock = [] {
    auto* l = new (posix::child_page_storage(sizeof(CaptureLock))) CaptureLock;
    capture_lock_at = l;
    ::pthread_atfork(nullptr, nullptr, after_fork_in_child);
    return l;
  }();
  return *lock;
}

std::atomic<int> capture_waiters{0};

// Counts this thread among the waiters while it waits.
struct WaiterCount {
  WaiterCount() { ++capture_waiters; }
  ~WaiterCount() { --capture_waiters; }
  WaiterCount(const WaiterCount&) = delete;
  WaiterCount& operator=(const WaiterCount&) = delete;
};

}  // namespace

int process_wide_capture_waiters() noexcept { return capture_waiters.load(); }

void create_capture_state() {
  static const bool created = [] {
    reserve_capture_pool();
    {
      std::lock_guard lock(diversions_mutex());  // other threads may divert already
      diversions().reserve(4);                   // stdout and stderr, nested once
    }
    (void)capture_lock();
    (void)buffer_chain(1);
    (void)file_chain(1);
    return true;
  }();
  (void)created;
}

namespace {
// A fork trap's child installs its own: on the page it writes anyway.
TRAP_CHILD_PATH std::atomic<CaptureSalvage*>& installed_salvage() {
  using Slot = std::atomic<CaptureSalvage*>;
  static auto* slot = new (posix::child_page_storage(sizeof(Slot))) Slot(nullptr);
  return *slot;
}
[[maybe_unused]] std::atomic<CaptureSalvage*>& installed_salvage_at_start = installed_salvage();
}  // namespace

TRAP_CHILD_PATH void set_capture_salvage(CaptureSalvage* salvage) noexcept {
  installed_salvage().store(salvage);
}

TRAP_CHILD_PATH CaptureSalvage* capture_salvage() noexcept { return installed_salvage().load(); }

TRAP_CHILD_PATH void lock_process_wide_captures() {
  CaptureLock& l = capture_lock();
  std::unique_lock lock(l.mutex);
  const auto me = std::this_thread::get_id();
  if (l.depth > 0 && l.owner == me) {
    ++l.depth;
    return;
  }
  if (l.depth > 0) {
    WaiterCount counted;  // counted and uncounted under the mutex
    timespec deadline{};
    ::clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += 10;
    while (l.depth > 0) {
      if (::pthread_cond_clockwait(&l.free, l.mutex.native_handle(), CLOCK_MONOTONIC, &deadline) ==
          ETIMEDOUT)
        break;
    }
    if (l.depth > 0) {
      // Most likely a trap waiting (join) for this thread: say so once.
      static std::atomic<bool> said{false};
      if (!said.exchange(true))
        write_original(2,
                       "# trap: a trap has waited 10 s for another thread's trap to end: "
                       "captures with dup2, pipe, tee and tempfile are process-wide and run "
                       "one thread at a time (use memory for traps on several threads)\n");
      while (l.depth > 0) ::pthread_cond_wait(&l.free, l.mutex.native_handle());
    }
  }
  l.owner = me;
  l.depth = 1;
}

TRAP_CHILD_PATH void unlock_process_wide_captures() noexcept {
  CaptureLock& l = capture_lock();
  std::lock_guard lock(l.mutex);
  if (l.depth == 0 || l.owner != std::this_thread::get_id()) return;
  if (--l.depth == 0) {
    l.owner = {};
    // A waiter counts itself under the mutex before it waits: with none
    // counted, there is no one to wake (and a fork trap's child, where no
    // other thread exists, makes no call).
    if (capture_waiters.load(std::memory_order_relaxed) > 0) ::pthread_cond_signal(&l.free);
  }
}

namespace {

// std::clog's state, which a warn layer on another thread sets (under
// clog_mutex()) as it takes std::clog over and gives it back.
bool clog_good() {
  std::lock_guard lock(clog_mutex());
  return std::clog.good();
}

// Under the process-wide capture lock, as every swap of the FILE* that
// `stdout` or `stderr` names (a tempfile capture's): read without its
// chain's lock.
bool streams_good(int fd) {
  if (fd == 1) return std::cout.good() && !stdio_failed(stdout);
  if (fd == 2) return std::cerr.good() && clog_good() && !stdio_failed(stderr);
  return false;
}

// Only what a failed write set is cleared: a stream or a FILE that is
// still good is not written (in a fork trap's child, each page first
// written or run is a page fault). Under the process-wide capture lock, as
// streams_good().
void clear_stream_errors(int fd) {
  std::ostream& os = fd == 1 ? std::cout : std::cerr;
  if (!os.good()) os.clear();
  if (fd == 2) {
    std::lock_guard lock(clog_mutex());
    if (!std::clog.good()) std::clog.clear();
  }
  std::FILE* f = *file_slot(fd);
  if (stdio_failed(f)) std::clearerr(f);
}

}  // namespace

TRAP_CHILD_PATH bool Capture::begin() {
  if (state_ != State::idle)
    throw TrapError("capture of fd " + std::to_string(fd_) + " begun twice");
  const bool shared = !per_thread();
  if (shared) lock_process_wide_captures();
  bool began = false;
  try {
    began = do_begin();
  } catch (...) {
    if (shared) unlock_process_wide_captures();
    throw;
  }
  if (!began) {
    if (shared) unlock_process_wide_captures();
    return false;
  }
  state_ = State::active;
  streams_were_good_ = shared && streams_good(fd_);
  return true;
}

TRAP_CHILD_PATH std::string Capture::end() {
  if (state_ != State::active) return {};
  state_ = State::done;
  struct Unlock {
    Capture& c;
    ~Unlock() {
      if (c.per_thread()) return;
      // A write that failed into the capture (a file-size limit, a
      // descriptor the code closed) leaves no error on the streams after it.
      if (c.streams_were_good_) clear_stream_errors(c.fd_);
      unlock_process_wide_captures();
    }
  } unlock{*this};
  return do_end();
}

std::ostream& stream_for(int fd, const char* strategy) {
  if (fd == 1) return std::cout;
  if (fd == 2) return std::cerr;
  throw UsageError(std::string("The ") + strategy +
                   " capture strategy captures only descriptors 1 and 2, not " +
                   std::to_string(fd));
}

}  // namespace trap::detail
