// SPDX-License-Identifier: BSL-1.0
#include "capture/capture.hpp"

#include <pthread.h>
#include <stdio_ext.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
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

namespace trap::detail {
namespace {

struct Diversion {
  int fd;
  int saved;
};

// Never destroyed: formatters read them while the program exits.
std::mutex& diversions_mutex() {
  static auto* m = new std::mutex;
  return *m;
}
std::vector<Diversion>& diversions() {
  static auto* d = new std::vector<Diversion>;
  return *d;
}

// Reusable capture files, per directory ("" for memory files). Kept small:
// traps nest only a few deep.
struct Pool {
  struct Entry {
    std::string dir;
    posix::Fd fd;
    std::size_t offset;
    int pid;  // the process that pooled it
  };
  std::mutex mutex;
  std::vector<Entry> free;
  static constexpr std::size_t kMax = 8;
  static Pool& get() {
    static Pool* p = new Pool;  // never destroyed: used from exit paths
    return *p;
  }
  bool take(const std::string& dir, PooledFile& out) {
    std::lock_guard lock(mutex);
    // A child forked by other means than the fork layer shares these files
    // (and their offsets) with its parent: it must not write into them.
    const int self = posix::self_pid();
    std::erase_if(free, [&](const Entry& e) { return e.pid != self; });
    for (auto it = free.rbegin(); it != free.rend();) {
      if (it->dir != dir) {
        ++it;
      } else if (written_since(*it)) {
        it = std::make_reverse_iterator(free.erase(std::next(it).base()));
      } else {
        out = PooledFile(std::move(it->fd), std::move(it->dir), it->offset);
        free.erase(std::next(it).base());
        return true;
      }
    }
    return false;
  }
  // A process that inherited the file during its capture and outlived it
  // has written on: what it writes later would land in another trap.
  static bool written_since(const Entry& e) noexcept {
    try {
      return posix::file_size(e.fd.get()) != e.offset;
    } catch (const std::system_error&) {
      return true;
    }
  }
  void give(std::string dir, posix::Fd fd, std::size_t offset) {
    std::lock_guard lock(mutex);
    if (free.size() < kMax)
      free.push_back({std::move(dir), std::move(fd), offset, posix::self_pid()});
  }
};

// Calls @p on_stream with each C++ stream that writes to descriptor @p fd
// (1 or 2), then @p on_file with its C stream.
template <class OnStream, class OnFile>
void for_streams(int fd, OnStream on_stream, OnFile on_file) {
  if (fd == 1) {
    on_stream(std::cout);
    on_file(stdout);
  } else if (fd == 2) {
    on_stream(std::cerr);
    on_stream(std::clog);
    on_file(stderr);
  }
}

}  // namespace

std::string temp_dir() { return posix::temp_dir(); }

// Whether flushing @p os could pass anything on. libstdc++'s standard
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
}  // namespace

void set_pass_through_streambuf(const std::streambuf* buf, bool (*holds_nothing)()) {
  pass_through_holds_nothing.store(holds_nothing, std::memory_order_relaxed);
  pass_through_buf.store(buf, std::memory_order_release);
}

bool may_hold_output(std::ostream& os) {
  std::streambuf* b = os.rdbuf();
  if (!b) return false;
  if (b == pass_through_buf.load(std::memory_order_acquire) &&
      pass_through_holds_nothing.load(std::memory_order_relaxed)())
    return false;
#ifdef __GLIBCXX__
  if (typeid(*b) == typeid(__gnu_cxx::stdio_sync_filebuf<char>)) return false;
#endif
  return true;
}

void flush_streams(int fd) {
  // The common case costs no call into the streams: nothing is pending.
  for_streams(
      fd,
      [](std::ostream& os) {
        if (may_hold_output(os)) os.flush();
      },
      [](std::FILE* f) {
        if (__fpending(f) > 0) std::fflush(f);
      });
}

int original_fd(int fd) {
  std::lock_guard lock(diversions_mutex());
  for (auto& d : diversions())
    if (d.fd == fd) return d.saved;
  return fd;
}

