// SPDX-License-Identifier: BSL-1.0
// What every capture strategy shares: the Capture base class with its
// begin/end protocol, the pool of reusable capture files, stream flushing,
// and the record of which descriptor stands for the original stdout/stderr.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <iosfwd>
#include <memory>
#include <mutex>
#include <optional>
#include <streambuf>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <trap/builder.hpp>

#include "capture/block_cache.hpp"
#include "capture/salvage.hpp"
#include "posix/child_path.hpp"
#include "posix/fd.hpp"
#include "posix/fork_safe_mutex.hpp"
#include "posix/held_object.hpp"

namespace trap::detail {

/// Flushes what C stdio and the iostreams hold for descriptor @p fd (1 or 2),
/// so that nothing lands on the wrong side of a diversion. Each stream's
/// buffer and each FILE* is read under the lock its swaps take
/// (buffer_of(), file_of()).
void flush_streams(int fd);
/// Flushes std::clog: what its buffer holds, or what stderr holds when
/// its buffer is libstdc++'s stdio one.
void flush_clog();
/// Whether flushing a stream with buffer @p b could pass anything on (false
/// for none, for libstdc++'s buffers of the standard streams synchronised
/// with stdio, whose flush is their FILE's, and for the pass-through buffer
/// named below while it holds nothing).
bool may_hold_output(const std::streambuf* b);
/// What std::ostream::flush() does (but for the tied stream) on @p os with
/// buffer @p b, read by the caller under the lock of @p os's swaps.
void flush_buffer(std::ostream& os, std::streambuf* b);

/// The lock under which trap swaps std::clog's buffer (the warn layer's
/// router) and reads it (buffer_of()). Fork-safe, made when the program
/// starts.
posix::ForkSafeMutex& clog_mutex();
/// The buffer of std::cout, std::cerr or std::clog, read under the lock
/// trap's swaps of it take: stream_mutex(), or clog_mutex(). Trap only
/// swaps these buffers under those locks, so no read of its own races with
/// a swap on another thread.
std::streambuf* buffer_of(std::ostream& os);
/// The FILE* that `stdout` (@p fd 1) or `stderr` names, read under
/// stream_mutex(), the lock of its file_chain().
std::FILE* file_of(int fd);
/// Makes @p b the buffer of @p os as basic_ios::rdbuf(b) does (the state is
/// cleared), and returns the old one. The pointer is written inline, so
/// that a race detector sees every swap of trap's. Callers hold the lock
/// of @p os's swaps.
std::streambuf* swap_buffer(std::ostream& os, std::streambuf* b);
/// The same without touching the state.
void set_buffer(std::ostream& os, std::streambuf* b) noexcept;
/// Names a stream buffer that passes output on as it comes (the warn layer's
/// router): may_hold_output() is false for a stream using @p buf while
/// @p holds_nothing() says so on the calling thread. Called once, by
/// whichever thread first makes that buffer; safe to race with
/// may_hold_output() on other threads.
void set_pass_through_streambuf(const std::streambuf* buf, bool (*holds_nothing)());

/// While fd-level captures divert @p fd, the descriptor that still reaches
/// where @p fd went before the outermost one; @p fd itself otherwise.
/// Formatters write there, so test output never lands in a capture.
int original_fd(int fd);
/// Writes @p text where @p fd pointed before the outermost capture (after
/// flushing the program's own buffered output when nothing diverts it).
/// Never throws: this is for reports, which must not fail a trap. Returns
/// 0, or the errno of a write that failed (the report's writer says so).
int write_original(int fd, std::string_view text);
/// Points @p fd at @p target and returns a descriptor for what @p fd pointed
/// to; an invalid one, diverting nothing, if @p fd is closed. Atomic with
/// respect to the diversions of other threads.
posix::Fd divert(int fd, int target);
/// Ends a diversion made by divert(). If it is the latest diversion of
/// @p fd, @p fd points back at @p saved; if a later one (another thread's
/// trap) is still active, that one's saved descriptor is pointed there
/// instead. Either way, once every diversion has ended, @p fd points where it
/// pointed before the first, whatever order they end in. The caller closes
/// @p saved when it no longer writes to it.
void restore(int fd, int saved);

/// The same for a process-wide pointer: a stream's buffer, or the FILE* that
/// `stdout` or `stderr` names. enter() keeps the live value in *slot and
/// makes @p mine live; leave() puts *slot back, or hands it to the next
/// later swap still active.
template <class T>
class SwapChain {
 public:
  /// A chain whose swaps take @p mutex (shared by the chains of one
  /// descriptor, stream_mutex()).
  explicit SwapChain(posix::ForkSafeMutex& mutex) : mutex_(mutex) {}
  template <class Get, class Set>
  void enter(T* slot, T mine, Get get, Set set) {
    std::lock_guard lock(mutex_);
    enter_locked(slot, mine, get, set);
  }
  template <class Set>
  void leave(T* slot, Set set) {
    std::lock_guard lock(mutex_);
    leave_locked(slot, set);
  }
  /// What *slot holds now (leave() may update a slot of another swap).
  T read(const T* slot) {
    std::lock_guard lock(mutex_);
    return *slot;
  }

