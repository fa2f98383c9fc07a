// SPDX-License-Identifier: BSL-1.0
// The one place trap makes POSIX calls on descriptors. Every call retries on
// EINTR, checks its result and throws std::system_error naming the call.
//
// It is also the fault-injection seam (faults.cpp): tests make the Nth use
// of a call fail. The seam points, by the name inject_fault() takes:
//   here          open (O_TMPFILE), mkstemp (its fallback, and
//                 named_temp_file), memfd_create,
//                 dup (also moving a new descriptor above 2: see
//                 off_standard_fds), dup2, pipe2, read, pread, write,
//                 ftruncate
//   children.hpp  fork, waitpid, kill, posix_spawn
//   in front of a library call that makes the system call itself:
//                 pipe2, posix_spawn (the launch) and waitpid in trap::run;
//                 socket, bind, listen, accept in the TCP and UDP servers.
// The kinds of fault: any errno (EMFILE, ENOSPC, ... : the call fails with
// it, and the error names the call); EINTR (the call is retried, as a real
// interrupted one is); EAGAIN (waited out where a non-blocking descriptor
// can really say it: write, read of a drained pipe, accept; an error
// elsewhere); and, for read, pread and write, a negative number: a short
// transfer of one byte, which the loops complete.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace trap::posix {

/// An owned descriptor, closed on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int release() { return std::exchange(fd_, -1); }
  void reset() noexcept;

 private:
  int fd_ = -1;
};

/// Makes the Nth next use (1 = the next one) of seam point @p call (see
/// the file comment) fail with errno @p err; a negative err makes a read,
/// pread or write short instead (one byte). Faults pending on one call are
/// counted together, in the order injected. A child made by fork() shares
/// the table: it counts and takes the same faults. nth = 0 clears every
/// pending fault.
/// @throws std::invalid_argument for a name that is no seam point.
void inject_fault(std::string_view call, int nth, int err);

/// How many injected faults are still pending: not yet taken by a use of
/// their call (in this process or a forked child). Tests check that a fault
/// they injected was hit.
int pending_faults();

/// Called by a wrapper right before it makes @p call: the fault injected
/// into this use, 0 for none, an errno, or a negative number for a short
/// transfer. Cheap when no test injects or counts.
int take_fault(const char* call);

/// For a seam point in front of a library call that makes @p call itself:
/// the errno the library call is to fail with, 0 for none. EINTR, and
/// @p also_retried if given, are what the library retries on its own:
/// such a fault is taken and the call counted again, as that retry would.
int take_library_fault(const char* call, int also_retried = 0);

/// Starts (from zero) or stops counting the uses of every seam point, in
/// this process and the children it forks.
void count_calls(bool on);
/// How many times each seam point was used since count_calls(true); the
/// ones never used are left out.
std::map<std::string, int> call_counts();

/// @p fd itself if it is above 2 (or invalid); else a close-on-exec
/// duplicate numbered 3 or more, @p fd being closed. Every descriptor trap
/// makes goes through it: none may take the number of a closed stdin,
/// stdout or stderr. A seam point: it is a "dup".
/// @throws std::system_error "dup(FD)"
Fd off_standard_fds(Fd fd);
/// Whether descriptor @p fd is open.
bool is_open(int fd);
/// Whether descriptors 0, 1 and 2 are open, in bits 0, 1 and 2 of the
/// result: one poll(), where is_open() takes one fcntl() each; -1 if poll()
/// fails.
int open_standard_fds() noexcept;
/// A close-on-exec duplicate of @p fd.
Fd dup(int fd);
/// As dup(), but an invalid Fd when @p fd is not open (EBADF).
Fd dup_if_open(int fd);
/// This process's id, without a system call (kept up to date across fork).
int self_pid();
/// How many times this process has forked (through fork(), which runs the
/// atfork handlers); 0 means no child can have inherited anything.
unsigned long fork_count();
/// Counts a child started without fork() (posix_spawn), which may have
/// inherited descriptors just the same.
void count_spawn() noexcept;
/// dup2(from, to).
void dup2(int from, int to);
/// A close-on-exec pipe: {read end, write end}.
std::pair<Fd, Fd> pipe();
/// An anonymous in-memory file (memfd) that may be sealed, or an invalid Fd
/// where unsupported.
Fd memfd(const char* name);
/// The directory for temp files: $TEST_TMPDIR (Bazel's), $TMPDIR, or /tmp.
std::string temp_dir();
/// An unlinked temp file in @p dir (O_TMPFILE, else mkstemp + unlink).
/// @throws std::system_error `cannot create temp file in "DIR" (open)` (or
/// (mkstemp))
Fd temp_file(const std::string& dir);
/// A file that stays: its descriptor and its path.
struct NamedFile {
  Fd fd;             ///< open for reading and writing, close-on-exec
  std::string path;  ///< where it is; the caller removes it
};
/// A new file in @p dir named @p prefix, six random characters and
/// @p suffix ("trap-ca-Xy3kQz.pem"), mode 0600, not unlinked (mkostemps).
/// A seam point: it is a "mkstemp".
/// @throws std::system_error `cannot create temp file in "DIR" (mkstemp)`
NamedFile named_temp_file(const std::string& dir, const std::string& prefix,
                          const std::string& suffix);
