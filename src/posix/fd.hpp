// The one place trap makes POSIX calls on descriptors. Every call retries on
// EINTR, checks its result and throws std::system_error naming the call.
// Tests make any call fail at its Nth use through inject_fault().
#pragma once

#include <sys/types.h>

#include <cstddef>
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

/// Makes the Nth next call (1 = the next one) of @p call ("dup", "dup2",
/// "pipe2", "read", "write", "memfd_create", "open", ...) fail with @p err.
/// A negative err makes a read or write short instead (one byte). Passing
/// nth = 0 clears every injection.
void inject_fault(std::string_view call, int nth, int err);

/// The fault injected into this use of @p call: 0 for none, an errno to
/// fail with, or a negative number for a short transfer.
int take_fault(const char* call);

/// Whether descriptor @p fd is open.
bool is_open(int fd);
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
/// An anonymous in-memory file (memfd), or an invalid Fd where unsupported.
Fd memfd(const char* name);
/// An unlinked temp file in @p dir (O_TMPFILE, else mkstemp + unlink).
/// @throws std::system_error "cannot create temp file in "DIR""
Fd temp_file(const std::string& dir);
/// One read(); 0 at end of file; -1 with errno EAGAIN for a non-blocking
/// descriptor with nothing to read.
ssize_t read_some(int fd, char* buf, std::size_t n);
/// Writes all of [data, data+n).
void write_all(int fd, const char* data, std::size_t n);
/// Appends everything from @p offset to the end of file @p fd to @p out
/// (pread); returns how many bytes that was.
std::size_t read_from(int fd, std::size_t offset, std::string& out);
/// Empties the file behind @p fd and moves its offset to 0.
void truncate_rewind(int fd);
/// Sets O_NONBLOCK on @p fd.
void set_nonblocking(int fd);
/// Sets O_APPEND on @p fd: every write goes to the end, whole.
void set_append(int fd);
/// Sets FD_CLOEXEC on @p fd (no error if it is not open).
void set_cloexec(int fd) noexcept;

}  // namespace trap::posix