  /// The chain's lock, for a user that keeps state of its own beside the
  /// chain (memory's router): under it, call the *_locked members. Fork-safe:
  /// a fork trap's child flushes and swaps these streams too, and may have
  /// been forked while another thread held it.
  posix::ForkSafeMutex& mutex() { return mutex_; }
  /// enter(), with mutex() held.
  template <class Get, class Set>
  void enter_locked(T* slot, T mine, Get get, Set set) {
    *slot = get();
    set(mine);
    slots_.push_back(slot);
  }
  /// leave(), with mutex() held.
  template <class Set>
  void leave_locked(T* slot, Set set) {
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      if (slots_[i] != slot) continue;
      if (i + 1 < slots_.size())
        *slots_[i + 1] = *slot;
      else
        set(*slot);
      slots_.erase(slots_.begin() + static_cast<std::ptrdiff_t>(i));
      return;
    }
  }

 private:
  posix::ForkSafeMutex& mutex_;
  std::vector<T*> slots_;
};

/// The lock of the swaps of std::cout's buffer and of `stdout` (fd 1), or
/// of std::cerr's and `stderr` (fd 2): their two chains share it, so that
/// flush_streams() reads both under one lock.
posix::ForkSafeMutex& stream_mutex(int fd);
/// The chain of buffer swaps of std::cout (fd 1) or std::cerr (fd 2).
SwapChain<std::streambuf*>& buffer_chain(int fd);
/// The chain of swaps of the FILE* that `stdout` (fd 1) or `stderr` names.
SwapChain<std::FILE*>& file_chain(int fd);

/// The directory for temp files: $TEST_TMPDIR (Bazel's), $TMPDIR, or /tmp.
std::string temp_dir();

/// In a forked child: closes the pooled capture files inherited from the
/// parent, whose offsets the parent still uses.
void forget_capture_pool() noexcept;
/// Makes the pool of capture files (room included) before any trap needs it.
void reserve_capture_pool();

/// In a forked child: the next in-memory capture files this process takes
/// (PooledFile::memory with reuse) are @p fds[0], then @p fds[1] (-1:
/// none), whose captures begin at @p offsets: files the parent made for
/// this child alone, so that it creates none. Nothing is allocated; a
/// process forked from this one takes none of them.
void offer_capture_files(const int (&fds)[2], const std::size_t (&offsets)[2]) noexcept;

/// Creates the captures' process-wide state (the file pool, the list of
/// diverted descriptors, the process-wide lock, the swap chains) with room
/// for a trap's entries, if not yet. The fork layer calls it in the parent:
/// a child that built it would allocate and write pages shared with the
/// parent, each a page fault, in every child.
void create_capture_state();

/// A reusable capture file. Returned to its pool on destruction.
///
/// A trap's output is appended after what earlier traps left, from offset(),
/// and read back from there: no truncation (two system calls) per trap. A
/// file that holds more than kKeep bytes is not reused.
///
/// The code may move the file's offset (lseek, pwrite on the descriptor):
/// the file is opened O_APPEND, so every write still lands at its end and
/// nothing written is lost (the capture holds the bytes in the order they
/// were written). A memory file is sealed against shrinking: the code's
/// ftruncate() fails with EPERM, as it fails (EINVAL) on a pipe or a
/// terminal, and cuts nothing. A file whose size is not what its last trap
/// left (a process that inherited it wrote on) is not reused.
class PooledFile {
 public:
  static constexpr std::size_t kKeep = 256 * 1024;
  PooledFile() = default;
  PooledFile(posix::Fd fd, std::string dir, std::size_t offset = 0)
      : fd_(std::move(fd)), dir_(std::move(dir)), offset_(offset), pid_(posix::self_pid()) {}
  ~PooledFile();
  PooledFile(PooledFile&& o) noexcept
      : fd_(std::move(o.fd_)),
        dir_(std::move(o.dir_)),
        offset_(o.offset_),
        clean_(o.clean_),
        pid_(o.pid_) {}
  PooledFile& operator=(PooledFile&&) noexcept;
  int fd() const { return fd_.get(); }
  /// Where this capture's bytes begin in the file.
  std::size_t offset() const { return offset_; }
  /// Appends what was written since the capture began to @p out.
  void take(std::string& out);
  /// Closes the file instead of pooling it: another process may hold it
  /// (a child started during the capture inherited it) and write on.
  void keep_out_of_pool() noexcept { clean_ = false; }