/// One read(); 0 at end of file; -1 for a non-blocking descriptor with
/// nothing to read (EAGAIN).
ssize_t read_some(int fd, char* buf, std::size_t n);
/// One read() that never waits (preadv2 with RWF_NOWAIT), for a pipe whose
/// read end may block: 0 at end of file; -1 when it read nothing and the
/// caller must ask otherwise (FIONREAD): the pipe was empty, or busy, or the
/// kernel cannot read it without waiting. A read of fewer than @p n bytes
/// emptied the pipe.
ssize_t read_nowait(int fd, char* buf, std::size_t n);
/// Writes all of [data, data+n), waiting whenever a non-blocking @p fd is
/// full.
void write_all(int fd, const char* data, std::size_t n);
/// Appends everything from @p offset to the end of file @p fd to @p out
/// (pread); returns how many bytes that was.
std::size_t read_from(int fd, std::size_t offset, std::string& out);
/// Empties the file behind @p fd and moves its offset to 0.
void truncate_rewind(int fd);
/// How many bytes a pipe holds, ready to read (FIONREAD).
/// @throws std::system_error "ioctl(FD)"
std::size_t readable_bytes(int fd);
/// Sets O_NONBLOCK on @p fd.
void set_nonblocking(int fd);
/// Seals memfd @p fd against shrinking (F_SEAL_SHRINK): ftruncate() to a
/// smaller size fails with EPERM, for every process, for ever. False where
/// unsupported (a file that is no memfd, an old kernel).
bool seal_shrink(int fd) noexcept;
/// The size of file @p fd. @throws std::system_error "fstat(FD)"
std::size_t file_size(int fd);
/// The soft file-size limit (RLIMIT_FSIZE) in bytes; nullopt if there is
/// none.
std::optional<std::size_t> file_size_limit() noexcept;
/// While held (calls nest, across threads), SIGXFSZ is ignored if its
/// action was the default, so that a write past the file-size limit fails
/// with EFBIG instead of killing the process. release_sigxfsz() puts the
/// default back unless the program set another action meanwhile.
void hold_sigxfsz() noexcept;
/// Ends one hold_sigxfsz().
void release_sigxfsz() noexcept;
/// Sets O_APPEND on @p fd: every write goes to the end, whole.
void set_append(int fd);
/// Sets FD_CLOEXEC on @p fd (no error if it is not open).
void set_cloexec(int fd) noexcept;
/// Asks for a pipe buffer of @p bytes (F_SETPIPE_SZ); false if refused
/// (above /proc/sys/fs/pipe-max-size, or the user's pipe quota spent).
bool set_pipe_size(int fd, int bytes) noexcept;

/// What a descriptor refers to: both ends of a pipe give the same one.
struct FileId {
  unsigned long dev = 0;
  unsigned long ino = 0;
  /// A pipe, FIFO or socket: a write may block on its reader, or raise
  /// SIGPIPE once the reader has left.
  bool pipe_like = false;
  bool operator==(const FileId&) const = default;
};
/// The FileId of @p fd (fstat); ino 0 when it cannot be had.
FileId file_id(int fd) noexcept;

/// A close-on-exec epoll instance. @throws std::system_error "epoll_create1"
Fd epoll();
/// Watches @p fd for input in epoll set @p ep; epoll_wait_keys() reports
/// it as @p key (level-triggered). @throws std::system_error "epoll_ctl(EP, FD)"
void epoll_add(int ep, int fd, std::uint64_t key);
/// Stops watching @p fd; errors (one not watched) are ignored.
void epoll_remove(int ep, int fd) noexcept;
/// A descriptor epoll_wait_keys() found ready: its key, and whether it is
/// at its end (a pipe with no writer left: EPOLLHUP).
struct EpollReady {
  std::uint64_t key;
  bool hangup;
};
/// Waits until a watched descriptor is ready or @p timeout_ms pass (-1: for
/// ever) and stores up to @p n of them (at most 16) in @p ready; returns
/// how many (0 at the timeout). Retries EINTR.
/// @throws std::system_error "epoll_wait(EP)"
int epoll_wait_keys(int ep, EpollReady* ready, int n, int timeout_ms);

}  // namespace trap::posix