void write_original(int fd, std::string_view text) {
  int target = original_fd(fd);
  if (target == fd) flush_streams(fd);
  try {
    posix::write_all(target, text.data(), text.size());
  } catch (...) {
  }
}

posix::Fd divert(int fd, int target) {
  std::lock_guard lock(diversions_mutex());
  posix::Fd saved = posix::dup_if_open(fd);
  if (!saved) return saved;
  posix::dup2(target, fd);
  diversions().push_back({fd, saved.get()});
  return saved;
}

void restore(int fd, int saved) {
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

SwapChain<std::streambuf*>& buffer_chain(int fd) {
  static auto* chains = new SwapChain<std::streambuf*>[2];  // never destroyed
  return chains[fd == 2 ? 1 : 0];
}

SwapChain<std::FILE*>& file_chain(int fd) {
  static auto* chains = new SwapChain<std::FILE*>[2];  // never destroyed
  return chains[fd == 2 ? 1 : 0];
}

namespace {
// The files a forked child was offered (offer_capture_files()). Only the
// forking thread runs in the child when they are offered, and its captures
// take them on that thread or under the process-wide capture lock.
struct OfferedFiles {
  int pid = 0;  // the child they were offered to
  int fds[2] = {-1, -1};
  std::size_t offsets[2] = {0, 0};
  int next = 2;
} offered;

bool take_offered(PooledFile& out) {
  while (offered.next < 2 && offered.pid == posix::self_pid()) {
    const int i = offered.next++;
    if (offered.fds[i] >= 0) {
      out = PooledFile(posix::Fd(offered.fds[i]), std::string(), offered.offsets[i]);
      return true;
    }
  }
  return false;
}
}  // namespace

void offer_capture_files(const int (&fds)[2], const std::size_t (&offsets)[2]) noexcept {
  offered.pid = posix::self_pid();
  for (int i = 0; i < 2; ++i) {
    offered.fds[i] = fds[i];
    offered.offsets[i] = offsets[i];
  }
  offered.next = 0;
}

void forget_capture_pool() noexcept {
  // The child of a fork shares these files' offsets with its parent: it
  // must not write into them. Only the forking thread runs here, so no lock.
  Pool::get().free.clear();
}

PooledFile::~PooledFile() { release(); }

PooledFile& PooledFile::operator=(PooledFile&& o) noexcept {
  if (this != &o) {
    release();
    fd_ = std::move(o.fd_);
    dir_ = std::move(o.dir_);
    offset_ = o.offset_;
    clean_ = o.clean_;
    pid_ = o.pid_;
  }
  return *this;
}

void PooledFile::release() noexcept {
  // Only the process that took it pools it: a forked child shares it.
  if (fd_ && clean_ && pid_ == posix::self_pid())
    Pool::get().give(std::move(dir_), std::move(fd_), offset_);
  fd_.reset();
}

void PooledFile::take(std::string& out) {
  const bool reusable = clean_;
  clean_ = false;  // until it is read whole
  offset_ += posix::read_from(fd_.get(), offset_, out);
  // Emptying it would take a truncation, which the seal forbids: a fresh
  // file costs less than 256 KiB of traps.
  clean_ = reusable && offset_ <= kKeep;
}

namespace {
posix::Fd make_memory_fd() {
  posix::Fd fd = posix::memfd("trap-capture");
  if (fd) {
    // Not sealed (an old kernel): the code's ftruncate() cuts the file.
    (void)posix::seal_shrink(fd.get());
    posix::set_append(fd.get());
  }
  return fd;
}
}  // namespace

posix::Fd PooledFile::new_memory_fd() noexcept {
  try {
    return make_memory_fd();
  } catch (const std::exception&) {
    return {};
  }
}

PooledFile PooledFile::memory(bool reuse) {
  PooledFile f;
  if (reuse && (take_offered(f) || Pool::get().take("", f))) return f;
  if (posix::Fd fd = make_memory_fd()) return {std::move(fd), ""};
  return in_temp_dir();
}

PooledFile PooledFile::in_temp_dir(bool reuse) {
  std::string dir = temp_dir();
  PooledFile f;
  if (reuse && Pool::get().take(dir, f)) return f;
  posix::Fd fd = posix::temp_file(dir);
  posix::set_append(fd.get());
  return {std::move(fd), std::move(dir)};
}

namespace {

// The owner and depth of the process-wide capture lock. A condition
// variable rather than a recursive mutex: the fork child must be able to
// take it over (see after_fork_in_child).
struct CaptureLock {
  std::mutex mutex;
  std::condition_variable free;
  std::thread::id owner;
  int depth = 0;
};

// Never destroyed: exit paths may still end captures.
alignas(CaptureLock) unsigned char capture_lock_storage[sizeof(CaptureLock)];

CaptureLock* stored_capture_lock() {
  return std::launder(reinterpret_cast<CaptureLock*>(capture_lock_storage));
}

// In the child of a fork only the forking thread exists: a lock another
// thread held is free there, and one the forking thread held stays its own.
// Its mutex may have been held mid-update by another thread: the child
// builds the lock afresh in place (nothing to free: the old one owns no
// memory).
void after_fork_in_child() {
  const std::thread::id owner = stored_capture_lock()->owner;
  const int depth = stored_capture_lock()->depth;
  auto* fresh = new (capture_lock_storage) CaptureLock;
  if (owner == std::this_thread::get_id()) {
    fresh->owner = owner;
    fresh->depth = depth;
  }
}

CaptureLock& capture_lock() {
  static CaptureLock* const lock = [] {
    auto* l = new (capture_lock_storage) CaptureLock;
    ::pthread_atfork(nullptr, nullptr, after_fork_in_child);
    return l;
  }();
  (void)lock;
  return *stored_capture_lock();
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
    Pool::get().free.reserve(Pool::kMax);
    (void)diversions_mutex();
    diversions().reserve(4);  // stdout and stderr, nested once
    (void)capture_lock();
    (void)buffer_chain(1);
    (void)file_chain(1);
    return true;
  }();
  (void)created;
}

namespace {
std::atomic<CaptureSalvage*> installed_salvage{nullptr};
}  // namespace

void set_capture_salvage(CaptureSalvage* salvage) noexcept { installed_salvage.store(salvage); }

CaptureSalvage* capture_salvage() noexcept { return installed_salvage.load(); }

void lock_process_wide_captures() {
  CaptureLock& l = capture_lock();
  std::unique_lock lock(l.mutex);
  const auto me = std::this_thread::get_id();
  if (l.depth > 0 && l.owner == me) {
    ++l.depth;
    return;
  }
  auto is_free = [&] { return l.depth == 0; };
  if (!is_free()) {
    WaiterCount counted;
    if (!l.free.wait_for(lock, std::chrono::seconds(10), is_free)) {
      // Most likely a trap waiting (join) for this thread: say so once.
      static std::atomic<bool> said{false};
      if (!said.exchange(true))
        write_original(2,
                       "# trap: a trap has waited 10 s for another thread's trap to end: "
                       "captures with dup2, pipe, tee and tempfile are process-wide and run "
                       "one thread at a time (use memory for traps on several threads)\n");
      l.free.wait(lock, is_free);
    }
  }
  l.owner = me;
  l.depth = 1;
}

void unlock_process_wide_captures() noexcept {
  CaptureLock& l = capture_lock();
  std::lock_guard lock(l.mutex);
  if (l.depth == 0 || l.owner != std::this_thread::get_id()) return;
  if (--l.depth == 0) {
    l.owner = {};
    l.free.notify_one();
  }
}

namespace {

bool streams_good(int fd) {
  if (fd == 1) return std::cout.good() && !std::ferror(stdout);
  if (fd == 2) return std::cerr.good() && std::clog.good() && !std::ferror(stderr);
  return false;
}

void clear_stream_errors(int fd) {
  for_streams(
      fd, [](std::ostream& os) { os.clear(); }, [](std::FILE* f) { std::clearerr(f); });
}

}  // namespace

bool Capture::begin() {
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

std::string Capture::end() {
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