  /// An in-memory file (memfd; a temp file where memfd is missing): a new
  /// one unless @p reuse, else one from the pool if there is one.
  static PooledFile memory(bool reuse = true);
  /// A new descriptor as memory() makes its files (sealed against
  /// shrinking, O_APPEND, close on exec), for a file offered to a forked
  /// child (offer_capture_files()); invalid where memfd is missing or the
  /// file cannot be made. Never throws.
  static posix::Fd new_memory_fd() noexcept;
  /// An unlinked temp file in temp_dir(), new unless @p reuse.
  /// @throws std::system_error `cannot create temp file in "DIR": ...`
  static PooledFile in_temp_dir(bool reuse = true);

 private:
  void release() noexcept;
  posix::Fd fd_;
  std::string dir_;         // empty for memory files
  std::size_t offset_ = 0;  // where this capture's bytes begin
  bool clean_ = true;       // read whole, held by no other process: fit to reuse
  int pid_ = 0;             // the process that made or took it
};

/// For a capture into a file, under a file-size limit (RLIMIT_FSIZE): a
/// write past the limit fails with EFBIG instead of killing the process
/// (SIGXFSZ), and the capture can start in a new, empty file, so that it
/// keeps as much as the limit allows. Output past the limit is lost, as on
/// any file.
class FileSizeLimitGuard {
 public:
  FileSizeLimitGuard() = default;
  ~FileSizeLimitGuard() { release(); }
  FileSizeLimitGuard(const FileSizeLimitGuard&) = delete;
  FileSizeLimitGuard& operator=(const FileSizeLimitGuard&) = delete;
  /// Takes effect if @p limited (a limit is set now: file_size_limited());
  /// returns whether it is in effect.
  bool engage(bool limited) noexcept {
    if (engaged_ || !limited) return engaged_;
    posix::hold_sigxfsz();
    return engaged_ = true;
  }
  void release() noexcept {
    if (engaged_) posix::release_sigxfsz();
    engaged_ = false;
  }

 private:
  bool engaged_ = false;
};

/// One diversion of one stream. begin() and end() check the protocol and
/// call the strategy's private virtuals; end() always restores the stream
/// before it reads what was captured.
class Capture {
 public:
  explicit Capture(int fd) : fd_(fd) {}
  virtual ~Capture() = default;
  Capture(const Capture&) = delete;
  Capture& operator=(const Capture&) = delete;

  /// Starts diverting; false (and nothing diverted) if the descriptor is
  /// closed, which Perl does not trap either. On failure nothing stays
  /// diverted.
  bool begin();
  /// Restores the stream and returns what was written meanwhile.
  std::string end();
  int fd() const { return fd_; }
  /// The file and offset this capture's bytes go to, if they go to a file
  /// (a forked child that dies can then still hand them over).
  virtual std::optional<std::pair<int, off_t>> file_region() const { return std::nullopt; }

  /// What spring_capture() keeps of the layer that began this capture.
  struct Layering {
    std::string accessor;        // the accessor it sets
    const Trap* trap = nullptr;  // the trap, while the capture begins
    CaptureSalvage* salvage = nullptr;
    int slot = -1;  // its slot in salvage
  };
  Layering layering;

  /// Makes a capture of type @p C in a block of cached_allocate(), owned
  /// by the result, which destroys it and frees the block.
  template <class C, class... A>
  static HeldObject make(A&&... args) {
    void* block = cached_allocate(sizeof(C));
    C* c = nullptr;
    try {
      c = new (block) C(std::forward<A>(args)...);
    } catch (...) {
      cached_free(block, sizeof(C));
      throw;
    }
    static_cast<Capture*>(c)->block_size_ = sizeof(C);
    return HeldObject(static_cast<Capture*>(c), destroy);
  }

 protected:
  /// Whether this capture sees only its own thread's output (memory); the
  /// others divert something process-wide and run one thread at a time.
  virtual bool per_thread() const { return false; }
  /// Whether the descriptor is open (see standard_fd_open()).
  bool fd_open() const;

 private:
  // Destroys a capture of make() and frees its block: a plain function, not
  // a shared_ptr's control block, so that a fork trap's child runs trap's
  // own code (posix/child_path.hpp).
  static void destroy(void* capture) noexcept;
  virtual bool do_begin() = 0;
  virtual std::string do_end() = 0;
  enum class State { idle, active, done };
  int fd_;
  State state_ = State::idle;
  bool streams_were_good_ = false;  // no error on the streams at begin()
  std::size_t block_size_ = 0;      // of its block, if make() made it
};

/// The callable of a built-in strategy. Its type tells the output layer
/// that the strategy handles a closed descriptor itself (a user's strategy
/// is not called for one, as in Perl), and lets it call the strategy
/// through one plain function pointer.
struct BuiltinStrategy {
  void (*spring)(Trap& self, std::string_view name, int fd, bool arg) = nullptr;
  bool arg = false;  // the capture's one argument, if it takes one (pipe's tee)
  void operator()(Trap& self, std::string_view name, int fd) const { spring(self, name, fd, arg); }
};

/// Process-wide captures (descriptors, `stdout`, std::cout's buffer) of
/// different threads run one after another: begin() of a thread's outermost
/// one waits until no other thread has one active. A thread's own captures
/// nest freely. Held from begin() to end(), so a trap that waits for
/// another thread's process-wide trap waits for ever: documented.
void lock_process_wide_captures();
void unlock_process_wide_captures() noexcept;
/// How many threads are waiting in lock_process_wide_captures() for another
/// thread's capture to end (lets a test see that a thread waits there).
int process_wide_capture_waiters() noexcept;

/// Counts the layers applied on this thread (Trap::next() adds one before
/// it applies a layer): two output layers applied one right after the
/// other see consecutive counts, with no layer of the caller's between them.
inline thread_local std::uint64_t layer_steps = 0;

/// Whether descriptor @p fd (0, 1 or 2) is open, for the output layer of
/// trap @p trap now applying: one poll() learns it for 0, 1 and 2 at once,
/// and the next layer of the same trap, applied right after this one, is
/// answered from it (stdout and stderr: one system call, not two).
bool standard_fd_open(const Trap& trap, int fd);

/// Whether a file-size limit (RLIMIT_FSIZE) is set, for a capture of trap
/// @p trap (nullptr: of none) now beginning: as standard_fd_open(), the
/// next layer of the same trap is answered from the same getrlimit().
bool file_size_limited(const Trap* trap);

/// Begins @p capture for accessor @p name of trap @p self, registers the
/// teardown that ends it and sets the accessor, then applies the next
/// layer. A failure to begin is the trap's untrappable exception.
void spring_capture(Trap& self, std::string_view name, HeldObject capture);

/// Registers the end of @p capture (end_capture()) as a teardown of
/// @p self, which then holds it (taken from @p capture only on success).
/// Declared here, defined by the engine, which keeps the record.
void add_capture_teardown(Trap& self, HeldObject&& capture);
/// Ends @p capture and sets its accessor on @p t: the teardown of a capture
/// that spring_capture() began. Defined by the engine, which keeps the
/// record's values.
void end_capture(Trap& t, Capture& capture);

/// Springs a new capture of type @p C (made with @p arg if it takes one).
template <class C>
TRAP_CHILD_PATH void spring_new_capture(Trap& self, std::string_view name, int fd, bool arg) {
  if constexpr (std::is_constructible_v<C, int, bool>)
    spring_capture(self, name, Capture::make<C>(fd, arg));
  else
    spring_capture(self, name, Capture::make<C>(fd));
}

/// The StrategyFn of a Capture type (see spring_capture()), made with
/// @p arg if it takes a bool after its descriptor.
template <class C>
StrategyFn strategy_of(bool arg = false) {
  return BuiltinStrategy{&spring_new_capture<C>, arg};
}

/// The ostream that stands for descriptor @p fd (std::cout or std::cerr).
/// @throws UsageError for another descriptor.
std::ostream& stream_for(int fd, const char* strategy);

}  // namespace trap::detail
